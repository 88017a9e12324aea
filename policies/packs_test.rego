package modeltender.packs_test

import data.modeltender.fixtures
import data.modeltender.packs

test_no_packs_named_applies_the_tier_defaults if {
	packs.selected == ["omb-m-25-22"] with input as fixtures.complete
	packs.selected == ["omb-m-25-21", "omb-m-25-22"] with input as fixtures.high_impact
}

test_named_packs_in_catalogue_order_once if {
	named := fixtures.with_packs(["eu-gpai-documentation", "omb-m-26-04", "eu-gpai-documentation"])
	packs.selected == ["omb-m-26-04", "eu-gpai-documentation"] with input as named
}

test_unknown_pack_warns_with_the_valid_ids if {
	named := fixtures.with_packs(["omb-m-25-22", "omb-m-99-01"])
	packs.selected == ["omb-m-25-22"] with input as named
	findings := packs.warn with input as named
	some f in findings
	f.rule == "packs.unknown-pack"
	contains(f.message, "omb-m-99-01")
	contains(f.message, "valid packs: omb-m-25-21, omb-m-25-22, omb-m-26-04, gsar-552-239-7001-draft-2026-06, eu-gpai-documentation")
}

test_complete_attests_everything if {
	every_pack := fixtures.with_packs(data.modeltender.tables.pack_order)
	count(packs.deny) == 0 with input as every_pack
	count(packs.warn) == 0 with input as every_pack
}

test_refused_term_denies if {
	refusing := fixtures.attesting(fixtures.complete, "government-data-rights", {"term": "government-data-rights", "answer": "no", "document": "Volume II, 3.1"})
	some f in packs.deny with input as refusing
	f.rule == "packs.attestation-refused"
	f.evidence == {"component": "government-data-rights", "clause": "omb-m-25-22", "quote": "Volume II, 3.1"}
	startswith(f.source, "OMB M-25-22 §3(e)")
}

test_refusal_only_warns_where_the_pack_says_so if {
	refusing := fixtures.attesting(fixtures.complete, "vendor-lock-in-protections", {"term": "vendor-lock-in-protections", "answer": "no", "document": "Volume II, 7"})
	count(packs.deny) == 0 with input as refusing
	fixtures.rules(packs.warn) == {"packs.attestation-refused"} with input as refusing
}

test_missing_term_warns if {
	silent := fixtures.attesting(fixtures.complete, "testing-and-monitoring-access", null)
	count(packs.deny) == 0 with input as silent
	some f in packs.warn with input as silent
	f.rule == "packs.attestation-missing"
	f.evidence.component == "testing-and-monitoring-access"
	contains(f.message, "does not answer it")
}

test_yes_without_a_bid_document_warns if {
	unreferenced := fixtures.attesting(fixtures.complete, "testing-and-monitoring-access", {"term": "testing-and-monitoring-access", "answer": "yes", "document": "  "})
	some f in packs.warn with input as unreferenced
	f.rule == "packs.attestation-missing"
	contains(f.message, "names no bid document")
}

test_the_last_answer_to_a_term_counts if {
	twice := json.patch(fixtures.complete, [{"op": "add", "path": "/manifest/attestations/-", "value": {"term": "government-data-rights", "answer": "no", "document": "Volume II, 3.1"}}])
	fixtures.rules(packs.deny) == {"packs.attestation-refused"} with input as twice
}

test_high_impact_terms_only_at_high_impact if {
	silent := fixtures.attesting(fixtures.complete, "high-impact-minimum-practices", null)
	count(packs.warn) == 0 with input as silent
	silent_high := fixtures.attesting(fixtures.high_impact, "high-impact-minimum-practices", null)
	fixtures.rules(packs.warn) == {"packs.attestation-missing"} with input as silent_high
}

test_a_term_two_packs_ask_is_answered_once if {
	both := fixtures.with_packs(["omb-m-25-22", "gsar-552-239-7001-draft-2026-06"])
	count(packs.warn) == 0 with input as both
	silent := fixtures.attesting(both, "no-training-on-government-data", null)
	{f.evidence.clause | some f in packs.warn} == {"omb-m-25-22", "gsar-552-239-7001-draft-2026-06"} with input as silent
}

test_status_lists_requirements_and_what_is_missing if {
	lacking := fixtures.attesting(fixtures.dropping(fixtures.high_impact, {"monitoring-plan"}), "high-impact-minimum-practices", null)
	status := packs.status with input as lacking
	[s.id | some s in status] == ["omb-m-25-21", "omb-m-25-22"]
	status[0].effective == "2025-04-03"
	status[0].version == 1
	[r.id | some r in status[0].missing_evidence] == ["monitoring-plan"]
	count(status[0].required_evidence) == 5
	status[0].required_attestations == []
	[r.id | some r in status[1].missing_attestations] == ["high-impact-minimum-practices"]
	status[1].missing_evidence == []
}

test_missing_evidence_of_a_named_pack_is_in_the_status if {
	lacking := json.patch(fixtures.with_packs(["omb-m-26-04"]), [{
		"op": "replace",
		"path": "/manifest/evidence",
		"value": [item | some item in fixtures.complete.manifest.evidence; item.kind != "acceptable-use-policy"],
	}])
	[r.id | some r in packs.status[0].missing_evidence] == ["acceptable-use-policy"] with input as lacking
}

test_packs_not_in_force_are_stated if {
	draft := fixtures.with_packs(["gsar-552-239-7001-draft-2026-06"])
	some f in packs.info with input as draft
	f.rule == "packs.not-in-force"
	contains(f.message, "is a draft")

	early := json.patch(fixtures.complete, [{"op": "replace", "path": "/as_of", "value": "2025-09-29"}])
	some g in packs.info with input as early
	contains(g.message, "takes effect only on 2025-09-30")

	lapsed := json.patch(fixtures.with_packs(["omb-m-26-04"]), [{"op": "replace", "path": "/as_of", "value": "2027-12-11"}])
	some h in packs.info with input as lapsed
	contains(h.message, "lapsed on 2027-12-11")

	count(packs.info) == 0 with input as fixtures.complete
}

test_every_pack_is_complete if {
	every p in data.modeltender.policy_packs.packs {
		p.id != ""
		p.title != ""
		p.version >= 1
		p.status in {"in-force", "draft"}
		count(p.sources) > 0
		every s in p.sources {
			s.kind in {"primary", "secondary"}
			startswith(s.url, "https://")
		}
		every req in p.evidence {
			req.kind in fixtures.evidence_kinds
			every k in object.get(req, "accepts", []) {
				k in fixtures.evidence_kinds
			}
			req.source_kind in {"primary", "secondary"}
			req.fix != ""
		}
		every a in p.attestations {
			a.refused_severity in {"deny", "warn"}
			a.source_kind in {"primary", "secondary"}
			a.statement != ""
			a.fix != ""
		}
		every r in p.rules {
			r.severity in {"deny", "warn", "info"}
			r.source_kind in {"primary", "secondary"}
		}
	}
}
