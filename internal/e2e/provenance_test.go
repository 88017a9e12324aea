package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/artifact"
	"github.com/modeltender/modeltender/internal/auditlog"
	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/internal/tender"
)

// signedModel is a real OMS-signed model (sigstore/model-transparency's
// test model); candidate A declares its files, so the award pins them.
const signedModel = "../artifact/testdata/model-transparency/v1.1.0-elliptic-key"

// provenanceJourney is the journey the provenance tests start from: A
// (declaring signedModel's files) is approved by a reviewer and qualifies,
// B's unknown license is rejected by a reviewer, and A is awarded.
type provenanceJourney struct {
	s            *stack
	sol          domain.Solicitation
	bidA, bidB   bidResult
	candA, candB string
	approvalTask domain.Task
	award        domain.Award
}

func runProvenanceJourney(t *testing.T) provenanceJourney {
	t.Helper()
	s := startStack(t)
	files, err := artifact.DigestDir(context.Background(), signedModel, []string{"model.sig"})
	if err != nil {
		t.Fatal(err)
	}
	j := provenanceJourney{s: s, sol: s.publish(10*time.Second, "standard", map[string]any{"standstill_days": 2.0 / 86400})}
	s.must(http.StatusCreated, "vendorA", "POST", "/api/v1/solicitations/"+j.sol.ID+"/bids", map[string]any{
		"candidates": []json.RawMessage{exampleManifest(t, "granite-3.1-8b-instruct.json", func(m map[string]any) {
			m["weights"].(map[string]any)["files"] = files
		})},
	}).decode(t, &j.bidA)
	s.must(http.StatusCreated, "vendorB", "POST", "/api/v1/solicitations/"+j.sol.ID+"/bids", map[string]any{
		"candidates": []json.RawMessage{exampleManifest(t, "granite-3.1-8b-instruct.json", func(m map[string]any) {
			m["name"] = "northwind-research-7b"
			m["weights"].(map[string]any)["license"] = "LicenseRef-Northwind-Research-Only"
		})},
	}).decode(t, &j.bidB)
	j.candA, j.candB = j.bidA.Candidates[0].ID, j.bidB.Candidates[0].ID

	j.approvalTask = s.openTask("reviewer1", j.candA, domain.TaskComplianceApproval)
	s.must(http.StatusOK, "reviewer1", "POST", "/api/v1/tasks/"+j.approvalTask.ID+"/decision", map[string]any{
		"verdict": "approve", "reason_code": "meets-requirements", "comment": "evidence complete", "findings_hash": j.approvalTask.FindingsHash})
	s.outcome("officer", j.bidA.ID, domain.OutcomeQualified)
	licTask := s.openTask("reviewer2", j.candB, domain.TaskLicenseResolution)
	s.must(http.StatusOK, "reviewer2", "POST", "/api/v1/tasks/"+licTask.ID+"/decision", map[string]any{
		"verdict": "reject", "reason_code": "license-incompatible", "comment": "research-only terms forbid production use"})
	s.outcome("officer", j.bidB.ID, domain.OutcomeDisqualified)
	j.award = s.awardTo(j.sol.ID, j.candA, "reviewer1")
	s.addUser("auditor", domain.RoleAuditor, "Department of Digital Services", "agency")
	return j
}

// replayCLI runs `modeltender audit replay --json ID` against the stack's
// database and returns the replay and the exit code.
func (s *stack) replayCLI(id string) (auditlog.Replay, int) {
	s.t.Helper()
	env := map[string]string{"DATABASE_URL": s.app.Config.DatabaseURL}
	var out, errOut bytes.Buffer
	err := auditlog.Run(context.Background(), []string{"replay", id, "--json"}, func(k string) string { return env[k] }, &out, &errOut)
	code := 0
	var exit *auditlog.ExitError
	if errors.As(err, &exit) {
		code = exit.Code
	} else if err != nil {
		s.t.Fatalf("audit replay %s: %v", id, err)
	}
	var r auditlog.Replay
	if out.Len() > 0 {
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			s.t.Fatalf("audit replay %s printed %s: %v", id, out.Bytes(), err)
		}
	}
	return r, code
}

