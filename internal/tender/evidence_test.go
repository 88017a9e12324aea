package tender

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

func fileWithEvidence(format, content string, evidence []domain.EvidenceItem) json.RawMessage {
	raw, _ := json.Marshal(map[string]any{"format": format, "content": content, "evidence": evidence})
	return raw
}

// Evidence sent beside a file in any format joins the manifest the checks
// read; entries without it read as before.
func TestParseBidAddsEvidenceBesideAnyFormat(t *testing.T) {
	redTeam := domain.EvidenceItem{Kind: "red-team-report", Title: "External red team", Date: "2026-10-01",
		Location: "https://example.test/red-team.pdf", Scope: "English and Spanish prompts"}
	parsed, err := ParseBid(BidSubmission{Candidates: []json.RawMessage{
		fileWithEvidence("mof", mofCandidate, []domain.EvidenceItem{redTeam}),
		fileWithEvidence("cyclonedx", cycloneDXCandidate, []domain.EvidenceItem{redTeam}),
		file("mof", mofCandidate),
	}})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range parsed[:2] {
		if !slices.Contains(c.Manifest.Evidence, redTeam) {
			t.Errorf("candidate %d (%s) lacks the evidence sent beside it: %+v", i, c.Format, c.Manifest.Evidence)
		}
	}
	if slices.Contains(parsed[2].Manifest.Evidence, redTeam) {
		t.Errorf("a candidate without evidence beside it got some: %+v", parsed[2].Manifest.Evidence)
	}
}

// Every problem of every evidence item is named at its own path.
func TestParseBidNamesEveryEvidenceProblem(t *testing.T) {
	_, err := ParseBid(BidSubmission{Candidates: []json.RawMessage{
		file("mof", mofCandidate),
		fileWithEvidence("mof", mofCandidate, []domain.EvidenceItem{
			{Kind: "red-team-report", Location: "https://example.test/rt.pdf"},
			{Kind: "horoscope", Date: "1 October 2026"},
		}),
	}})
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.ErrInvalid {
		t.Fatalf("want an invalid-input error, got %v", err)
	}
	var got []string
	for _, f := range de.Fields {
		got = append(got, f.Field)
	}
	want := []string{"candidates[1].evidence[1].kind", "candidates[1].evidence[1].date", "candidates[1].evidence[1].location"}
	if !slices.Equal(got, want) {
		t.Fatalf("field errors at %v, want %v: %+v", got, want, de.Fields)
	}
}

// An unknown member beside the file is refused, not ignored.
func TestParseBidRefusesUnknownEvidenceMembers(t *testing.T) {
	raw := json.RawMessage(`{"format": "mof", "content": "x", "evidence": [{"kind": "model-card", "location": "x", "url": "y"}]}`)
	if _, err := ParseBid(BidSubmission{Candidates: []json.RawMessage{raw}}); err == nil {
		t.Fatal("an evidence item with an unknown member was accepted")
	}
}
