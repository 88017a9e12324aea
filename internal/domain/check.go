package domain

import (
	"slices"
	"time"
)

// The results of the automated candidate check: the license review, the
// policy decision, the pre-check a vendor sees and the stage updates an
// evaluation records. They cross Temporal as activity results, so they live
// here, free of the engines that compute them.

// LicenseStatus is the outcome of reviewing one component's license.
type LicenseStatus string

const (
	LicenseApproved    LicenseStatus = "approved"     // an OSI-approved reading of the expression exists
	LicenseNeedsReview LicenseStatus = "needs-review" // a reviewer must resolve it
	LicenseInvalid     LicenseStatus = "invalid"      // not a valid SPDX expression
	LicenseMissing     LicenseStatus = "missing"      // no license given
	LicenseDenied      LicenseStatus = "denied"       // the license disqualifies the component
)

// LicenseReport is the license review of one manifest.
type LicenseReport struct {
	Components []ComponentLicense `json:"components"`
	// Findings come in review order: weights first, then components in
	// manifest order, each component's licenses sorted.
	Findings []Finding `json:"findings"`
	// NeedsResolution is set when a reviewer must resolve at least one license.
	NeedsResolution bool `json:"needs_resolution"`
	// Resolvable are the warn findings with the key a reviewer's decision
	// on each is remembered by.
	Resolvable []Resolvable `json:"resolvable,omitempty"`
	// PriorResolutions are earlier decisions on the same keys, offered to the
	// reviewer for reuse and never applied by themselves.
	PriorResolutions []PriorResolution `json:"prior_resolutions,omitempty"`
	// Lineage compares the weights' license with each base model's, in the
	// manifest's order; its findings follow the components'.
	Lineage []Lineage `json:"lineage,omitempty"`
}

// ComponentLicense is the review of one component's license expression.
type ComponentLicense struct {
	Component  string `json:"component"`
	Expression string `json:"expression"`
	// Normalized is the expression as the SPDX list spells it; empty when invalid.
	Normalized string        `json:"normalized,omitempty"`
	Status     LicenseStatus `json:"status"`
	// Selected are the licenses of the OR branch most permissive for the
	// agency, the one the findings are about.
	Selected []string `json:"selected,omitempty"`
	// Text is how the license text the vendor attached matched the
	// knowledge base; nil when none was attached.
	Text *TextMatch `json:"text,omitempty"`
}

// ResolutionKey is what a human resolution decides on: one clause of one
// license text, for one class of use.
type ResolutionKey struct {
	// LicenseHash is HashText of the license text: the attached one, else
	// the vendored text of the known license, else "id:<license id>".
	LicenseHash  string `json:"license_hash"`
	LicenseID    string `json:"license_id"`
	Clause       string `json:"clause"`
	UseCaseClass string `json:"use_case_class"`
}

// Resolvable is a warn finding a reviewer resolves, with its key.
type Resolvable struct {
	Key     ResolutionKey `json:"key"`
	Finding Finding       `json:"finding"`
}

// PriorResolution is a reviewer's earlier decision on the same key.
type PriorResolution struct {
	Key        ResolutionKey `json:"key"`
	TaskID     string        `json:"task_id"`
	ReviewerID string        `json:"reviewer_id"`
	Verdict    Verdict       `json:"verdict"`
	ReasonCode string        `json:"reason_code"`
	Comment    string        `json:"comment,omitempty"`
	DecidedAt  time.Time     `json:"decided_at"`
}

// TextMatch is how a vendor's license text compares with the knowledge base.
type TextMatch struct {
	// Hash is the vendor text's HashText.
	Hash string `json:"hash"`
	// LicenseID is the known license the text is (Exact) or resembles; empty when none.
	LicenseID string `json:"license_id,omitempty"`
	// Version names the earlier version of the license the text is or
	// resembles; empty for the version the knowledge base quotes.
	Version string `json:"version,omitempty"`
	Exact   bool   `json:"exact"`
	// Similarity is the Jaccard similarity of the shingle sets, 1 when exact.
	Similarity float64 `json:"similarity"`
	// Added are passages of the vendor text that the known text lacks.
	Added []string `json:"added,omitempty"`
}

