package modeltender.openness_test

import data.modeltender.fixtures
import data.modeltender.openness

test_counts_licensed_included_components if {
	# weights, Training code and Model card; Datasets is not included.
	openness.result == {"components_open": 3, "components_total": 17, "score": 18} with input as fixtures.complete
}

test_unknown_and_unlicensed_components_do_not_count if {
	odd := json.patch(fixtures.complete, [{"op": "replace", "path": "/manifest/components", "value": [
		{"name": "Secret sauce", "license": "MIT", "included": true},
		{"name": "Inference code", "included": true},
		{"name": "Model parameters (Final)", "license": "Apache-2.0", "included": true},
	]}])
	openness.result.components_open == 1 with input as odd
}

test_everything_open_scores_100 if {
	all_open := json.patch(fixtures.complete, [{"op": "replace", "path": "/manifest/components", "value": [
	{"name": c.name, "license": "Apache-2.0", "included": true} |
		some c in data.modeltender.mof_components.components
	]}])
	openness.result.score == 100 with input as all_open
}

test_summary_is_info if {
	findings := openness.info with input as fixtures.complete
	some f in findings
	f.rule == "openness.components"
	f.severity == "info"
}
