package ocds

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

var (
	recommendedAt   = time.Date(2026, 4, 15, 9, 0, 0, 0, time.UTC)
	standstillUntil = time.Date(2026, 4, 25, 9, 0, 0, 0, time.UTC)
	protestedAt     = time.Date(2026, 4, 17, 14, 0, 0, 0, time.UTC)
	protestDecided  = time.Date(2026, 4, 22, 16, 0, 0, 0, time.UTC)
)

// pendingAward is the officer's recommendation of bid_a, before it stands.
func pendingAward(n Notice, status domain.SolicitationStatus, until *time.Time) Notice {
	n.Solicitation.Status = status
	n.PublishedAt = recommendedAt
	n.Awards[0].Status, n.Awards[0].Date, n.Awards[0].StandstillUntil = "pending", recommendedAt, until
	return n
}

func protested(n Notice, outcome string) Notice {
	p := Protest{ID: "prt_1", AwardID: "awd_1", Vendor: vendorB, FiledAt: protestedAt, Outcome: outcome}
	if outcome != "" {
		p.Decision, p.DecidedAt = "The evaluation followed the published criteria.", &protestDecided
	}
	n.Protests = []Protest{p}
	n.PublishedAt = protestedAt
	if outcome != "" {
		n.PublishedAt = protestDecided
	}
	return n
}

// Every state a solicitation publishes a notice in validates against the
// release package schema with the declared extensions (and against core),
// and discloses what that state may disclose and no more.
func TestEveryPublishedStateValidates(t *testing.T) {
	cancelledAfterClose := awardedTender()
	cancelledAfterClose.Solicitation.Status = domain.SolicitationCancelled
	cancelledAfterClose.Awards = nil
	evaluating := awardedTender()
	evaluating.Solicitation.Status, evaluating.Awards = domain.SolicitationEvaluating, nil

	for _, tc := range []struct {
		name                   string
		n                      Notice
		bids, responses        bool
		complaints             int
		tenderStatus, complain string
	}{
		{name: "tender", n: publishedTender(), tenderStatus: "active"},
		{name: "evaluating", n: evaluating, bids: true, tenderStatus: "active"},
		{name: "award pending", n: pendingAward(awardedTender(), domain.SolicitationAwardPending, nil), bids: true, tenderStatus: "active"},
		{name: "standstill", n: pendingAward(awardedTender(), domain.SolicitationStandstill, &standstillUntil), bids: true, tenderStatus: "active"},
		{name: "protest", n: protested(pendingAward(awardedTender(), domain.SolicitationStandstill, &standstillUntil), ""),
			bids: true, complaints: 1, tenderStatus: "active", complain: "claim"},
		{name: "protest dismissed", n: protested(pendingAward(awardedTender(), domain.SolicitationStandstill, &standstillUntil), domain.ProtestDismissed),
			bids: true, complaints: 1, tenderStatus: "active", complain: "declined"},
		{name: "awarded", n: protested(awardedTender(), domain.ProtestDismissed), bids: true, responses: true, complaints: 1,
			tenderStatus: "complete", complain: "declined"},
		{name: "cancelled before close", n: cancelledTender(), tenderStatus: "cancelled"},
		{name: "cancelled after close", n: cancelledAfterClose, bids: true, tenderStatus: "cancelled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, r := buildValid(t, tc.n)
			if r.Tender.Status != tc.tenderStatus {
				t.Errorf("tender status %q, want %q", r.Tender.Status, tc.tenderStatus)
			}
			if (r.Bids != nil) != tc.bids {
				t.Errorf("bids disclosed: %v, want %v", r.Bids != nil, tc.bids)
			}
			responses := 0
			if r.Bids != nil {
				for _, b := range r.Bids.Details {
					responses += len(b.RequirementResponses)
				}
			}
			if (responses > 0) != tc.responses {
				t.Errorf("%d requirement responses published; want some: %v", responses, tc.responses)
			}
			complaints := 0
			for _, a := range r.Awards {
				complaints += len(a.Complaints)
				for _, c := range a.Complaints {
					if c.Status != tc.complain {
						t.Errorf("complaint status %q, want %q", c.Status, tc.complain)
					}
				}
			}
			if complaints != tc.complaints {
				t.Errorf("%d complaints, want %d", complaints, tc.complaints)
			}
			if len(r.Tender.Criteria) != 5 || len(r.Tender.Lots) != 1 || len(r.Tender.Documents) != 1 {
				t.Errorf("criteria %d, lots %d, documents %d: the rules are published in every state",
					len(r.Tender.Criteria), len(r.Tender.Lots), len(r.Tender.Documents))
			}
		})
	}
}

