// Package check is the one automated check of a candidate model: intake
// validation, license review (with free-text license names normalised) and
// the policy decision, under the policy revision a solicitation froze at
// publication, with the model's OMS signature verified under the vendor's
// registered signing identities as provenance evidence. The vendor's
// pre-check, every evaluation, a clarification's re-run, the post-award
// re-check and `modeltender evaluate` all call Checker.Check, so they cannot
// disagree.
package check

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/licensing"
	"github.com/modeltender/modeltender/internal/manifest"
	"github.com/modeltender/modeltender/policies"
)

// Rules are the prepared policy engines and license analyzers by policy
// revision. "" asks for the revision this process started with.
type Rules interface {
	For(ctx context.Context, revision string) (*policies.Engine, *licensing.Analyzer, error)
	// Packs are the policy packs of the revision's bundle.
	Packs(ctx context.Context, revision string) ([]policies.Pack, error)
}

// Input is one candidate to check. Criteria.PolicyRevision names the rules
// to check it under ("" for the current ones); AsOf is the date evidence is
// judged at (the solicitation's deadline, or today after award).
// Identities are the signing identities the candidate's vendor had in force
// when the check was asked for; the model signature, if any, is verified
// under them and nothing else.
type Input struct {
	Manifest   domain.Manifest
	Criteria   domain.Criteria
	AsOf       time.Time
	Identities []domain.SigningIdentity
}

// Checker runs the candidate check. It is safe for concurrent use.
type Checker struct {
	rules Rules
	// Observe, when set, is told how long each part took ("license", "policy").
	Observe func(part string, d time.Duration)
	// SigstoreRoot is the Sigstore trusted root JSON the operator
	// configured, under which keyless identities verify; nil: none do.
	SigstoreRoot []byte
}

// New returns a Checker that judges each candidate under rules.
func New(rules Rules) *Checker { return &Checker{rules: rules} }

// Check checks one candidate. It fails closed: when the rules of the
// revision cannot be had or the policies cannot decide, the outcome is
// needs_review with a finding that says why, never a pass and never an
// error to retry.
func (c *Checker) Check(ctx context.Context, in Input) domain.CandidateCheck {
	res := domain.CandidateCheck{
		ManifestName: in.Manifest.Name, ManifestHash: manifest.Hash(in.Manifest), AsOf: in.AsOf,
		Revision: in.Criteria.PolicyRevision, Intake: Intake(in.Manifest),
		License: domain.LicenseReport{Components: []domain.ComponentLicense{}, Findings: []domain.Finding{}},
	}
	if hasDeny(res.Intake) {
		res.Outcome = domain.OutcomeDisqualified
		return res
	}
	g, err := c.gather(ctx, in)
	if err != nil {
		res.Policy = unavailable(in.Criteria.PolicyRevision, err)
		res.Outcome = domain.OutcomeNeedsReview
		return res
	}
	criteria := g.input.Criteria
	res.Revision = criteria.PolicyRevision
	if sig := g.input.Provenance.Signature; sig.Status != domain.SignatureAbsent {
		res.Signature = &sig
	}
	res.License = g.license

	start := time.Now()
	// Decide fails closed by itself: on error it returns a needs-review
	// decision naming the cause, which is what the check reports.
	res.Policy, _ = g.engine.Decide(ctx, g.input)
	c.observe("policy", start)

	if res.Completeness, err = manifest.Completeness(in.Manifest, criteria); err != nil {
		res.Intake = append(res.Intake, domain.Finding{Rule: "intake.completeness", Severity: domain.SeverityInfo,
			Message: "the completeness of this manifest could not be scored: " + err.Error(), Source: "modeltender completeness score"})
	}
	res.Outcome = outcome(res)
	return res
}

// gathered is what the check gathers for the policies: the engine of the
// revision, the license review, and the input they decide on.
type gathered struct {
	engine  *policies.Engine
	license domain.LicenseReport
	input   policies.Input
}

// gather prepares the policies' decision on in: the rules of its revision
// (the criteria stamped with it), the model signature verified under the
// vendor's identities, and the license review.
func (c *Checker) gather(ctx context.Context, in Input) (gathered, error) {
	engine, analyzer, err := c.rules.For(ctx, in.Criteria.PolicyRevision)
	if err != nil {
		return gathered{}, err
	}
	criteria := in.Criteria
	criteria.PolicyRevision = engine.Revision()
	sig := c.signature(in.Manifest, in.Identities)

	start := time.Now()
	license := analyzer.Review(in.Manifest, criteria)
	c.observe("license", start)

	return gathered{engine: engine, license: license, input: policies.Input{
		Criteria: criteria, Manifest: in.Manifest, LicenseFindings: license.Findings,
		LicenseNormalization: analyzer.Normalize(in.Manifest), AsOf: in.AsOf,
		Provenance: policies.Provenance{Signature: sig},
	}}, nil
}

// PolicyInput is the input document Check would give the policies for in,
// as OPA reads it: with the bundle of its revision (`modeltender policy
// export --opa`), `opa eval -b DIR -I 'data.modeltender.evaluation.decision'`
// reaches the same decision without modeltender. A candidate that intake
// already refuses never reaches the policies and has none.
func (c *Checker) PolicyInput(ctx context.Context, in Input) (json.RawMessage, error) {
	if hasDeny(Intake(in.Manifest)) {
		return nil, fmt.Errorf("%s fails intake, so the policies never decide on it", in.Manifest.Name)
	}
	g, err := c.gather(ctx, in)
	if err != nil {
		return nil, err
	}
	return policies.InputDocument(g.input)
}

