// Package policies owns the rules that decide on a candidate model and on
// who may do what: the Rego policies in this directory (safety evidence,
// procurement rules, openness, the evaluation decision, authorization), the
// data they read from data/*.json, and the Engine that evaluates them.
//
// Policies and data are embedded in the binary and prepared once; an agency
// may replace them with a directory of its own (Dir, MODELTENDER_POLICY_DIR)
// laid out the same way. Each data file data/<name>.json is mounted at
// data.modeltender.<name> (hyphens become underscores). The package
// modeltender.tables (tables.rego) derives lookup tables from that data
// alone; the engine evaluates it once per bundle and decides with its
// values. The bundle revision is a content hash, so a decision can be
// reproduced under the exact rules that made it.
package policies

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/modeltender/modeltender/internal/domain"
)

// bundle holds the policies, their Rego tests and their data, and the Model
// Openness Tool's schema that intake validates MOF model files against.
//
//go:embed *.rego data/*.json data/mot/mof_schema.json data/licenses/*.txt
var bundle embed.FS

// EnvPolicyDir names the environment variable that points serve, worker and
// evaluate at a policy directory instead of the embedded bundle.
const EnvPolicyDir = "MODELTENDER_POLICY_DIR"

const (
	decisionQuery = "data.modeltender.evaluation.decision"
	allowQuery    = "data.modeltender.authz.allow"

	// EvaluationErrorRule names the finding Decide returns when the policies
	// could not decide: a human has to review instead.
	EvaluationErrorRule = "policy-evaluation-error"
)

// Data returns the vendored data files (evidence requirements, permissions,
// MOF components, SPDX license list, license knowledge base and texts),
// rooted at the data directory, so other packages read the same facts the
// policies do. With Dir, a file the directory's data/ holds is read from
// there and any other from the embedded bundle: a policy directory that
// replaces only the Rego keeps the embedded license knowledge base.
func Data(opts ...Option) fs.FS {
	// Sub fails only on an invalid path, and "data" is valid.
	embedded, _ := fs.Sub(bundle, "data")
	o := newOptions(opts)
	if o.fsys == fs.FS(bundle) {
		return embedded
	}
	own, _ := fs.Sub(o.fsys, "data")
	return overlay{own, embedded}
}

// overlay reads each named file from top, or from under when top lacks it.
// It serves fs.ReadFile and Open; it does not merge directory listings.
type overlay struct{ top, under fs.FS }

func (o overlay) Open(name string) (fs.File, error) {
	f, err := o.top.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return o.under.Open(name)
	}
	return f, err
}

// Engine evaluates the embedded policies. It is safe for concurrent use.
type Engine struct {
	decision rego.PreparedEvalQuery
	allow    rego.PreparedEvalQuery
	revision string
}

// Input is what the policies decide on for one candidate.
type Input struct {
	Criteria        domain.Criteria  `json:"criteria"`
	Manifest        domain.Manifest  `json:"manifest"`
	LicenseFindings []domain.Finding `json:"license_findings"`
	// LicenseNormalization maps a license as the manifest writes it to the
	// SPDX id the license knowledge base resolves it to ("Apache 2.0" ->
	// "Apache-2.0"), for the openness class with licenses normalized. Nil
	// means no license needs resolving.
	LicenseNormalization map[string]string `json:"license_normalization,omitempty"`
	// AsOf is the date evidence ages are measured at: the solicitation deadline.
	AsOf time.Time `json:"as_of"`
}