func TestRequirementsAndAwardCriteria(t *testing.T) {
	pkg, r := buildValid(t, publishedTender())
	if !reflect.DeepEqual(pkg.Extensions, extensionURLs()) || len(pkg.Extensions) != 5 {
		t.Errorf("extensions = %v", pkg.Extensions)
	}
	var ids []string
	for _, req := range requirements(r.Tender.Criteria) {
		ids = append(ids, req.ID)
		switch req.ID {
		case RequirementOpennessClass:
			if req.DataType != "integer" || req.MaxValue == nil || *req.MaxValue != 2 {
				t.Errorf("openness requirement = %+v, want an integer at most 2 (class II)", req)
			}
		case EvidenceRequirementID("red-team-report"):
			if req.Period == nil || req.Period.StartDate != "2025-04-01T17:00:00Z" || req.Period.EndDate != "2026-04-01T17:00:00Z" {
				t.Errorf("red-team report period = %+v, want the 12 months before the deadline", req.Period)
			}
		case EvidenceRequirementID("model-card"):
			if req.Period != nil || req.ExpectedValue != true {
				t.Errorf("model card requirement = %+v", req)
			}
		}
	}
	want := []string{"license-permits-use", "openness-class", "evidence-model-card", "evidence-red-team-report",
		"pack-omb-m-25-22-term-no-training-on-government-data", "pack-omb-m-25-22-term-government-data-rights",
		"pack-omb-m-25-22-term-testing-and-monitoring-access", "pack-omb-m-25-22-term-vendor-lock-in-protections",
		"pack-omb-m-25-22-term-ai-use-in-performance-disclosed",
		"pack-omb-m-26-04-evidence-acceptable-use-policy", "pack-omb-m-26-04-evidence-model-card",
		"pack-omb-m-26-04-evidence-end-user-resources", "pack-omb-m-26-04-evidence-feedback-mechanism",
		"pack-omb-m-26-04-term-unbiased-ai-principles-accepted", "pack-omb-m-26-04-term-noncompliance-corrective-action"}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("requirements %v, want %v", ids, want)
	}
	if !strings.Contains(r.Tender.Criteria[0].Description, "2500 expected monthly users") {
		t.Errorf("the license criterion does not state the expected users: %s", r.Tender.Criteria[0].Description)
	}

	sum := 0.0
	var names []string
	for _, c := range r.Tender.Lots[0].AwardCriteria.Criteria {
		names = append(names, c.Type+":"+c.Name)
		sum += c.Numbers[0].Number
	}
	if math.Abs(sum-1) > 1e-9 || !reflect.DeepEqual(names, []string{"quality:Openness", "quality:Safety", "price:Price", "quality:Fit"}) {
		t.Errorf("award criteria %v sum to %v, want the four weights summing to 1", names, sum)
	}
	if r.Tender.AwardCriteria != "ratedCriteria" || !strings.Contains(r.Tender.AwardCriteriaDetails, "openness 40%, safety 30%, price 20%, fit 10%") {
		t.Errorf("award criteria %q: %q", r.Tender.AwardCriteria, r.Tender.AwardCriteriaDetails)
	}
	if d := r.Tender.Documents[0]; d.DocumentType != "evaluationCriteria" || !strings.Contains(d.Title, "sha256:8c1f0e3a") {
		t.Errorf("policy revision document = %+v", d)
	}

	// Zero values publish what the solicitation has: the default weights,
	// no openness or evidence criterion, no policy document.
	n := publishedTender()
	n.Solicitation.Weights, n.Solicitation.MinimumOpennessClass, n.Solicitation.PolicyRevision = domain.ScoringWeights{}, "", ""
	n.RequiredEvidence, n.Packs = nil, nil
	_, r = buildValid(t, n)
	if len(r.Tender.Criteria) != 1 || r.Tender.Documents != nil || len(r.Tender.Lots[0].AwardCriteria.Criteria) != 3 {
		t.Errorf("criteria %+v documents %+v award criteria %+v", r.Tender.Criteria, r.Tender.Documents, r.Tender.Lots[0].AwardCriteria)
	}
}

