package modeltender.packs.omb_m_26_04_test

import data.modeltender.fixtures
import data.modeltender.packs
import data.modeltender.safety

llm := fixtures.with_packs(["omb-m-25-22", "omb-m-26-04"])

test_complete_llm_bid_has_no_findings if {
	count(safety.deny) == 0 with input as llm
	count(packs.deny) == 0 with input as llm
	count(packs.warn) == 0 with input as llm
}

test_minimum_transparency_documents_required if {
	lacking := fixtures.dropping(llm, {"acceptable-use-policy", "end-user-resources", "feedback-mechanism"})
	findings := safety.deny with input as lacking
	{f.evidence.component | some f in findings} == {"acceptable-use-policy", "end-user-resources", "feedback-mechanism"}
	every f in findings {
		startswith(f.source, "OMB M-26-04")
	}
}

test_a_system_card_stands_in_for_the_model_card if {
	system_card_only := json.patch(fixtures.dropping(llm, {"model-card", "data-card"}), [{
		"op": "add", "path": "/manifest/evidence/-",
		"value": {"kind": "system-card", "date": "2026-01-15", "location": "https://example.org/system-card"},
	}])
	findings := safety.deny with input as system_card_only

	# The NIST baseline still asks for its model card and data card; the
	# M-26-04 card requirement is met.
	{[f.evidence.component, f.source] | some f in findings} == {
		["model-card", "NIST AI RMF MEASURE 2.9"],
		["data-card", "NIST AI RMF MAP 2.3"],
	}
}

test_no_card_at_all_is_missing_for_the_pack if {
	no_card := fixtures.dropping(llm, {"model-card", "data-card", "system-card"})
	some f in safety.deny with input as no_card
	f.source == "OMB M-26-04, LLM procurement, minimum transparency: model, system and/or data cards"
	[r.id | some r in packs.status[1].missing_evidence] == ["model-card"] with input as no_card
}

test_unbiased_ai_principles_refused_denies if {
	refusing := fixtures.attesting(llm, "unbiased-ai-principles-accepted", {"term": "unbiased-ai-principles-accepted", "answer": "no", "document": "Volume I, 2"})
	some f in packs.deny with input as refusing
	f.rule == "packs.attestation-refused"
	f.evidence.clause == "omb-m-26-04"
}

test_corrective_action_term_missing_warns if {
	silent := fixtures.attesting(llm, "noncompliance-corrective-action", null)
	{f.evidence.component | some f in packs.warn} == {"noncompliance-corrective-action"} with input as silent
}