// Decision is the policies' verdict on one candidate.
type Decision struct {
	// Outcome is disqualified (a deny), needs_review (a warn, or the
	// policies could not decide) or qualified.
	Outcome  domain.Outcome   `json:"outcome"`
	Deny     []domain.Finding `json:"deny"`
	Warn     []domain.Finding `json:"warn"`
	Info     []domain.Finding `json:"info"`
	Openness Openness         `json:"openness"`
	// Score is the openness preference points the candidate earns.
	Score             float64 `json:"score"`
	ApprovalsRequired int     `json:"approvals_required"`
	// Packs are the policy packs applied, each with what it requires and
	// what the candidate still lacks.
	Packs    []PackStatus `json:"packs"`
	Revision string       `json:"revision"`
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

// Option changes where NewEngine reads the bundle from.
type Option func(*options)

type options struct{ fsys fs.FS }

func newOptions(opts []Option) options {
	o := options{fsys: bundle}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Dir reads the policies and data from dir (laid out as this package:
// *.rego, data/*.json) instead of the embedded bundle; "" keeps the
// embedded bundle.
func Dir(dir string) Option {
	return func(o *options) {
		if dir != "" {
			o.fsys = os.DirFS(dir)
		}
	}
}

// Embedded is the bundle built into the binary, for Test and CheckFormat.
func Embedded() fs.FS { return bundle }

// NewEngine parses, compiles and prepares the policies once: the embedded
// bundle, or the directory given with Dir.
func NewEngine(ctx context.Context, opts ...Option) (*Engine, error) {
	o := newOptions(opts)
	files, err := bundleFiles(o.fsys)
	if err != nil {
		return nil, err
	}
	modules, err := parseModules(files)
	if err != nil {
		return nil, err
	}
	store, err := newStore(files)
	if err != nil {
		return nil, err
	}
	compiler, err := compile(modules)
	if err != nil {
		return nil, err
	}
	if modules, err = foldTables(ctx, compiler, store, modules); err != nil {
		return nil, err
	}
	if compiler, err = compile(modules); err != nil {
		return nil, err
	}
	prepare := func(query string) (rego.PreparedEvalQuery, error) {
		q, err := rego.New(rego.Query(query), rego.Compiler(compiler), rego.Store(store)).PrepareForEval(ctx)
		if err != nil {
			return q, fmt.Errorf("prepare %s: %w", query, err)
		}
		return q, nil
	}
	e := &Engine{revision: revision(files)}
	if e.decision, err = prepare(decisionQuery); err != nil {
		return nil, err
	}
	if e.allow, err = prepare(allowQuery); err != nil {
		return nil, err
	}
	return e, nil
}

// Revision identifies the policy bundle: "sha256:<hex>" over the paths and
// contents of every policy and data file. Two engines built from the same
// files report the same revision.
func (e *Engine) Revision() string { return e.revision }

// Decide evaluates the candidate in in. It fails closed: when the policies
// cannot decide, it returns the error together with a Decision holding one
// warn finding (EvaluationErrorRule), so the candidate goes to a human and
// never passes unchecked.
func (e *Engine) Decide(ctx context.Context, in Input) (Decision, error) {
	d, err := e.decide(ctx, in)
	if err != nil {
		return e.reviewByHand(err), fmt.Errorf("policy decision for %q: %w", in.Manifest.Name, err)
	}
	return d, nil
}

func (e *Engine) decide(ctx context.Context, in Input) (Decision, error) {
	value, err := regoInput(in)
	if err != nil {
		return Decision{}, err
	}
	rs, err := e.decision.Eval(ctx, rego.EvalParsedInput(value), rego.EvalGenerateJSON(keepValue))
	if err != nil {
		return Decision{}, fmt.Errorf("evaluate %s: %w", decisionQuery, err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return Decision{}, fmt.Errorf("evaluate %s: got %d results, want exactly one decision", decisionQuery, len(rs))
	}
	d, err := decodeDecision(rs[0].Expressions[0].Value.(ast.Value))
	if err != nil {
		return Decision{}, err
	}
	d.Revision = e.revision
	return d, nil
}

// regoInput validates in and converts it to the document the policies read.
func regoInput(in Input) (ast.Value, error) {
	switch in.Criteria.RiskTier {
	case domain.RiskStandard, domain.RiskHighImpact:
	default:
		// An unknown tier would match no evidence requirement and pass silently.
		return nil, fmt.Errorf("criteria.risk_tier %q is not one of %q, %q", in.Criteria.RiskTier, domain.RiskStandard, domain.RiskHighImpact)
	}
	if in.AsOf.IsZero() {
		return nil, errors.New("as_of is not set: give the date evidence ages are measured at (the solicitation deadline)")
	}
	findings := in.LicenseFindings
	if findings == nil {
		findings = []domain.Finding{}
	}
	normalization := in.LicenseNormalization
	if normalization == nil {
		normalization = map[string]string{}
	}
	doc := struct {
		Criteria             domain.Criteria   `json:"criteria"`
		Manifest             domain.Manifest   `json:"manifest"`
		LicenseFindings      []domain.Finding  `json:"license_findings"`
		LicenseNormalization map[string]string `json:"license_normalization"`
		// The calendar day in in.AsOf's own zone: the day the agency set the deadline on.
		AsOf string `json:"as_of"`
	}{in.Criteria, in.Manifest, findings, normalization, in.AsOf.Format(time.DateOnly)}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode policy input: %w", err)
	}
	value, err := valueFromJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("convert policy input: %w", err)
	}
	return value, nil
}

// keepValue leaves a query result as the OPA value the policy made, for
// decodeDecision, instead of converting it to Go maps and slices.
func keepValue(t *ast.Term, _ *rego.EvalContext) (any, error) { return t.Value, nil }

// decodeDecision checks that the policy returned exactly the decision
// document shape; anything else is an error, not a pass.
func decodeDecision(value ast.Value) (Decision, error) {
	raw, err := appendJSON(make([]byte, 0, 4096), value)
	if errors.Is(err, errNotPlainJSON) {
		// Keys that are not strings: leave their spelling to OPA's conversion.
		var doc any
		if doc, err = ast.JSON(value); err == nil {
			raw, err = json.Marshal(doc)
		}
	}
	if err != nil {
		return Decision{}, fmt.Errorf("encode decision: %w", err)
	}
	var doc struct {
		Outcome           *domain.Outcome   `json:"outcome"`
		Deny              *[]domain.Finding `json:"deny"`
		Warn              *[]domain.Finding `json:"warn"`
		Info              *[]domain.Finding `json:"info"`
		Openness          *Openness         `json:"openness"`
		Score             *float64          `json:"score"`
		ApprovalsRequired *int              `json:"approvals_required"`
		Packs             *[]PackStatus     `json:"packs"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return Decision{}, fmt.Errorf("decision has an unexpected shape: %w", err)
	}
	if doc.Outcome == nil || doc.Deny == nil || doc.Warn == nil || doc.Info == nil || doc.Openness == nil || doc.Score == nil || doc.ApprovalsRequired == nil || doc.Packs == nil {
		return Decision{}, fmt.Errorf("decision lacks outcome, deny, warn, info, openness, score, approvals_required or packs: %s", raw)
	}
	if *doc.ApprovalsRequired < 1 {
		return Decision{}, fmt.Errorf("decision requires %d approvals, want at least 1", *doc.ApprovalsRequired)
	}
	d := Decision{Outcome: *doc.Outcome, Deny: *doc.Deny, Warn: *doc.Warn, Info: *doc.Info, Openness: *doc.Openness,
		Score: *doc.Score, ApprovalsRequired: *doc.ApprovalsRequired, Packs: *doc.Packs}
	if want := outcomeOf(d); d.Outcome != want {
		// A pass the findings do not support must not slip through an edited policy.
		return Decision{}, fmt.Errorf("decision outcome %q contradicts its findings, which call for %q", d.Outcome, want)
	}
	for severity, findings := range map[domain.Severity][]domain.Finding{
		domain.SeverityDeny: d.Deny, domain.SeverityWarn: d.Warn, domain.SeverityInfo: d.Info,
	} {
		for _, f := range findings {
			if f.Rule == "" || f.Severity != severity || f.Message == "" {
				return Decision{}, fmt.Errorf("finding %+v in the %s list needs a rule, a message and severity %s", f, severity, severity)
			}
		}
	}
	return d, nil
}

// outcomeOf is the outcome d's findings call for.
func outcomeOf(d Decision) domain.Outcome {
	switch {
	case len(d.Deny) > 0:
		return domain.OutcomeDisqualified
	case len(d.Warn) > 0:
		return domain.OutcomeNeedsReview
	}
	return domain.OutcomeQualified
}

// reviewByHand is the decision when the policies could not decide.
func (e *Engine) reviewByHand(cause error) Decision {
	return Decision{
		Outcome: domain.OutcomeNeedsReview,
		Deny:    []domain.Finding{},
		Warn: []domain.Finding{{
			Rule:     EvaluationErrorRule,
			Severity: domain.SeverityWarn,
			Message:  fmt.Sprintf("the automated policy checks could not decide on this candidate (%v), so a reviewer must check it by hand", cause),
			Evidence: domain.Evidence{Component: "policy bundle", Quote: e.revision},
			Source:   "modeltender policy engine",
			Fix:      "Correct the input or policy error named in the message and re-run the evaluation; until then, review safety evidence, data use and licenses manually.",
		}},
		Info:  []domain.Finding{},
		Packs: []PackStatus{},
		// The rule that would lower it did not run, so ask for the most.
		ApprovalsRequired: 2,
		Revision:          e.revision,
	}
}

// Allow reports whether role may take action. It returns false with the
// error when the policy cannot be evaluated.
func (e *Engine) Allow(ctx context.Context, role domain.Role, action string) (bool, error) {
	input := ast.NewObject(
		ast.Item(ast.StringTerm("user"), ast.ObjectTerm(ast.Item(ast.StringTerm("role"), ast.StringTerm(string(role))))),
		ast.Item(ast.StringTerm("action"), ast.StringTerm(action)),
	)
	rs, err := e.allow.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return false, fmt.Errorf("authorize %s to %s: %w", role, action, err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return false, fmt.Errorf("authorize %s to %s: got %d results, want one", role, action, len(rs))
	}
	allowed, ok := rs[0].Expressions[0].Value.(bool)
	if !ok {
		return false, fmt.Errorf("authorize %s to %s: policy returned %T, want bool", role, action, rs[0].Expressions[0].Value)
	}
	return allowed, nil
}

// bundleFile is one embedded file that takes part in decisions.
type bundleFile struct {
	path    string
	content []byte
}

// bundleFiles returns the policies and data of fsys, sorted by path: *.rego
// anywhere and data/**/*.json. Rego test files are left out: they decide
// nothing, so changing a test keeps the revision.
func bundleFiles(fsys fs.FS) ([]bundleFile, error) {
	return readBundle(fsys, func(p string) bool {
		return (path.Ext(p) == ".rego" && !strings.HasSuffix(p, "_test.rego")) ||
			(strings.HasPrefix(p, "data/") && path.Ext(p) == ".json")
	})
}

// testFiles returns the Rego test files (*_test.rego) of fsys.
func testFiles(fsys fs.FS) ([]bundleFile, error) {
	return readBundle(fsys, func(p string) bool { return strings.HasSuffix(p, "_test.rego") })
}

func readBundle(fsys fs.FS, want func(string) bool) ([]bundleFile, error) {
	var files []bundleFile
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !want(p) {
			return nil
		}
		content, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		files = append(files, bundleFile{path: p, content: content})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list policy bundle: %w", err)
	}
	slices.SortFunc(files, func(a, b bundleFile) int { return strings.Compare(a.path, b.path) })
	return files, nil
}

// revision hashes each file's path and length before its content, so moving
// bytes from one file to the next changes the hash.
func revision(files []bundleFile) string {
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%s\x00%d\x00", f.path, len(f.content))
		h.Write(f.content)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func parseModules(files []bundleFile) (map[string]*ast.Module, error) {
	modules := map[string]*ast.Module{}
	for _, f := range files {
		if path.Ext(f.path) != ".rego" {
			continue
		}
		m, err := ast.ParseModuleWithOpts(f.path, string(f.content), ast.ParserOptions{
			RegoVersion:       ast.RegoV1,
			ProcessAnnotation: true,
		})
		if err != nil {
			return nil, fmt.Errorf("parse policy %s: %w", f.path, err)
		}
		modules[f.path] = m
	}
	return modules, nil
}

func compile(modules map[string]*ast.Module) (*ast.Compiler, error) {
	compiler := ast.NewCompiler()
	if compiler.Compile(modules); compiler.Failed() {
		return nil, fmt.Errorf("compile policies: %w", compiler.Errors)
	}
	return compiler, nil
}

// tablesPackage holds the rules that follow from the data files alone
// (tables.rego): the same for every decision, so computed once per engine.
var tablesPackage = ast.MustParseRef("data.modeltender.tables")

// foldTables evaluates the tables package once, compiled in compiler against
// store, and returns the modules with that package replaced by one module of
// constant rules holding its values (the same document, so the other
// packages read it as before), or modules unchanged when there is no such
// package.
func foldTables(ctx context.Context, compiler *ast.Compiler, store storage.Store, modules map[string]*ast.Module) (map[string]*ast.Module, error) {
	folded := map[string]*ast.Module{}
	var file string
	for name, m := range modules {
		if m.Package.Path.Equal(tablesPackage) {
			file = name
			continue
		}
		folded[name] = m
	}
	if file == "" {
		return modules, nil
	}
	if err := checkTablesReadDataOnly(compiler); err != nil {
		return nil, err
	}
	rs, err := rego.New(
		rego.Query(tablesPackage.String()),
		rego.Compiler(compiler),
		rego.Store(store),
		// JSON would turn the tables' sets into arrays.
		rego.GenerateJSON(keepValue),
	).Eval(ctx)
	if err != nil {
		return nil, fmt.Errorf("evaluate %s: %w", tablesPackage, err)
	}
	var tables ast.Object
	if len(rs) == 1 && len(rs[0].Expressions) == 1 {
		tables, _ = rs[0].Expressions[0].Value.(ast.Object)
	}
	if tables == nil {
		return nil, fmt.Errorf("evaluate %s: got %d results, want one object", tablesPackage, len(rs))
	}
	// Each table becomes `name := true`, parsed so the rule is well formed,
	// and then gets its value.
	names := tables.Keys()
	src := "package " + strings.TrimPrefix(tablesPackage.String(), "data.") + "\n"
	for _, name := range names {
		src += "\n" + string(name.Value.(ast.String)) + " := true\n"
	}
	m, err := ast.ParseModuleWithOpts(file, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return nil, fmt.Errorf("fold %s: %w", tablesPackage, err)
	}
	for i, name := range names {
		m.Rules[i].Head.Value = tables.Get(name)
	}
	folded[file] = m
	return folded, nil
}

// checkTablesReadDataOnly makes sure the tables package reads nothing but
// data files and its own rules: a table computed once must not depend on a
// candidate, and a rule of another package may read input.
func checkTablesReadDataOnly(compiler *ast.Compiler) error {
	var problems []string
	for _, m := range compiler.Modules {
		if !m.Package.Path.Equal(tablesPackage) {
			continue
		}
		ast.WalkRefs(m, func(r ast.Ref) bool {
			switch {
			case r.HasPrefix(ast.InputRootRef):
				problems = append(problems, fmt.Sprintf("%v reads input", r.GroundPrefix()))
			case r.HasPrefix(ast.DefaultRootRef) && !r.HasPrefix(tablesPackage) && readsRules(compiler.RuleTree, r.GroundPrefix()):
				problems = append(problems, fmt.Sprintf("%v reads rules outside the package", r.GroundPrefix()))
			}
			return false
		})
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("%s must follow from the data files alone, since it is computed once per policy bundle: %s",
			tablesPackage, strings.Join(slices.Compact(problems), "; "))
	}
	return nil
}

// readsRules reports whether ref reaches a rule: one along its path (a
// document it reads into) or one under it.
func readsRules(tree *ast.TreeNode, ref ast.Ref) bool {
	node := tree
	for _, t := range ref {
		if node = node.Child(t.Value); node == nil {
			return false
		}
		if len(node.Values) > 0 {
			return true
		}
	}
	found := false
	node.DepthFirst(func(n *ast.TreeNode) bool {
		found = found || len(n.Values) > 0
		return found
	})
	return found
}

// newStore mounts every data/<name>.json at data.modeltender.<name>.
func newStore(files []bundleFile) (storage.Store, error) {
	docs := map[string]any{}
	for _, f := range files {
		if path.Dir(f.path) != "data" || path.Ext(f.path) != ".json" {
			continue
		}
		var doc any
		if err := util.UnmarshalJSON(f.content, &doc); err != nil {
			return nil, fmt.Errorf("decode policy data %s: %w", f.path, err)
		}
		name := strings.ReplaceAll(strings.TrimSuffix(path.Base(f.path), ".json"), "-", "_")
		docs[name] = doc
	}
	return inmem.NewFromObjectWithOpts(map[string]any{"modeltender": docs}, inmem.OptReturnASTValuesOnRead(true)), nil
}
