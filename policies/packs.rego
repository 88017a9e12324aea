# METADATA
# title: Policy packs
# description: >-
#   The dated, versioned rule packs a solicitation selects
#   (input.criteria.packs; none: the defaults for its risk tier) from
#   data.modeltender.policy_packs. This package selects them, lends their
#   evidence requirements to the safety package, checks the contract-term
#   attestations they ask for, and reports per pack what the candidate still
#   lacks, so a vendor's pre-check can say so. Rules particular to one pack
#   live in its own package, modeltender.packs.<id with underscores>.
package modeltender.packs

import data.modeltender.openness
import data.modeltender.safety
import data.modeltender.tables

tier := input.criteria.risk_tier

requested := {id | some id in object.get(input.criteria, "packs", [])}

# The selected packs in the catalogue's order.
selected := [id | some id in tables.pack_order; id in requested] if {
	count(requested) > 0
} else := tables.default_packs[tier]

unknown := {id | some id in requested; not tables.packs_by_id[id]}

# The evidence requirements of each selected pack that apply to this
# candidate (a requirement with `unless` is waived when its condition
# holds), and all of them in pack order.
pack_evidence := {id: [req | some req in tables.pack_evidence[id][tier]; not waived(req)] | some id in selected}

evidence_requirements := [req |
	some id in selected
	some req in pack_evidence[id]
]

waived(req) if holds(req.unless)

# AI Act Art. 53(2): a model released under a free and open-source licence
# with its parameters and architecture public. Read here as: final parameters
# published (a location) under an open license, and the model architecture
# listed under an open license, by the Model Openness Tool's rule.
holds("open-source-gpai") if {
	openness.license_status(input.manifest.weights.license) == "open"
	object.get(input.manifest.weights, "location", "") != ""
	openness.tool.status["Model architecture"] == "open"
}

# The vendor's answer per term; a term answered twice keeps its last answer.
answers := object.union_n([{a.term: a} | some a in object.get(input.manifest, "attestations", [])])

# The contract terms the selected packs ask about, each with its pack.
asked := [[id, a] |
	some id in selected
	some a in tables.pack_attestations[id][tier]
]

# The state of each term asked about, computed once.
states := {a.term: attestation_state(a.term) | some [_, a] in asked}

# attestation_state(term) is attested, refused, unreferenced (yes without the
# bid document that carries it) or missing.
attestation_state(term) := "refused" if {
	answers[term].answer == "no"
} else := "unreferenced" if {
	answers[term].answer == "yes"
	trim_space(object.get(answers[term], "document", "")) == ""
} else := "attested" if {
	answers[term].answer == "yes"
} else := "missing"

# attested(term): the vendor answered yes, naming the bid document.
attested(term) if attestation_state(term) == "attested"

# METADATA
# title: Contract term refused
# description: >-
#   A vendor that answers no to a contract term a selected pack requires is
#   disqualified, or sent to a reviewer where the pack says a refusal is
#   only a warning.
# custom:
#   source: data.modeltender.policy_packs (attestations)
deny contains finding if {
	some pair in asked
	[id, a] := pair
	a.refused_severity == "deny"
	finding := refused(id, a)
}

warn contains finding if {
	some pair in asked
	[id, a] := pair
	a.refused_severity == "warn"
	finding := refused(id, a)
}

refused(id, a) := {
	"rule": "packs.attestation-refused",
	"severity": a.refused_severity,
	"message": sprintf("the vendor does not accept the contract term %q (%s) that %s requires", [a.term, a.title, id]),
	"evidence": {"component": a.term, "clause": id, "quote": object.get(answers[a.term], "document", "")},
	"source": a.source,
	"fix": a.fix,
} if {
	states[a.term] == "refused"
}

# METADATA
# title: Contract term not attested
# description: >-
#   A contract term a selected pack asks about that the manifest does not
#   answer yes with a reference to the bid document: a reviewer asks the
#   vendor.
# custom:
#   source: data.modeltender.policy_packs (attestations)
warn contains finding if {
	some pair in asked
	[id, a] := pair
	state := states[a.term]
	state in {"missing", "unreferenced"}
	finding := {
		"rule": "packs.attestation-missing",
		"severity": "warn",
		"message": sprintf("%s asks the vendor to attest %q (%s): %s", [id, a.term, a.title, unattested_reason[state]]),
		"evidence": {"component": a.term, "clause": id, "quote": ""},
		"source": a.source,
		"fix": a.fix,
	}
}

unattested_reason := {
	"missing": "the manifest does not answer it",
	"unreferenced": "the manifest answers yes but names no bid document that carries the commitment",
}

# METADATA
# title: Unknown policy pack
# description: >-
#   A solicitation naming a pack this bundle does not have cannot be decided
#   as written: a reviewer checks it by hand.
# custom:
#   source: data.modeltender.policy_packs
warn contains finding if {
	count(unknown) > 0
	finding := {
		"rule": "packs.unknown-pack",
		"severity": "warn",
		"message": sprintf(
			"the solicitation names policy packs this policy bundle does not have: %s; valid packs: %s",
			[concat(", ", sort(unknown)), concat(", ", tables.pack_order)],
		),
		"evidence": {"component": "criteria.packs", "clause": "", "quote": concat(", ", sort(unknown))},
		"source": "data.modeltender.policy_packs",
		"fix": "Amend the solicitation to name only packs the bundle has, or evaluate it under the policy bundle that defines them.",
	}
}

# METADATA
# title: Pack not in force
# description: >-
#   States that a selected pack was not in force on the as_of date: a draft,
#   not yet effective, or lapsed. Its rules still apply, since the
#   solicitation chose them.
# custom:
#   source: data.modeltender.policy_packs (status, effective, expires)
info contains finding if {
	some id in selected
	p := tables.packs_by_id[id]
	reason := not_in_force(p)
	finding := {
		"rule": "packs.not-in-force",
		"severity": "info",
		"message": sprintf("policy pack %s (%s) %s on %s; the solicitation applies it as written", [id, p.title, reason, input.as_of]),
		"evidence": {"component": id, "clause": sprintf("status: %s, effective: %s, expires: %s", [p.status, p.effective, p.expires]), "quote": ""},
		"source": p.sources[0].title,
		"fix": "",
	}
}

not_in_force(p) := "is a draft, not in force" if {
	p.status == "draft"
} else := sprintf("takes effect only on %s", [p.effective]) if {
	input.as_of < p.effective
} else := sprintf("lapsed on %s", [p.expires]) if {
	p.expires != ""
	input.as_of >= p.expires
}

# Per selected pack, what it requires and what the candidate still lacks:
# evidence missing or expired, and contract terms not attested yes with a
# bid document.
status := [object.union(tables.pack_summaries[id][tier], {
	"required_evidence": [req.requirement | some req in pack_evidence[id]],
	"missing_evidence": [req.requirement | some req in pack_evidence[id]; not safety.met(req)],
	"missing_attestations": [a.requirement | some a in tables.pack_attestations[id][tier]; states[a.term] != "attested"],
}) |
	some id in selected
]
