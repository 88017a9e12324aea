package auditlog

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/modeltender/modeltender/internal/check"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/manifest"
	"github.com/modeltender/modeltender/internal/rulebook"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/policies"
)

// Records reads what was stored of an evaluation, as store.Store does.
type Records interface {
	EvaluationRecord(ctx context.Context, id string) (store.EvaluationRecord, error)
	// CandidateSigningIdentities are the vendor's signing identities in
	// force when the check ran, which its model signature was verified under.
	CandidateSigningIdentities(ctx context.Context, candidateID string, at time.Time) ([]domain.SigningIdentity, error)
}

// Replay is a recorded evaluation decision re-run from what was stored: the
// manifest version it ran on, the solicitation's criteria, the policy
// revision it was judged under and the date evidence was judged at. Human
// decisions (license resolutions, approvals) are shown, not re-run: the
// replay checks that the automated check still reaches what was recorded
// and that the recorded outcome follows from it and those decisions.
type Replay struct {
	CandidateID    string    `json:"candidate_id"`
	CandidateName  string    `json:"candidate_name"`
	WorkflowID     string    `json:"workflow_id"`
	SolicitationID string    `json:"solicitation_id"`
	ManifestHash   string    `json:"manifest_hash"`
	ManifestFrom   string    `json:"manifest_from"` // "submission" or the clarification answered
	PolicyRevision string    `json:"policy_revision"`
	AsOf           time.Time `json:"as_of"`

	Recorded Verdict `json:"recorded"`
	Replayed Verdict `json:"replayed"`
	// HumanDecisions are the reviewers' decisions recorded in the stages,
	// by stage, which the replay takes as given.
	HumanDecisions map[domain.Stage]any `json:"human_decisions,omitempty"`
	// Same is set when the replay reached the recorded decision; otherwise
	// Differences name each way it disagrees with the record.
	Same        bool     `json:"same"`
	Differences []string `json:"differences"`
}

// Verdict is a decision as stages and an outcome. A replayed outcome is the
// automated check's (needs_review when a person had to decide); a recorded
// one is empty while the evaluation runs.
type Verdict struct {
	Outcome domain.Outcome                      `json:"outcome,omitempty"`
	Stages  map[domain.Stage]domain.StageStatus `json:"stages"`
}

// humanStage marks a stage whose recorded status a person decided; the
// replay expects a review there rather than a status.
const humanStage domain.StageStatus = "review"

// ErrRulesUnavailable is returned when the rules the decision was judged
// under cannot be loaded now, so the replay cannot run.
var ErrRulesUnavailable = errors.New("the recorded policy revision cannot be loaded")

// ReplayDecision re-runs the evaluation named by id (a candidate id, an
// evaluation workflow id or a review task id) through chk and compares it
// with the record. An unknown id is a domain.ErrNotFound error.
func ReplayDecision(ctx context.Context, records Records, chk *check.Checker, id string) (Replay, error) {
	rec, err := records.EvaluationRecord(ctx, id)
	if err != nil {
		return Replay{}, err
	}
	ev := rec.Evaluation
	r := Replay{
		CandidateID: ev.CandidateID, CandidateName: ev.CandidateName, WorkflowID: ev.WorkflowID,
		SolicitationID: rec.Solicitation.ID, PolicyRevision: ev.PolicyRevision, AsOf: rec.Solicitation.Deadline,
		Recorded: Verdict{Stages: map[domain.Stage]domain.StageStatus{}}, Differences: []string{},
	}
	if ev.Outcome != nil {
		r.Recorded.Outcome = *ev.Outcome
	}
	stages := map[domain.Stage]store.StageView{}
	for _, st := range ev.Stages {
		stages[st.Stage] = st
		r.Recorded.Stages[st.Stage] = st.Status
		if d, ok := st.Detail["decisions"]; ok {
			if r.HumanDecisions == nil {
				r.HumanDecisions = map[domain.Stage]any{}
			}
			r.HumanDecisions[st.Stage] = map[string]any{"decisions": d, "exception": st.Detail["exception"]}
		}
	}
	if !decided(stages[domain.StageIntake].Status) {
		return r, domain.Errorf(domain.ErrConflict, "evaluation %s has made no decision yet (intake is %s): replay it once its checks ran",
			ev.WorkflowID, stages[domain.StageIntake].Status)
	}

	version, err := manifestOf(rec, stages[domain.StageIntake])
	if err != nil {
		return r, err
	}
	r.ManifestHash, r.ManifestFrom = version.Hash, "submission"
	if version.ClarificationID != "" {
		r.ManifestFrom = "clarification " + version.ClarificationID
	}
	if got := manifest.Hash(version.Manifest); got != version.Hash {
		r.Differences = append(r.Differences, fmt.Sprintf("the stored manifest hashes to %s, not to the digest %s stored with it: it was changed after submission", got, version.Hash))
	}

	criteria := rec.Solicitation.Criteria()
	criteria.PolicyRevision = ev.PolicyRevision
	ids, err := records.CandidateSigningIdentities(ctx, ev.CandidateID, stages[domain.StageIntake].UpdatedAt)
	if err != nil {
		return r, err
	}
	res := chk.Check(ctx, check.Input{Manifest: version.Manifest, Criteria: criteria, AsOf: r.AsOf, Identities: ids})
	if slices.ContainsFunc(res.Policy.Warn, func(f domain.Finding) bool { return f.Rule == check.RevisionUnavailableRule }) {
		return r, fmt.Errorf("%w: %s", ErrRulesUnavailable, res.Policy.Warn[0].Message)
	}
	r.Replayed, r.Differences = compare(res, stages, r.Recorded, r.Differences)
	if ev.Outcome != nil && ev.Score != nil && *ev.Outcome == domain.OutcomeQualified && *ev.Score != res.Policy.Score {
		r.Differences = append(r.Differences, fmt.Sprintf("score: recorded %g, replayed %g", *ev.Score, res.Policy.Score))
	}
	r.Same = len(r.Differences) == 0
	return r, nil
}

