package modeltender.provenance_test

import data.modeltender.evaluation
import data.modeltender.fixtures
import data.modeltender.provenance
import data.modeltender.safety

with_signature(verdict) := json.patch(fixtures.complete, [{"op": "add", "path": "/provenance", "value": {"signature": verdict}}])

verified := {
	"status": "verified", "identity_id": "sid_1", "identity": "release key (key sha256:ab12)",
	"method": "key", "legacy": false, "problems": [], "tried": ["sid_1"],
}

test_verified_signature_is_info_and_evidence if {
	d := evaluation.decision with input as with_signature(verified)
	d.outcome == "qualified"
	d.deny == []
	[f.message | some f in d.info; f.rule == "provenance.signature-verified"] == [
		"signature verified: the weights' declared files are signed by the vendor's registered identity release key (key sha256:ab12)",
	]
	"model-signature" in safety.kinds_present with input as with_signature(verified)
}

test_legacy_signature_is_flagged if {
	d := evaluation.decision with input as with_signature(json.patch(verified, [{"op": "replace", "path": "/legacy", "value": true}]))
	[f | some f in d.info; f.rule == "provenance.signature-verified"; contains(f.message, "legacy model_signing 0.2")] != []
}

test_invalid_signature_denies_naming_the_problem if {
	d := evaluation.decision with input as with_signature({
		"status": "invalid", "identity": "release key (key sha256:ab12)", "method": "key", "legacy": false,
		"problems": ["changed: signme-1 (signed aa, found bb)"], "tried": ["sid_1"],
	})
	d.outcome == "disqualified"
	[f.message | some f in d.deny] == ["the weights' signature does not verify: changed: signme-1 (signed aa, found bb)"]
	d.deny[0].rule == "provenance.signature-invalid"
	d.deny[0].fix != ""
}

test_untrusted_signature_denies if {
	d := evaluation.decision with input as with_signature({
		"status": "untrusted", "legacy": false, "tried": ["sid_2"],
		"problems": ["not by identity other key (key sha256:cd34): the signature is not by the given public key"],
	})
	d.outcome == "disqualified"
	[f.rule | some f in d.deny] == ["provenance.signature-untrusted"]
	contains(d.deny[0].message, "not by identity other key")
}

test_absent_signature_is_neutral if {
	d := evaluation.decision with input as with_signature({"status": "absent", "legacy": false, "problems": [], "tried": []})
	d.outcome == "qualified"
	[f | some f in d.info; startswith(f.rule, "provenance.")] == []
	not "model-signature" in safety.kinds_present with input as fixtures.complete
	provenance.status == "absent" with input as fixtures.complete
}

test_verified_signature_meets_a_requirement_that_asks_for_it if {
	req := {"kind": "model-signature", "accepts": ["model-signature"], "max_age_months": 0, "title": "Model signature", "source": "test", "fix": "sign"}
	safety.met(req) with input as with_signature(verified)
	not safety.met(req) with input as fixtures.complete
}
