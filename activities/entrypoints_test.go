package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/evaluate"
	"github.com/modeltender/modeltender/internal/manifest"
)

// verdict is what every entry point of the candidate check must agree on:
// the outcome, the findings that decide it, the score and the revision.
type verdict struct {
	Outcome  domain.Outcome
	Findings []string // rule and severity, in order
	Score    float64
	Revision string
}

func verdictOf(c domain.CandidateCheck) verdict {
	return verdict{Outcome: c.Outcome, Findings: ruleList(c.Findings()), Score: c.Policy.Score, Revision: c.Revision}
}

func ruleList(f []domain.Finding) []string {
	out := make([]string, len(f))
	for i, x := range f {
		out[i] = string(x.Severity) + " " + x.Rule + " " + x.Evidence.Component + " " + x.Evidence.Clause
	}
	return out
}

// checkInput is one candidate as a vendor would send it: a file's bytes.
type checkInput struct {
	data     []byte
	manifest domain.Manifest
}

// checkInputs are the candidates the entry points are compared on: the
// Model Openness Tool's own 27 test models, every example manifest, and
// manifests generated from a fixed seed.
func checkInputs(t *testing.T) map[string]checkInput {
	t.Helper()
	inputs := map[string]checkInput{}
	read := func(glob string, format manifest.Format) {
		files, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			c, err := manifest.Parse(data, format, "")
			if domain.KindOf(err) == domain.ErrInvalid {
				continue // a bid refuses it, so no check ever sees it
			}
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			inputs[filepath.Base(file)] = checkInput{data, c.Manifest}
		}
	}
	read("../policies/testdata/mot/Test_Data/*.yml", manifest.FormatMOF)
	read("../examples/manifests/*.json", manifest.FormatAuto)
	if len(inputs) < 15 {
		t.Fatalf("found %d test manifests a bid accepts, want most of the 27 Model Openness Tool test models and the examples", len(inputs))
	}
	licenses := []string{"Apache-2.0", "MIT", "CC-BY-4.0", "CC-BY-NC-4.0", "LicenseRef-Llama-3.1-Community", "GPL-3.0-only",
		"Apache-2.0 OR MIT", "LicenseRef-Gemma", "Llama 3.1 Community License", "not a license ((", ""}
	components := []string{"Model architecture", "Model parameters (Final)", "Inference code", "Training code", "Datasets",
		"Evaluation results", "Model card", "Data card", "Technical report"}
	kinds := []string{"model-card", "red-team-report", "evaluation-results", "content-filtering", "incident-response", "data-card", "nist-ai-rmf-mapping"}
	rng := rand.New(rand.NewPCG(11, 17))
	for i := range 12 {
		m := domain.Manifest{SchemaVersion: "1", Name: fmt.Sprintf("generated-%d", i), Producer: "Example Labs",
			Weights: domain.Weights{License: licenses[rng.IntN(len(licenses)-2)]}}
		for _, name := range components {
			if rng.IntN(3) > 0 {
				m.Components = append(m.Components, domain.Component{Name: name, Included: true, License: licenses[rng.IntN(len(licenses))]})
			}
		}
		for _, kind := range kinds {
			if rng.IntN(2) == 0 {
				date := at.AddDate(0, -rng.IntN(30), 0).Format(time.DateOnly)
				m.Evidence = append(m.Evidence, domain.EvidenceItem{Kind: kind, Title: kind, Location: "https://example.org/" + kind, Date: date})
			}
		}
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		inputs[m.Name] = checkInput{data, m}
	}
	return inputs
}

