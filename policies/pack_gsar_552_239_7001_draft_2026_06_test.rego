package modeltender.packs.gsar_552_239_7001_draft_2026_06_test

import data.modeltender.fixtures
import data.modeltender.packs
import data.modeltender.packs.gsar_552_239_7001_draft_2026_06 as pack

gsar := fixtures.with_packs(["gsar-552-239-7001-draft-2026-06"])

test_complete_has_no_findings if {
	count(pack.deny) == 0 with input as gsar
	count(packs.deny) == 0 with input as gsar
	count(packs.warn) == 0 with input as gsar
}

test_training_on_government_data_denied if {
	trains := json.patch(gsar, [{"op": "replace", "path": "/manifest/data_use/trains_on_agency_data", "value": true}])
	fixtures.rules(pack.deny) == {"gsar.trains-on-government-data"} with input as trains
	count(pack.deny) == 0 with input as json.patch(fixtures.complete, [{"op": "replace", "path": "/manifest/data_use/trains_on_agency_data", "value": true}])
}

test_each_clause_term_is_asked if {
	terms := {"government-owns-data-and-outputs", "no-training-on-government-data", "incident-reporting-72h", "material-change-notice", "unbiased-ai-principles-accepted", "data-portability", "llm-supply-chain-attestations", "ai-systems-disclosed-30-days"}
	unattested := json.patch(gsar, [{"op": "replace", "path": "/manifest/attestations", "value": []}])
	{f.evidence.component | some f in packs.warn} == terms with input as unattested
}

test_refusing_72_hour_reporting_denies if {
	refusing := fixtures.attesting(gsar, "incident-reporting-72h", {"term": "incident-reporting-72h", "answer": "no", "document": "Volume II, 9"})
	{f.evidence.component | some f in packs.deny} == {"incident-reporting-72h"} with input as refusing
}

test_refusing_the_30_day_disclosure_only_warns if {
	refusing := fixtures.attesting(gsar, "ai-systems-disclosed-30-days", {"term": "ai-systems-disclosed-30-days", "answer": "no", "document": "Volume II, 9"})
	count(packs.deny) == 0 with input as refusing
	{f.rule | some f in packs.warn} == {"packs.attestation-refused"} with input as refusing
}
