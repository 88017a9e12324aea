package policies

import (
	"encoding/json"
	"fmt"
	"io/fs"
)

// EvidenceMaxAgeMonths returns, per evidence kind, how many months the
// embedded requirements (the baseline and every policy pack) let it age (0:
// no limit), so post-award monitoring can re-check a model before its
// evidence expires.
func EvidenceMaxAgeMonths() (map[string]int, error) {
	b, err := fs.ReadFile(Data(), "evidence_requirements.json")
	if err != nil {
		return nil, fmt.Errorf("read evidence requirements: %w", err)
	}
	var doc struct {
		Requirements []struct {
			Kind         string `json:"kind"`
			MaxAgeMonths int    `json:"max_age_months"`
		} `json:"requirements"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parse evidence requirements: %w", err)
	}
	packs, err := Packs()
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, r := range doc.Requirements {
		out[r.Kind] = max(out[r.Kind], r.MaxAgeMonths)
	}
	for _, p := range packs {
		for _, e := range p.Evidence {
			for _, kind := range append([]string{e.Kind}, e.Accepts...) {
				out[kind] = max(out[kind], e.MaxAgeMonths)
			}
		}
	}
	return out, nil
}
