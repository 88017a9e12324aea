package modeltender.openness_test

import data.modeltender.fixtures
import data.modeltender.openness

class_iii := ["Model architecture", "Model parameters (Final)", "Evaluation results", "Model card", "Data card", "Technical report"]

class_ii := array.concat(class_iii, ["Training code", "Inference code", "Evaluation code", "Evaluation data"])

class_i := array.concat(class_ii, ["Datasets", "Data preprocessing code", "Model parameters (Intermediate)", "Research paper"])

# fixtures.complete with exactly the given components, each under license.
listing(names, license) := json.patch(fixtures.complete, [
	{"op": "replace", "path": "/manifest/components", "value": [{"name": n, "license": license, "included": true} | some n in names]},
	{"op": "replace", "path": "/manifest/weights/license", "value": ""},
])

without(names, name) := [n | some n in names; n != name]

test_class_iii_when_its_six_components_are_open if {
	r := openness.result with input as listing(class_iii, "Apache-2.0")
	r.class == "III"
	r.progress.III == 100
	round(r.progress.II) == 60
	r.progress.I == 0
}

test_class_ii_and_i_are_cumulative if {
	openness.result.class == "II" with input as listing(class_ii, "MIT")
	openness.result.class == "I" with input as listing(class_i, "MIT")
}

test_progress_is_zero_while_a_less_demanding_class_is_incomplete if {
	r := openness.result with input as listing(without(class_i, "Model card"), "MIT")
	r.class == null
	r.progress.II == 0
	r.progress.I == 0
	r.classes.III.missing == ["Model card"]
}

test_optional_components_never_count if {
	r := openness.result with input as listing(["Model metadata", "Supporting libraries and tools", "Sample model outputs"], "MIT")
	r.progress == {"III": 0, "II": 0, "I": 0}
}

test_non_open_license_does_not_count if {
	r := openness.result with input as listing(class_iii, "LicenseRef-Llama-3.1")
	r.class == null
	count(r.classes.III.not_open) == 6
}

test_license_ids_are_case_sensitive if {
	openness.result.class == null with input as listing(class_iii, "apache-2.0")
}

test_open_data_and_openmdw_licenses_are_open if {
	openness.result.class == "III" with input as listing(class_iii, "CC-BY-4.0")
	openness.result.class == "III" with input as listing(class_iii, "OpenMDW-1.0")
}

test_research_paper_stands_in_for_technical_report if {
	names := array.concat(without(class_iii, "Technical report"), ["Research paper"])
	r := openness.result with input as listing(names, "MIT")
	r.class == "III"
	r.classes.III.missing == []
	r_ii := openness.result with input as listing(array.concat(without(class_ii, "Technical report"), ["Research paper"]), "MIT")
	r_ii.class == "II"

	# Class I: 10 open of 13 required once the paper replaces the report.
	r_ii.progress.I == (10 / 13) * 100
}

test_unlicensed_component_counts_as_not_open if {
	r := openness.result with input as listing(class_iii, "")
	r.class == null
	{gap.status | some gap in r.classes.III.not_open} == {"unlicensed"}
}

test_weights_count_as_final_parameters if {
	native := json.patch(listing(without(class_iii, "Model parameters (Final)"), "MIT"), [{"op": "replace", "path": "/manifest/weights/license", "value": "Apache-2.0"}])
	openness.result.class == "III" with input as native
}

test_last_listing_of_a_component_wins if {
	twice := json.patch(listing(class_iii, "MIT"), [{"op": "add", "path": "/manifest/components/-", "value": {"name": "Model card", "license": "Proprietary", "included": true}}])
	openness.result.class == null with input as twice
}

test_normalized_class_resolves_free_text_licenses if {
	doc := object.union(listing(class_iii, "Apache 2.0"), {"license_normalization": {"Apache 2.0": "Apache-2.0"}})
	r := openness.result with input as doc
	r.class == null
	r.class_if_licenses_normalized == "III"
	findings := openness.warn with input as doc
	count(findings) == 6
	some f in findings
	f.rule == "openness.license-not-spdx-id"
	f.fix == "Write the license of \"Data card\" as the SPDX id \"Apache-2.0\"."
}

test_no_spelling_warning_for_spdx_ids if {
	count(openness.warn) == 0 with input as listing(class_iii, "Apache-2.0")
}

test_default_preference_points if {
	openness.result.preference_points == 10 with input as listing(class_iii, "MIT")
	openness.result.preference_points == 30 with input as listing(class_i, "MIT")
	openness.result.preference_points == 0 with input as listing([], "MIT")
}

test_solicitation_sets_preference_points if {
	doc := json.patch(listing(class_ii, "MIT"), [{"op": "add", "path": "/criteria/openness_preference_points", "value": {"I": 50, "II": 25, "III": 5}}])
	openness.result.preference_points == 25 with input as doc
}

with_minimum(doc, class) := json.patch(doc, [{"op": "add", "path": "/criteria/minimum_openness_class", "value": class}])

test_below_minimum_class_denied if {
	findings := openness.deny with input as with_minimum(listing(class_iii, "MIT"), "II")
	some f in findings
	f.rule == "openness.below-minimum-class"
	contains(f.message, "Class II")
	contains(f.evidence.component, "Training code")
}

test_at_or_above_minimum_class_allowed if {
	count(openness.deny) == 0 with input as with_minimum(listing(class_ii, "MIT"), "II")
	count(openness.deny) == 0 with input as with_minimum(listing(class_i, "MIT"), "III")
	count(openness.deny) == 0 with input as listing([], "MIT")
}

