package contract

import "go.temporal.io/sdk/temporal"

// Typed search attributes the workflows set, so operators can list and
// filter workflows in the Temporal UI and CLI. They must be registered on
// the namespace before a worker running this code starts (README,
// "Search attributes"): upserting an unknown one fails the workflow task.
//
// Nothing confidential goes in: no manifest, price or bid text. The vendor is
// its organisation id, never its name, and only on evaluations, which start
// at the deadline: who bid is sealed until then, and Temporal's visibility
// store is read outside modeltender's access control and audit trail.
var (
	// SearchSolicitationID is the solicitation a workflow belongs to.
	SearchSolicitationID = temporal.NewSearchAttributeKeyKeyword("ModeltenderSolicitationId")
	// SearchRiskTier is the solicitation's risk tier (standard, high-impact).
	SearchRiskTier = temporal.NewSearchAttributeKeyKeyword("ModeltenderRiskTier")
	// SearchStage is where the workflow is: an evaluation's stage (intake,
	// license, policy, approval, clarification, outcome) or a solicitation's
	// status (published, bidding, closed, evaluating, evaluated,
	// award-pending, standstill, awarded, cancelled).
	SearchStage = temporal.NewSearchAttributeKeyKeyword("ModeltenderStage")
	// SearchOutcome is set when the workflow reaches one: qualified or
	// disqualified for an evaluation, awarded for a solicitation, cancelled
	// for either.
	SearchOutcome = temporal.NewSearchAttributeKeyKeyword("ModeltenderOutcome")
	// SearchVendorOrgID is the bidding vendor's organisation id, on
	// evaluations only.
	SearchVendorOrgID = temporal.NewSearchAttributeKeyKeyword("ModeltenderVendorOrgId")
)

// SearchAttributes is every key above, for registering them on a namespace.
var SearchAttributes = []temporal.SearchAttributeKey{
	SearchSolicitationID, SearchRiskTier, SearchStage, SearchOutcome, SearchVendorOrgID,
}

// OutcomeCancelled is the SearchOutcome of a workflow ended by the
// solicitation's cancellation.
const OutcomeCancelled = "cancelled"
