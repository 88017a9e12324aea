# METADATA
# title: Openness
# description: >-
#   The Model Openness Framework (MOF) class of a candidate, computed as the
#   LF AI & Data Model Openness Tool computes it (data.modeltender.mof_components
#   and data.modeltender.mof_licenses are vendored from it), then the class the
#   candidate would reach with its license names spelled as SPDX ids, the
#   solicitation's openness preference points and its minimum class; and,
#   from the same components and licenses, conformance to the Open Source AI
#   Definition 1.0 (data.modeltender.osaid, after OSI's MOF checklist).
package modeltender.openness

import data.modeltender.mof_licenses
import data.modeltender.osaid as osaid_definition
import data.modeltender.tables.class_names
import data.modeltender.tables.class_numbers
import data.modeltender.tables.component_names
import data.modeltender.tables.component_order
import data.modeltender.tables.cumulative
import data.modeltender.tables.totals

technical_report := "Technical report"

research_paper := "Research paper"

final_parameters := "Model parameters (Final)"

# The license each included MOF component carries as written. A component
# listed twice keeps its last entry, as the tool's import does (object.union_n
# lets the later object win). The native manifest's weights are the final
# parameters even when not listed.
written := object.union_n(array.concat([weights_as_component], [{c.name: object.get(c, "license", "")} |
	some c in input.manifest.components
	c.included
	c.name in component_names
]))

weights_as_component := {final_parameters: input.manifest.weights.license} if {
	object.get(input.manifest, ["weights", "license"], "") != ""
} else := {}

# The written licenses the license knowledge base spells otherwise, as SPDX
# ids (input.license_normalization: license as written -> SPDX id), and every
# written license so resolved.
renamed := {name: spdx |
	some name, license in written
	spdx := normalization[license]
	spdx != license
}

normalized := object.union(written, renamed)

normalization := object.get(input, "license_normalization", {})

# The tool's rule: an exact, case-sensitive SPDX id that is OSI-approved or
# FSF-libre in its bundled list, one of its open-data licenses, or OpenMDW-1.0.
license_status(license) := "unlicensed" if {
	license == ""
} else := "open" if {
	mof_licenses.open[license]
} else := "not-open"

# evaluate(licenses) is the tool's evaluation of components licensed as in
# licenses (component name -> license): class, progress per class and, per
# class, what is missing or not open; and each component's status.
evaluate(licenses) := result if {
	status := {name: license_status(license) | some name, license in licenses}
	listed := object.keys(status)
	open := {name | some name, s in status; s == "open"}
	substitutes := paper_stands_in(status)
	counts := paper_counts(status)
	complete := {k: n |
		some k, _ in class_names
		n := count(cumulative[k] & open) + paper_bonus(k, counts)
	}
	progress := {class_names[k]: class_progress(k, complete, counts) | some k, _ in class_names}
	reached := [class_names[k] | some k in [1, 2, 3]; progress[class_names[k]] == 100]
	result := {
		"class": first_or_null(reached),
		"progress": progress,
		"classes": {class_names[k]: {
			"missing": sort((cumulative[k] - listed) - excused(substitutes)),
			"not_open": sort([{"component": name, "license": licenses[name], "status": status[name]} |
				some name in ((weighed(k, substitutes) & listed) - open)
			]),
		} |
			some k, _ in class_names
		},
		"status": status,
	}
}

# A research paper the candidate lists stands in for a technical report that
# is not open (the MOF lets a paper replace the report).
default paper_stands_in(_) := false

paper_stands_in(status) if {
	status[research_paper]
	object.get(status, technical_report, "missing") != "open"
}

# Whether the standing-in paper is open, so that it counts: as the report in
# Classes III and II, and by lowering the number Class I requires by one
# (where the paper is itself required).
default paper_counts(_) := false

paper_counts(status) if {
	paper_stands_in(status)
	status[research_paper] == "open"
}

paper_bonus(k, counts) := 1 if {
	counts
	k > 1
} else := 0

paper_discount(k, counts) := 1 if {
	counts
	k == 1
} else := 0

# The components a class need not list: the technical report, when the
# research paper stands in for it.
excused(substitutes) := {technical_report} if substitutes

else := set()

# The components a class weighs: its cumulative list, plus the research paper
# standing in for the technical report in Classes III and II.
weighed(k, substitutes) := cumulative[k] | {research_paper} if {
	k > 1
	substitutes
} else := cumulative[k]

# A class's progress is 0 while a less demanding class is incomplete; the
# percentage is not rounded, as the tool reports it.
class_progress(k, complete, counts) := 0 if {
	some less in [3, 2]
	less > k
	complete[less] < totals[less]
} else := min([100, (complete[k] / (totals[k] - paper_discount(k, counts))) * 100])

first_or_null(classes) := classes[0] if count(classes) > 0

else := null

tool := evaluate(written)

# The class with free-text license names resolved to SPDX ids; the same as
# the tool's when no name needed resolving, so it is not computed again.
resolved := tool if {
	count(renamed) == 0
} else := evaluate(normalized)

