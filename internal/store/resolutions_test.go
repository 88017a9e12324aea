package store

import (
	"context"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

// A reviewer's resolution of a clause is stored once per task; look-ups
// return the decisions on any of the clauses asked for, for the same use
// class only, newest first.
func TestLicenseResolutions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, _ := openStore(t)
	if got, err := st.LicenseResolutions(ctx, nil); err != nil || got != nil {
		t.Fatalf("no keys: %v %v", got, err)
	}
	attribution := LicenseClause{LicenseHash: "sha256:llama", Clause: "attribution", UseCaseClass: "internal"}
	userCap := LicenseClause{LicenseHash: "sha256:llama", Clause: "user-cap", UseCaseClass: "internal"}
	record := func(c LicenseClause, task, reviewer string, v domain.Verdict, decided time.Time) {
		requireNoError(t, st.RecordLicenseResolution(ctx, LicenseResolution{LicenseClause: c, LicenseID: "Llama-3", TaskID: task,
			CandidateID: "cnd_" + task, SolicitationID: "sol_1", ReviewerID: reviewer, Verdict: v, ReasonCode: "r", DecidedAt: decided}))
	}
	record(attribution, "tsk_1", "usr_a", domain.VerdictApprove, at)
	record(attribution, "tsk_2", "usr_b", domain.VerdictReject, at.Add(time.Hour))
	record(attribution, "tsk_1", "usr_a", domain.VerdictReject, at.Add(2*time.Hour)) // a retry
	record(userCap, "tsk_1", "usr_a", domain.VerdictApprove, at.Add(30*time.Minute))
	public := attribution
	public.UseCaseClass = "public"
	record(public, "tsk_3", "usr_a", domain.VerdictApprove, at.Add(3*time.Hour))

	got, err := st.LicenseResolutions(ctx, []LicenseClause{attribution})
	requireNoError(t, err)
	summary := func(rs []LicenseResolution) string {
		return ids(rs, func(r LicenseResolution) string { return r.Clause + "/" + r.TaskID + "=" + string(r.Verdict) })
	}
	if s := summary(got); s != "attribution/tsk_2=reject,attribution/tsk_1=approve" {
		t.Errorf("resolutions %s, want the internal-use ones newest first, the retry not stored", s)
	}
	got, err = st.LicenseResolutions(ctx, []LicenseClause{attribution, userCap, {LicenseHash: "sha256:other", Clause: "attribution", UseCaseClass: "internal"}})
	requireNoError(t, err)
	if s := summary(got); s != "attribution/tsk_2=reject,user-cap/tsk_1=approve,attribution/tsk_1=approve" {
		t.Errorf("resolutions of two clauses %s", s)
	}
	if r := got[0]; r.LicenseID != "Llama-3" || r.CandidateID != "cnd_tsk_2" || r.SolicitationID != "sol_1" || r.ReviewerID != "usr_b" || !r.DecidedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("resolution read back as %+v", r)
	}
	bad := attribution
	bad.Clause = "nul\x00"
	err = st.RecordLicenseResolution(ctx, LicenseResolution{LicenseClause: bad, LicenseID: "Llama-3", TaskID: "tsk_9", ReviewerID: "usr_a", Verdict: domain.VerdictApprove})
	requireFails(t, err, "record license resolution of Llama-3")
	if n := count(t, st, "license_resolutions", ""); n != 4 {
		t.Errorf("%d resolutions, want 4", n)
	}
}
