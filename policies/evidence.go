package policies

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"sync"
)

// EvidenceRequirement is one requirement for evidence, as the baseline
// (data/evidence_requirements.json) or a policy pack states it. Tiers are
// the risk tiers the baseline asks it of; a pack's requirements carry
// their own tiers in the pack.
type EvidenceRequirement struct {
	Kind         string   `json:"kind"`
	Tiers        []string `json:"tiers,omitempty"`
	MaxAgeMonths int      `json:"max_age_months"`
	Title        string   `json:"title"`
	Source       string   `json:"source"`
	Fix          string   `json:"fix"`
}

// baselineEvidence is the embedded baseline evidence requirements, read
// once: what every solicitation asks of a candidate at each risk tier,
// before its policy packs add their own. It is the one reader of
// data/evidence_requirements.json outside the policies themselves; callers
// get copies (BaselineEvidenceAt, evidenceRequirements).
var baselineEvidence = sync.OnceValues(func() ([]EvidenceRequirement, error) {
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
	return doc.Requirements, nil
})

// BaselineEvidenceAt is the baseline's requirements of a risk tier, in
// the file's order.
func BaselineEvidenceAt(tier string) ([]EvidenceRequirement, error) {
	reqs, err := baselineEvidence()
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(slices.Clone(reqs), func(r EvidenceRequirement) bool { return !slices.Contains(r.Tiers, tier) }), nil
}

// evidenceRequirements returns the embedded baseline requirements, then each
// pack's, in catalogue order; a pack requirement met by several kinds is
// listed once per kind.
func evidenceRequirements() ([]EvidenceRequirement, error) {
	baseline, err := baselineEvidence()
	if err != nil {
		return nil, err
	}
	packs, err := Packs()
	if err != nil {
		return nil, err
	}
	reqs := slices.Clone(baseline)
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
// vendor what each kind is and what to attach. The embedded bundle does not
// change, so the guide is built once (pages render it) and each caller gets
// its own copy.
func EvidenceGuide() (map[string]EvidenceRequirement, error) {
	guide, err := evidenceGuide()
	return maps.Clone(guide), err
}

var evidenceGuide = sync.OnceValues(func() (map[string]EvidenceRequirement, error) {
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
})
