package policies

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/modeltender/modeltender/internal/domain"
)

// Pack is one policy pack as data/policy_packs.json declares it: a dated,
// versioned unit of rules (its Rego package and the generic pack rules of
// packs.rego) with the evidence and contract-term attestations it asks for,
// and the texts it rests on.
type Pack struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Version int    `json:"version"`
	// Status is in-force or draft.
	Status    string `json:"status"`
	Issued    string `json:"issued"`
	Effective string `json:"effective"` // YYYY-MM-DD; "" for a draft
	Expires   string `json:"expires"`   // YYYY-MM-DD; "" when it does not lapse
	// DefaultFor says which solicitations apply the pack when they name none.
	DefaultFor   PackDefault       `json:"default_for"`
	Sources      []PackSource      `json:"sources"`
	Evidence     []PackEvidence    `json:"evidence"`
	Attestations []PackAttestation `json:"attestations"`
	Rules        []PackRule        `json:"rules"`
}

// PackDefault marks a pack as a default for risk tiers, for LLM procurements
// only when LLMOnly.
type PackDefault struct {
	Tiers   []domain.RiskTier `json:"tiers"`
	LLMOnly bool              `json:"llm_only"`
}

// PackSource is a text a pack rests on. Kind is primary (the issuing body's
// text) or secondary (a summary relied on where the text was not reachable).
type PackSource struct {
	Title string `json:"title"`
	URL   string `json:"url"`
	Kind  string `json:"kind"`
	Note  string `json:"note"`
}

// PackEvidence is evidence a pack requires, as evidence_requirements.json
// writes a requirement, plus the kinds that may stand in for it and the
// condition that waives it.
type PackEvidence struct {
	Kind         string            `json:"kind"`
	Accepts      []string          `json:"accepts,omitempty"`
	Unless       string            `json:"unless,omitempty"`
	Tiers        []domain.RiskTier `json:"tiers"`
	MaxAgeMonths int               `json:"max_age_months"`
	Title        string            `json:"title"`
	Source       string            `json:"source"`
	SourceKind   string            `json:"source_kind"`
	Fix          string            `json:"fix"`
}

// PackAttestation is a contract term a pack asks the vendor to answer yes
// (domain.Attestation); RefusedSeverity is what a no is (deny or warn).
type PackAttestation struct {
	Term            string            `json:"term"`
	Tiers           []domain.RiskTier `json:"tiers"`
	Title           string            `json:"title"`
	Statement       string            `json:"statement"`
	RefusedSeverity domain.Severity   `json:"refused_severity"`
	Source          string            `json:"source"`
	SourceKind      string            `json:"source_kind"`
	Fix             string            `json:"fix"`
}

// PackRule is a rule the pack's own Rego package adds.
type PackRule struct {
	ID         string          `json:"id"`
	Severity   domain.Severity `json:"severity"`
	Title      string          `json:"title"`
	Source     string          `json:"source"`
	SourceKind string          `json:"source_kind"`
}

// Packs returns the policy packs of the bundle (the embedded one, the
// directory given with Dir, or FromBundle's), in catalogue order; a bundle
// stored before packs existed has none.
func Packs(opts ...Option) ([]Pack, error) {
	raw, err := fs.ReadFile(Data(opts...), "policy_packs.json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read policy packs: %w", err)
	}
	var doc struct {
		Packs []Pack `json:"packs"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("parse policy packs: %w", err)
	}
	return doc.Packs, nil
}

// Selected are the packs of a catalogue a solicitation of tier applies, in
// catalogue order: those ids name, or the tier's defaults when it names
// none (a solicitation published before packs were chosen in the draft).
func Selected(catalogue []Pack, ids []string, tier domain.RiskTier) []Pack {
	if len(ids) == 0 {
		ids = DefaultsFor(catalogue, tier, false)
	}
	var out []Pack
	for _, p := range catalogue {
		if slices.Contains(ids, p.ID) {
			out = append(out, p)
		}
	}
	return out
}

// AppliesAt reports whether a pack requirement listed for tiers applies at
// tier; a requirement that lists none applies at every tier.
func AppliesAt(tiers []domain.RiskTier, tier domain.RiskTier) bool {
	return len(tiers) == 0 || slices.Contains(tiers, tier)
}

// DefaultsFor picks, from a catalogue, the ids of the packs a solicitation
// of tier applies when it names none, in catalogue order; LLM-only packs
// only when isLLM. With the embedded bundle: OMB M-25-22 for every
// acquisition, M-25-21 at the high-impact tier, M-26-04 for an LLM. The
// policies apply DefaultsFor(tier, false) to criteria that name no packs,
// so a draft for an LLM stores DefaultsFor(tier, true).
func DefaultsFor(packs []Pack, tier domain.RiskTier, isLLM bool) []string {
	var ids []string
	for _, p := range packs {
		if slices.Contains(p.DefaultFor.Tiers, tier) && (isLLM || !p.DefaultFor.LLMOnly) {
			ids = append(ids, p.ID)
		}
	}
	return ids
}

// CheckPacks returns an error naming the valid pack ids when ids holds one
// the bundle does not have, so a solicitation is refused at drafting rather
// than decided on rules that do not exist.
func CheckPacks(ids []string, opts ...Option) error {
	packs, err := Packs(opts...)
	if err != nil {
		return err
	}
	valid := make([]string, len(packs))
	for i, p := range packs {
		valid[i] = p.ID
	}
	var unknown []string
	for _, id := range ids {
		if !slices.Contains(valid, id) {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		return domain.InvalidFields(fmt.Sprintf("unknown policy pack %s; valid packs: %s",
			strings.Join(unknown, ", "), strings.Join(valid, ", ")),
			[]domain.FieldError{{Field: "packs", Message: "choose from " + strings.Join(valid, ", ")}})
	}
	return nil
}
