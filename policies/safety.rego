# METADATA
# title: Safety evidence
# description: >-
#   Checks that a candidate brings the safety and governance evidence its
#   solicitation asks for: the baseline for its risk tier
#   (data.modeltender.evidence_requirements) and what its policy packs add
#   (data.modeltender.policy_packs), so a compliance team edits data, not
#   rules.
package modeltender.safety

import data.modeltender.packs
import data.modeltender.provenance
import data.modeltender.tables

# The requirements that apply: the tier's baseline, then the selected packs'.
# Each lists the evidence kinds that meet it (`accepts`: a model card, system
# card or data card) and its age limit (tables.normalized).
baseline := object.get(tables.requirements, input.criteria.risk_tier, [])

requirements := array.concat(baseline, packs.evidence_requirements)

as_of_ns := time.parse_ns("2006-01-02", input.as_of)

# A verified model signature is evidence too (provenance.rego).
kinds_present := {item.kind | some item in input.manifest.evidence} | provenance.evidence_kinds

present(req) if {
	some kind in req.accepts
	kind in kinds_present
}

# Whether an item of an accepted kind is dated within the requirement's age
# limit on as_of; an unparsable date does not count, since its age cannot be
# shown.
has_current(req) if {
	some item in input.manifest.evidence
	item.kind in req.accepts
	produced := time.parse_ns("2006-01-02", item.date)
	produced >= time.add_date(as_of_ns, 0, 0 - req.max_age_months, 0)
}

# met(req): the candidate brings current evidence for req.
met(req) if {
	present(req)
	req.max_age_months == 0
}

met(req) if has_current(req)

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
# description: A candidate without evidence its solicitation requires is disqualified.
# custom:
#   source: data.modeltender.evidence_requirements (NIST AI RMF) and the selected policy packs
deny contains finding if {
	some req in requirements
	not present(req)
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
	some req in requirements
	req.max_age_months > 0
	present(req)
	not has_current(req)
	latest := max([object.get(item, "date", "") |
		some item in input.manifest.evidence
		item.kind in req.accepts
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

# The first requirement an evidence kind meets: the baseline's, else a pack's.
first_requirement(kind) := req if {
	req := tables.requirements_by_kind[input.criteria.risk_tier][kind][0]
} else := [req | some req in packs.evidence_requirements; kind in req.accepts][0]

# METADATA
# title: Evidence without a location
# description: >-
#   Evidence a reviewer cannot open has to be chased by hand. Each item is
#   reported once, under the first requirement it serves.
# custom:
#   source: data.modeltender.evidence_requirements
warn contains finding if {
	some item in input.manifest.evidence
	object.get(item, "location", "") == ""
	req := first_requirement(item.kind)
	finding := {
		"rule": "safety.evidence-location-missing",
		"severity": "warn",
		"message": sprintf(
			"evidence %q (%s) has no location, so a reviewer cannot open it",
			[item.kind, object.get(item, "title", req.title)],
		),
		"evidence": {"component": item.kind, "clause": "", "quote": ""},
		"source": req.source,
		"fix": "Give the location (URL or document reference) where the agency can read this evidence.",
	}
}