// PolicyDecision is the policies' verdict on one candidate.
type PolicyDecision struct {
	// Outcome is disqualified (a deny), needs_review (a warn, or the
	// policies could not decide) or qualified.
	Outcome  Outcome   `json:"outcome"`
	Deny     []Finding `json:"deny"`
	Warn     []Finding `json:"warn"`
	Info     []Finding `json:"info"`
	Openness Openness  `json:"openness"`
	// Score is the openness preference points the candidate earns.
	Score             float64 `json:"score"`
	ApprovalsRequired int     `json:"approvals_required"`
	// Packs are the policy packs applied, each with what it requires and
	// what the candidate still lacks.
	Packs    []PackStatus `json:"packs"`
	Revision string       `json:"revision"`
}

// Openness is the Model Openness Framework result for one candidate: the
// class as the Model Openness Tool computes it, and the class once free-text
// license names are resolved to SPDX ids. Classes are "I", "II", "III"; nil
// means unclassified.
type Openness struct {
	Class                        *string              `json:"class"`
	Progress                     map[string]float64   `json:"progress"`
	Classes                      map[string]ClassGaps `json:"classes"`
	ClassIfLicensesNormalized    *string              `json:"class_if_licenses_normalized"`
	ProgressIfLicensesNormalized map[string]float64   `json:"progress_if_licenses_normalized"`
	PreferencePoints             int                  `json:"preference_points"`
	Components                   []ComponentOpenness  `json:"components"`
	// OSAID is conformance to the Open Source AI Definition 1.0, from the
	// same components and licenses as the class.
	OSAID OSAID `json:"osaid"`
}

// ClassGaps is what a class still lacks: components not listed, and listed
// components without an open license.
type ClassGaps struct {
	Missing []string            `json:"missing"`
	NotOpen []ComponentOpenness `json:"not_open"`
}

// ComponentOpenness is one listed MOF component and its license: status is
// open, not-open or unlicensed, by the Model Openness Tool's rule.
type ComponentOpenness struct {
	Component string `json:"component"`
	License   string `json:"license"`
	Status    string `json:"status"`
}

// Precheck is the automated check of a candidate at submission, shown to its
// vendor only.
type Precheck struct {
	CandidateID    string    `json:"candidate_id"`
	CandidateName  string    `json:"candidate_name"`
	Outcome        string    `json:"outcome"` // pass | needs-review | fail
	Score          float64   `json:"score"`
	Findings       []Finding `json:"findings"`
	PolicyRevision string    `json:"policy_revision"`
	CheckedAt      time.Time `json:"checked_at"`
	// Completeness is nil on pre-checks recorded before it was scored.
	Completeness *Completeness `json:"completeness,omitempty"`
	// Lineage is the license review's comparison with each base model the
	// candidate derives from; empty for a model that names none.
	Lineage []Lineage `json:"lineage,omitempty"`
}

// StageUpdate is the new state of one evaluation stage.
type StageUpdate struct {
	CandidateID string         `json:"candidate_id"`
	Stage       Stage          `json:"stage"`
	Status      StageStatus    `json:"status"`
	Findings    []Finding      `json:"findings"`
	Detail      map[string]any `json:"detail,omitempty"`
	At          time.Time      `json:"at"`
}

// CandidateCheck is the automated check of one candidate, the same wherever
// it runs (the vendor's pre-check, every evaluation, a clarification's
// re-run, the post-award re-check, `modeltender evaluate`): intake, license
// review and the policy decision under one policy revision, with evidence
// judged as of one date. It never passes a candidate it could not check.
type CandidateCheck struct {
	ManifestName string `json:"manifest_name"`
	ManifestHash string `json:"manifest_hash"`
	// Intake are the findings of validating the manifest; a deny among them
	// stops the check before license and policy.
	Intake   []Finding      `json:"intake"`
	License  LicenseReport  `json:"license"`
	Policy   PolicyDecision `json:"policy"`
	Outcome  Outcome        `json:"outcome"`
	Revision string         `json:"policy_revision"`
	AsOf     time.Time      `json:"as_of"`
	// Completeness scores what the manifest states of what the decision
	// needs, with a fix for each gap, so vendors fill them before the deadline.
	Completeness Completeness `json:"completeness"`
	// Signature is the verdict on the model's OMS signature and the
	// identity that verified it; nil when the candidate carries none.
	Signature *SignatureVerdict `json:"signature,omitempty"`
}

