package modeltender.packs.omb_m_25_21_test

import data.modeltender.fixtures
import data.modeltender.packs
import data.modeltender.safety

practices := {"pre-deployment-testing", "impact-assessment", "human-oversight-plan", "monitoring-plan", "remedies-and-appeals"}

test_high_impact_requires_the_minimum_practices if {
	lacking := fixtures.dropping(fixtures.high_impact, practices)
	findings := safety.deny with input as lacking
	{f.evidence.component | some f in findings} == practices
	every f in findings {
		f.rule == "safety.evidence-missing"
		startswith(f.source, "OMB M-25-21 §4(b)")
	}
}

test_standard_tier_does_not_apply_the_pack if {
	not "omb-m-25-21" in packs.selected with input as fixtures.complete
	count(safety.deny) == 0 with input as fixtures.dropping(fixtures.complete, practices)
}

test_named_at_standard_tier_it_asks_nothing_there if {
	named := fixtures.dropping(fixtures.with_packs(["omb-m-25-21"]), practices)
	count(safety.deny) == 0 with input as named
	packs.status[0].required_evidence == [] with input as named
}

test_high_impact_without_the_pack_skips_the_practices if {
	only_acquisition := json.patch(fixtures.dropping(fixtures.high_impact, practices), [{"op": "add", "path": "/criteria/packs", "value": ["omb-m-25-22"]}])
	count(safety.deny) == 0 with input as only_acquisition
}