// decided reports whether a stage's recorded status is a decision.
func decided(s domain.StageStatus) bool {
	return s == domain.StagePassed || s == domain.StageFailed
}

// manifestOf picks the manifest version the recorded checks ran on: the one
// whose digest the intake stage recorded, else (intake failed, which records
// no digest) the latest one stored before the intake decision.
func manifestOf(rec store.EvaluationRecord, intake store.StageView) (store.ManifestVersion, error) {
	if len(rec.Manifests) == 0 {
		return store.ManifestVersion{}, fmt.Errorf("candidate %s has no stored manifest", rec.Evaluation.CandidateID)
	}
	if hash, ok := intake.Detail["manifest_hash"].(string); ok {
		for _, v := range slices.Backward(rec.Manifests) {
			if v.Hash == hash {
				return v, nil
			}
		}
		return store.ManifestVersion{}, fmt.Errorf("intake of %s recorded manifest %s, and no stored manifest version has that digest: the stored manifests were changed",
			rec.Evaluation.CandidateID, hash)
	}
	latest := rec.Manifests[0]
	for _, v := range rec.Manifests[1:] {
		if !v.At.After(intake.UpdatedAt) {
			latest = v
		}
	}
	return latest, nil
}

// compare walks the stages as the evaluation workflow does: intake, license
// and policy follow from the check; a license to resolve and the approval
// are a person's. Each decided recorded stage must have the replayed status
// and findings.
func compare(res domain.CandidateCheck, recorded map[domain.Stage]store.StageView, rv Verdict, diffs []string) (Verdict, []string) {
	v := Verdict{Outcome: res.Outcome, Stages: map[domain.Stage]domain.StageStatus{}}
	policyFindings := slices.Concat(res.Policy.Deny, res.Policy.Warn, res.Policy.Info)
	steps := []struct {
		stage    domain.Stage
		findings []domain.Finding
		denied   bool
		review   bool
	}{
		{domain.StageIntake, res.Intake, hasDeny(res.Intake), false},
		{domain.StageLicense, res.License.Findings, hasDeny(res.License.Findings), res.License.NeedsResolution},
		{domain.StagePolicy, policyFindings, len(res.Policy.Deny) > 0, false},
	}
	stopped := false
	for _, s := range steps {
		rec := recorded[s.stage]
		switch {
		case stopped:
			v.Stages[s.stage] = domain.StageSkipped
		case s.denied:
			v.Stages[s.stage] = domain.StageFailed
			stopped = true
		case s.review:
			v.Stages[s.stage] = humanStage
		default:
			v.Stages[s.stage] = domain.StagePassed
		}
		want := v.Stages[s.stage]
		switch {
		case rec.Status == domain.StageSkipped || !decided(rec.Status):
			if stopped && want != domain.StageSkipped && want != rec.Status {
				diffs = append(diffs, fmt.Sprintf("%s: recorded %s, replayed %s", s.stage, orNone(rec.Status), want))
			}
			continue
		case want == domain.StageSkipped:
			diffs = append(diffs, fmt.Sprintf("%s: recorded %s, but the replay stopped before it", s.stage, rec.Status))
			continue
		case want != humanStage && want != rec.Status:
			diffs = append(diffs, fmt.Sprintf("%s: recorded %s, replayed %s", s.stage, rec.Status, want))
		}
		diffs = append(diffs, findingDiffs(s.stage, rec.Findings, s.findings)...)
		if s.stage == domain.StagePolicy {
			diffs = append(diffs, policyDetailDiffs(rec.Detail, res.Policy)...)
		}
	}
	if !stopped {
		v.Stages[domain.StageApproval] = humanStage
	} else {
		v.Stages[domain.StageApproval] = domain.StageSkipped
	}
	if rv.Outcome != "" {
		switch {
		case res.Outcome == domain.OutcomeDisqualified && rv.Outcome != domain.OutcomeDisqualified:
			diffs = append(diffs, fmt.Sprintf("outcome: recorded %s, but the replayed check disqualifies", rv.Outcome))
		case rv.Outcome == domain.OutcomeDisqualified && res.Outcome != domain.OutcomeDisqualified && !rejectedByPerson(recorded, v):
			diffs = append(diffs, fmt.Sprintf("outcome: recorded disqualified, but the replayed check is %s and no reviewer rejected the candidate", res.Outcome))
		}
	}
	return v, diffs
}

