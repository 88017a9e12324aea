# METADATA
# title: "Policy pack omb-m-25-22: OMB M-25-22, Driving Efficient Acquisition of AI in Government"
# description: >-
#   The pack's own rules on what the manifest states about agency data and
#   portability; its contract-term attestations are checked in packs.rego
#   from data.modeltender.policy_packs. Rule ids keep the procurement.
#   prefix they had before packs existed.
package modeltender.packs.omb_m_25_22

import data.modeltender.packs

active if "omb-m-25-22" in packs.selected

government_data := "OMB M-25-22 §3(e) (as printed): Protect IP Rights and Use of Government Data"

# METADATA
# title: Vendor trains on agency data
# description: A vendor that trains its models on non-public agency data is disqualified.
# custom:
#   source: "OMB M-25-22 §3(e) (as printed): Protect IP Rights and Use of Government Data"
deny contains finding if {
	active
	input.manifest.data_use.trains_on_agency_data == true
	finding := {
		"rule": "procurement.trains-on-agency-data",
		"severity": "deny",
		"message": "the vendor states that it trains models on agency data",
		"evidence": {"component": "data_use", "clause": "trains_on_agency_data", "quote": "true"},
		"source": government_data,
		"fix": "Commit contractually not to use non-public agency data to train or improve models, and set data_use.trains_on_agency_data to false.",
	}
}

# METADATA
# title: Agency data use not declared
# description: >-
#   A manifest that neither says whether agency data is used for training nor
#   attests the no-training term needs a reviewer to ask.
# custom:
#   source: "OMB M-25-22 §3(e) (as printed): Protect IP Rights and Use of Government Data"
warn contains finding if {
	active
	not data_use_declared
	not packs.attested("no-training-on-government-data")
	finding := {
		"rule": "procurement.data-use-undeclared",
		"severity": "warn",
		"message": "the manifest does not say whether the vendor trains models on agency data",
		"evidence": {"component": "data_use", "clause": "trains_on_agency_data", "quote": ""},
		"source": government_data,
		"fix": "Set data_use.trains_on_agency_data in the manifest (the agency expects false), or attest no-training-on-government-data with the bid section that commits to it.",
	}
}

data_use_declared if is_boolean(input.manifest.data_use.trains_on_agency_data)

# METADATA
# title: Vendor lock-in
# description: >-
#   Weights that can neither run on agency infrastructure nor be exported tie
#   the agency to the vendor's hosted service, unless the vendor attests the
#   lock-in protections (knowledge transfer, portability) the contract gives.
# custom:
#   source: "OMB M-25-22 §4(d): Selection and Award (vendor lock-in terms)"
warn contains finding if {
	active
	not input.manifest.deployment.on_premises
	not input.manifest.deployment.weights_exportable
	not packs.attested("vendor-lock-in-protections")
	finding := {
		"rule": "procurement.vendor-lock-in",
		"severity": "warn",
		"message": "the weights can neither run on agency infrastructure nor be exported, so the agency depends on the vendor's hosted service",
		"evidence": {"component": "deployment", "clause": "on_premises, weights_exportable", "quote": "false, false"},
		"source": "OMB M-25-22 §4(d): Selection and Award (vendor lock-in terms)",
		"fix": "Offer on-premises deployment or exportable weights, or attest vendor-lock-in-protections with the bid section describing the transition assistance and data and model portability the contract provides.",
	}
}
