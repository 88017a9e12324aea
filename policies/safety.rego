# METADATA
# title: Safety evidence
# description: >-
#   Checks that a candidate brings the safety and governance evidence its
#   solicitation's risk tier requires. The requirement table lives in
#   data.modeltender.evidence_requirements so a compliance team edits data,
#   not rules.
package modeltender.safety

import data.modeltender.tables

# The requirements that apply to the solicitation's risk tier, per evidence
# kind, and those among them whose evidence ages out.
requirements_by_kind := tables.requirements_by_kind[input.criteria.risk_tier]

aged_requirements := tables.aged_requirements[input.criteria.risk_tier]

as_of_ns := time.parse_ns("2006-01-02", input.as_of)

kinds_present := {item.kind | some item in input.manifest.evidence}

# Whether an item of an age-limited kind is dated within the limit on as_of;
# an unparsable date does not count, since its age cannot be shown.
has_current(req) if {
	some item in input.manifest.evidence
	item.kind == req.kind
	produced := time.parse_ns("2006-01-02", item.date)
	produced >= time.add_date(as_of_ns, 0, 0 - req.max_age_months, 0)
}

# Why the newest item of an age-limited kind does not count.
staleness(req, latest) := "has no date, so its age cannot be checked" if {
	latest == ""
} else := sprintf("has date %q, which is not in YYYY-MM-DD form", [latest]) if {
	not time.parse_ns("2006-01-02", latest)
} else := sprintf(
	"dated %s expired: evidence older than %d months on %s counts as missing",
	[latest, req.max_age_months, input.as_of],
)

# METADATA
# title: Required evidence missing
# description: A candidate without evidence its risk tier requires is disqualified.
# custom:
#   source: data.modeltender.evidence_requirements (NIST AI RMF, OMB M-25-21 §4(b))
deny contains finding if {
	some kind in (object.keys(requirements_by_kind) - kinds_present)
	some req in requirements_by_kind[kind]
	finding := {
		"rule": "safety.evidence-missing",
		"severity": "deny",
		"message": sprintf(
			"required evidence %q (%s) is missing for a %s solicitation",
			[req.kind, req.title, input.criteria.risk_tier],
		),
		"evidence": {"component": req.kind, "clause": "", "quote": ""},
		"source": req.source,
		"fix": req.fix,
	}
}

# METADATA
# title: Required evidence expired
# description: >-
#   Evidence older than its maximum age on the as_of date (the solicitation
#   deadline) counts as missing, so the candidate is disqualified.
# custom:
#   source: data.modeltender.evidence_requirements (max_age_months)
deny contains finding if {
	some req in aged_requirements
	req.kind in kinds_present
	not has_current(req)
	latest := max([object.get(item, "date", "") |
		some item in input.manifest.evidence
		item.kind == req.kind
	])
	finding := {
		"rule": "safety.evidence-expired",
		"severity": "deny",
		"message": sprintf(
			"required evidence %q (%s) %s",
			[req.kind, req.title, staleness(req, latest)],
		),
		"evidence": {"component": req.kind, "clause": sprintf("max_age_months: %d", [req.max_age_months]), "quote": latest},
		"source": req.source,
		"fix": req.fix,
	}
}

# METADATA
# title: Evidence without a location
# description: Evidence a reviewer cannot open has to be chased by hand.
# custom:
#   source: data.modeltender.evidence_requirements
warn contains finding if {
	some item in input.manifest.evidence
	object.get(item, "location", "") == ""
	some req in requirements_by_kind[item.kind]
	finding := {
		"rule": "safety.evidence-location-missing",
		"severity": "warn",
		"message": sprintf(
			"evidence %q (%s) has no location, so a reviewer cannot open it",
			[req.kind, object.get(item, "title", req.title)],
		),
		"evidence": {"component": req.kind, "clause": "", "quote": ""},
		"source": req.source,
		"fix": "Give the location (URL or document reference) where the agency can read this evidence.",
	}
}
