# Inputs shared by the Rego unit tests.
package modeltender.fixtures

evidence_kinds := [
	"model-card",
	"evaluation-results",
	"red-team-report",
	"content-filtering",
	"incident-response",
	"data-card",
	"nist-ai-rmf-mapping",
	"pre-deployment-testing",
	"impact-assessment",
	"third-party-red-team",
	"human-oversight-plan",
	"monitoring-plan",
	"remedies-and-appeals",
	"genai-risk-coverage",
	"acceptable-use-policy",
	"system-card",
	"end-user-resources",
	"feedback-mechanism",
	"training-content-summary",
	"model-documentation",
	"copyright-policy",
]

# Every contract term any pack asks about.
terms := {a.term | some p in data.modeltender.policy_packs.packs; some a in p.attestations}

# A candidate that meets every rule of every tier.
complete := {
	"criteria": {"solicitation_id": "sol-1", "risk_tier": "standard", "expected_monthly_users": 50000},
	"as_of": "2026-05-01",
	"license_findings": [],
	"manifest": {
		"schema_version": "1",
		"name": "Example 8B",
		"weights": {"license": "Apache-2.0", "location": "https://example.org/weights"},
		"components": [
			{"name": "Training code", "license": "Apache-2.0", "included": true},
			{"name": "Model card", "license": "CC-BY-4.0", "included": true},
			{"name": "Datasets", "included": false},
		],
		"evidence": [{
			"kind": kind,
			"date": "2026-01-15",
			"location": sprintf("https://example.org/evidence/%s", [kind]),
		} |
			some kind in evidence_kinds
		],
		"deployment": {"on_premises": true, "weights_exportable": true},
		"data_use": {"trains_on_agency_data": false},
		"attestations": [{"term": term, "answer": "yes", "document": sprintf("Volume II, %s", [term])} | some term in terms],
	},
}

high_impact := json.patch(complete, [{"op": "replace", "path": "/criteria/risk_tier", "value": "high-impact"}])

# complete without the evidence of the given kind.
without_evidence(kind) := json.patch(complete, [{
	"op": "replace",
	"path": "/manifest/evidence",
	"value": [item | some item in complete.manifest.evidence; item.kind != kind],
}])

# complete with the red-team report dated date ("" leaves it undated).
red_team_dated(date) := json.patch(complete, [{
	"op": "replace",
	"path": "/manifest/evidence",
	"value": array.concat(
		[item | some item in complete.manifest.evidence; item.kind != "red-team-report"],
		[red_team_report(date)],
	),
}])

red_team_report(date) := {"kind": "red-team-report", "location": "https://example.org/rt"} if {
	date == ""
} else := {"kind": "red-team-report", "location": "https://example.org/rt", "date": date}

rules(findings) := {f.rule | some f in findings}

# complete with the given policy packs selected.
with_packs(ids) := json.patch(complete, [{"op": "add", "path": "/criteria/packs", "value": ids}])

# doc with the attestation of term replaced by value (null removes it).
attesting(doc, term, value) := json.patch(doc, [{
	"op": "replace",
	"path": "/manifest/attestations",
	"value": array.concat(
		[a | some a in doc.manifest.attestations; a.term != term],
		[v | some v in [value]; v != null],
	),
}])

# doc without the evidence of the given kinds.
dropping(doc, kinds) := json.patch(doc, [{
	"op": "replace",
	"path": "/manifest/evidence",
	"value": [item | some item in doc.manifest.evidence; not item.kind in kinds],
}])