// The journey's provenance: the award pins what was evaluated and the
// notice publishes it with the audit chain's head; deliveries are checked
// against the pin; every decision of the journey replays to the same
// decision through the command line and the API, while a record edited
// behind the application's back replays to a difference and an unknown
// decision is unreadable.
func TestProvenanceJourney(t *testing.T) {
	t.Parallel()
	j := runProvenanceJourney(t)
	s := j.s
	j.checkPinsAndNotice(t)
	j.checkDelivery(t)
	j.checkChangeNotice(t)

	// Every evaluation of the solicitation, by candidate id and by a task id.
	ids := []string{j.candA, j.candB, j.approvalTask.ID}
	for _, id := range ids {
		r, code := s.replayCLI(id)
		if code != 0 || !r.Same || r.PolicyRevision != j.sol.PolicyRevision {
			t.Fatalf("replay of %s: exit %d, %+v", id, code, r)
		}
		var api auditlog.Replay
		s.must(http.StatusOK, "auditor", "GET", "/api/v1/evaluations/"+id+"/replay", nil).decode(t, &api)
		if !api.Same || api.CandidateID != r.CandidateID || api.Replayed.String() != r.Replayed.String() {
			t.Fatalf("API replay of %s: %+v, CLI %+v", id, api, r)
		}
	}
	rA, _ := s.replayCLI(j.candA)
	if rA.Recorded.Outcome != domain.OutcomeQualified || rA.Replayed.Stages[domain.StagePolicy] != domain.StagePassed || rA.HumanDecisions[domain.StageApproval] == nil {
		t.Fatalf("replay of A: %+v", rA)
	}
	rB, _ := s.replayCLI(j.candB)
	if rB.Recorded.Outcome != domain.OutcomeDisqualified || rB.Replayed.Stages[domain.StageLicense] != "review" || rB.Recorded.Stages[domain.StageLicense] != domain.StageFailed {
		t.Fatalf("replay of B: %+v", rB)
	}
	s.must(http.StatusForbidden, "vendorA", "GET", "/api/v1/evaluations/"+j.candA+"/replay", nil)
	s.must(http.StatusNotFound, "auditor", "GET", "/api/v1/evaluations/cnd_unknown/replay", nil)
	if _, code := s.replayCLI("cnd_unknown"); code != 2 {
		t.Fatalf("replay of an unknown decision exited %d, want 2", code)
	}

	// Edit A's recorded policy score and drop B's license findings with SQL.
	ctx := context.Background()
	db, err := pgx.Connect(ctx, s.app.Config.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	if _, err := db.Exec(ctx, `UPDATE evaluation_stages SET detail = jsonb_set(detail, '{score}', '99')
		WHERE candidate_id = $1 AND stage = 'policy'`, j.candA); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `UPDATE evaluation_stages SET findings = '[]' WHERE candidate_id = $1 AND stage = 'license'`, j.candB); err != nil {
		t.Fatal(err)
	}
	rA, code := s.replayCLI(j.candA)
	if code != 1 || rA.Same || !strings.Contains(strings.Join(rA.Differences, "\n"), "policy: score recorded 99") {
		t.Fatalf("replay of edited A: exit %d, %+v", code, rA)
	}
	rB, code = s.replayCLI(j.candB)
	if code != 1 || !strings.Contains(strings.Join(rB.Differences, "\n"), "license: finding replayed but not recorded") {
		t.Fatalf("replay of edited B: exit %d, %+v", code, rB)
	}
	var api auditlog.Replay
	s.must(http.StatusOK, "auditor", "GET", "/api/v1/evaluations/"+j.candB+"/replay", nil).decode(t, &api)
	if api.Same || len(api.Differences) != len(rB.Differences) {
		t.Fatalf("API replay of edited B: %+v", api)
	}
}

// The award pins the evaluated manifest and its files, the API shows the
// pin, and the published notice carries it and the audit chain's head,
// which `audit verify --head` then checks against the record.
func (j provenanceJourney) checkPinsAndNotice(t *testing.T) {
	s := j.s
	var awards struct{ Awards []domain.Award }
	s.eventually("the award to stand", time.Minute, func() bool {
		s.must(http.StatusOK, "officer", "GET", "/api/v1/solicitations/"+j.sol.ID+"/awards", nil).decode(t, &awards)
		return len(awards.Awards) == 1 && awards.Awards[0].Status == domain.AwardAwarded
	})
	pin := awards.Awards[0].Pin
	cand, err := s.store.Candidate(context.Background(), j.candA)
	if err != nil {
		t.Fatal(err)
	}
	if pin == nil || pin.ManifestHash != cand.ManifestHash || len(pin.Files) != len(cand.Manifest.Weights.Files) || pin.Files["signme-1"] == "" {
		t.Fatalf("award pin %+v, candidate manifest %s", pin, cand.ManifestHash)
	}
	var pkg struct {
		Releases []struct {
			Tag    []string
			Tender struct {
				Documents []struct{ ID, Title, Description string }
			}
			Awards []struct {
				Documents []struct{ ID, DocumentType, Description string }
			}
		}
	}
	s.eventually("the award notice", time.Minute, func() bool {
		r := s.do("", "GET", "/api/v1/solicitations/"+j.sol.ID+"/ocds", nil)
		if r.status != http.StatusOK {
			return false
		}
		r.decode(t, &pkg)
		return pkg.Releases[0].Tag[0] == "award"
	})
	s.validNotice(j.sol.ID, j.candA)
	rel := pkg.Releases[0]
	if len(rel.Awards) != 1 || len(rel.Awards[0].Documents) != 1 || !strings.Contains(rel.Awards[0].Documents[0].Description, pin.ManifestHash) {
		t.Fatalf("award documents: %+v", rel.Awards)
	}
	var head string
	for _, d := range rel.Tender.Documents {
		if d.ID == "audit-chain-head" {
			_, head, _ = strings.Cut(d.Description, "--head ")
		}
	}
	if head == "" {
		t.Fatalf("the notice publishes no chain head: %+v", rel.Tender.Documents)
	}
	env := map[string]string{"DATABASE_URL": s.app.Config.DatabaseURL}
	var out bytes.Buffer
	if err := auditlog.Run(context.Background(), []string{"verify", "--solicitation", j.sol.ID, "--head", head}, func(k string) string { return env[k] }, &out, &out); err != nil {
		t.Fatalf("audit verify with the published head %s: %v\n%s", head, err, out.String())
	}
}

