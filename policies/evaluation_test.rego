package modeltender.evaluation_test

import data.modeltender.evaluation
import data.modeltender.fixtures

test_complete_standard_qualifies if {
	d := evaluation.decision with input as fixtures.complete
	d.deny == []
	d.warn == []
	d.outcome == "qualified"
	d.approvals_required == 1
	d.score == 0
	d.openness.class == null
	[f.rule | some f in d.info] == ["openness.class", "openness.osaid"]
	[p.id | some p in d.packs] == ["omb-m-25-22"]
}

test_high_impact_needs_two_approvals_and_more_evidence if {
	d := evaluation.decision with input as fixtures.high_impact
	d.approvals_required == 2
	d.deny == []
	d_missing := evaluation.decision with input as json.patch(fixtures.high_impact, [{
		"op": "replace",
		"path": "/manifest/evidence",
		"value": [item | some item in fixtures.complete.manifest.evidence; item.kind != "monitoring-plan"],
	}])
	[f.evidence.component | some f in d_missing.deny] == ["monitoring-plan"]
}

test_findings_sorted_by_rule_then_message if {
	bad := json.patch(fixtures.complete, [
		{"op": "replace", "path": "/manifest/evidence", "value": []},
		{"op": "replace", "path": "/manifest/data_use/trains_on_agency_data", "value": true},
	])
	d := evaluation.decision with input as bad
	keys := [[f.rule, f.message] | some f in d.deny]
	keys == sort(keys)
	count(d.deny) == 8
	d.deny[0].rule == "procurement.trains-on-agency-data"
	d.outcome == "disqualified"
}

test_warn_needs_review if {
	unattested := fixtures.attesting(fixtures.complete, "government-data-rights", null)
	d := evaluation.decision with input as unattested
	d.outcome == "needs_review"
}

test_openness_class_scores_preference_points if {
	components := [{"name": c.name, "license": "MIT", "included": true} |
		some c in data.modeltender.mof_components.components
	]
	open := json.patch(fixtures.complete, [{"op": "replace", "path": "/manifest/components", "value": components}])
	d := evaluation.decision with input as open
	d.openness.class == "I"
	d.score == 30
}

test_minimum_class_disqualifies if {
	strict := json.patch(fixtures.complete, [{"op": "add", "path": "/criteria/minimum_openness_class", "value": "III"}])
	d := evaluation.decision with input as strict
	d.outcome == "disqualified"
	[f.rule | some f in d.deny] == ["openness.below-minimum-class"]
}

test_findings_have_the_domain_shape if {
	bad := json.patch(fixtures.complete, [{"op": "replace", "path": "/manifest/evidence", "value": []}])
	d := evaluation.decision with input as bad
	every f in array.concat(d.deny, array.concat(d.warn, d.info)) {
		object.keys(f) == {"rule", "severity", "message", "evidence", "source", "fix"}
		object.keys(f.evidence) == {"component", "clause", "quote"}
	}
}
