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
# asks for, whatever its policy packs).
requirements := {tier: [req |
	some req in evidence_requirements.requirements
	tier in req.tiers
] |
	some tier in tiers
}

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

# Per pack and tier, the evidence it requires and the contract terms it asks
# the vendor to attest.
pack_evidence := {p.id: {tier: [req | some req in p.evidence; tier in req.tiers] | some tier in tiers} |
	some p in policy_packs.packs
}

pack_attestations := {p.id: {tier: [a | some a in p.attestations; tier in a.tiers] | some tier in tiers} |
	some p in policy_packs.packs
}
