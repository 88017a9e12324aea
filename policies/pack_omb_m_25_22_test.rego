package modeltender.packs.omb_m_25_22_test

import data.modeltender.fixtures
import data.modeltender.packs.omb_m_25_22 as pack

# The pack is a default for every tier, so fixtures.complete applies it.
test_complete_has_no_findings if {
	count(pack.deny) == 0 with input as fixtures.complete
	count(pack.warn) == 0 with input as fixtures.complete
}

test_training_on_agency_data_denied if {
	trains := json.patch(fixtures.complete, [{"op": "replace", "path": "/manifest/data_use/trains_on_agency_data", "value": true}])
	fixtures.rules(pack.deny) == {"procurement.trains-on-agency-data"} with input as trains
}

test_rules_are_off_when_the_pack_is_not_selected if {
	trains := json.patch(fixtures.with_packs(["eu-gpai-documentation"]), [
		{"op": "replace", "path": "/manifest/data_use/trains_on_agency_data", "value": true},
		{"op": "replace", "path": "/manifest/deployment", "value": {}},
	])
	count(pack.deny) == 0 with input as trains
	count(pack.warn) == 0 with input as trains
}

# Neither data_use nor the no-training attestation says anything.
silent := fixtures.attesting(
	json.patch(fixtures.complete, [{"op": "replace", "path": "/manifest/data_use", "value": {}}]),
	"no-training-on-government-data", null,
)

test_undeclared_data_use_warns if {
	count(pack.deny) == 0 with input as silent
	fixtures.rules(pack.warn) == {"procurement.data-use-undeclared"} with input as silent
}

test_no_training_attestation_declares_data_use if {
	attested := json.patch(fixtures.complete, [{"op": "replace", "path": "/manifest/data_use", "value": {}}])
	count(pack.warn) == 0 with input as attested
}

test_attestation_without_document_does_not_declare_data_use if {
	unreferenced := fixtures.attesting(silent, "no-training-on-government-data", {"term": "no-training-on-government-data", "answer": "yes"})
	fixtures.rules(pack.warn) == {"procurement.data-use-undeclared"} with input as unreferenced
}

hosted := fixtures.attesting(
	json.patch(fixtures.complete, [{"op": "replace", "path": "/manifest/deployment", "value": {"on_premises": false, "weights_exportable": false}}]),
	"vendor-lock-in-protections", null,
)

test_hosted_only_warns_lock_in if {
	fixtures.rules(pack.warn) == {"procurement.vendor-lock-in"} with input as hosted
}

test_lock_in_protections_attested_avoid_lock_in if {
	protected := fixtures.attesting(hosted, "vendor-lock-in-protections", {"term": "vendor-lock-in-protections", "answer": "yes", "document": "Volume II, 7.3"})
	count(pack.warn) == 0 with input as protected
}

test_exportable_weights_avoid_lock_in if {
	exportable := json.patch(hosted, [{"op": "replace", "path": "/manifest/deployment/weights_exportable", "value": true}])
	count(pack.warn) == 0 with input as exportable
}
