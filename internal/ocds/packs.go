package ocds

import (
	"fmt"
	"slices"
	"strings"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/policies"
)

// The rules whose findings say a pack's contract term is not attested yes
// with the bid document that carries it (policies/packs.rego); the finding
// names the term as its evidence component.
const (
	ruleAttestationRefused = "packs.attestation-refused"
	ruleAttestationMissing = "packs.attestation-missing"
)

// PackCriterionID is the id of the criterion that publishes a policy pack.
// Pack ids are unique in the catalogue, so every id derived from them is
// unique in the process and the same in every release.
func PackCriterionID(pack string) string { return "pack-" + pack }

// PackEvidenceRequirementID is the id of a pack's requirement for one kind
// of evidence (boolean: provided and current at the deadline, or waived by
// the pack's own condition).
func PackEvidenceRequirementID(pack, kind string) string {
	return PackCriterionID(pack) + "-evidence-" + kind
}

// PackTermRequirementID is the id of a pack's requirement that the vendor
// attest a contract term (boolean: answered yes, naming the bid document
// that carries the commitment).
func PackTermRequirementID(pack, term string) string {
	return PackCriterionID(pack) + "-term-" + term
}

// packDemands are what one pack asks at a risk tier.
type packDemands struct {
	evidence []policies.PackEvidence
	terms    []policies.PackAttestation
}

func demandsOf(p policies.Pack, tier domain.RiskTier) packDemands {
	var d packDemands
	for _, e := range p.Evidence {
		if policies.AppliesAt(e.Tiers, tier) {
			d.evidence = append(d.evidence, e)
		}
	}
	for _, a := range p.Attestations {
		if policies.AppliesAt(a.Tiers, tier) {
			d.terms = append(d.terms, a)
		}
	}
	return d
}

// packCriteria publishes each pack as one criterion with one requirement
// group: the requirements extension meets a criterion when any one of its
// groups is met, and a pack asks for its evidence and its terms together.
// A pack that asks nothing at the solicitation's tier has no criterion (the
// policy revision document still names it).
func packCriteria(s domain.Solicitation, packs []policies.Pack) []Criterion {
	var out []Criterion
	for _, p := range packs {
		d := demandsOf(p, s.RiskTier)
		var reqs []Requirement
		for _, e := range d.evidence {
			r := Requirement{ID: PackEvidenceRequirementID(p.ID, e.Kind), Title: e.Title,
				Description: "Evidence: " + cited(e.Source, e.SourceKind) + evidenceConditions(e),
				DataType:    dataTypeBoolean, ExpectedValue: true}
			if e.MaxAgeMonths > 0 {
				r.Period = &Period{StartDate: dateTime(s.Deadline.AddDate(0, -e.MaxAgeMonths, 0)), EndDate: dateTime(s.Deadline)}
				r.Description += fmt.Sprintf(" Dated within %d months before the deadline.", e.MaxAgeMonths)
			}
			reqs = append(reqs, r)
		}
		for _, a := range d.terms {
			reqs = append(reqs, Requirement{ID: PackTermRequirementID(p.ID, a.Term), Title: a.Title,
				Description: "Contract term " + a.Term + ": " + a.Statement + " " + cited(a.Source, a.SourceKind),
				DataType:    dataTypeBoolean, ExpectedValue: true})
		}
		if len(reqs) == 0 {
			continue
		}
		out = append(out, Criterion{
			ID:          PackCriterionID(p.ID),
			Title:       p.Title,
			Description: packDescription(p),
			RequirementGroups: []RequirementGroup{{
				ID: PackCriterionID(p.ID) + "-" + string(s.RiskTier),
				Description: fmt.Sprintf("Everything %s asks of a %s-tier candidate: each kind of evidence supplied, "+
					"and each contract term attested yes with a reference to the bid document that carries it.", p.ID, s.RiskTier),
				Requirements: reqs,
			}},
		})
	}
	return out
}

// packDescription dates the pack and cites what it rests on, saying which
// texts are the issuing body's own and which are summaries relied on.
func packDescription(p policies.Pack) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Policy pack %s, version %d", p.ID, p.Version)
	switch {
	case p.Status == "draft":
		fmt.Fprintf(&b, ", a draft of %s not yet in force", p.Issued)
	default:
		fmt.Fprintf(&b, ", %s: issued %s, effective %s", p.Status, p.Issued, p.Effective)
		if p.Expires != "" {
			fmt.Fprintf(&b, ", expires %s", p.Expires)
		}
	}
	b.WriteString(". Sources:")
	for i, src := range p.Sources {
		if i > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " %s (%s, %s)", src.Title, src.Kind, src.URL)
	}
	b.WriteString(".")
	return b.String()
}

// cited is a requirement's source section, marked when it rests on a
// secondary source.
func cited(source, kind string) string {
	if kind == "secondary" {
		return "Source: " + source + " (as read in a secondary source)."
	}
	return "Source: " + source + "."
}

func evidenceConditions(e policies.PackEvidence) string {
	var out string
	if others := slices.DeleteFunc(slices.Clone(e.Accepts), func(k string) bool { return k == e.Kind }); len(others) > 0 {
		out += " Also met by: " + strings.Join(others, ", ") + "."
	}
	if e.Unless != "" {
		out += " Waived when " + e.Unless + " holds."
	}
	return out
}

// packResponses is how a candidate met the packs' requirements, read from
// its policy findings: evidence is lacking where the safety rules found it
// missing or expired, a term where the pack rules found it refused or not
// attested.
func packResponses(packs []policies.Pack, tier domain.RiskTier, findings []domain.Finding) []RequirementResponse {
	lacking, unattested := map[string]bool{}, map[string]bool{}
	for _, f := range findings {
		switch f.Rule {
		case ruleEvidenceMissing, ruleEvidenceExpired:
			lacking[f.Evidence.Component] = true
		case ruleAttestationRefused, ruleAttestationMissing:
			unattested[f.Evidence.Component] = true
		}
	}
	var out []RequirementResponse
	for _, p := range packs {
		d := demandsOf(p, tier)
		for _, e := range d.evidence {
			out = append(out, RequirementResponse{RequirementID: PackEvidenceRequirementID(p.ID, e.Kind), Value: !lacking[e.Kind]})
		}
		for _, a := range d.terms {
			out = append(out, RequirementResponse{RequirementID: PackTermRequirementID(p.ID, a.Term), Value: !unattested[a.Term]})
		}
	}
	return out
}
