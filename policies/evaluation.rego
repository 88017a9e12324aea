# METADATA
# title: Evaluation decision
# description: >-
#   The one entrypoint for evaluating a candidate: gathers the findings of
#   every policy package into a decision document with a stable order.
package modeltender.evaluation

import data.modeltender.openness
import data.modeltender.packs
import data.modeltender.packs.eu_gpai_documentation
import data.modeltender.packs.gsar_552_239_7001_draft_2026_06 as gsar_draft
import data.modeltender.packs.omb_m_25_22
import data.modeltender.procurement
import data.modeltender.provenance
import data.modeltender.safety

# METADATA
# title: Decision
# description: The decision document the policy engine returns for a candidate.
# custom:
#   source: modeltender design, evaluation step 3
decision := {
	"outcome": outcome,
	"deny": ordered(deny),
	"warn": ordered(warn),
	"info": ordered(info),
	"openness": openness.result,
	"score": openness.result.preference_points,
	"approvals_required": approvals_required,
	"packs": packs.status,
}

# METADATA
# title: Outcome
# description: >-
#   A deny disqualifies; a warn needs a reviewer; otherwise the candidate
#   qualifies for human approval.
# custom:
#   source: modeltender design, evaluation step 3
outcome := "disqualified" if {
	count(deny) > 0
} else := "needs_review" if {
	count(warn) > 0
} else := "qualified"

deny contains finding if some finding in safety.deny

deny contains finding if some finding in procurement.deny

deny contains finding if some finding in openness.deny

deny contains finding if some finding in packs.deny

deny contains finding if some finding in omb_m_25_22.deny

deny contains finding if some finding in gsar_draft.deny

deny contains finding if some finding in provenance.deny

warn contains finding if some finding in safety.warn

warn contains finding if some finding in openness.warn

warn contains finding if some finding in packs.warn

warn contains finding if some finding in omb_m_25_22.warn

warn contains finding if some finding in eu_gpai_documentation.warn

info contains finding if some finding in openness.info

info contains finding if some finding in packs.info

info contains finding if some finding in eu_gpai_documentation.info

info contains finding if some finding in provenance.info

# METADATA
# title: Approvals required
# description: High-impact use needs two distinct reviewers; other use needs one.
# custom:
#   source: "OMB M-25-21 §4(b): human oversight, intervention and accountability"
default approvals_required := 1

approvals_required := 2 if input.criteria.risk_tier == "high-impact"

# Sets have no order a caller can rely on; sorting by rule then message keeps
# the output (and any hash of it) stable.
ordered(findings) := [entry[2] |
	some entry in sort([[f.rule, f.message, f] | some f in findings])
]
