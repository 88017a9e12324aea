package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// An amendment that adopts the current policy revision says so, moves the
// deadline by the amendment notice rule, and every candidate is then
// evaluated under the adopted revision; adopting the frozen one again is a
// conflict.
func TestAmendmentAdoptsCurrentRevision(t *testing.T) {
	e := newSolicitationEnv(time.Hour, nil)
	var am domain.Amendment
	var errAgain error
	e.at(time.Hour, contract.SubmitBidUpdate, bid("bid_a", "cnd_1"), nil)
	e.RegisterDelayedCallback(func() {
		e.UpdateWorkflow(contract.AmendUpdate, "adopt", &testsuite.TestUpdateCallback{OnAccept: func() {},
			OnReject: func(err error) { t.Errorf("adoption rejected: %v", err) },
			OnComplete: func(v any, err error) {
				require.NoError(t, err)
				am = v.(domain.Amendment)
			}}, contract.AmendRequest{Actor: officer, ID: "am1", Description: "Adopts the rules of December", AdoptRevision: "sha256:new"})
	}, 9*day)
	e.at(9*day+time.Hour, contract.AmendUpdate, contract.AmendRequest{Actor: officer, ID: "am2", Description: "again", AdoptRevision: "sha256:new"}, &errAgain)
	e.at(9*day+2*time.Hour, contract.ConfirmBidUpdate, contract.BidAction{Actor: vendor("bid_a"), BidID: "bid_a"}, nil)
	e.at(20*day, contract.CancelUpdate, contract.CancelRequest{Actor: officer, Reason: "end of test"}, nil)
	e.ExecuteWorkflow(SolicitationWorkflow, solicitationInput(domain.RiskStandard))

	e.result(t)
	require.Equal(t, "sha256:new", am.AdoptedRevision)
	require.Contains(t, am.Description, "adopts policy revision sha256:new in place of sha256:rev")
	require.Equal(t, start.Add(12*day), am.NewDeadline, "an amendment a day before the deadline leaves the three-day notice period")
	requireRejected(t, errAgain, domain.ErrConflict)
	require.Len(t, e.children, 1)
	require.Equal(t, "sha256:new", e.children[0].Criteria.PolicyRevision)
}
