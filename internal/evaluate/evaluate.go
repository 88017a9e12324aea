// Package evaluate is `modeltender evaluate`: intake, license review and the
// policy decision on manifest files, offline (no database, no Temporal). It
// lives outside cmd/modeltender so its tests do not link the dev stack.
package evaluate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/modeltender/modeltender/internal/check"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/licensing"
	"github.com/modeltender/modeltender/internal/manifest"
	"github.com/modeltender/modeltender/policies"
)

var usage = "usage: modeltender evaluate [--format " + manifest.FormatNames("|") + "] [--solicitation FILE] [--policy-dir DIR] [--signing-key PEM]... [--signing-certificate PEM]... [--policy-input] FILE..."

// InputError is input modeltender cannot read (a file, a flag): the command
// exits with status 2, as it is not a failure of modeltender itself.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Unreadable marks err as an InputError.
func Unreadable(err error) error { return &InputError{Err: err} }

// solicitationFile is what --solicitation reads: the evaluation criteria and
// the deadline evidence ages are measured at.
type solicitationFile struct {
	domain.Criteria
	Deadline string `json:"deadline"` // YYYY-MM-DD or RFC 3339; default today
}

// Evaluation is one file's result as evaluate prints it.
type Evaluation struct {
	File         string              `json:"file"`
	Format       manifest.Format     `json:"format"`
	Manifest     string              `json:"manifest"`
	ManifestHash string              `json:"manifest_hash"`
	Unmapped     []manifest.Unmapped `json:"unmapped"`
	// Outcome is the check's outcome: the policy decision's, or needs_review
	// when a license needs a reviewer's resolution, or disqualified at intake.
	Outcome domain.Outcome   `json:"outcome"`
	Intake  []domain.Finding `json:"intake"`
	// Completeness scores what the manifest states of what the decision needs.
	Completeness domain.Completeness  `json:"completeness"`
	License      domain.LicenseReport `json:"license"`
	// Signature is the verdict on the candidate's model signature, verified
	// under the identities given with --signing-key and
	// --signing-certificate; absent when it carries none.
	Signature *domain.SignatureVerdict `json:"signature,omitempty"`
	domain.PolicyDecision
}