# Preference points per class are a solicitation parameter; unset, the
# defaults in data.modeltender.openness_defaults apply.
preference_points := object.get(
	object.get(input.criteria, "openness_preference_points", {}),
	tool.class,
	object.get(data.modeltender.openness_defaults.preference_points, tool.class, 0),
) if {
	tool.class != null
} else := 0

# Points for conforming to the Open Source AI Definition, a solicitation
# parameter (0 unless set).
osaid_points := object.get(input.criteria, "osaid_preference_points", 0) if {
	osaid.conformant
} else := 0

result := {
	"class": tool.class,
	"progress": tool.progress,
	"classes": tool.classes,
	"class_if_licenses_normalized": resolved.class,
	"progress_if_licenses_normalized": resolved.progress,
	"preference_points": preference_points + osaid_points,
	"components": components,
	"osaid": osaid,
}

# Open Source AI Definition 1.0: each element of OSI's checklist is met by
# one of its MOF components listed under acceptable terms (see
# data/osaid.json for the reading of the checklist).
osaid := {
	"conformant": count(osaid_missing) == 0,
	"missing": osaid_missing,
	"source": osaid_definition.source,
}

osaid_missing := [{"element": req.element, "fix": osaid_fix(req)} |
	some req in osaid_definition.requirements
	not element_met(req)
]

element_met(req) if {
	some name in req.components
	acceptable(req.terms, written[name])
}

element_met(req) if {
	req.unlisted_ok
	every name in req.components {
		not written[name]
	}
}

# osi-approved: code needs an OSI-approved license; open: data, documents and
# parameters need terms the Model Openness Tool counts as open.
acceptable("osi-approved", license) if "osi-approved" in mof_licenses.open[license]

acceptable("open", license) if license_status(license) == "open"

# The fix names what the manifest lists instead, when it lists anything.
osaid_fix(req) := sprintf("%s (listed: %s)", [req.fix, concat("; ", listed)]) if {
	listed := [sprintf("%s under %s", [name, license_label(written[name])]) |
		some name in req.components
		written[name]
	]
	count(listed) > 0
} else := req.fix

license_label("") := "no license"

license_label(license) := sprintf("%q", [license]) if license != ""

minimum_osaid := object.get(input.criteria, "require_osaid", false)

# METADATA
# title: Not Open Source AI where the solicitation requires it
# description: >-
#   A solicitation may require conformance to the Open Source AI Definition
#   1.0, as it may a minimum MOF class; a candidate that does not conform is
#   disqualified.
# custom:
#   source: Open Source AI Definition 1.0 (OSI); OSI checklist of required components
deny contains finding if {
	minimum_osaid == true
	not osaid.conformant
	finding := {
		"rule": "openness.osaid-required",
		"severity": "deny",
		"message": sprintf(
			"the solicitation requires conformance to the Open Source AI Definition 1.0; the candidate lacks %s",
			[concat(", ", [gap.element | some gap in osaid.missing])],
		),
		"evidence": {"component": concat(", ", [gap.element | some gap in osaid.missing]), "clause": "require_osaid: true", "quote": ""},
		"source": osaid_definition.source,
		"fix": concat(" ", [gap.fix | some gap in osaid.missing]),
	}
}

# METADATA
# title: Open Source AI Definition
# description: States whether the candidate conforms to the Open Source AI Definition 1.0 and what it lacks.
# custom:
#   source: Open Source AI Definition 1.0 (OSI); OSI checklist of required components
info contains finding if {
	finding := {
		"rule": "openness.osaid",
		"severity": "info",
		"message": osaid_message,
		"evidence": {"component": concat(", ", [gap.element | some gap in osaid.missing]), "clause": "", "quote": ""},
		"source": osaid_definition.source,
		"fix": concat(" ", [gap.fix | some gap in osaid.missing]),
	}
}

osaid_message := sprintf("conforms to the Open Source AI Definition 1.0; %d preference points for it", [osaid_points]) if {
	osaid.conformant
} else := sprintf(
	"does not conform to the Open Source AI Definition 1.0: lacks %s",
	[concat(", ", [gap.element | some gap in osaid.missing])],
)

# METADATA
# title: MOF class and Open Source AI Definition disagree
# description: >-
#   Explains why a candidate with a MOF class is not Open Source AI (the
#   definition requires code the lower classes do not, and OSI-approved
#   licenses for code), or why Open Source AI is below MOF Class I (the class
#   requires components the definition does not).
# custom:
#   source: Model Openness Framework (LF AI & Data); Open Source AI Definition 1.0 (OSI)
info contains finding if {
	explanation := disagreement
	finding := {
		"rule": "openness.osaid-mof-disagree",
		"severity": "info",
		"message": explanation,
		"evidence": {"component": disagreement_components, "clause": "", "quote": ""},
		"source": sprintf("Model Openness Framework Class %s; %s", [class_label_short, osaid_definition.source]),
		"fix": "",
	}
}