func (c *Checker) observe(part string, start time.Time) {
	if c.Observe != nil {
		c.Observe(part, time.Since(start))
	}
}

// Intake validates a manifest against the manifest schema again, as it is
// stored, and adds what reading the vendor's document found: a manifest
// that does not validate is a deny naming each field.
func Intake(m domain.Manifest) []domain.Finding {
	found := slices.Clone(m.IntakeFindings)
	m.IntakeFindings = nil // set by the readers, so not part of the vendor's schema
	doc, err := json.Marshal(m)
	if err == nil {
		_, err = manifest.ParseJSON(doc, "")
	}
	if err == nil {
		return nonNil(found)
	}
	msg := err.Error()
	var de *domain.Error
	if errors.As(err, &de) && len(de.Fields) > 0 {
		parts := make([]string, len(de.Fields))
		for i, f := range de.Fields {
			parts[i] = f.Field + ": " + f.Message
		}
		msg = de.Message + ": " + strings.Join(parts, "; ")
	}
	return append(found, domain.Finding{
		Rule: "intake.schema", Severity: domain.SeverityDeny, Message: msg,
		Source: "modeltender manifest schema 1",
		Fix:    "correct the fields named and resubmit the candidate; the schema is at /api/v1/schemas/manifest.json",
	})
}

func nonNil(f []domain.Finding) []domain.Finding {
	if f == nil {
		return []domain.Finding{}
	}
	return f
}

// outcome is what the automated check concludes before any human looks:
// a deny anywhere disqualifies; a license to resolve or a warning needs a
// reviewer; otherwise the candidate qualifies (and still goes to approval).
func outcome(c domain.CandidateCheck) domain.Outcome {
	switch {
	case hasDeny(c.Intake) || hasDeny(c.License.Findings) || len(c.Policy.Deny) > 0:
		return domain.OutcomeDisqualified
	case c.License.NeedsResolution || len(c.Policy.Warn) > 0:
		return domain.OutcomeNeedsReview
	}
	return domain.OutcomeQualified
}

func hasDeny(f []domain.Finding) bool {
	for _, x := range f {
		if x.Severity == domain.SeverityDeny {
			return true
		}
	}
	return false
}

// RevisionUnavailableRule names the finding of a check whose frozen policy
// revision could not be loaded.
const RevisionUnavailableRule = "policy.revision-unavailable"

// unavailable is the decision when the rules of revision cannot be had: a
// reviewer judges by hand, under the most approvals, rather than anyone
// judging the candidate by rules the solicitation did not publish.
func unavailable(revision string, cause error) domain.PolicyDecision {
	return domain.PolicyDecision{
		Outcome: domain.OutcomeNeedsReview,
		Deny:    []domain.Finding{},
		Warn: []domain.Finding{{
			Rule: RevisionUnavailableRule, Severity: domain.SeverityWarn,
			Message:  fmt.Sprintf("the rules this solicitation froze at publication (policy revision %s) could not be loaded: %v", revision, cause),
			Evidence: domain.Evidence{Component: "policy bundle", Quote: revision},
			Source:   "modeltender fairness rule: rules freeze at publication",
			Fix:      "restore the policy bundle of that revision (modeltender policy export on a database that has it) and re-run the check; until then, review the candidate by hand against the published criteria",
		}},
		Info:              []domain.Finding{},
		ApprovalsRequired: 2,
		Revision:          revision,
	}
}

// Fixed are the rules of one bundle, the one this process started with: it
// serves that revision only.
type Fixed struct {
	Engine        *policies.Engine
	Analyzer      *licensing.Analyzer
	PackCatalogue []policies.Pack
}

// For returns the bundle's engine and analyzer when revision is theirs (or "").
func (f Fixed) For(_ context.Context, revision string) (*policies.Engine, *licensing.Analyzer, error) {
	if err := f.serves(revision); err != nil {
		return nil, nil, err
	}
	return f.Engine, f.Analyzer, nil
}

// Packs returns the bundle's packs when revision is its own (or "").
func (f Fixed) Packs(_ context.Context, revision string) ([]policies.Pack, error) {
	return f.PackCatalogue, f.serves(revision)
}

func (f Fixed) serves(revision string) error {
	if revision != "" && revision != f.Engine.Revision() {
		return fmt.Errorf("this process runs policy revision %s only", f.Engine.Revision())
	}
	return nil
}

// Current are rules by revision where "" means the revision this process
// started with: drafts and offline checks have none frozen yet.
type Current struct {
	Rules    Rules
	Revision string
}

// For returns the engine and analyzer of revision, or of the current one for "".
func (c Current) For(ctx context.Context, revision string) (*policies.Engine, *licensing.Analyzer, error) {
	return c.Rules.For(ctx, cmp.Or(revision, c.Revision))
}

// Packs returns the packs of revision, or of the current one for "".
func (c Current) Packs(ctx context.Context, revision string) ([]policies.Pack, error) {
	return c.Rules.Packs(ctx, cmp.Or(revision, c.Revision))
}

// Packs are the policy packs of a solicitation frozen at revision ("" for
// a draft: this process's), so its requirements and notice stay those it
// was published with.
func (c *Checker) Packs(ctx context.Context, revision string) ([]policies.Pack, error) {
	packs, err := c.rules.Packs(ctx, revision)
	if err != nil {
		return nil, fmt.Errorf("policy packs of revision %s: %w", revision, err)
	}
	return packs, nil
}
