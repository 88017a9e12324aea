package tender

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/manifest"
)

// Evidence beside a description: a vendor whose candidate is described in
// a format with no place for safety evidence (a Model Openness Tool file,
// a model card, an ML-BOM, an SPDX 3 document) sends the evidence items
// next to the file, in the candidate entry's "evidence" member. The file is
// read as it is; the items join the manifest the checks read, so nothing
// in the vendor's own file is rewritten.

// Limits of one evidence item, as the manifest schema sets them.
const (
	maxEvidenceItems    = 100
	maxEvidenceTitle    = 500
	maxEvidenceLocation = 2000
	maxEvidenceScope    = 2000
	maxEvidenceSummary  = 4000
)

// checkEvidence names every problem of the evidence items sent beside a
// candidate, under path (e.g. candidates[0].evidence).
func checkEvidence(items []domain.EvidenceItem, path string) []domain.FieldError {
	var errs []domain.FieldError
	if len(items) > maxEvidenceItems {
		return []domain.FieldError{{Field: path, Message: fmt.Sprintf("has %d items; send at most %d", len(items), maxEvidenceItems)}}
	}
	for i, e := range items {
		at := fmt.Sprintf("%s[%d]", path, i)
		if !slices.Contains(domain.EvidenceKinds, e.Kind) {
			errs = append(errs, domain.FieldError{Field: at + ".kind", Message: fmt.Sprintf("%q is not a kind of evidence the policies know: use one of %s", e.Kind, strings.Join(domain.EvidenceKinds, ", "))})
		}
		if e.Date != "" {
			if _, err := time.Parse(time.DateOnly, e.Date); err != nil {
				errs = append(errs, domain.FieldError{Field: at + ".date", Message: fmt.Sprintf("%q is not a date: write the day the evidence was produced as YYYY-MM-DD", e.Date)})
			}
		}
		if strings.TrimSpace(e.Location) == "" {
			errs = append(errs, domain.FieldError{Field: at + ".location", Message: "is required: give the URL or the bid document (and section) where the agency can read this evidence"})
		}
		for _, f := range []struct {
			name, value string
			max         int
		}{{"title", e.Title, maxEvidenceTitle}, {"location", e.Location, maxEvidenceLocation}, {"scope", e.Scope, maxEvidenceScope}, {"summary", e.Summary, maxEvidenceSummary}} {
			if n := utf8.RuneCountInString(f.value); n > f.max {
				errs = append(errs, domain.FieldError{Field: at + "." + f.name, Message: fmt.Sprintf("is %d characters long; keep it to %d", n, f.max)})
			}
		}
	}
	return errs
}

// withEvidence adds the items sent beside a file to each candidate read
// from it (an SPDX 3 document may describe several models; the items are
// about the file's models alike).
func withEvidence(cs []manifest.Candidate, items []domain.EvidenceItem) []manifest.Candidate {
	if len(items) == 0 {
		return cs
	}
	for i := range cs {
		cs[i].Manifest.Evidence = append(slices.Clone(cs[i].Manifest.Evidence), items...)
	}
	return cs
}

// EvidencePage is the page on which a vendor adds evidence to one
// candidate of its bid: what the candidate already cites, and what its
// pre-check says is missing or out of date for the tier and its packs.
type EvidencePage struct {
	BidID, SolicitationID, SolicitationTitle string
	Candidate                                domain.Candidate
	Current                                  []domain.EvidenceItem
	Missing                                  []MissingEvidence
	Kinds                                    []string // every kind the policies know, for the form
	CanChange                                bool     // before the deadline
	Deadline                                 time.Time
}

// MissingEvidence is a kind of evidence the pre-check asks for, with why
// and how to fix it.
type MissingEvidence struct {
	Kind, Problem, Fix, Source string
}

// Evidence gathers the evidence page of a candidate of the vendor's own bid.
func (s *Service) Evidence(ctx context.Context, u domain.User, bidID, candidateID string) (EvidencePage, error) {
	b, err := s.OwnBid(ctx, u, bidID)
	if err != nil {
		return EvidencePage{}, err
	}
	i := slices.IndexFunc(b.Candidates, func(c domain.Candidate) bool { return c.ID == candidateID })
	if i < 0 {
		return EvidencePage{}, domain.Errorf(domain.ErrNotFound, "candidate %s is not in your bid's current revision: open the bid page and choose a candidate there", candidateID)
	}
	sol, err := s.Store.Solicitation(ctx, b.SolicitationID)
	if err != nil {
		return EvidencePage{}, err
	}
	v := EvidencePage{BidID: b.ID, SolicitationID: sol.ID, SolicitationTitle: sol.Title, Candidate: b.Candidates[i],
		Current: b.Candidates[i].Manifest.Evidence, Kinds: domain.EvidenceKinds, Deadline: sol.Deadline,
		CanChange: sol.Status.AcceptsBids() && s.now().Before(sol.Deadline) && b.Status != domain.BidWithdrawn}
	checks, err := s.Store.Prechecks(ctx, b.ID)
	if err != nil {
		return v, err
	}
	for _, pc := range checks {
		if pc.CandidateID == candidateID {
			v.Missing = missingEvidence(pc)
		}
	}
	return v, nil
}

// missingEvidence is what a pre-check says a candidate lacks in evidence:
// the policies' missing and expired findings, one per kind.
func missingEvidence(pc domain.Precheck) []MissingEvidence {
	var out []MissingEvidence
	for _, f := range pc.Findings {
		if f.Rule != "safety.evidence-missing" && f.Rule != "safety.evidence-expired" {
			continue
		}
		kind := f.Evidence.Component
		if kind == "" || slices.ContainsFunc(out, func(m MissingEvidence) bool { return m.Kind == kind }) {
			continue
		}
		out = append(out, MissingEvidence{Kind: kind, Problem: f.Message, Fix: f.Fix, Source: f.Source})
	}
	return out
}

// AddEvidence revises the vendor's bid with evidence items beside one
// candidate: every current candidate is kept as it was read (its manifest
// and what intake found in its file), the chosen one with the items added,
// at the same price; the revision is pre-checked as any other.
func (s *Service) AddEvidence(ctx context.Context, u domain.User, bidID, candidateID string, items []domain.EvidenceItem) (SubmittedBid, error) {
	if err := s.Authorize(ctx, u, "bid:submit"); err != nil {
		return SubmittedBid{}, err
	}
	if len(items) == 0 {
		return SubmittedBid{}, domain.InvalidFields("no evidence was given", []domain.FieldError{{Field: "evidence", Message: "add at least one evidence item"}})
	}
	if errs := checkEvidence(items, "evidence"); len(errs) > 0 {
		return SubmittedBid{}, domain.InvalidFields("the evidence was not added; see errors", errs)
	}
	b, err := s.ownBid(ctx, u, bidID)
	if err != nil {
		return SubmittedBid{}, err
	}
	if !slices.ContainsFunc(b.Candidates, func(c domain.Candidate) bool { return c.ID == candidateID }) {
		return SubmittedBid{}, domain.Errorf(domain.ErrNotFound, "candidate %s is not in bid %s's current revision: reload the bid page and try again", candidateID, b.ID)
	}
	// The stored manifests were read and validated when they were bid; they
	// are not read again, so nothing of the vendor's file changes.
	kept := make([]manifest.Candidate, 0, len(b.Candidates))
	for _, c := range b.Candidates {
		mc := storedCandidate(c)
		if c.ID == candidateID {
			mc = withEvidence([]manifest.Candidate{mc}, items)[0]
		}
		kept = append(kept, mc)
	}
	return s.revise(ctx, u, b.ID, kept, b.Price)
}
