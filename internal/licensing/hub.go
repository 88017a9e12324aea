package licensing

import (
	"fmt"
	"strings"
	"sync"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/policies"
)

// HubKind says what a Hugging Face Hub license identifier names.
type HubKind string

const (
	HubLicense HubKind = "license" // one license: Expression
	HubFamily  HubKind = "family"  // several: the vendor must say which (Members)
	HubOther   HubKind = "other"   // a license the card names in license_name and license_link
	HubNone    HubKind = "none"    // "unknown": the card states no license
)

// HubIdentifier is one entry of the Hub's license table
// (policies/data/license-aliases.json, "huggingface").
type HubIdentifier struct {
	Identifier string  `json:"identifier"`
	Kind       HubKind `json:"kind"`
	// Expression is the SPDX id or knowledge-base id the identifier names;
	// empty unless Kind is HubLicense.
	Expression string `json:"expression,omitempty"`
	// Family and Members describe a family identifier.
	Family  string   `json:"family,omitempty"`
	Members []string `json:"members,omitempty"`
}

// hubTable is the embedded Hub license table, by lower-case identifier; the
// Hub matches identifiers case-insensitively.
var hubTable = sync.OnceValues(func() (map[string]HubIdentifier, error) {
	a, err := loadLicenseAliases(policies.Data())
	if err != nil {
		return nil, err
	}
	out := make(map[string]HubIdentifier, len(a.Huggingface.Licenses))
	for id, target := range a.Huggingface.Licenses {
		h := HubIdentifier{Identifier: id}
		switch target {
		case string(HubFamily):
			f, ok := a.Families[id]
			if !ok {
				return nil, fmt.Errorf("license aliases %s: Hub identifier %q is a family the families table lacks", aliasesFile, id)
			}
			h.Kind, h.Family, h.Members = HubFamily, f.Name, f.Members
		case string(HubOther), string(HubNone):
			h.Kind = HubKind(target)
		default:
			if _, err := ParseExpression(target); err != nil {
				return nil, fmt.Errorf("license aliases %s: Hub identifier %q names %q, not an SPDX expression: %w", aliasesFile, id, target, err)
			}
			h.Kind, h.Expression = HubLicense, target
		}
		out[strings.ToLower(id)] = h
	}
	return out, nil
})

// LookupHubIdentifier finds a model card's license identifier in the Hub's
// table; ok is false for an identifier the table does not list (the card
// may still name an SPDX id or a license by name, which Resolve reads).
func LookupHubIdentifier(id string) (h HubIdentifier, ok bool, err error) {
	table, err := hubTable()
	if err != nil {
		return HubIdentifier{}, false, err
	}
	h, ok = table[strings.ToLower(strings.TrimSpace(id))]
	return h, ok, nil
}

// HubIdentifiers lists the Hub's license table, for tests and documentation.
func HubIdentifiers() (map[string]HubIdentifier, error) { return hubTable() }

// Resolve turns what a vendor wrote as a license (an SPDX expression, a
// license name or alias, a license URL) into the SPDX expression it names,
// or "" when nothing known fits.
func (a *Analyzer) Resolve(written string) string { return a.resolve(written) }

// MatchText identifies a license text: the known license it is, or
// resembles closely enough to be a modified copy, or none.
func (a *Analyzer) MatchText(text string) domain.TextMatch { return a.kb.matchText(text) }
