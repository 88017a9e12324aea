package modeltender.procurement_test

import data.modeltender.fixtures
import data.modeltender.procurement

test_complete_has_no_findings if {
	count(procurement.deny) == 0 with input as fixtures.complete
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