// Findings are every finding of the check once, deny first: intake, the
// policy's denies, the license review, the policy's warnings and notes.
func (c CandidateCheck) Findings() []Finding {
	var out []Finding
	for _, group := range [][]Finding{c.Intake, c.Policy.Deny, c.License.Findings, c.Policy.Warn, c.Policy.Info} {
		for _, f := range group {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

// LineageVerdict is how a derivative's license compares with its base's.
type LineageVerdict string

const (
	LineageSameLicense     LineageVerdict = "same-license"    // the weights are offered under the base license
	LineagePermitted       LineageVerdict = "permitted"       // the base license leaves the derivative's license free
	LineageMorePermissive  LineageVerdict = "more-permissive" // the derivative drops terms the base license imposes
	LineageUnknownBase     LineageVerdict = "unknown-base"    // the base model is not in the base-model table
	LineageUnknownLicense  LineageVerdict = "unknown-license" // the weights' license is unknown, so nothing to compare
	LineageNoDeclaredTerms LineageVerdict = "no-license"      // the weights state no valid license
)

// Describe says what the verdict means for the vendor and the reviewer.
func (v LineageVerdict) Describe() string {
	switch v {
	case LineageSameLicense:
		return "offered under the base model's own license, so its terms carry over as they are"
	case LineagePermitted:
		return "the base model's license leaves a derivative's license free"
	case LineageMorePermissive:
		return "offered under a license more permissive than the base model's, which the base license does not allow"
	case LineageUnknownBase:
		return "the base model is not in the base-model table, so its license duties could not be checked"
	case LineageUnknownLicense:
		return "the candidate's license is unknown, so it could not be compared with the base model's"
	case LineageNoDeclaredTerms:
		return "the weights state no valid license, so the base model's terms are all that is known"
	}
	return string(v)
}

// Lineage is the comparison of the weights' license with one base model's.
type Lineage struct {
	BaseModel string `json:"base_model"`
	Relation  string `json:"relation,omitempty"`
	// Pattern is the base-model table entry that matched; empty when none did.
	Pattern     string         `json:"pattern,omitempty"`
	BaseLicense string         `json:"base_license,omitempty"`
	Verdict     LineageVerdict `json:"verdict"`
	// Dropped are the base license's terms the derivative's license lacks.
	Dropped []string `json:"dropped,omitempty"`
}

// PackStatus is one applied policy pack: what it requires of the candidate
// and what is still missing (evidence missing or expired, contract terms not
// attested yes with a bid document), for the vendor's pre-check.
type PackStatus struct {
	ID                   string            `json:"id"`
	Title                string            `json:"title"`
	Version              int               `json:"version"`
	Status               string            `json:"status"`
	Effective            string            `json:"effective"`
	RequiredEvidence     []PackRequirement `json:"required_evidence"`
	MissingEvidence      []PackRequirement `json:"missing_evidence"`
	RequiredAttestations []PackRequirement `json:"required_attestations"`
	MissingAttestations  []PackRequirement `json:"missing_attestations"`
}

// PackRequirement is an evidence kind or a contract term a pack asks for.
type PackRequirement struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Source string `json:"source"`
}

// OSAID is a candidate's conformance to the Open Source AI Definition 1.0:
// the elements of OSI's checklist it lacks, each with its fix.
type OSAID struct {
	Conformant bool       `json:"conformant"`
	Missing    []OSAIDGap `json:"missing"`
	Source     string     `json:"source"`
}

// OSAIDGap is one element of the definition the candidate does not meet.
type OSAIDGap struct {
	Element string `json:"element"`
	Fix     string `json:"fix"`
}
