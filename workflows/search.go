package workflows

import (
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// searchAttributesVersion marks the change that made workflows set the typed
// search attributes of internal/contract; runs recorded before it set none.
const searchAttributesVersion = "typed-search-attributes"

// indexed reports whether this run sets search attributes. Call it once, at
// the same point of every run, before the first upsert.
func indexed(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, searchAttributesVersion, workflow.DefaultVersion, 1) != workflow.DefaultVersion
}

// indexEvaluation sets what an evaluation is known by from its start.
func (e *evaluation) indexEvaluation(ctx workflow.Context) error {
	if e.search = indexed(ctx); !e.search {
		return nil
	}
	return workflow.UpsertTypedSearchAttributes(ctx,
		contract.SearchSolicitationID.ValueSet(e.in.Ref.SolicitationID),
		contract.SearchRiskTier.ValueSet(string(e.in.Criteria.RiskTier)),
		contract.SearchVendorOrgID.ValueSet(e.in.Ref.VendorOrgID))
}

// indexStage sets the stage an evaluation works on or waits in, and its
// outcome at the end; stages finish marks skipped leave it alone.
func (e *evaluation) indexStage(ctx workflow.Context, stage domain.Stage, status domain.StageStatus) error {
	if !e.search || stage == e.indexedStage || (stage != domain.StageOutcome && status != domain.StageRunning && status != domain.StageWaiting) {
		return nil
	}
	e.indexedStage = stage
	updates := []temporal.SearchAttributeUpdate{contract.SearchStage.ValueSet(string(stage))}
	if stage == domain.StageOutcome {
		outcome := string(e.outcome)
		if outcome == "" { // the outcome stage is skipped only on cancellation
			outcome = contract.OutcomeCancelled
		}
		updates = append(updates, contract.SearchOutcome.ValueSet(outcome))
	}
	return workflow.UpsertTypedSearchAttributes(ctx, updates...)
}

// indexSolicitation sets what a solicitation is known by from publication.
func (s *solicitation) indexSolicitation(ctx workflow.Context) error {
	if s.search = indexed(ctx); !s.search {
		return nil
	}
	return workflow.UpsertTypedSearchAttributes(ctx,
		contract.SearchSolicitationID.ValueSet(s.in.SolicitationID),
		contract.SearchRiskTier.ValueSet(string(s.in.Criteria.RiskTier)),
		contract.SearchStage.ValueSet(string(s.status)))
}

// indexStatus sets the solicitation's status, and its outcome once awarded
// or cancelled.
func (s *solicitation) indexStatus(ctx workflow.Context, status domain.SolicitationStatus) error {
	if !s.search {
		return nil
	}
	updates := []temporal.SearchAttributeUpdate{contract.SearchStage.ValueSet(string(status))}
	switch status {
	case domain.SolicitationAwarded:
		updates = append(updates, contract.SearchOutcome.ValueSet(string(status)))
	case domain.SolicitationCancelled:
		updates = append(updates, contract.SearchOutcome.ValueSet(contract.OutcomeCancelled))
	}
	return workflow.UpsertTypedSearchAttributes(ctx, updates...)
}
