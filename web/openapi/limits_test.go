package openapi

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/modeltender/modeltender/internal/inputguard"
	"github.com/modeltender/modeltender/internal/manifest"
)

// schemaWalker visits the string properties of a schema, following local
// $refs (#/components/schemas/X, #/$defs/X) and leaving other documents'
// to their own walk.
type schemaWalker struct {
	root    map[string]any
	visit   func(where, name string, schema map[string]any)
	visited map[string]bool
}

func (w *schemaWalker) walk(where, name string, s any) {
	schema, ok := s.(map[string]any)
	if !ok {
		return
	}
	if ref, ok := schema["$ref"].(string); ok {
		if !strings.HasPrefix(ref, "#/") || w.visited[ref+" "+name] {
			return
		}
		w.visited[ref+" "+name] = true
		var target any = w.root
		for _, step := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			target = target.(map[string]any)[step]
		}
		w.walk(where, name, target)
		return
	}
	if isString(schema["type"]) {
		w.visit(where, name, schema)
	}
	for _, key := range []string{"allOf", "oneOf", "anyOf"} {
		list, _ := schema[key].([]any)
		for _, sub := range list {
			w.walk(where, name, sub)
		}
	}
	w.walk(where, name, schema["items"]) // a list's items take its name
	props, _ := schema["properties"].(map[string]any)
	for prop, sub := range props {
		w.walk(where, prop, sub)
	}
}

func isString(t any) bool {
	switch t := t.(type) {
	case string:
		return t == "string"
	case []any:
		return slices.Contains(t, any("string"))
	}
	return false
}

// maxLength reads a schema's maxLength, YAML- or JSON-decoded.
func maxLength(schema map[string]any) (int, bool) {
	switch n := schema["maxLength"].(type) {
	case int:
		return n, true
	case float64:
		return int(n), true
	}
	return 0, false
}

// The length table (inputguard), the OpenAPI document and the manifest
// schema agree: every text a client sends, in a request body, a path
// parameter or a manifest, is documented with the maxLength the service
// enforces, and every entry of the table is documented somewhere.
func TestLimitsMatchTheDocuments(t *testing.T) {
	var doc map[string]any
	if err := yaml.Unmarshal(Document, &doc); err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(manifest.SchemaJSON, &schema); err != nil {
		t.Fatal(err)
	}
	table := inputguard.Limits()
	documented := map[string]bool{}
	check := func(where, name string, s map[string]any) {
		got, ok := maxLength(s)
		want, inTable := table[name]
		switch {
		case !inTable && where != "path parameter":
			t.Errorf("%s: text field %q is not in inputguard's length table", where, name)
		case !inTable:
			want = inputguard.DefaultMaxLength
		}
		if !ok || got != want {
			t.Errorf("%s: %q has maxLength %v, the service enforces %d", where, name, s["maxLength"], want)
		}
		documented[name] = true
	}

	paths, _ := doc["paths"].(map[string]any)
	w := &schemaWalker{root: doc, visit: check, visited: map[string]bool{}}
	requestBodies := 0
	for path, item := range paths {
		for method, op := range item.(map[string]any) {
			opMap, _ := op.(map[string]any)
			where := strings.ToUpper(method) + " " + path
			params, _ := opMap["parameters"].([]any)
			if method == "parameters" {
				params, _ = op.([]any)
			}
			for _, p := range params {
				w.walk(where, "", p) // a $ref to #/components/parameters
			}
			body, ok := opMap["requestBody"].(map[string]any)
			if !ok {
				continue
			}
			requestBodies++
			content, _ := body["content"].(map[string]any)
			w.walk(where, "", content["application/json"].(map[string]any)["schema"])
			responses, _ := opMap["responses"].(map[string]any)
			for _, status := range []string{"415", "422"} {
				if _, ok := responses[status]; !ok {
					t.Errorf("%s reads a JSON body but does not document %s", where, status)
				}
			}
		}
	}
	if requestBodies < 10 {
		t.Fatalf("only %d request bodies found: the walk is broken", requestBodies)
	}
	// Parameters are objects with a name and a schema, not properties.
	for name, p := range doc["components"].(map[string]any)["parameters"].(map[string]any) {
		check("path parameter", name, p.(map[string]any)["schema"].(map[string]any))
	}
	for _, item := range paths {
		list, _ := item.(map[string]any)["parameters"].([]any)
		for _, p := range list {
			if pm := p.(map[string]any); pm["name"] != nil {
				check("path parameter", pm["name"].(string), pm["schema"].(map[string]any))
			}
		}
	}
	(&schemaWalker{root: schema, visit: func(_, name string, s map[string]any) { check("manifest schema", name, s) }, visited: map[string]bool{}}).
		walk("manifest schema", "", schema)

	// The bid form's pasted manifest is a candidate file's content by another name.
	documented["manifest_json"] = documented["content"] && table["manifest_json"] == table["content"]
	var undocumented []string
	for name := range table {
		if !documented[name] {
			undocumented = append(undocumented, name)
		}
	}
	slices.Sort(undocumented)
	if len(undocumented) > 0 {
		t.Errorf("inputguard limits %v appear in neither the OpenAPI document nor the manifest schema", undocumented)
	}
	if t.Failed() {
		t.Logf("the table: %v", table)
	}
}
