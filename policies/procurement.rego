# METADATA
# title: Procurement rules
# description: >-
#   Contract-level rules for acquiring an AI model: agency data stays out of
#   vendor training, the agency can run or move the weights, and license
#   problems found by the license review disqualify.
package modeltender.procurement

# METADATA
# title: Vendor trains on agency data
# description: A vendor that trains its models on non-public agency data is disqualified.
# custom:
#   source: OMB M-25-22 (use of government data)
deny contains finding if {
	input.manifest.data_use.trains_on_agency_data == true
	finding := {
		"rule": "procurement.trains-on-agency-data",
		"severity": "deny",
		"message": "the vendor states that it trains models on agency data",
		"evidence": {"component": "data_use", "clause": "trains_on_agency_data", "quote": "true"},
		"source": "OMB M-25-22 (use of government data)",
		"fix": "Commit contractually not to use non-public agency data to train or improve models, and set data_use.trains_on_agency_data to false.",
	}
}

# METADATA
# title: Agency data use not declared
# description: A manifest that does not say whether agency data is used for training needs a reviewer to ask.
# custom:
#   source: OMB M-25-22 (use of government data)
warn contains finding if {
	not data_use_declared
	finding := {
		"rule": "procurement.data-use-undeclared",
		"severity": "warn",
		"message": "the manifest does not say whether the vendor trains models on agency data",
		"evidence": {"component": "data_use", "clause": "trains_on_agency_data", "quote": ""},
		"source": "OMB M-25-22 (use of government data)",
		"fix": "Set data_use.trains_on_agency_data in the manifest; the agency expects false.",
	}
}

data_use_declared if is_boolean(input.manifest.data_use.trains_on_agency_data)

# METADATA
# title: Vendor lock-in
# description: >-
#   Weights that can neither run on agency infrastructure nor be exported tie
#   the agency to the vendor's hosted service.
# custom:
#   source: OMB M-25-22 (vendor lock-in, portability)
warn contains finding if {
	not input.manifest.deployment.on_premises
	not input.manifest.deployment.weights_exportable
	finding := {
		"rule": "procurement.vendor-lock-in",
		"severity": "warn",
		"message": "the weights can neither run on agency infrastructure nor be exported, so the agency depends on the vendor's hosted service",
		"evidence": {"component": "deployment", "clause": "on_premises, weights_exportable", "quote": "false, false"},
		"source": "OMB M-25-22 (vendor lock-in, portability)",
		"fix": "Offer on-premises deployment or exportable weights, or describe the transition assistance and data portability the contract provides.",
	}
}

# METADATA
# title: License review disqualifies
# description: >-
#   Deny findings from the license review (internal/licensing) carry over
#   unchanged, with their own rule ids, so the decision names them.
# custom:
#   source: license review findings
deny contains finding if {
	some finding in input.license_findings
	finding.severity == "deny"
}
