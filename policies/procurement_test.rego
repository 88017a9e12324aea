package modeltender.procurement_test

import data.modeltender.fixtures
import data.modeltender.procurement

test_complete_has_no_findings if {
	count(procurement.deny) == 0 with input as fixtures.complete
	count(procurement.warn) == 0 with input as fixtures.complete
}

test_training_on_agency_data_denied if {
	trains := json.patch(fixtures.complete, [{"op": "replace", "path": "/manifest/data_use/trains_on_agency_data", "value": true}])
	fixtures.rules(procurement.deny) == {"procurement.trains-on-agency-data"} with input as trains
}

test_undeclared_data_use_warns if {
	silent := json.patch(fixtures.complete, [{"op": "replace", "path": "/manifest/data_use", "value": {}}])
	count(procurement.deny) == 0 with input as silent
	fixtures.rules(procurement.warn) == {"procurement.data-use-undeclared"} with input as silent
}

test_hosted_only_warns_lock_in if {
	hosted := json.patch(fixtures.complete, [{"op": "replace", "path": "/manifest/deployment", "value": {"on_premises": false, "weights_exportable": false}}])
	fixtures.rules(procurement.warn) == {"procurement.vendor-lock-in"} with input as hosted
}

test_exportable_weights_avoid_lock_in if {
	exportable := json.patch(fixtures.complete, [{"op": "replace", "path": "/manifest/deployment/on_premises", "value": false}])
	count(procurement.warn) == 0 with input as exportable
}

test_license_deny_carries_over if {
	license_deny := {
		"rule": "license.invalid-expression",
		"severity": "deny",
		"message": "weights: \"Apache 2.0\" is not a valid SPDX license expression",
		"evidence": {"component": "Model parameters (Final)", "clause": "Apache 2.0"},
		"source": "SPDX License Expressions",
		"fix": "use \"Apache-2.0\"",
	}
	license_warn := object.union(license_deny, {"rule": "license.needs-review", "severity": "warn"})
	with_findings := json.patch(fixtures.complete, [{"op": "replace", "path": "/license_findings", "value": [license_deny, license_warn]}])
	procurement.deny == {license_deny} with input as with_findings
}