// A delivery is checked against the award through the API and the command
// line: the signed fixture model with its model.sig matches; a changed file
// opens the officer's task and audits delivery.mismatch, and the next
// matching delivery closes it.
func (j provenanceJourney) checkDelivery(t *testing.T) {
	s := j.s
	ctx := context.Background()
	files, err := artifact.DigestDir(ctx, signedModel, []string{"model.sig"})
	if err != nil {
		t.Fatal(err)
	}
	sig, err := os.ReadFile(signedModel + "/model.sig")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := os.ReadFile(signedModel + "/../keys/signing-key-pub.pem")
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/awards/" + j.award.ID + "/delivery"
	var res tender.DeliveryResult

	changed := maps.Clone(files)
	changed["signme-1"] = strings.Repeat("0", 64)
	changed["extra.bin"] = strings.Repeat("1", 64)
	s.must(http.StatusOK, "officer", "POST", path, map[string]any{"files": changed}).decode(t, &res)
	if res.Matches || res.TaskID == "" || len(res.Delivery.Changed) != 1 || res.Delivery.Extra[0] != "extra.bin" {
		t.Fatalf("mismatched delivery: %+v", res)
	}
	var inbox struct{ Tasks []domain.Task }
	s.must(http.StatusOK, "officer", "GET", "/api/v1/tasks", nil).decode(t, &inbox)
	if !slices.ContainsFunc(inbox.Tasks, func(tk domain.Task) bool { return tk.ID == res.TaskID && len(tk.Findings) == 2 }) {
		t.Fatalf("the officer's tasks lack %s: %+v", res.TaskID, inbox.Tasks)
	}
	task := res.TaskID

	res = tender.DeliveryResult{}
	s.must(http.StatusOK, "officer", "POST", path, map[string]any{"files": files, "signature": json.RawMessage(sig), "public_key": string(pub)}).decode(t, &res)
	if !res.Matches || res.Signature == nil || !res.Signature.Verified || res.TaskID != "" {
		t.Fatalf("the awarded delivery, signed: %+v", res)
	}
	if tk, err := s.store.Task(ctx, task); err != nil || tk.Status != domain.TaskDecided {
		t.Fatalf("the mismatch task after a matching delivery: %+v, %v", tk, err)
	}
	// A signature the vendor's key did not make is a mismatch even over the right files.
	other := s.do("officer", "POST", path, map[string]any{"files": files, "signature": json.RawMessage(sig),
		"certificate_chain": string(must(os.ReadFile(signedModel + "/../keys/ca-cert.pem")))})
	res = tender.DeliveryResult{}
	other.decode(t, &res)
	if other.status != http.StatusOK || res.Matches || !strings.Contains(strings.Join(res.Problems(), "\n"), "signature: signature not trusted") {
		t.Fatalf("a delivery under the wrong trust: %d %s", other.status, other.body)
	}
	s.must(http.StatusForbidden, "vendorA", "POST", path, map[string]any{"files": files})
	s.must(http.StatusUnprocessableEntity, "officer", "POST", path, map[string]any{"files": map[string]string{"a": "not-hex"}})
	s.must(http.StatusUnprocessableEntity, "officer", "POST", path, map[string]any{"files": files, "signature": map[string]any{"not": "a bundle"}, "public_key": string(pub)})

	var trail struct{ Events []store.AuditEvent }
	s.must(http.StatusOK, "auditor", "GET", "/api/v1/solicitations/"+j.sol.ID+"/audit", nil).decode(t, &trail)
	var actions []string
	for _, e := range trail.Events {
		if strings.HasPrefix(e.Action, "delivery.") {
			actions = append(actions, e.Action)
		}
	}
	if strings.Join(actions, ",") != "delivery.mismatch,delivery.verified,delivery.mismatch" {
		t.Fatalf("delivery audit events: %v", actions)
	}

	// The command line reads the pin from the database.
	pins := func(ctx context.Context, id string) (domain.AwardPin, error) {
		a, err := s.store.Award(ctx, id)
		if err != nil || a.Pin == nil {
			return domain.AwardPin{}, fmt.Errorf("award %s: %v", id, err)
		}
		return *a.Pin, nil
	}
	var out bytes.Buffer
	if err := artifact.Run(ctx, []string{"verify", "--award", j.award.ID, signedModel}, pins, &out, &out); err != nil {
		t.Fatalf("artifact verify --award on the awarded model: %v\n%s", err, out.String())
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// The awarded vendor's notice of a changed model is audited with its
// differences from the pin and re-checks the model at once under the frozen
// revision, asking a reviewer to re-attest it.
func (j provenanceJourney) checkChangeNotice(t *testing.T) {
	s := j.s
	files, err := artifact.DigestDir(context.Background(), signedModel, []string{"model.sig"})
	if err != nil {
		t.Fatal(err)
	}
	files["signme-1"] = strings.Repeat("2", 64)
	path := "/api/v1/awards/" + j.award.ID + "/notices"
	body := map[string]any{"version": "3.1.1", "files": files, "description": "re-quantised to fp8"}
	s.must(http.StatusForbidden, "officer", "POST", path, body)
	s.must(http.StatusNotFound, "vendorB", "POST", path, body)
	var notice contract.ChangeNotice
	s.must(http.StatusAccepted, "vendorA", "POST", path, body).decode(t, &notice)
	if notice.ID == "" || len(notice.Differences) != 1 || !strings.HasPrefix(notice.Differences[0], "changed: signme-1") {
		t.Fatalf("notice: %+v", notice)
	}
	task := s.openTaskTitled("reviewer1", notice.ID)
	if task.CandidateID != j.candA {
		t.Fatalf("re-attestation task: %+v", task)
	}
	var trail struct{ Events []store.AuditEvent }
	s.must(http.StatusOK, "auditor", "GET", "/api/v1/solicitations/"+j.sol.ID+"/audit", nil).decode(t, &trail)
	notified, rechecked := false, false
	for _, e := range trail.Events {
		notified = notified || (e.Action == "award.change-notified" && e.Detail["notice_id"] == notice.ID)
		rechecked = rechecked || (e.Action == "monitoring.rechecked" && e.Detail["policy_revision"] == j.sol.PolicyRevision)
	}
	if !notified || !rechecked {
		t.Fatalf("audit trail: notified %t, re-checked under the frozen revision %t", notified, rechecked)
	}

	// Once the change is re-attested, the agency reports a violating output
	// (OMB M-26-04): only its officer may, and a review task carrying the
	// report opens on the awarded model.
	s.must(http.StatusOK, "reviewer1", "POST", "/api/v1/tasks/"+task.ID+"/decision",
		map[string]any{"verdict": "approve", "reason_code": "meets-requirements"})
	reports := "/api/v1/awards/" + j.award.ID + "/reports"
	report := map[string]any{"description": "asked for a summary of a benefits rule, it answered with a partisan opinion"}
	s.must(http.StatusForbidden, "vendorA", "POST", reports, report)
	s.must(http.StatusUnprocessableEntity, "officer", "POST", reports, map[string]any{"description": " "})
	var filed contract.ChangeNotice
	s.must(http.StatusAccepted, "officer", "POST", reports, report).decode(t, &filed)
	review := s.openTaskTitled("reviewer1", filed.ID)
	if review.CandidateID != j.candA || !strings.Contains(review.Title, "partisan opinion") {
		t.Fatalf("review of the reported output: %+v", review)
	}
	s.must(http.StatusOK, "auditor", "GET", "/api/v1/solicitations/"+j.sol.ID+"/audit", nil).decode(t, &trail)
	if !slices.ContainsFunc(trail.Events, func(e store.AuditEvent) bool {
		return e.Action == "award.output-reported" && e.Detail["report_id"] == filed.ID
	}) {
		t.Fatal("the report is not on the audit trail")
	}
}

// openTaskTitled waits for an open task whose title names what.
func (s *stack) openTaskTitled(as, what string) domain.Task {
	s.t.Helper()
	var found domain.Task
	s.eventually("a task naming "+what, time.Minute, func() bool {
		var inbox struct{ Tasks []domain.Task }
		s.must(http.StatusOK, as, "GET", "/api/v1/tasks", nil).decode(s.t, &inbox)
		for _, t := range inbox.Tasks {
			if strings.Contains(t.Title, what) {
				found = t
				return true
			}
		}
		return false
	})
	return found
}
