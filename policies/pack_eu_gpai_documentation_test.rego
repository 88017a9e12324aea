package modeltender.packs.eu_gpai_documentation_test

import data.modeltender.fixtures
import data.modeltender.packs
import data.modeltender.packs.eu_gpai_documentation as pack
import data.modeltender.safety

eu := fixtures.with_packs(["eu-gpai-documentation"])

# eu with open weights and an openly licensed architecture (Art. 53(2)).
open_source := json.patch(eu, [{
	"op": "add", "path": "/manifest/components/-",
	"value": {"name": "Model architecture", "license": "Apache-2.0", "included": true},
}])

test_complete_has_no_findings if {
	count(safety.deny) == 0 with input as eu
	count(pack.warn) == 0 with input as eu
	count(pack.info) == 0 with input as eu
}

test_article_53_documents_required if {
	lacking := fixtures.dropping(eu, {"training-content-summary", "model-documentation", "copyright-policy"})
	findings := safety.deny with input as lacking
	{f.evidence.component | some f in findings} == {"training-content-summary", "model-documentation", "copyright-policy"}
	some f in findings
	f.evidence.component == "training-content-summary"
	f.source == "AI Act Art. 53(1)(d); Commission template of July 24, 2025"
}

test_open_source_model_needs_no_model_documentation if {
	lacking := fixtures.dropping(open_source, {"model-documentation"})
	count(safety.deny) == 0 with input as lacking
	fixtures.rules(pack.info) == {"eu-gpai.open-source-exemption"} with input as lacking
	[r.id | some r in packs.status[0].required_evidence] == ["training-content-summary", "copyright-policy"] with input as lacking
}

test_closed_weights_need_model_documentation if {
	closed := json.patch(fixtures.dropping(open_source, {"model-documentation"}), [{"op": "replace", "path": "/manifest/weights/license", "value": "LicenseRef-Llama-3.1"}])
	{f.evidence.component | some f in safety.deny} == {"model-documentation"} with input as closed
	count(pack.info) == 0 with input as closed
}

test_unpublished_weights_need_model_documentation if {
	unpublished := json.patch(fixtures.dropping(open_source, {"model-documentation"}), [{"op": "remove", "path": "/manifest/weights/location"}])
	{f.evidence.component | some f in safety.deny} == {"model-documentation"} with input as unpublished
}

test_training_summary_must_be_public if {
	in_bid := json.patch(eu, [{
		"op": "replace",
		"path": "/manifest/evidence",
		"value": [object.union(item, {"location": "Volume III, annex B"}) |
			some item in eu.manifest.evidence
			item.kind == "training-content-summary"
		],
	}])
	some f in pack.warn with input as in_bid
	f.rule == "eu-gpai.training-summary-not-public"
	f.evidence.quote == "Volume III, annex B"
}

test_rules_are_off_when_the_pack_is_not_selected if {
	in_bid := json.patch(fixtures.complete, [{"op": "replace", "path": "/manifest/evidence", "value": [{"kind": "training-content-summary", "location": "Volume III"}]}])
	count(pack.warn) == 0 with input as in_bid
	count(pack.info) == 0 with input as fixtures.dropping(json.patch(open_source, [{"op": "remove", "path": "/criteria/packs"}]), {"model-documentation"})
}
