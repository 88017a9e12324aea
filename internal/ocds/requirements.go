package ocds

import (
	"fmt"
	"strings"

	"github.com/modeltender/modeltender/internal/domain"
)

// The requirements a notice publishes, by id; BidSummary.Responses name them.
const (
	// RequirementLicense: the licenses permit the intended use (boolean).
	RequirementLicense = "license-permits-use"
	// RequirementOpennessClass: the MOF class reached, 1 (most open) to 3
	// (integer); published when the solicitation sets a minimum class.
	RequirementOpennessClass = "openness-class"
)

// EvidenceRequirementID is the id of the requirement for one kind of
// evidence (boolean: provided and current at the deadline).
func EvidenceRequirementID(kind string) string { return "evidence-" + kind }

// Criterion is what candidates are judged on (requirements extension): it
// is met when one of its requirement groups is, a group when all its
// requirements are.
type Criterion struct {
	ID                string             `json:"id"`
	Title             string             `json:"title"`
	Description       string             `json:"description"`
	RelatesToTenderer bool               `json:"relatesToTenderer"`
	RequirementGroups []RequirementGroup `json:"requirementGroups"`
}

// RequirementGroup is a set of requirements met together.
type RequirementGroup struct {
	ID           string        `json:"id"`
	Description  string        `json:"description"`
	Requirements []Requirement `json:"requirements"`
}

// Requirement is one condition a candidate must meet.
type Requirement struct {
	ID            string  `json:"id"`
	Title         string  `json:"title"`
	Description   string  `json:"description,omitempty"`
	DataType      string  `json:"dataType"`
	ExpectedValue any     `json:"expectedValue,omitempty"`
	MaxValue      *int    `json:"maxValue,omitempty"`
	Period        *Period `json:"period,omitempty"`
}

// ReleaseRequirementResponse is a bid's response to a requirement as published.
type ReleaseRequirementResponse struct {
	ID          string               `json:"id"`
	Value       any                  `json:"value"`
	Requirement RequirementReference `json:"requirement"`
}

// RequirementReference points at a requirement by id.
type RequirementReference struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Lot is the one lot of a solicitation, carrying its award criteria
// (lots and award criteria breakdown extensions).
type Lot struct {
	ID            string        `json:"id"`
	Title         string        `json:"title"`
	AwardCriteria AwardCriteria `json:"awardCriteria"`
}

// AwardCriteria are how qualified candidates are ranked.
type AwardCriteria struct {
	Criteria []AwardCriterion `json:"criteria"`
}

// AwardCriterion is one weighed aspect of a bid.
type AwardCriterion struct {
	Type        string            `json:"type"` // awardCriterionType: price | quality
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Numbers     []CriterionNumber `json:"numbers"`
}

// CriterionNumber is a criterion's weight, as a decimal fraction of the total.
type CriterionNumber struct {
	Number float64 `json:"number"`
	Weight string  `json:"weight"`
}

// mofClass numbers the Model Openness Framework classes, I being the most open.
var mofClass = map[string]int{"I": 1, "II": 2, "III": 3}

// criteriaOf states what every candidate of s is judged on: license terms
// for the intended use (always), the minimum openness class (when set) and
// the safety evidence its risk tier demands (when given).
func criteriaOf(s domain.Solicitation, evidence []EvidenceRequirement) ([]Criterion, error) {
	uses := "the uses the solicitation declares"
	if len(s.UseCases) > 0 {
		uses = "the declared uses (" + strings.Join(s.UseCases, ", ") + ")"
	}
	criteria := []Criterion{{
		ID:    "license",
		Title: "License terms permit the intended use",
		Description: fmt.Sprintf("The licenses of the model weights, code and training data permit %s by %d expected monthly users, "+
			"by a government agency, without terms the agency cannot accept; a reviewer resolves the terms that need judgement.", uses, s.ExpectedMonthlyUsers),
		RequirementGroups: []RequirementGroup{{
			ID:          "license-terms",
			Description: "The license review finds nothing that disqualifies the candidate.",
			Requirements: []Requirement{{ID: RequirementLicense, Title: "Licenses permit the intended use",
				DataType: dataTypeBoolean, ExpectedValue: true}},
		}},
	}}
	if m := s.MinimumOpennessClass; m != "" {
		class, ok := mofClass[m]
		if !ok {
			return nil, domain.Errorf(domain.ErrInvalid, "minimum openness class %q is not a Model Openness Framework class (I, II or III)", m)
		}
		criteria = append(criteria, Criterion{
			ID:    "openness",
			Title: "Minimum openness class",
			Description: fmt.Sprintf("The candidate reaches Model Openness Framework class %s or a more open one: its components "+
				"are released under the licenses that class requires.", m),
			RequirementGroups: []RequirementGroup{{
				ID:          "openness-minimum",
				Description: "Class I is the most open, class III the least.",
				Requirements: []Requirement{{ID: RequirementOpennessClass, Title: "Model Openness Framework class " + m + " or better",
					DataType: dataTypeInteger, MaxValue: &class}},
			}},
		})
	}
	if len(evidence) > 0 {
		g := RequirementGroup{
			ID:          "safety-evidence-" + string(s.RiskTier),
			Description: fmt.Sprintf("Every kind of evidence the %s risk tier demands, current at the deadline.", s.RiskTier),
		}
		for _, e := range evidence {
			r := Requirement{ID: EvidenceRequirementID(e.Kind), Title: e.Title, Description: e.Source, DataType: dataTypeBoolean, ExpectedValue: true}
			if e.Pack != "" {
				r.Description += " (" + e.Pack + ")"
			}
			if e.MaxAgeMonths > 0 {
				// Evidence older than this at the deadline counts as missing.
				r.Period = &Period{StartDate: dateTime(s.Deadline.AddDate(0, -e.MaxAgeMonths, 0)), EndDate: dateTime(s.Deadline)}
				r.Description += fmt.Sprintf("; dated within %d months before the deadline", e.MaxAgeMonths)
			}
			g.Requirements = append(g.Requirements, r)
		}
		criteria = append(criteria, Criterion{
			ID:                "safety-evidence",
			Title:             "Safety evidence",
			Description:       "The vendor documents how the model was tested and how its risks are managed.",
			RequirementGroups: []RequirementGroup{g},
		})
	}
	return criteria, nil
}