// rejectedByPerson reports whether a stage a person decides was recorded failed.
func rejectedByPerson(recorded map[domain.Stage]store.StageView, v Verdict) bool {
	for st, want := range v.Stages {
		if want == humanStage && recorded[st].Status == domain.StageFailed {
			return true
		}
	}
	return false
}

func orNone(s domain.StageStatus) string {
	if s == "" {
		return "nothing"
	}
	return string(s)
}

func hasDeny(fs []domain.Finding) bool {
	return slices.ContainsFunc(fs, func(f domain.Finding) bool { return f.Severity == domain.SeverityDeny })
}

// findingKey identifies a finding by what it says. Fix is left out: the
// evaluation appends earlier license resolutions offered for reuse to it.
func findingKey(f domain.Finding) string {
	ev, _ := json.Marshal(f.Evidence)
	return strings.Join([]string{string(f.Severity), f.Rule, f.Message, string(ev), f.Source}, "\x00")
}

// findingDiffs names the findings recorded and not replayed, and replayed
// and not recorded, counting repeats.
func findingDiffs(stage domain.Stage, recorded, replayed []domain.Finding) []string {
	count := map[string]int{}
	for _, f := range recorded {
		count[findingKey(f)]++
	}
	var extra []domain.Finding
	for _, f := range replayed {
		k := findingKey(f)
		if count[k] > 0 {
			count[k]--
			continue
		}
		extra = append(extra, f)
	}
	var out []string
	for _, f := range recorded {
		k := findingKey(f)
		if count[k] > 0 {
			count[k]--
			out = append(out, fmt.Sprintf("%s: finding recorded but not replayed: %s %s: %s", stage, f.Severity, f.Rule, f.Message))
		}
	}
	for _, f := range extra {
		out = append(out, fmt.Sprintf("%s: finding replayed but not recorded: %s %s: %s", stage, f.Severity, f.Rule, f.Message))
	}
	return out
}

// policyDetailDiffs compares what the policy stage recorded beside its
// findings: the revision that decided, the score and the approvals required.
func policyDetailDiffs(detail map[string]any, dec domain.PolicyDecision) []string {
	var out []string
	if rev, _ := detail["policy_revision"].(string); rev != dec.Revision {
		out = append(out, fmt.Sprintf("policy: decided under revision %q, replayed under %q", rev, dec.Revision))
	}
	if score, _ := detail["score"].(float64); score != dec.Score {
		out = append(out, fmt.Sprintf("policy: score recorded %g, replayed %g", score, dec.Score))
	}
	if n, _ := detail["approvals_required"].(float64); int(n) != dec.ApprovalsRequired {
		out = append(out, fmt.Sprintf("policy: approvals required recorded %d, replayed %d", int(n), dec.ApprovalsRequired))
	}
	return out
}

