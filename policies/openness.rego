# METADATA
# title: Openness
# description: >-
#   Foundation of the Model Openness Framework (MOF) check: counts the MOF
#   components a candidate includes with a license and turns that into a
#   0..100 openness score. The class I/II/III logic builds on result.
package modeltender.openness

mof_components := {c.name | some c in data.modeltender.mof_components.components}

# The weights are the "Model parameters (Final)" component, even when the
# manifest gives them only under weights.
licensed contains "Model parameters (Final)" if input.manifest.weights.license != ""

licensed contains component.name if {
	some component in input.manifest.components
	component.included
	component.license != ""
	component.name in mof_components
}

result := {
	"components_open": count(licensed),
	"components_total": count(mof_components),
	"score": round((100 * count(licensed)) / count(mof_components)),
}

# METADATA
# title: Openness summary
# description: Says how many MOF components are included with a license.
# custom:
#   source: Model Openness Framework (LF AI & Data)
info contains finding if {
	finding := {
		"rule": "openness.components",
		"severity": "info",
		"message": sprintf(
			"%d of %d Model Openness Framework components are included with a license (openness score %d)",
			[result.components_open, result.components_total, result.score],
		),
		"evidence": {"component": concat(", ", sort(licensed)), "clause": "", "quote": ""},
		"source": "Model Openness Framework (LF AI & Data)",
		"fix": "Publish more of the model's components (code, data, documentation) under an open license and list them in the manifest.",
	}
}