test_unclassified_below_any_minimum if {
	count(openness.deny) == 1 with input as with_minimum(listing([], "MIT"), "III")
}

test_class_summary_is_info if {
	findings := openness.info with input as listing(class_iii, "MIT")
	some f in findings
	f.rule == "openness.class"
	startswith(f.message, "MOF class: Class III")
	contains(f.fix, "Class II")
}

# The components the Open Source AI Definition needs, by OSI's checklist.
osaid_components := ["Data card", "Data preprocessing code", "Training code", "Inference code", "Model architecture", "Model parameters (Final)"]

test_osaid_conformant_with_the_checklist_components if {
	r := openness.result with input as listing(osaid_components, "Apache-2.0")
	r.osaid.conformant
	r.osaid.missing == []
	r.class == null
}

test_osaid_any_one_data_component_is_data_information if {
	paper := array.concat(without(osaid_components, "Data card"), ["Research paper"])
	openness.result.osaid.conformant with input as listing(paper, "Apache-2.0")
	r := openness.result with input as listing(without(osaid_components, "Data card"), "Apache-2.0")
	[g.element | some g in r.osaid.missing] == ["Data information"]
}

test_osaid_code_needs_an_osi_approved_license if {
	# OpenMDW-1.0 is open to the MOF but not OSI-approved.
	r := openness.result with input as listing(class_i, "OpenMDW-1.0")
	r.class == "I"
	not r.osaid.conformant
	[g.element | some g in r.osaid.missing] == [
		"Code: data pre-processing", "Code: training, validation and testing",
		"Code: inference", "Model: architecture",
	]
	contains(r.osaid.missing[0].fix, "Data preprocessing code under \"OpenMDW-1.0\"")
}

test_osaid_fsf_libre_is_not_enough_for_code if {
	# CC-BY-4.0 is FSF-libre and open data, so open to the MOF, but not an
	# OSI-approved license.
	documents := json.patch(listing(osaid_components, "Apache-2.0"), [{"op": "replace", "path": "/manifest/components/2/license", "value": "CC-BY-4.0"}])
	r := openness.result with input as documents
	[g.element | some g in r.osaid.missing] == ["Code: training, validation and testing"]
}

test_osaid_parameters_and_data_take_open_terms if {
	mixed := json.patch(listing(osaid_components, "MIT"), [
		{"op": "replace", "path": "/manifest/components/0/license", "value": "CC-BY-4.0"},
		{"op": "replace", "path": "/manifest/components/5/license", "value": "CDLA-Permissive-2.0"},
	])
	openness.result.osaid.conformant with input as mixed
}

test_osaid_supporting_libraries_judged_only_when_listed if {
	closed := array.concat(osaid_components, ["Supporting libraries and tools"])
	tools_closed := json.patch(listing(closed, "Apache-2.0"), [{"op": "replace", "path": "/manifest/components/6/license", "value": "LicenseRef-Proprietary"}])
	r := openness.result with input as tools_closed
	[g.element | some g in r.osaid.missing] == ["Code: supporting libraries and tools"]
}

test_osaid_missing_names_each_element_and_its_fix if {
	r := openness.result with input as listing([], "")
	count(r.osaid.missing) == 6
	every g in r.osaid.missing {
		g.fix != ""
		not contains(g.fix, "listed:")
	}
	r.osaid.source == data.modeltender.osaid.source
}

test_class_iii_without_training_code_disagrees_with_osaid if {
	findings := openness.info with input as listing(class_iii, "Apache-2.0")
	some f in findings
	f.rule == "openness.osaid-mof-disagree"
	startswith(f.message, "MOF Class III but not Open Source AI")
	contains(f.message, "Code: training, validation and testing")
}

test_osaid_below_class_i_disagrees if {
	findings := openness.info with input as listing(osaid_components, "Apache-2.0")
	some f in findings
	f.rule == "openness.osaid-mof-disagree"
	startswith(f.message, "Open Source AI but no class: MOF Class I also requires")
}

test_class_i_and_osaid_agree if {
	findings := openness.info with input as listing(class_i, "MIT")
	fixtures.rules(findings) == {"openness.class", "openness.osaid"}
}

test_no_class_and_not_osaid_agree if {
	fixtures.rules(openness.info) == {"openness.class", "openness.osaid"} with input as listing([], "")
}

test_require_osaid_disqualifies_non_conforming if {
	required := json.patch(listing(class_iii, "Apache-2.0"), [{"op": "add", "path": "/criteria/require_osaid", "value": true}])
	some f in openness.deny with input as required
	f.rule == "openness.osaid-required"
	contains(f.message, "Code: data pre-processing")
	conforming := json.patch(listing(osaid_components, "Apache-2.0"), [{"op": "add", "path": "/criteria/require_osaid", "value": true}])
	count(openness.deny) == 0 with input as conforming
}

test_osaid_preference_points_add_to_the_class_points if {
	preferred := json.patch(listing(class_i, "MIT"), [{"op": "add", "path": "/criteria/osaid_preference_points", "value": 15}])
	openness.result.preference_points == 45 with input as preferred
	not_conforming := json.patch(listing(class_i, "OpenMDW-1.0"), [{"op": "add", "path": "/criteria/osaid_preference_points", "value": 15}])
	openness.result.preference_points == 30 with input as not_conforming
}
