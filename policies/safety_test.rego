package modeltender.safety_test

import data.modeltender.fixtures
import data.modeltender.safety

test_complete_standard_has_no_findings if {
	count(safety.deny) == 0 with input as fixtures.complete
	count(safety.warn) == 0 with input as fixtures.complete
}

test_missing_red_team_denied if {
	findings := safety.deny with input as fixtures.without_evidence("red-team-report")
	some f in findings
	f.rule == "safety.evidence-missing"
	f.evidence.component == "red-team-report"
	f.source == "NIST AI RMF MEASURE 2.7"
	contains(f.message, "red-team-report")
}

test_expired_red_team_denied if {
	findings := safety.deny with input as fixtures.red_team_dated("2025-04-30")
	some f in findings
	f.rule == "safety.evidence-expired"
	contains(f.message, "expired")
	f.evidence.quote == "2025-04-30"
}

test_red_team_exactly_twelve_months_old_is_current if {
	count(safety.deny) == 0 with input as fixtures.red_team_dated("2025-05-01")
}

test_undated_red_team_denied if {
	findings := safety.deny with input as fixtures.red_team_dated("")
	some f in findings
	f.rule == "safety.evidence-expired"
	contains(f.message, "has no date")
}

test_malformed_red_team_date_denied if {
	findings := safety.deny with input as fixtures.red_team_dated("05/01/2026")
	some f in findings
	contains(f.message, "not in YYYY-MM-DD form")
}

test_one_current_report_is_enough if {
	input_with_both := json.patch(fixtures.complete, [{
		"op": "add",
		"path": "/manifest/evidence/-",
		"value": {"kind": "red-team-report", "date": "2020-01-01", "location": "https://example.org/old"},
	}])
	count(safety.deny) == 0 with input as input_with_both
}

test_standard_tier_ignores_high_impact_kinds if {
	count(safety.deny) == 0 with input as fixtures.without_evidence("impact-assessment")
}

test_high_impact_requires_extra_evidence if {
	no_evidence := json.patch(fixtures.high_impact, [{"op": "replace", "path": "/manifest/evidence", "value": []}])
	findings := safety.deny with input as no_evidence
	missing := {f.evidence.component | some f in findings}
	missing == {
		"model-card", "evaluation-results", "red-team-report", "content-filtering",
		"incident-response", "data-card", "nist-ai-rmf-mapping",
		"pre-deployment-testing", "impact-assessment", "third-party-red-team",
		"human-oversight-plan", "monitoring-plan", "remedies-and-appeals",
		"genai-risk-coverage",
	}
}

test_evidence_without_location_warns if {
	no_location := json.patch(fixtures.complete, [{"op": "remove", "path": "/manifest/evidence/0/location"}])
	count(safety.deny) == 0 with input as no_location
	findings := safety.warn with input as no_location
	some f in findings
	f.rule == "safety.evidence-location-missing"
	f.evidence.component == "model-card"
}

test_every_requirement_is_complete if {
	every req in data.modeltender.evidence_requirements.requirements {
		req.kind in fixtures.evidence_kinds
		count(req.tiers) > 0
		req.title != ""
		req.source != ""
		req.fix != ""
		req.max_age_months >= 0
	}
}
