package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/inputguard"
	"github.com/modeltender/modeltender/policies"
)

// mofDefinition is the part of the vendored MOF definition intake needs.
type mofDefinition struct {
	schema     *jsonschema.Schema
	components map[string]mofComponent
}

type mofComponent struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	ContentType string `json:"content_type"`
}

var loadMOF = sync.OnceValues(func() (mofDefinition, error) {
	data := policies.Data()
	raw, err := fs.ReadFile(data, "mot/mof_schema.json")
	if err != nil {
		return mofDefinition{}, fmt.Errorf("read the Model Openness Tool schema: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return mofDefinition{}, fmt.Errorf("decode the Model Openness Tool schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	const url = "https://modeltender.dev/schemas/mof_schema.json"
	if err := c.AddResource(url, doc); err != nil {
		return mofDefinition{}, fmt.Errorf("add the Model Openness Tool schema: %w", err)
	}
	def := mofDefinition{components: map[string]mofComponent{}}
	if def.schema, err = c.Compile(url); err != nil {
		return mofDefinition{}, fmt.Errorf("compile the Model Openness Tool schema: %w", err)
	}
	raw, err = fs.ReadFile(data, "mof_components.json")
	if err != nil {
		return mofDefinition{}, fmt.Errorf("read the MOF components: %w", err)
	}
	var list struct {
		Components []mofComponent `json:"components"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return mofDefinition{}, fmt.Errorf("decode the MOF components: %w", err)
	}
	for _, comp := range list.Components {
		def.components[comp.Name] = comp
	}
	return def, nil
})

// mofFile is a Model Openness Tool model file. Pointers tell a field set to
// null or left out (the license falls back to the global one) from one set
// to "" (unlicensed), as the tool tells them apart.
type mofFile struct {
	Release struct {
		Name        string                `json:"name"`
		Version     string                `json:"version"`
		Producer    string                `json:"producer"`
		Description string                `json:"description"`
		License     map[string]mofLicense `json:"license"`
		Components  []struct {
			Name          string  `json:"name"`
			Description   string  `json:"description"`
			License       *string `json:"license"`
			LicensePath   string  `json:"license_path"`
			ComponentPath string  `json:"component_path"`
		} `json:"components"`
	} `json:"release"`
}

type mofLicense struct {
	Name *string `json:"name"`
	Path *string `json:"path"`
}

// Keys of a model file that map into domain.Manifest; every other key is
// reported as unmapped.
var (
	mofReleaseKeys   = map[string]bool{"name": true, "version": true, "producer": true, "description": true, "license": true, "components": true}
	mofComponentKeys = map[string]bool{"name": true, "description": true, "license": true, "component_path": true}
	// The tool writes "unlicensed" for a component it knows has no license.
	unlicensed = "unlicensed"
	// The MOF components that are also safety evidence, by evidence kind.
	mofEvidence = map[string]string{"Model card": "model-card", "Data card": "data-card", "Evaluation results": "evaluation-results"}
)

// ParseMOF reads a Model Openness Tool model file (YAML or JSON), validates
// it against the tool's schema and maps it into a manifest. Each component's
// license is resolved as the tool resolves it: the component's own license
// ("unlicensed" or "" means none), else the release license for the
// component's content type, else the distribution license. The manifest
// may lack what the native schema asks (weights without a license): the
// tool's own test data has such files, and Parse refuses them at a bid.
func ParseMOF(data []byte, path string) (Candidate, error) {
	def, err := loadMOF()
	if err != nil {
		return Candidate{}, err
	}
	if b := inputguard.YAMLDocument; len(data) > b.MaxBytes {
		return Candidate{}, b.TooLarge(path, len(data))
	}
	root, err := yamlRoot(data)
	if err != nil {
		return Candidate{}, domain.InvalidFields("the Model Openness Tool file is not valid YAML",
			[]domain.FieldError{{Field: orRoot(path), Message: yamlMessage(data, err)}})
	}
	y := newYAMLReader(path)
	doc, err := y.read(root)
	if err != nil {
		return Candidate{}, err
	}
	lines := y.lines
	if err := def.schema.Validate(doc); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return Candidate{}, fmt.Errorf("validate Model Openness Tool file: %w", err)
		}
		fields := leafErrors(ve, path, func(loc []string) int { return lines[strings.Join(loc, "/")] })
		return Candidate{}, domain.InvalidFields(fmt.Sprintf(
			"the Model Openness Tool file breaks the tool's schema in %d place(s): %s; see schema/mof_schema.json of lfai/model_openness_tool", len(fields), listFields(fields)), fields)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return Candidate{}, fmt.Errorf("re-encode Model Openness Tool file: %w", err)
	}
	var f mofFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return Candidate{}, domain.InvalidFields("the Model Openness Tool file does not match the tool's format",
			[]domain.FieldError{{Field: orRoot(path), Message: err.Error()}})
	}
	c := Candidate{Format: FormatMOF, Unmapped: unmappedKeys(doc, lines)}
	r := f.Release
	c.Manifest = domain.Manifest{SchemaVersion: "1", Name: r.Name, Version: r.Version, Producer: r.Producer, Description: r.Description}
	listed := map[string]int{}         // component name -> index of the entry that counts
	licenseFrom := map[string]string{} // component name -> where its license was read
	for i, rc := range r.Components {
		field := fmt.Sprintf("release.components[%d]", i)
		at := lines[fmt.Sprintf("release/components/%d", i)]
		known, ok := def.components[rc.Name]
		if !ok {
			c.Unmapped = append(c.Unmapped, Unmapped{Field: field + ".name", Line: at, Value: rc.Name,
				Reason: "not one of the 17 Model Openness Framework components, so it counts towards no class; use the component's MOF name"})
			continue
		}
		if prev, dup := listed[rc.Name]; dup {
			c.Unmapped = append(c.Unmapped, Unmapped{Field: fmt.Sprintf("release.components[%d]", prev), Value: rc.Name,
				Reason: fmt.Sprintf("listed again at %s; the later entry counts, as in the Model Openness Tool", field)})
			c.Manifest.Components = deleteComponent(c.Manifest.Components, rc.Name)
		}
		listed[rc.Name] = i
		if rc.Description != "" && rc.Description != known.Description {
			c.Unmapped = append(c.Unmapped, Unmapped{Field: field + ".description", Line: at, Value: rc.Description, Reason: "the manifest has no component description"})
		}
		if rc.LicensePath != "" {
			c.Unmapped = append(c.Unmapped, Unmapped{Field: field + ".license_path", Line: at, Value: rc.LicensePath, Reason: "the manifest keeps the license id, not where its text is"})
		}
		license, from := effectiveLicense(rc.License, r.License, known.ContentType)
		licenseFrom[rc.Name] = from
		if from == "" {
			licenseFrom[rc.Name] = field + ".license"
		}
		c.Manifest.Components = append(c.Manifest.Components, domain.Component{Name: rc.Name, License: license, Location: rc.ComponentPath, Included: true})
	}
	for _, comp := range c.Manifest.Components {
		if comp.Name == "Model parameters (Final)" {
			// Final parameters the tool lists are published, so the agency can download and move them.
			c.Manifest.Weights = domain.Weights{License: comp.License, Location: comp.Location}
			c.Manifest.Deployment.WeightsExportable = true
		}
		if kind, ok := mofEvidence[comp.Name]; ok {
			c.Manifest.Evidence = append(c.Manifest.Evidence, domain.EvidenceItem{Kind: kind, Title: comp.Name, Location: comp.Location})
		}
	}
	for _, kind := range sortedKeys(r.License) {
		if l := r.License[kind]; l.Path != nil && *l.Path != "" {
			c.Unmapped = append(c.Unmapped, Unmapped{Field: "release.license." + kind + ".path", Line: lines["release/license/"+kind+"/path"], Value: *l.Path,
				Reason: "the manifest keeps the license id, not where its text is"})
		}
	}
	c.source = mofSource(c.Manifest, listed, licenseFrom, lines)
	return c, nil
}

// mofSource says where in the model file a field of the manifest read from
// it came from, with the line.
func mofSource(m domain.Manifest, listed map[string]int, licenseFrom map[string]string, lines map[string]int) func(string) string {
	withLine := func(field string) string {
		at := strings.NewReplacer("[", "/", "]", "", ".", "/").Replace(field)
		if line := lines[at]; line > 0 {
			return fmt.Sprintf("%s, line %d", field, line)
		}
		return field
	}
	component := func(name, part string) string {
		i, ok := listed[name]
		switch {
		case !ok && name == "Model parameters (Final)":
			return `list the component "Model parameters (Final)" with its license under release.components`
		case !ok:
			return ""
		case part == "license":
			return withLine(licenseFrom[name])
		case part == "location":
			return withLine(fmt.Sprintf("release.components[%d].component_path", i))
		}
		return withLine(fmt.Sprintf("release.components[%d]", i))
	}
	return func(field string) string {
		switch field {
		case "name", "version", "producer", "description":
			return withLine("release." + field)
		case "weights.license":
			return component("Model parameters (Final)", "license")
		case "weights.location":
			return component("Model parameters (Final)", "location")
		}
		if i, part, ok := listItem(field, "components"); ok && i < len(m.Components) {
			return component(m.Components[i].Name, part)
		}
		if i, part, ok := listItem(field, "evidence"); ok && i < len(m.Evidence) {
			return component(m.Evidence[i].Title, part)
		}
		return ""
	}
}

// effectiveLicense resolves a component's license as the Model Openness Tool
// does: a component license that is set wins, even when empty ("unlicensed");
// only a missing or null one falls back to the release licenses. from names
// the release license read, "" for the component's own.
func effectiveLicense(own *string, global map[string]mofLicense, contentType string) (license, from string) {
	if own != nil {
		if *own == unlicensed {
			return "", ""
		}
		return *own, ""
	}
	for _, key := range []string{contentType, "distribution"} {
		if l, ok := global[key]; ok && l.Name != nil && *l.Name != "" {
			return *l.Name, "release.license." + key + ".name"
		}
	}
	return "", ""
}

func deleteComponent(cs []domain.Component, name string) []domain.Component {
	out := cs[:0]
	for _, c := range cs {
		if c.Name != name {
			out = append(out, c)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// unmappedKeys reports the keys of the file outside what ParseMOF maps.
func unmappedKeys(doc any, lines map[string]int) []Unmapped {
	out := []Unmapped{}
	top, _ := doc.(map[string]any)
	for _, k := range sortedKeys(top) {
		if k != "release" {
			out = append(out, Unmapped{Field: k, Line: lines[k], Value: brief(top[k]), Reason: "modeltender applies the MOF definition in its policy bundle, not the one the file names"})
		}
	}
	release, _ := top["release"].(map[string]any)
	for _, k := range sortedKeys(release) {
		if !mofReleaseKeys[k] {
			out = append(out, Unmapped{Field: "release." + k, Line: lines["release/"+k], Value: brief(release[k]), Reason: "the manifest has no such field"})
		}
	}
	components, _ := release["components"].([]any)
	for i, rc := range components {
		fields, _ := rc.(map[string]any)
		for _, k := range sortedKeys(fields) {
			if !mofComponentKeys[k] && k != "license_path" {
				at := fmt.Sprintf("release/components/%d/%s", i, k)
				out = append(out, Unmapped{Field: fmt.Sprintf("release.components[%d].%s", i, k), Line: lines[at], Value: brief(fields[k]), Reason: "the manifest has no such component field"})
			}
		}
	}
	return out
}

// brief renders a value for an Unmapped report.
func brief(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v) // values decoded from YAML scalars, maps and lists always encode
	return string(b)
}

// yamlRoot parses data as one YAML document and returns its root node.
func yamlRoot(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, errors.New("the file holds no YAML document")
	}
	return doc.Content[0], nil
}

func hasKey(n *yaml.Node, key string) bool {
	if n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

// yamlReader converts a YAML node tree into the JSON-like value the schema
// validator reads, within inputguard.YAMLDocument: every value counts, an alias
// as often as it is used, so an alias bomb stops at the budget rather than
// expanding (go.yaml.in/yaml/v3 keeps aliases as nodes; expanding them is
// ours to bound). It records the line of every path
// ("release/components/0") and holds each key and scalar to the text rules:
// a double-quoted YAML scalar may spell a NUL as "\0".
type yamlReader struct {
	budget inputguard.Budget
	nodes  int
	lines  map[string]int
	prefix string // prefixes field names in errors, e.g. "candidates[1]"
	fields []domain.FieldError
}

func newYAMLReader(prefix string) *yamlReader {
	return &yamlReader{budget: inputguard.YAMLDocument, lines: map[string]int{}, prefix: prefix}
}

// read converts the tree under root; the error is a budget's, or the text
// problems found, each at its field with its line.
func (y *yamlReader) read(root *yaml.Node) (any, error) {
	v, err := y.value(root, "", 0)
	if err != nil {
		return nil, err
	}
	if len(y.fields) > 0 {
		return nil, withFields(inputguard.InvalidText(y.fields))
	}
	return v, nil
}

func (y *yamlReader) field(at string) string {
	if at == "" {
		return fieldPath(y.prefix, nil)
	}
	return fieldPath(y.prefix, strings.Split(at, "/"))
}

// text notes a problem with a key or scalar at path at, on line.
func (y *yamlReader) text(s, at string, line int) {
	if p := inputguard.TextProblem(s); p != "" && len(y.fields) < maxTextErrors {
		y.fields = append(y.fields, domain.FieldError{Field: y.field(at), Message: fmt.Sprintf("line %d: %s", line, p)})
	}
}

// maxTextErrors bounds the text problems one file reports.
const maxTextErrors = 20

// value converts n, found at path at. Scalars keep their YAML meaning
// except dates, which stay text as in JSON, and numbers JSON cannot write
// (0x1F, .inf), which stay text for the schema to refuse by name.
func (y *yamlReader) value(n *yaml.Node, at string, depth int) (any, error) {
	y.nodes++
	if y.nodes > y.budget.MaxNodes {
		return nil, y.budget.TooManyNodes(y.field(at))
	}
	if depth > y.budget.MaxDepth {
		return nil, y.budget.TooDeep(y.field(at))
	}
	y.lines[at] = n.Line
	child := func(key string) string {
		if at == "" {
			return key
		}
		return at + "/" + key
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			y.text(key, child(key), n.Content[i].Line)
			v, err := y.value(n.Content[i+1], child(key), depth+1)
			if err != nil {
				return nil, err
			}
			m[key] = v
			// A field's line is where its key is, also for nested values.
			y.lines[child(key)] = n.Content[i].Line
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, item := range n.Content {
			v, err := y.value(item, child(strconv.Itoa(i)), depth+1)
			if err != nil {
				return nil, err
			}
			s[i] = v
		}
		return s, nil
	case yaml.AliasNode:
		return y.value(n.Alias, at, depth+1)
	}
	y.text(n.Value, at, n.Line)
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		b, _ := strconv.ParseBool(strings.ToLower(n.Value))
		return b, nil
	case "!!int", "!!float":
		if isJSONNumber(n.Value) {
			return json.Number(n.Value), nil
		}
	}
	return n.Value, nil
}

func isJSONNumber(s string) bool { return jsonNumber.MatchString(s) }

// jsonNumber is the number grammar of RFC 8259.
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

// yamlMessage renders a YAML syntax error in data as "line N: problem" and
// says how to fix it. The parser reports the line where the enclosing
// construct began, at times counted from 0, so the line is found again: the
// first line at which the file's beginning fails with the same problem.
func yamlMessage(data []byte, err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	problem := yamlLine.ReplaceAllString(msg, "")
	if lines := bytes.SplitAfter(data, []byte("\n")); len(data) <= maxRelocatedBytes && len(lines) <= maxRelocatedLines {
		end := 0
		for i, l := range lines {
			end += len(l)
			var n yaml.Node
			if err := yaml.Unmarshal(data[:end], &n); err != nil && strings.HasSuffix(err.Error(), problem) {
				msg = fmt.Sprintf("line %d: %s", i+1, problem)
				break
			}
		}
	}
	return msg + "; check the indentation and quoting on that line"
}

var yamlLine = regexp.MustCompile(`^line \d+: `)

// maxRelocatedLines and maxRelocatedBytes bound the re-parsing yamlMessage
// does, which grows with the square of the file; longer files (a model
// file is some 3 KB) keep the parser's line.
const (
	maxRelocatedLines = 2000
	maxRelocatedBytes = 64 << 10
)

// DecodeYAML decodes YAML into v through its JSON form, so v's json tags
// apply and dates stay text. The document budget and the text rules apply.
func DecodeYAML(data []byte, v any) error {
	if b := inputguard.YAMLDocument; len(data) > b.MaxBytes {
		return b.TooLarge("", len(data))
	}
	root, err := yamlRoot(data)
	if err != nil {
		return errors.New(yamlMessage(data, err))
	}
	doc, err := newYAMLReader("").read(root)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("re-encode YAML: %w", err)
	}
	return json.Unmarshal(raw, v)
}