class_label_short := tool.class if tool.class != null

else := "none"

disagreement := sprintf(
	"MOF Class %s but not Open Source AI: it lacks %s, which the Open Source AI Definition requires and the class does not (or not under an OSI-approved license)",
	[tool.class, concat(", ", [gap.element | some gap in osaid.missing])],
) if {
	tool.class != null
	not osaid.conformant
} else := sprintf(
	"Open Source AI but %s: MOF Class I also requires %s, which the definition does not",
	[class_label(tool.class), concat(", ", missing_or_closed("I"))],
) if {
	osaid.conformant
	tool.class != "I"
}

disagreement_components := concat(", ", [gap.element | some gap in osaid.missing]) if {
	not osaid.conformant
} else := concat(", ", missing_or_closed("I"))

# The listed components in the order of the MOF's list, each with its license
# as written and its status.
components := [{"component": name, "license": written[name], "status": tool.status[name]} |
	some entry in sort([[component_order[name], name] | some name, _ in written])
	name := entry[1]
]

minimum := object.get(input.criteria, "minimum_openness_class", "")

# METADATA
# title: Below the minimum openness class
# description: >-
#   A solicitation may require a minimum MOF class; a candidate the Model
#   Openness Tool would place below it is disqualified.
# custom:
#   source: Model Openness Framework (LF AI & Data), classes I-III
deny contains finding if {
	minimum != ""
	not meets_minimum(tool.class)
	finding := {
		"rule": "openness.below-minimum-class",
		"severity": "deny",
		"message": sprintf(
			"the solicitation requires MOF Class %s or better; the candidate reaches %s (progress %s)",
			[minimum, class_label(tool.class), progress_label(tool.progress)],
		),
		"evidence": {"component": concat(", ", missing_or_closed(minimum)), "clause": sprintf("minimum_openness_class: %s", [minimum]), "quote": ""},
		"source": sprintf("MOF Class %s: %s", [minimum, data.modeltender.openness_defaults.class_titles[minimum]]),
		"fix": minimum_fix,
	}
}

meets_minimum(class) if class_numbers[class] <= class_numbers[minimum]

class_label(null) := "no class"

class_label(class) := sprintf("Class %s", [class]) if class != null

progress_label(progress) := concat(", ", [sprintf("%s %v%%", [name, round(progress[name])]) | some name in ["III", "II", "I"]])

# The components the minimum class still needs, missing or not openly licensed.
missing_or_closed(class) := array.concat(
	tool.classes[class].missing,
	[gap.component | some gap in tool.classes[class].not_open],
)

minimum_fix := sprintf(
	"Release %s under open licenses and list them in the manifest; correcting the license names as reported would already reach Class %s.",
	[concat(", ", missing_or_closed(minimum)), minimum],
) if {
	meets_minimum(resolved.class)
} else := sprintf(
	"Release %s under open licenses (OSI-approved, FSF-libre or open-data SPDX ids) and list them in the manifest.",
	[concat(", ", missing_or_closed(minimum))],
)

# METADATA
# title: License spelled other than its SPDX id
# description: >-
#   The Model Openness Tool only recognises exact SPDX ids, so a license named
#   in free text ("Apache 2.0") does not count as open. The vendor is told
#   which license fields to correct and what class that would reach.
# custom:
#   source: Model Openness Framework (LF AI & Data); SPDX License List
warn contains finding if {
	some name, spdx in renamed
	license_status(spdx) == "open"
	license := written[name]
	finding := {
		"rule": "openness.license-not-spdx-id",
		"severity": "warn",
		"message": sprintf(
			"the license of %q is written %q, which the Model Openness Tool does not recognise; as %q it is open (class %s as written, %s once corrected)",
			[name, license, spdx, class_label(tool.class), class_label(resolved.class)],
		),
		"evidence": {"component": name, "clause": "license", "quote": license},
		"source": sprintf("MOF component %s; SPDX License List", [name]),
		"fix": sprintf("Write the license of %q as the SPDX id %q.", [name, spdx]),
	}
}

# METADATA
# title: Openness class
# description: States the MOF class, the progress per class and the preference points.
# custom:
#   source: Model Openness Framework (LF AI & Data), Model Openness Tool
info contains finding if {
	finding := {
		"rule": "openness.class",
		"severity": "info",
		"message": sprintf(
			"MOF class: %s (progress %s); %d openness preference points",
			[class_label(tool.class), progress_label(tool.progress), preference_points],
		),
		"evidence": {"component": concat(", ", [c.component | some c in components; c.status == "open"]), "clause": "", "quote": ""},
		"source": "Model Openness Framework (LF AI & Data), Model Openness Tool",
		"fix": next_class_fix,
	}
}

next_class_fix := "" if {
	tool.class == "I"
} else := sprintf(
	"To reach Class %s, release %s under open licenses.",
	[next_class, concat(", ", missing_or_closed(next_class))],
)

next_class := "III" if tool.class == null

else := class_names[class_numbers[tool.class] - 1]
