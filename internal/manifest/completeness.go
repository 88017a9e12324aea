package manifest

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/policies"
)

// packCatalogue is the embedded bundle's policy packs: what each asks of a
// candidate beyond the tier's baseline evidence.
var packCatalogue = sync.OnceValues(func() ([]policies.Pack, error) { return policies.Packs() })

// statedNoLicense are license values that state there is none.
var statedNoLicense = []string{"", "unknown", "noassertion", "none", "undisclosed", "unlicensed", "other"}

// Completeness scores how much of what the evaluation needs m states, for
// the solicitation's risk tier: a license for the weights and for every
// component included, each kind of evidence the tier requires (dated where
// the requirement limits its age), the evidence and contract-term
// attestations its policy packs ask for at that tier, what the vendor does
// with agency data and where the weights can run. Score is the share of those stated, 0-100;
// Missing says, for each one not stated, what to add. It measures what is
// said, not whether it passes: the license review and the policies judge
// that. It reads the embedded evidence requirements.
func Completeness(m domain.Manifest, c domain.Criteria) (domain.Completeness, error) {
	tier := string(c.RiskTier)
	if tier == "" {
		tier = string(domain.RiskStandard)
	}
	reqs, err := policies.BaselineEvidenceAt(tier)
	if err != nil {
		return domain.Completeness{}, err
	}
	out := domain.Completeness{Missing: []domain.MissingField{}}
	total := 0
	need := func(stated bool, field, what, fix string) {
		total++
		if !stated {
			out.Missing = append(out.Missing, domain.MissingField{Field: field, What: what, Fix: fix})
		}
	}
	need(!slices.Contains(statedNoLicense, strings.ToLower(strings.TrimSpace(m.Weights.License))), "weights.license",
		"the license of the weights",
		`State the SPDX license expression the weights are offered under, e.g. "Apache-2.0", or "LicenseRef-<name>" with the license text.`)
	for _, comp := range m.Components {
		if !comp.Included || comp.Name == "Model parameters (Final)" && comp.License == m.Weights.License {
			continue
		}
		need(!slices.Contains(statedNoLicense, strings.ToLower(strings.TrimSpace(comp.License))), fmt.Sprintf("components[%s].license", comp.Name),
			fmt.Sprintf("the license of the %s component", comp.Name),
			fmt.Sprintf("State the license the %s are offered under (for data and documentation, e.g. CC-BY-4.0), or leave the component out if it is not released.", strings.ToLower(comp.Name)))
	}
	for _, r := range reqs {
		items := slices.DeleteFunc(slices.Clone(m.Evidence), func(e domain.EvidenceItem) bool { return e.Kind != r.Kind })
		need(len(items) > 0, "evidence["+r.Kind+"]", r.Title, r.Fix)
		if len(items) > 0 && r.MaxAgeMonths > 0 {
			need(slices.ContainsFunc(items, func(e domain.EvidenceItem) bool { return e.Date != "" }), "evidence["+r.Kind+"].date",
				fmt.Sprintf("the date of the %s (it may be at most %d months old)", strings.ToLower(r.Title), r.MaxAgeMonths),
				fmt.Sprintf("Give the date the %s was produced as YYYY-MM-DD, so its age can be checked.", strings.ToLower(r.Title)))
		}
	}
	if err := needPacks(m, c, need); err != nil {
		return domain.Completeness{}, err
	}
	need(m.DataUse.TrainsOnAgencyData != nil, "data_use.trains_on_agency_data", "whether the vendor trains on agency data",
		"State data_use.trains_on_agency_data: true if the vendor trains or fine-tunes on agency data, false if it does not.")
	need(m.Deployment.OnPremises || m.Deployment.WeightsExportable || m.Weights.Location != "", "deployment",
		"where the weights can run",
		"State deployment.on_premises and deployment.weights_exportable (true if the agency can run or export the weights) and weights.location; an offer only as a hosted service keeps them false, and says so in the description.")
	out.Score = int(math.Round(100 * float64(total-len(out.Missing)) / float64(total)))
	return out, nil
}

// needPacks adds what the solicitation's policy packs ask of a candidate at
// its tier (the defaults of the tier when it names none): each evidence
// kind beyond the baseline, by its kind or one that stands in for it, and
// an answer to each contract term.
func needPacks(m domain.Manifest, c domain.Criteria, need func(stated bool, field, what, fix string)) error {
	catalogue, err := packCatalogue()
	if err != nil {
		return err
	}
	tier := c.RiskTier
	if tier == "" {
		tier = domain.RiskStandard
	}
	baseline, err := policies.BaselineEvidenceAt(string(tier))
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, r := range baseline {
		seen["evidence:"+r.Kind] = true
	}
	for _, p := range policies.Selected(catalogue, c.Packs, c.RiskTier) {
		for _, e := range p.Evidence {
			if !policies.AppliesAt(e.Tiers, tier) || seen["evidence:"+e.Kind] {
				continue
			}
			seen["evidence:"+e.Kind] = true
			kinds := append([]string{e.Kind}, e.Accepts...)
			need(slices.ContainsFunc(m.Evidence, func(x domain.EvidenceItem) bool { return slices.Contains(kinds, x.Kind) }),
				"evidence["+e.Kind+"]", e.Title+" ("+p.Title+")", e.Fix)
		}
		for _, a := range p.Attestations {
			if !policies.AppliesAt(a.Tiers, tier) || seen["attestation:"+a.Term] {
				continue
			}
			seen["attestation:"+a.Term] = true
			need(slices.ContainsFunc(m.Attestations, func(x domain.Attestation) bool { return x.Term == a.Term }),
				"attestations["+a.Term+"]", a.Title+" ("+p.Title+")", a.Fix)
		}
	}
	return nil
}
