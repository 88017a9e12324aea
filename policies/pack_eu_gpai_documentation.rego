# METADATA
# title: "Policy pack eu-gpai-documentation: EU AI Act Article 53 documentation of general-purpose AI models"
# description: >-
#   The pack's own rules: the training-content summary must be public, and
#   the open-source exemption of Article 53(2) is stated when it waives the
#   model documentation. Its evidence requirements are in
#   data.modeltender.policy_packs.
package modeltender.packs.eu_gpai_documentation

import data.modeltender.packs

active if "eu-gpai-documentation" in packs.selected

# METADATA
# title: Training-content summary not public
# description: >-
#   Article 53(1)(d) asks for a publicly available summary; one given only as
#   a bid document reference cannot be checked as public.
# custom:
#   source: AI Act Art. 53(1)(d)
warn contains finding if {
	active
	some item in input.manifest.evidence
	item.kind == "training-content-summary"
	location := object.get(item, "location", "")
	location != ""
	not regex.match(`^https?://`, location)
	finding := {
		"rule": "eu-gpai.training-summary-not-public",
		"severity": "warn",
		"message": sprintf("the training-content summary is at %q, not at a public web address, but Article 53(1)(d) asks for a publicly available summary", [location]),
		"evidence": {"component": "training-content-summary", "clause": "location", "quote": location},
		"source": "AI Act Art. 53(1)(d)",
		"fix": "Publish the training-content summary (on the AI Office's template) and give its public URL as the evidence location.",
	}
}

# METADATA
# title: Open-source exemption from model documentation
# description: >-
#   States that the model documentation of Article 53(1)(a) and (b) is not
#   required because the model is open source in the sense of Article 53(2);
#   the exemption does not cover models with systemic risk, which the
#   manifest cannot show, so a reviewer confirms.
# custom:
#   source: AI Act Art. 53(2)
info contains finding if {
	active
	packs.holds("open-source-gpai")
	finding := {
		"rule": "eu-gpai.open-source-exemption",
		"severity": "info",
		"message": "model documentation (Annex XI and XII) is not required: the final parameters are published under an open license and the architecture is openly licensed (AI Act Art. 53(2)); the exemption does not apply if the model has systemic risk",
		"evidence": {"component": "Model parameters (Final)", "clause": "license", "quote": input.manifest.weights.license},
		"source": "AI Act Art. 53(2)",
		"fix": "If the model is classified as a general-purpose AI model with systemic risk (Art. 51), attach the model documentation all the same.",
	}
}
