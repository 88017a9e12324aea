# METADATA
# title: Provenance
# description: >-
#   Judges the provenance evidence the candidate check established: the
#   verdict on the weights' OpenSSF Model Signing (OMS) signature, verified
#   offline against the declared files under the signing identities the
#   vendor registered. A verified signature is evidence of kind
#   model-signature; a signature that does not verify disqualifies; no
#   signature is neutral unless a requirement asks for one.
package modeltender.provenance

signature := object.get(input, ["provenance", "signature"], {"status": "absent"})

status := object.get(signature, "status", "absent")

problems := concat("; ", object.get(signature, "problems", []))

legacy_note := " (legacy model_signing 0.2 format: ask the vendor to re-sign with model_signing 1.x)" if {
	object.get(signature, "legacy", false)
} else := ""

# METADATA
# title: Evidence kinds
# description: The evidence kinds provenance provides, to meet requirements that accept them.
evidence_kinds contains "model-signature" if status == "verified"

# METADATA
# title: Signature verified
# description: >-
#   The weights' signature verifies under an identity the vendor registered,
#   over exactly the files the candidate declares.
# custom:
#   source: OpenSSF Model Signing specification v1.0
info contains finding if {
	status == "verified"
	finding := {
		"rule": "provenance.signature-verified",
		"severity": "info",
		"message": sprintf(
			"signature verified: the weights' declared files are signed by the vendor's registered identity %s%s",
			[signature.identity, legacy_note],
		),
		"evidence": {"component": "weights", "clause": "model-signature", "quote": signature.identity},
		"source": "OpenSSF Model Signing specification v1.0",
		"fix": "",
	}
}

# METADATA
# title: Signature invalid
# description: >-
#   A signature that cannot be read, or that signs other files than the
#   candidate declares, shows the weights offered are not the weights signed.
# custom:
#   source: OpenSSF Model Signing specification v1.0
deny contains finding if {
	status == "invalid"
	finding := {
		"rule": "provenance.signature-invalid",
		"severity": "deny",
		"message": sprintf("the weights' signature does not verify: %s", [problems]),
		"evidence": {"component": "weights", "clause": "model-signature", "quote": object.get(signature, "identity", "")},
		"source": "OpenSSF Model Signing specification v1.0",
		"fix": "Sign the model directory you offer with model_signing and attach its model.sig, and declare weights.files exactly as `modeltender artifact digest MODEL_DIR` lists that directory; or remove the signature.",
	}
}

# METADATA
# title: Signature by an unregistered identity
# description: >-
#   A signature no identity of the vendor verifies says nothing about who
#   made the weights, so it cannot stand in the bid.
# custom:
#   source: OpenSSF Model Signing specification v1.0; modeltender signing identities
deny contains finding if {
	status == "untrusted"
	finding := {
		"rule": "provenance.signature-untrusted",
		"severity": "deny",
		"message": sprintf(
			"the weights' signature was not made by any signing identity the vendor registered: %s",
			[problems],
		),
		"evidence": {"component": "weights", "clause": "model-signature", "quote": ""},
		"source": "OpenSSF Model Signing specification v1.0; modeltender signing identities",
		"fix": "Register the public key, certificate root or keyless identity the model was signed with under Signing identities before the deadline, or sign the model with an identity already registered.",
	}
}
