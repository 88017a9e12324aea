# METADATA
# title: "Policy pack gsar-552-239-7001-draft-2026-06: GSAR 552.239-7001 draft of June 17, 2026"
# description: >-
#   The draft clause's own rule on what the manifest states about Government
#   Data; its contract-term attestations are checked in packs.rego from
#   data.modeltender.policy_packs.
package modeltender.packs.gsar_552_239_7001_draft_2026_06

import data.modeltender.packs

active if "gsar-552-239-7001-draft-2026-06" in packs.selected

# METADATA
# title: Vendor trains on Government Data
# description: >-
#   The draft clause forbids using Government Data to train, fine-tune or
#   improve any model; a vendor stating that it trains on agency data is
#   disqualified.
# custom:
#   source: "GSAR 552.239-7001 (draft, 91 FR 36559): prohibited uses of Government Data"
deny contains finding if {
	active
	input.manifest.data_use.trains_on_agency_data == true
	finding := {
		"rule": "gsar.trains-on-government-data",
		"severity": "deny",
		"message": "the vendor states that it trains models on agency data, which the draft GSAR clause forbids for Government Data",
		"evidence": {"component": "data_use", "clause": "trains_on_agency_data", "quote": "true"},
		"source": "GSAR 552.239-7001 (draft, 91 FR 36559): prohibited uses of Government Data",
		"fix": "Commit not to use Government Data to train, fine-tune or improve any model, and set data_use.trains_on_agency_data to false.",
	}
}