// The pre-check, the evaluation's check, a clarification's re-run on an
// amended manifest, the post-award re-check and `modeltender evaluate` all
// run the one candidate check: on the same manifest, criteria and date they
// reach the same decision.
func TestEveryEntryPointReachesTheSameDecision(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	criteria := domain.Criteria{SolicitationID: f.ref.SolicitationID, RiskTier: domain.RiskStandard, ExpectedMonthlyUsers: 5000,
		UseCases: []string{"internal-productivity"}}
	solicitationFile := filepath.Join(t.TempDir(), "solicitation.json")
	doc, err := json.Marshal(map[string]any{"risk_tier": criteria.RiskTier, "expected_monthly_users": criteria.ExpectedMonthlyUsers,
		"use_cases": criteria.UseCases, "deadline": at.Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(solicitationFile, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	placeholder := domain.Manifest{SchemaVersion: "1", Name: "placeholder", Weights: domain.Weights{License: "MIT"}}
	n := 0
	for name, in := range checkInputs(t) {
		n++
		m := in.manifest
		t.Run(name, func(t *testing.T) {
			bidID, candidateID := fmt.Sprintf("bid_eq%d", n), fmt.Sprintf("cnd_eq%d", n)
			ref := f.ref
			ref.BidID, ref.CandidateID, ref.WorkflowID = bidID, candidateID, contract.EvaluationWorkflowID(bidID, candidateID)
			// The bid first holds a placeholder, which a clarification
			// answer then amends to the manifest under test.
			bid := f.bid
			bid.ID, bid.Candidates = bidID, []domain.Candidate{{ID: candidateID, BidID: bidID, Name: m.Name, Manifest: placeholder, ManifestHash: manifest.Hash(placeholder)}}
			if err := f.st.InsertBid(ctx, bid); err != nil {
				t.Fatal(err)
			}
			task := domain.Task{ID: "tsk-" + candidateID, Kind: domain.TaskComplianceApproval, Status: domain.TaskOpen,
				SolicitationID: ref.SolicitationID, BidID: bidID, CandidateID: candidateID, VendorOrgID: ref.VendorOrgID,
				WorkflowID: ref.WorkflowID, Title: "Approve", FindingsHash: domain.HashFindings(nil), Approvals: 1, CreatedAt: at}
			if err := f.acts.OpenTask(ctx, task); err != nil {
				t.Fatal(err)
			}
			asked := domain.Clarification{ID: "clr_" + candidateID, CandidateID: candidateID, TaskID: task.ID, VendorOrgID: ref.VendorOrgID,
				AskedBy: f.reviewer.ID, Question: "Which license?", AskedAt: at, DueAt: at.Add(time.Hour)}
			if err := f.acts.RecordClarification(ctx, ref.SolicitationID, asked); err != nil {
				t.Fatal(err)
			}
			if err := f.acts.CloseClarification(ctx, contract.ClarificationAnswer{SolicitationID: ref.SolicitationID, CandidateID: candidateID,
				ClarificationID: asked.ID, Answer: "amended", AnsweredBy: f.bid.SubmittedBy, Manifest: &m, At: at}); err != nil {
				t.Fatal(err)
			}

			evaluation, err := f.acts.CheckCandidate(ctx, contract.CheckRequest{Ref: ref, Criteria: criteria, AsOf: at})
			if err != nil {
				t.Fatal(err)
			}
			want := verdictOf(evaluation)

			bid.Candidates[0].Manifest, bid.Candidates[0].ManifestHash = m, manifest.Hash(m)
			pre, err := f.acts.Precheck(ctx, contract.PrecheckInput{Bid: bid, Criteria: criteria, AsOf: at, At: at})
			if err != nil {
				t.Fatal(err)
			}
			got := verdict{Outcome: map[string]domain.Outcome{"pass": domain.OutcomeQualified, "needs-review": domain.OutcomeNeedsReview,
				"fail": domain.OutcomeDisqualified}[pre[0].Outcome], Findings: ruleList(pre[0].Findings), Score: pre[0].Score, Revision: pre[0].PolicyRevision}
			if !equalVerdicts(got, want) {
				t.Errorf("pre-check %+v\nevaluation %+v", got, want)
			}

			re, err := f.acts.Recheck(ctx, ref, criteria, at)
			if err != nil {
				t.Fatal(err)
			}
			wantRe := domain.OutcomeQualified
			if want.Outcome == domain.OutcomeDisqualified {
				wantRe = domain.OutcomeDisqualified
			}
			reFindings := slices.Concat(evaluation.Intake, evaluation.Policy.Deny, evaluation.Policy.Warn)
			if re.Outcome != wantRe || re.Revision != want.Revision || !slices.Equal(ruleList(re.Findings), ruleList(reFindings)) {
				t.Errorf("re-check %s %v under %s, evaluation %s %v under %s", re.Outcome, ruleList(re.Findings), re.Revision, wantRe, ruleList(reFindings), want.Revision)
			}

			file := filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(file, in.data, 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			if err := evaluate.Run(ctx, []string{"--solicitation", solicitationFile, file}, func(string) string { return "" }, &out, &errOut); err != nil {
				t.Fatalf("evaluate: %v (%s)", err, errOut.String())
			}
			var printed evaluate.Evaluation
			if err := json.Unmarshal(out.Bytes(), &printed); err != nil {
				t.Fatal(err)
			}
			cli := verdictOf(domain.CandidateCheck{Outcome: printed.Outcome, Intake: printed.Intake, License: printed.License,
				Policy: printed.PolicyDecision, Revision: printed.Revision})
			if !equalVerdicts(cli, want) {
				t.Errorf("evaluate %+v\nevaluation %+v", cli, want)
			}
		})
	}
}

func equalVerdicts(a, b verdict) bool {
	return a.Outcome == b.Outcome && a.Score == b.Score && a.Revision == b.Revision && slices.Equal(a.Findings, b.Findings)
}