// Run runs intake, license review and the policy decision on each
// file without a database or Temporal and prints one JSON decision per file
// (an array for several). It decides whatever the outcome; only unreadable
// input (exit 2) or a broken policy bundle stops it.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("evaluate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	formatName := fs.String("format", string(manifest.FormatAuto), "input format: "+manifest.FormatNames(", "))
	solicitation := fs.String("solicitation", "", "JSON file with risk_tier, expected_monthly_users, use_cases, minimum_openness_class, openness_preference_points, deadline")
	policyDir := fs.String("policy-dir", getenv(policies.EnvPolicyDir), "directory of Rego policies and data/ to use instead of the embedded bundle")
	policyInput := fs.Bool("policy-input", false, "print each candidate's policy input document instead of deciding, for `opa eval -b DIR -I data.modeltender.evaluation.decision` on the bundle `modeltender policy export` writes")
	var keys, chains fileList
	fs.Var(&keys, "signing-key", "PEM public key the vendor signs models with, as it would register it (repeatable)")
	fs.Var(&chains, "signing-certificate", "PEM certificate chain, root included, the vendor's signing certificates chain to (repeatable)")
	if err := fs.Parse(ReorderFlags(args)); err != nil {
		return Unreadable(err)
	}
	identities, err := signingIdentities(keys, chains)
	if err != nil {
		return Unreadable(err)
	}
	if fs.NArg() == 0 {
		return Unreadable(fmt.Errorf("no file to evaluate: give one or more manifest files (%s)", usage))
	}
	format, err := manifest.ParseFormat(*formatName)
	if err != nil {
		return Unreadable(err)
	}
	criteria, asOf, err := readSolicitation(*solicitation)
	if err != nil {
		return Unreadable(err)
	}
	engine, err := policies.NewEngine(ctx, policies.Dir(*policyDir), policies.OneShot())
	if err != nil {
		return fmt.Errorf("load policies: %w", err)
	}
	analyzer, err := licensing.NewAnalyzer(policies.Dir(*policyDir))
	if err != nil {
		return err
	}
	if problems := analyzer.CheckUseCases(criteria.UseCases); len(problems) > 0 {
		return Unreadable(fmt.Errorf("%s: use_cases: %s", *solicitation, strings.Join(problems, "; ")))
	}
	checker := check.New(check.Fixed{Engine: engine, Analyzer: analyzer})
	var results []any
	for _, file := range fs.Args() {
		data, err := os.ReadFile(file)
		if err != nil {
			return Unreadable(err)
		}
		cs, err := manifest.ParseAll(data, format, "")
		if err != nil {
			return Unreadable(fmt.Errorf("%s: %w", file, describe(err)))
		}
		for _, c := range cs {
			in := check.Input{Manifest: c.Manifest, Criteria: criteria, AsOf: asOf, Identities: identities}
			if *policyInput {
				doc, err := checker.PolicyInput(ctx, in)
				if err != nil {
					return Unreadable(fmt.Errorf("%s: %w", file, err))
				}
				results = append(results, doc)
				continue
			}
			res := checker.Check(ctx, in)
			if slices.ContainsFunc(res.Policy.Warn, func(f domain.Finding) bool { return f.Rule == policies.EvaluationErrorRule }) {
				fmt.Fprintf(stderr, "%s: the policies could not decide, so the decision needs review\n", file)
			}
			results = append(results, Evaluation{File: file, Format: c.Format, Manifest: c.Manifest.Name, ManifestHash: res.ManifestHash,
				Unmapped: c.Unmapped, Outcome: res.Outcome, Intake: res.Intake, Completeness: res.Completeness, License: res.License,
				Signature: res.Signature, PolicyDecision: res.Policy})
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if len(results) == 1 {
		return enc.Encode(results[0])
	}
	return enc.Encode(results)
}

// fileList is a flag given once per file.
type fileList []string

func (l *fileList) String() string     { return strings.Join(*l, ",") }
func (l *fileList) Set(v string) error { *l = append(*l, v); return nil }

// signingIdentities are the identities the flags name, as a vendor would
// register them, so a signed candidate is judged offline as in a bid.
func signingIdentities(keys, chains []string) ([]domain.SigningIdentity, error) {
	var out []domain.SigningIdentity
	add := func(file string, id domain.SigningIdentity) error {
		pemData, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		id.ID, id.Name = fmt.Sprintf("cli-%d", len(out)+1), file
		if id.Method == domain.SigningKey {
			id.PublicKey = string(pemData)
		} else {
			id.CertificateChain = string(pemData)
		}
		trust, err := check.IdentityTrust(id, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		id.Fingerprint = check.IdentityFingerprint(id, trust)
		out = append(out, id)
		return nil
	}
	for _, f := range keys {
		if err := add(f, domain.SigningIdentity{Method: domain.SigningKey}); err != nil {
			return nil, err
		}
	}
	for _, f := range chains {
		if err := add(f, domain.SigningIdentity{Method: domain.SigningCertificate}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func readSolicitation(file string) (domain.Criteria, time.Time, error) {
	s := solicitationFile{Criteria: domain.Criteria{RiskTier: domain.RiskStandard, ExpectedMonthlyUsers: 1000}}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return s.Criteria, time.Time{}, err
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return s.Criteria, time.Time{}, fmt.Errorf("%s: %v; give a JSON object with risk_tier, expected_monthly_users, use_cases, minimum_openness_class (I, II or III), openness_preference_points, packs (ids from `modeltender policy packs`), require_osaid, osaid_preference_points and deadline", file, err)
		}
	}
	if m := s.MinimumOpennessClass; m != "" && m != "I" && m != "II" && m != "III" {
		return s.Criteria, time.Time{}, fmt.Errorf("%s: minimum_openness_class %q is not I, II or III", file, m)
	}
	asOf := time.Now().UTC()
	if s.Deadline != "" {
		var err error
		if asOf, err = time.Parse(time.DateOnly, s.Deadline); err != nil {
			if asOf, err = time.Parse(time.RFC3339, s.Deadline); err != nil {
				return s.Criteria, time.Time{}, fmt.Errorf("%s: deadline %q is neither YYYY-MM-DD nor RFC 3339", file, s.Deadline)
			}
		}
	}
	return s.Criteria, asOf, nil
}

// ReorderFlags lets flags follow the file name, as people type them.
func ReorderFlags(args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		if len(args[i]) > 1 && args[i][0] == '-' {
			flags = append(flags, args[i])
			if i+1 < len(args) && !strings.Contains(args[i], "=") {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		rest = append(rest, args[i])
	}
	return append(flags, rest...)
}

// describe renders a validation error with its fields for a terminal.
func describe(err error) error {
	var de *domain.Error
	if !errors.As(err, &de) || len(de.Fields) == 0 {
		return err
	}
	msg := de.Message
	for _, f := range de.Fields {
		msg += fmt.Sprintf("\n  %s: %s", f.Field, f.Message)
	}
	return errors.New(msg)
}
