package policies

import (
	"encoding/json"
	"fmt"
	"io/fs"
)

// EvidenceRequirement is one requirement for evidence, as the baseline
// (data/evidence_requirements.json) or a policy pack states it.
type EvidenceRequirement struct {
	Kind         string `json:"kind"`
	MaxAgeMonths int    `json:"max_age_months"`
	Title        string `json:"title"`
	Source       string `json:"source"`
	Fix          string `json:"fix"`
}

// evidenceRequirements returns the embedded baseline requirements, then each
// pack's, in catalogue order; a pack requirement met by several kinds is
// listed once per kind.
func evidenceRequirements() ([]EvidenceRequirement, error) {
	b, err := fs.ReadFile(Data(), "evidence_requirements.json")
	if err != nil {
		return nil, fmt.Errorf("read evidence requirements: %w", err)
	}
	var doc struct {
		Requirements []EvidenceRequirement `json:"requirements"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parse evidence requirements: %w", err)
	}
	packs, err := Packs()
	if err != nil {
		return nil, err
	}
	reqs := doc.Requirements
	for _, p := range packs {
		for _, e := range p.Evidence {
			for _, kind := range append([]string{e.Kind}, e.Accepts...) {
				reqs = append(reqs, EvidenceRequirement{Kind: kind, MaxAgeMonths: e.MaxAgeMonths, Title: e.Title, Source: e.Source, Fix: e.Fix})
			}
		}
	}
	return reqs, nil
}

// EvidenceMaxAgeMonths returns, per evidence kind, how many months the
// embedded requirements (the baseline and every policy pack) let it age (0:
// no limit), so post-award monitoring can re-check a model before its
// evidence expires.
func EvidenceMaxAgeMonths() (map[string]int, error) {
	reqs, err := evidenceRequirements()
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, r := range reqs {
		out[r.Kind] = max(out[r.Kind], r.MaxAgeMonths)
	}
	return out, nil
}

// EvidenceGuide returns, per evidence kind, the first embedded requirement
// that asks for it (the baseline before the packs), so a form can tell a
// vendor what each kind is and what to attach.
func EvidenceGuide() (map[string]EvidenceRequirement, error) {
	reqs, err := evidenceRequirements()
	if err != nil {
		return nil, err
	}
	out := map[string]EvidenceRequirement{}
	for _, r := range reqs {
		if _, seen := out[r.Kind]; !seen {
			out[r.Kind] = r
		}
	}
	return out, nil
}