func TestResponsesAndComplaints(t *testing.T) {
	_, r := buildValid(t, protested(awardedTender(), domain.ProtestUpheld))
	a := r.Bids.Details[0].RequirementResponses
	if len(a) != 15 || a[1].ID != "bid_a-openness-class" || a[1].Value != 2 || a[1].Requirement.ID != RequirementOpennessClass {
		t.Errorf("responses of bid_a = %+v", a)
	}
	if b := r.Bids.Details[1].RequirementResponses; len(b) != 13 || b[0].Value != false {
		t.Errorf("responses of bid_b = %+v", b)
	}
	c := r.Awards[0].Complaints
	want := []ReleaseComplaint{{ID: "prt_1", Type: "claim", Status: "resolved", Title: "Protest of award awd_1", Author: vendorB,
		Date: "2026-04-17T14:00:00Z", DateSubmitted: "2026-04-17T14:00:00Z", ResolutionType: "resolved",
		Resolution: "The evaluation followed the published criteria.", DateAnswered: "2026-04-22T16:00:00Z"}}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("complaints = %+v", c)
	}

	_, r = buildValid(t, protested(pendingAward(awardedTender(), domain.SolicitationStandstill, &standstillUntil), ""))
	if p := r.Awards[0].ComplaintPeriod; p == nil || p.EndDate != "2026-04-25T09:00:00Z" {
		t.Errorf("complaint period = %+v, want the standstill", p)
	}
	if c := r.Awards[0].Complaints[0]; c.Status != "claim" || c.Resolution != "" || c.DateAnswered != "" {
		t.Errorf("undecided protest = %+v", c)
	}
}

func TestBuildRejectsBadRequirementsAndProtests(t *testing.T) {
	for name, edit := range map[string]func(*Notice){
		"unknown requirement": func(n *Notice) {
			n.Bids[0].Responses = append(n.Bids[0].Responses, RequirementResponse{"evidence-horoscope", true})
		},
		"answered twice": func(n *Notice) {
			n.Bids[1].Responses = append(n.Bids[1].Responses, RequirementResponse{RequirementLicense, true})
		},
		"evidence not published": func(n *Notice) { n.RequiredEvidence = nil },
		"unknown class":          func(n *Notice) { n.Solicitation.MinimumOpennessClass = "IV" },
		"protest of no award":    func(n *Notice) { n.Protests[0].AwardID = "awd_x" },
		"protest by a stranger":  func(n *Notice) { n.Protests[0].Vendor = Organisation{ID: "org_x", Name: "X"} },
		"undated protest":        func(n *Notice) { n.Protests[0].FiledAt = time.Time{} },
		"unknown outcome":        func(n *Notice) { n.Protests[0].Outcome = "withdrawn" },
		"decided in silence":     func(n *Notice) { n.Protests[0].Decision = "" },
		"wrong response type":    func(n *Notice) { n.Bids[0].Responses[0].Value = []string{"yes"} },
	} {
		t.Run(name, func(t *testing.T) {
			n := protested(awardedTender(), domain.ProtestDismissed)
			edit(&n)
			if _, err := Build(n); domain.KindOf(err) != domain.ErrInvalid {
				t.Errorf("Build = %v, want an invalid error", err)
			}
		})
	}
}

// The extension schemas are enforced: closed codelists and shapes they add.
func TestValidateEnforcesTheExtensions(t *testing.T) {
	pkg, err := Build(protested(awardedTender(), domain.ProtestDismissed))
	if err != nil {
		t.Fatal(err)
	}
	r := &pkg.Releases[0]
	r.Awards[0].Complaints[0].Status = "upheld"                            // complaintStatus is closed
	r.Tender.Lots[0].AwardCriteria.Criteria[0].Numbers[0].Weight = "share" // criterionWeight is closed
	r.Tender.Criteria[0].RequirementGroups[0].Requirements[0].DataType = "text"
	doc, err := json.Marshal(pkg)
	if err != nil {
		t.Fatal(err)
	}
	err = Validate(doc)
	for _, path := range []string{"/releases/0/awards/0/complaints/0/status", "/releases/0/tender/lots/0/awardCriteria/criteria/0/numbers/0/weight",
		"/releases/0/tender/criteria/0/requirementGroups/0/requirements/0/dataType"} {
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("error does not name %s: %v", path, err)
		}
	}
}

// Each declared extension is vendored, compatible with OCDS 1.1, and every
// vendored extension is declared.
func TestDeclaredExtensionsAreVendored(t *testing.T) {
	declared := map[string]bool{}
	for _, u := range extensionURLs() {
		parts := strings.Split(strings.TrimPrefix(u, "https://raw.githubusercontent.com/"), "/")
		if len(parts) != 4 || parts[3] != "extension.json" {
			t.Errorf("%s is not a raw extension.json URL", u)
			continue
		}
		dir := parts[1]
		declared[dir] = true
		b, err := os.ReadFile(filepath.Join("schema", dir, "extension.json"))
		if err != nil {
			t.Errorf("%s is declared but not vendored: %v", u, err)
			continue
		}
		var meta struct {
			Compatibility []string `json:"compatibility"`
		}
		if err := json.Unmarshal(b, &meta); err != nil || !slicesContains(meta.Compatibility, "1.1") {
			t.Errorf("%s: compatibility %v (%v), want 1.1", dir, meta.Compatibility, err)
		}
	}
	dirs, err := filepath.Glob(filepath.Join("schema", "ocds_*_extension"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !declared[filepath.Base(d)] {
			t.Errorf("%s is vendored but not declared", d)
		}
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
