package store

import (
	"context"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

// A question is stored once per id and answered once; questions list oldest
// first, with who asked kept for the agency (callers anonymise them).
func TestQuestions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	ask := func(id string, u domain.User, asked time.Time, text string) domain.Question {
		q := domain.Question{ID: id, SolicitationID: m.sol.ID, VendorOrgID: u.OrgID, AskedBy: u.ID, Question: text, AskedAt: asked}
		requireNoError(t, m.st.InsertQuestion(ctx, q))
		return q
	}
	ask("qst_b", m.sellerB, at.Add(time.Hour), "Is fine-tuning allowed?")
	ask("qst_a", m.sellerA, at.Add(time.Hour), "May we bid two models?")
	ask("qst_0", m.sellerA, at, "When are answers published?")
	ask("qst_a", m.sellerB, at, "a retry with other content")

	requireNoError(t, m.st.AnswerQuestion(ctx, "qst_a", "Yes, up to five.", m.officer.ID, at.Add(2*time.Hour)))
	requireNoError(t, m.st.AnswerQuestion(ctx, "qst_a", "No.", m.officer.ID, at.Add(3*time.Hour)))
	requireNoError(t, m.st.AnswerQuestion(ctx, "qst_ghost", "Nobody asked.", m.officer.ID, at))

	qs, err := m.st.Questions(ctx, m.sol.ID)
	requireNoError(t, err)
	if got := ids(qs, func(q domain.Question) string { return q.ID }); got != "qst_0,qst_a,qst_b" {
		t.Fatalf("questions %s, want qst_0,qst_a,qst_b (asked time, then id)", got)
	}
	a := qs[1]
	if a.Question != "May we bid two models?" || a.AskedBy != m.sellerA.ID || a.VendorOrgID != m.vendorA.ID {
		t.Errorf("a retried question changed the stored one: %+v", a)
	}
	if a.Answer != "Yes, up to five." || a.AnsweredBy != m.officer.ID || a.AnsweredAt == nil || !a.AnsweredAt.Equal(at.Add(2*time.Hour)) {
		t.Errorf("answer %+v, want the first answer kept", a)
	}
	if open := qs[2]; open.Answer != "" || open.AnsweredBy != "" || open.AnsweredAt != nil {
		t.Errorf("an unanswered question reads as %+v", open)
	}
	if anon := a.Anonymised(); anon.AskedBy != "" || anon.VendorOrgID != "" || anon.AnsweredBy != "" || anon.Answer == "" {
		t.Errorf("anonymised %+v", anon)
	}

	requireFails(t, m.st.InsertQuestion(ctx, domain.Question{ID: "qst_nul", SolicitationID: m.sol.ID, VendorOrgID: m.vendorA.ID,
		AskedBy: m.sellerA.ID, Question: "nul\x00byte", AskedAt: at}), "store question qst_nul")
	requireFails(t, m.st.InsertQuestion(ctx, domain.Question{ID: "qst_latin1", SolicitationID: m.sol.ID, VendorOrgID: m.vendorA.ID,
		AskedBy: m.sellerA.ID, Question: "caf\xe9?", AskedAt: at}), "store question qst_latin1")
	requireFails(t, m.st.InsertQuestion(ctx, domain.Question{ID: "qst_nosol", SolicitationID: "sol_ghost", VendorOrgID: m.vendorA.ID,
		AskedBy: m.sellerA.ID, Question: "?", AskedAt: at}), "store question qst_nosol")
	requireFails(t, m.st.AnswerQuestion(ctx, "qst_b", "by nobody", "usr_ghost", at), "answer question qst_b")
	if n := count(t, m.st, "questions", ""); n != 3 {
		t.Errorf("%d questions after refused ones, want 3", n)
	}
	if n := count(t, m.st, "questions", "answered_at IS NOT NULL"); n != 1 {
		t.Errorf("%d answered questions, want 1", n)
	}
}
