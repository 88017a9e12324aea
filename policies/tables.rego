# METADATA
# title: Lookup tables
# description: >-
#   Tables the other policies read that follow from the data files alone,
#   never from input. The engine evaluates this package once when it loads a
#   bundle (from that bundle's data) and keeps the values, so a decision looks
#   them up instead of rebuilding them; Rego tests evaluate the rules as
#   written, with the same result. The engine refuses a bundle whose tables
#   read input or rules of other packages.
package modeltender.tables

import data.modeltender.evidence_requirements
import data.modeltender.mof_components
import data.modeltender.policy_packs

# The Model Openness Framework's class numbers (3 is the least demanding) and their names.
class_names := {3: "III", 2: "II", 1: "I"}

class_numbers := {"III": 3, "II": 2, "I": 1}

component_names := {c.name | some c in mof_components.components}

# Each component's place in the MOF's list, the order results list them in.
component_order := {c.name: i | some i, c in mof_components.components}

# Required components per class number, not cumulative; optional components
# never count towards a class.
required := {k: {c.name | some c in mof_components.components; c.required; c.class == k} | some k, _ in class_names}

# Components a class needs: its own and those of every less demanding class,
# per class number.
cumulative := {k: {name | some j, names in required; j >= k; some name in names} | some k, _ in class_names}

totals := {k: sum([count(required[j]) | some j, _ in class_names; j >= k]) | some k, _ in class_names}

# The baseline evidence requirements per risk tier (those every solicitation
# asks for, whatever its policy packs), each with `accepts` (the kinds that
# meet it) and `max_age_months` filled in, and per tier and accepted kind.
requirements := {tier: [normalized(req) |
	some req in evidence_requirements.requirements
	tier in req.tiers
] |
	some tier in tiers
}

requirements_by_kind := {tier: {kind: [req | some req in reqs; kind in req.accepts] |
	some req in reqs
	some kind in req.accepts
} |
	some tier, reqs in requirements
}

normalized(req) := object.union(req, {
	"accepts": object.get(req, "accepts", [req.kind]),
	"max_age_months": object.get(req, "max_age_months", 0),
	"requirement": requirement(req.kind, req),
})

tiers := {"standard", "high-impact"}

# The policy packs by id, and their ids in the catalogue's order, the order
# results list them in.
packs_by_id := {p.id: p | some p in policy_packs.packs}

pack_order := [p.id | some p in policy_packs.packs]

# The packs a solicitation that names none applies, per tier: those marked
# default for the tier and not only for LLM procurements.
default_packs := {tier: [p.id |
	some p in policy_packs.packs
	tier in p.default_for.tiers
	not p.default_for.llm_only
] |
	some tier in tiers
}

# Per pack and tier, the evidence it requires (normalized as the baseline)
# and the contract terms it asks the vendor to attest.
pack_evidence := {p.id: {tier: [normalized(req) | some req in p.evidence; tier in req.tiers] | some tier in tiers} |
	some p in policy_packs.packs
}

pack_attestations := {p.id: {tier: [object.union(a, {"requirement": requirement(a.term, a)}) |
	some a in p.attestations
	tier in a.tiers
] |
	some tier in tiers
} |
	some p in policy_packs.packs
}

# Per pack and tier, what the per-pack status reports that does not depend on
# the candidate: the pack's identity and the terms it asks about.
pack_summaries := {p.id: {tier: {
	"id": p.id,
	"title": p.title,
	"version": p.version,
	"status": p.status,
	"effective": p.effective,
	"required_attestations": [a.requirement | some a in pack_attestations[p.id][tier]],
} |
	some tier in tiers
} |
	some p in policy_packs.packs
}

# How the per-pack status names an evidence kind or a contract term.
requirement(id, req) := {"id": id, "title": req.title, "source": req.source}
