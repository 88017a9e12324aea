// Package policies owns the rules that decide on a candidate model and on
// who may do what: the Rego policies in this directory (safety evidence,
// procurement rules, openness, the evaluation decision, authorization), the
// data they read from data/*.json, and the Engine that evaluates them.
//
// Policies and data are embedded in the binary and prepared once; an agency
// may replace them with a directory of its own (Dir, MODELTENDER_POLICY_DIR)
// laid out the same way. OPA's bundle reader loads them; each data file
// data/<name>.json is mounted at data.modeltender.<name> (hyphens become
// underscores). The package modeltender.tables (tables.rego) derives lookup
// tables from that data alone; the engine evaluates it once per bundle and
// decides with its values. A Bundle's revision is a content hash of its
// files, and the files rebuild the same engine (OpenBundle, FromBundle), so a
// decision can be reproduced under the exact rules that made it.
package policies

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"

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
// replaces only the Rego keeps the embedded license knowledge base. With
// FromBundle, the files are the bundle's. Either way only the bundle's files
// are served (see Bundle), so what is read is what the revision covers.
func Data(opts ...Option) fs.FS {
	// Sub fails only on an invalid path, and "data" is valid.
	embedded, _ := fs.Sub(bundle, "data")
	o := newOptions(opts)
	switch {
	case o.bundle != nil:
		data, _ := fs.Sub(o.bundle.fsys, "data")
		return data
	case o.own == nil:
		return embedded
	}
	own, _ := fs.Sub(o.own, "data")
	return overlay{own, embedded}
}

// overlay reads each named data file from top, or from under when top lacks
// it. It serves fs.ReadFile and Open; it does not merge directory listings.
type overlay struct{ top, under fs.FS }

func (o overlay) Open(name string) (fs.File, error) {
	if !isBundleFile("data/" + name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	f, err := o.top.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return o.under.Open(name)
	}
	return f, err
}

// Engine evaluates the policies of one bundle, and remembers its recent
// decisions. It is safe for concurrent use.
type Engine struct {
	decision rego.PreparedEvalQuery
	allow    rego.PreparedEvalQuery
	revision string
	// decisions remembers recent decisions; nil when a rule calls a
	// non-deterministic built-in.
	decisions *decisionCache
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
	// Provenance is what the check established of where the weights come
	// from: the verdict on their OMS signature (provenance.rego).
	Provenance Provenance `json:"provenance"`
}

// Provenance is the provenance evidence of a candidate.
type Provenance struct {
	Signature domain.SignatureVerdict `json:"signature"`
}

// Option changes where NewEngine, Data and LoadBundle read the bundle from,
// or how NewEngine prepares it.
type Option func(*options)

type options struct {
	// own is a policy directory: its Rego, and its data files over the
	// embedded ones. Nil with bundle nil: the embedded bundle.
	own fs.FS
	// bundle is a bundle already loaded, read as it is.
	bundle *Bundle
	// unfolded leaves the tables package as Rego instead of folding it
	// into constants (OneShot).
	unfolded bool
}

func newOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Dir reads the policies from dir (laid out as this package: *.rego,
// data/*.json, data/licenses/*.txt, data/mot/mof_schema.json) instead of the
// embedded bundle, and each
// data file from dir when it has it and from the embedded bundle otherwise;
// "" keeps the embedded bundle.
func Dir(dir string) Option {
	return func(o *options) {
		if dir != "" {
			o.own, o.bundle = os.DirFS(dir), nil
		}
	}
}

// FromBundle reads the policies and data from b alone, such as a bundle
// frozen under a solicitation's revision and loaded with OpenBundle.
func FromBundle(b *Bundle) Option {
	return func(o *options) { o.own, o.bundle = nil, b }
}

// OneShot prepares an engine for a process that decides once or a few
// times, such as `modeltender evaluate`: the tables package is left as
// Rego and computed within each decision, instead of being folded into
// constants by a second compile of the bundle, which pays back only over
// many decisions. The decisions are the same.
func OneShot() Option {
	return func(o *options) { o.unfolded = true }
}

// Embedded is the bundle built into the binary, for Test and CheckFormat.
func Embedded() fs.FS { return bundle }

// NewEngine parses, compiles and prepares the policies once: the embedded
// bundle, the directory given with Dir, or the bundle given with FromBundle.
func NewEngine(ctx context.Context, opts ...Option) (*Engine, error) {
	b, err := LoadBundle(opts...)
	if err != nil {
		return nil, err
	}
	compiler, store, err := compileBundle(ctx, b, !newOptions(opts).unfolded)
	if err != nil {
		return nil, err
	}
	prepare := func(query string) (rego.PreparedEvalQuery, error) {
		q, err := rego.New(rego.Query(query), rego.Compiler(compiler), rego.Store(store)).PrepareForEval(ctx)
		if err != nil {
			return q, fmt.Errorf("prepare %s: %w", query, err)
		}
		return q, nil
	}
	e := &Engine{revision: b.Revision()}
	if len(nondeterministicCalls(compiler)) == 0 {
		e.decisions = newDecisionCache()
	}
	if e.decision, err = prepare(decisionQuery); err != nil {
		return nil, err
	}
	if e.allow, err = prepare(allowQuery); err != nil {
		return nil, err
	}
	return e, nil
}

// compileBundle compiles b's policies against its data, with the tables
// package folded into constants when fold is set.
func compileBundle(ctx context.Context, b *Bundle, fold bool) (*ast.Compiler, storage.Store, error) {
	modules, store, err := compileInput(b, nil)
	if err != nil {
		return nil, nil, err
	}
	compiler, err := compile(modules)
	if err != nil || !fold {
		return compiler, store, err
	}
	if modules, err = foldTables(ctx, compiler, store, modules); err != nil {
		return nil, nil, err
	}
	if compiler, err = compile(modules); err != nil {
		return nil, nil, err
	}
	return compiler, store, nil
}

// Revision identifies the policy bundle the engine decides with (see
// Bundle.Revision).
func (e *Engine) Revision() string { return e.revision }

// Decide evaluates the candidate in in. It fails closed: when the policies
// cannot decide, it returns the error together with a PolicyDecision holding one
// warn finding (EvaluationErrorRule), so the candidate goes to a human and
// never passes unchecked.
func (e *Engine) Decide(ctx context.Context, in Input) (domain.PolicyDecision, error) {
	d, err := e.decide(ctx, in)
	if err != nil {
		return e.reviewByHand(err), fmt.Errorf("policy decision for %q: %w", in.Manifest.Name, err)
	}
	return d, nil
}

func (e *Engine) decide(ctx context.Context, in Input) (domain.PolicyDecision, error) {
	raw, err := inputJSON(in)
	if err != nil {
		return domain.PolicyDecision{}, err
	}
	var key [sha256.Size]byte
	if e.decisions != nil {
		key = sha256.Sum256(raw)
		if result, ok := e.decisions.get(key); ok {
			return e.decodeDecision(result)
		}
	}
	value, err := ast.ValueFromReader(bytes.NewReader(raw))
	if err != nil {
		return domain.PolicyDecision{}, fmt.Errorf("convert policy input: %w", err)
	}
	rs, err := e.decision.Eval(ctx, rego.EvalParsedInput(value))
	if err != nil {
		return domain.PolicyDecision{}, fmt.Errorf("evaluate %s: %w", decisionQuery, err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return domain.PolicyDecision{}, fmt.Errorf("evaluate %s: got %d results, want exactly one decision", decisionQuery, len(rs))
	}
	result, err := json.Marshal(rs[0].Expressions[0].Value)
	if err != nil {
		return domain.PolicyDecision{}, fmt.Errorf("encode decision: %w", err)
	}
	d, err := e.decodeDecision(result)
	if err != nil {
		return domain.PolicyDecision{}, err
	}
	if e.decisions != nil {
		e.decisions.add(key, result)
	}
	return d, nil
}

// inputJSON validates in and writes the document the policies read: all
// they read besides the bundle, so it also keys the decision cache.
// InputDocument is the JSON input document Decide evaluates the decision
// on, for running the same decision with OPA's own tools.
func InputDocument(in Input) (json.RawMessage, error) { return inputJSON(in) }

func inputJSON(in Input) ([]byte, error) {
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
	// The signature bundle itself is the check's to verify; the policies
	// read its verdict, so the bundle's bytes are not parsed into Rego.
	m := in.Manifest
	m.Weights.Signature = ""
	prov := in.Provenance
	if prov.Signature.Status == "" {
		prov.Signature.Status = domain.SignatureAbsent
	}
	if prov.Signature.Problems == nil {
		prov.Signature.Problems = []string{}
	}
	if prov.Signature.Tried == nil {
		prov.Signature.Tried = []string{}
	}
	doc := struct {
		Criteria             domain.Criteria   `json:"criteria"`
		Manifest             domain.Manifest   `json:"manifest"`
		LicenseFindings      []domain.Finding  `json:"license_findings"`
		LicenseNormalization map[string]string `json:"license_normalization"`
		// The calendar day in in.AsOf's own zone: the day the agency set the deadline on.
		AsOf       string     `json:"as_of"`
		Provenance Provenance `json:"provenance"`
	}{in.Criteria, m, findings, normalization, in.AsOf.Format(time.DateOnly), prov}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode policy input: %w", err)
	}
	return raw, nil
}

// keepValue leaves a query result as the OPA value the policy made instead
// of converting it to Go maps and slices, which would turn sets into arrays.
func keepValue(t *ast.Term, _ *rego.EvalContext) (any, error) { return t.Value, nil }

// decodeDecision is the decision in the policy's result, made under the
// engine's revision.
func (e *Engine) decodeDecision(result []byte) (domain.PolicyDecision, error) {
	d, err := decodeDecision(result)
	if err != nil {
		return domain.PolicyDecision{}, err
	}
	d.Revision = e.revision
	return d, nil
}

// decodeDecision checks that the policy returned exactly the decision
// document shape, in JSON; anything else is an error, not a pass.
func decodeDecision(raw []byte) (domain.PolicyDecision, error) {
	var doc struct {
		Outcome           *domain.Outcome      `json:"outcome"`
		Deny              *[]domain.Finding    `json:"deny"`
		Warn              *[]domain.Finding    `json:"warn"`
		Info              *[]domain.Finding    `json:"info"`
		Openness          *domain.Openness     `json:"openness"`
		Score             *float64             `json:"score"`
		ApprovalsRequired *int                 `json:"approvals_required"`
		Packs             *[]domain.PackStatus `json:"packs"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return domain.PolicyDecision{}, fmt.Errorf("decision has an unexpected shape: %w", err)
	}
	if doc.Outcome == nil || doc.Deny == nil || doc.Warn == nil || doc.Info == nil || doc.Openness == nil || doc.Score == nil || doc.ApprovalsRequired == nil || doc.Packs == nil {
		return domain.PolicyDecision{}, fmt.Errorf("decision lacks outcome, deny, warn, info, openness, score, approvals_required or packs: %s", raw)
	}
	if *doc.ApprovalsRequired < 1 {
		return domain.PolicyDecision{}, fmt.Errorf("decision requires %d approvals, want at least 1", *doc.ApprovalsRequired)
	}
	d := domain.PolicyDecision{Outcome: *doc.Outcome, Deny: *doc.Deny, Warn: *doc.Warn, Info: *doc.Info, Openness: *doc.Openness,
		Score: *doc.Score, ApprovalsRequired: *doc.ApprovalsRequired, Packs: *doc.Packs}
	if want := outcomeOf(d); d.Outcome != want {
		// A pass the findings do not support must not slip through an edited policy.
		return domain.PolicyDecision{}, fmt.Errorf("decision outcome %q contradicts its findings, which call for %q", d.Outcome, want)
	}
	for severity, findings := range map[domain.Severity][]domain.Finding{
		domain.SeverityDeny: d.Deny, domain.SeverityWarn: d.Warn, domain.SeverityInfo: d.Info,
	} {
		for _, f := range findings {
			if f.Rule == "" || f.Severity != severity || f.Message == "" {
				return domain.PolicyDecision{}, fmt.Errorf("finding %+v in the %s list needs a rule, a message and severity %s", f, severity, severity)
			}
		}
	}
	return d, nil
}

// outcomeOf is the outcome d's findings call for.
func outcomeOf(d domain.PolicyDecision) domain.Outcome {
	switch {
	case len(d.Deny) > 0:
		return domain.OutcomeDisqualified
	case len(d.Warn) > 0:
		return domain.OutcomeNeedsReview
	}
	return domain.OutcomeQualified
}

// reviewByHand is the decision when the policies could not decide.
func (e *Engine) reviewByHand(cause error) domain.PolicyDecision {
	return domain.PolicyDecision{
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
		Packs: []domain.PackStatus{},
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