// Print writes the replay for a person: what was re-run, both verdicts,
// and the differences or that the decision is the same.
func (r Replay) Print(w io.Writer) {
	fmt.Fprintf(w, "evaluation %s (candidate %s %q, solicitation %s)\n", r.WorkflowID, r.CandidateID, r.CandidateName, r.SolicitationID)
	fmt.Fprintf(w, "  re-run on manifest %s (from %s), policy revision %s, evidence as of %s\n",
		r.ManifestHash, r.ManifestFrom, orCurrent(r.PolicyRevision), r.AsOf.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "  recorded: %s\n  replayed: %s\n", r.Recorded, r.Replayed)
	for _, st := range []domain.Stage{domain.StageLicense, domain.StageApproval} {
		if d, ok := r.HumanDecisions[st]; ok {
			b, _ := json.Marshal(d)
			fmt.Fprintf(w, "  taken as recorded, %s decisions: %s\n", st, b)
		}
	}
	if r.Same {
		fmt.Fprintln(w, "same decision")
		return
	}
	fmt.Fprintf(w, "different decision (%d differences):\n", len(r.Differences))
	for _, d := range r.Differences {
		fmt.Fprintln(w, "  -", d)
	}
}

func orCurrent(rev string) string {
	if rev == "" {
		return "(none recorded: the current one)"
	}
	return rev
}

// String lists the outcome and each stage's status in pipeline order.
func (v Verdict) String() string {
	var parts []string
	for _, st := range domain.Stages {
		if s, ok := v.Stages[st]; ok {
			parts = append(parts, string(st)+" "+string(s))
		}
	}
	outcome := string(v.Outcome)
	if outcome == "" {
		outcome = "no outcome yet"
	}
	return outcome + " (" + strings.Join(parts, ", ") + ")"
}

// runReplay is `modeltender audit replay [--json] DECISION`: it re-runs the
// evaluation DECISION names (a candidate id, an evaluation workflow id or a
// review task id) under the rules stored for its policy revision and exits
// 0 when the decision is the same, 1 naming each difference, 2 when the
// decision is unknown or what it needs cannot be read.
func runReplay(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the replay as JSON")
	if err := fs.Parse(flagsFirst(args)); err != nil {
		return cannot(fmt.Errorf("%w (%s)", err, usage))
	}
	if fs.NArg() != 1 {
		return cannot(fmt.Errorf("audit replay needs one decision: a candidate id, an evaluation workflow id or a review task id (%s)", usage))
	}
	st, err := openStore(ctx, getenv)
	if err != nil {
		return cannot(err)
	}
	defer st.Close()
	chk, err := storedRules(ctx, st, getenv(policies.EnvPolicyDir))
	if err != nil {
		return cannot(err)
	}
	r, err := ReplayDecision(ctx, st, chk, fs.Arg(0))
	if err != nil {
		return cannot(err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return cannot(err)
		}
	} else {
		r.Print(stdout)
	}
	if !r.Same {
		return &ExitError{Code: 1, Err: fmt.Errorf("the replay of %s differs from the record in %d ways", r.WorkflowID, len(r.Differences))}
	}
	return nil
}

// storedRules is a checker that loads each policy revision from the
// database, as the worker does; a decision recorded without a revision is
// judged by the bundle in policyDir (default the embedded one).
func storedRules(ctx context.Context, st *store.Store, policyDir string) (*check.Checker, error) {
	bundle, err := policies.LoadBundle(policies.Dir(policyDir))
	if err != nil {
		return nil, fmt.Errorf("read the current policy bundle: %w", err)
	}
	revisions := rulebook.New(st.PolicyBundle, 0)
	if _, _, err := revisions.Add(ctx, bundle); err != nil {
		return nil, fmt.Errorf("prepare the current policy bundle: %w", err)
	}
	return check.New(check.Current{Rules: revisions, Revision: bundle.Revision()}), nil
}

// flagsFirst lets the decision come before --json: replay's only flag takes
// no value, so every argument that starts with "-" is a flag.
func flagsFirst(args []string) []string {
	var flags, rest []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			flags = append(flags, a)
		} else {
			rest = append(rest, a)
		}
	}
	return append(flags, rest...)
}