// requirementIDs indexes the requirements of criteria.
func requirementIDs(criteria []Criterion) map[string]bool {
	ids := map[string]bool{}
	for _, r := range requirements(criteria) {
		ids[r.ID] = true
	}
	return ids
}

func requirements(criteria []Criterion) []Requirement {
	var out []Requirement
	for _, c := range criteria {
		for _, g := range c.RequirementGroups {
			out = append(out, g.Requirements...)
		}
	}
	return out
}

// responsesOf publishes a bid's responses in the order the requirements are
// published, each with an id unique in the process.
func responsesOf(b BidSummary, criteria []Criterion) []ReleaseRequirementResponse {
	byID := map[string]any{}
	for _, r := range b.Responses {
		byID[r.RequirementID] = r.Value
	}
	var out []ReleaseRequirementResponse
	for _, req := range requirements(criteria) {
		v, ok := byID[req.ID]
		if !ok {
			continue
		}
		out = append(out, ReleaseRequirementResponse{ID: b.ID + "-" + req.ID, Value: v,
			Requirement: RequirementReference{ID: req.ID, Title: req.Title}})
	}
	return out
}

// awardCriteriaOf breaks the ranking down by the solicitation's weights,
// leaving out criteria weighed at zero.
func awardCriteriaOf(w domain.ScoringWeights) AwardCriteria {
	var ac AwardCriteria
	for _, c := range weighedCriteria(w) {
		if c.weight <= 0 {
			continue
		}
		ac.Criteria = append(ac.Criteria, AwardCriterion{Type: c.kind, Name: c.name, Description: c.description,
			Numbers: []CriterionNumber{{Number: c.weight, Weight: weightDecimal}}})
	}
	return ac
}

// awardCriteriaDetails says the same in words, for readers of core OCDS.
func awardCriteriaDetails(w domain.ScoringWeights) string {
	var parts []string
	for _, c := range weighedCriteria(w) {
		if c.weight > 0 {
			parts = append(parts, fmt.Sprintf("%s %g%%", strings.ToLower(c.name), c.weight*100))
		}
	}
	return "Candidates that qualify (license, openness and safety requirements met, approved by compliance reviewers) " +
		"are ranked by a weighted score: " + strings.Join(parts, ", ") + "."
}

type weighedCriterion struct {
	kind, name, description string
	weight                  float64
}

func weighedCriteria(w domain.ScoringWeights) []weighedCriterion {
	return []weighedCriterion{
		{criterionQuality, "Openness", "Model Openness Framework preference points for the class the candidate reaches.", w.Openness},
		{criterionQuality, "Safety", "The safety evidence and evaluation results the candidate provides.", w.Safety},
		{criterionPrice, "Price", "The bid's price; the lowest scores highest.", w.Price},
		{criterionQuality, "Fit", "The officer's score of the candidate's fitness for the use case, entered after close.", w.Fit},
	}
}

// packsSentence names the policy packs the solicitation applies, frozen
// with the revision; "" for one published before packs were chosen (the
// defaults of its tier applied).
func packsSentence(s domain.Solicitation) string {
	if len(s.Packs) == 0 {
		return ""
	}
	return " Policy packs applied: " + strings.Join(s.Packs, ", ") + "."
}

// policyDocument publishes the policy revision every candidate is evaluated
// under: the content hash of the rules and data frozen at publication.
func policyDocument(s domain.Solicitation) Document {
	d := Document{
		ID:           "policy-revision",
		DocumentType: documentEvaluation,
		Title:        "Evaluation rules, policy revision " + s.PolicyRevision,
		Description: "The policies and data every candidate of this solicitation is evaluated under, frozen at publication " +
			"and identified by their content hash, so that each decision can be reproduced. Rule changes reach the " +
			"solicitation only through a published amendment." + packsSentence(s),
	}
	if s.PublishedAt != nil {
		d.DatePublished = dateTime(*s.PublishedAt)
	}
	return d
}
