package policies

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/modeltender/modeltender/internal/domain"
)

// awkward holds what JSON escapes or spells in more than one way.
var awkward = map[string]any{
	"quotes": "x\"y\\z\n\t\u2028 <&> é \xff", "empty": []any{}, "object": map[string]any{}, "null": nil,
	"big": 1.5e300, "negative": -3, "small": 0.000001, "mixed": []any{true, false, nil, "", 0, 1.25, map[string]any{"k": "v"}},
}

func TestValueFromJSONMatchesOPA(t *testing.T) {
	high := completeInput()
	high.Criteria.RiskTier = domain.RiskHighImpact
	high.Criteria.OpennessPreferencePoints = &domain.PreferencePoints{ClassI: 1, ClassII: 2, ClassIII: 3}
	high.LicenseNormalization = map[string]string{"Apache 2.0": "Apache-2.0"}
	high.LicenseFindings = []domain.Finding{{Rule: "license.x", Severity: domain.SeverityDeny, Message: "m & <n>"}}
	for _, doc := range []any{completeInput(), high, awkward, []any{}, "text", 42, true, nil} {
		raw, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ast.ValueFromReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		got, err := valueFromJSON(raw)
		if err != nil || got.Compare(want) != 0 || got.String() != want.String() {
			t.Errorf("valueFromJSON(%s) = %v, %v; want %v", raw, got, err, want)
		}
		if _, ok := doc.(int); ok {
			continue // every prefix of a number is a number
		}
		for n := range len(raw) {
			if v, err := valueFromJSON(raw[:n]); err == nil {
				t.Errorf("valueFromJSON(%s) = %v, want an error", raw[:n], v)
			}
		}
	}
}

func TestAppendJSONMatchesOPA(t *testing.T) {
	awkwardValue, err := ast.InterfaceToValue(awkward)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []ast.Value{
		ast.MustParseTerm(`{"outcome": "qualified", "deny": [], "openness": {"class": null, "progress": {"I": 76.92307692307692, "II": 100}}}`).Value,
		ast.MustParseTerm(`{"set": {"b", "a", 3}, "nested": [[1, 2], {"x": {"y", "z"}}]}`).Value,
		awkwardValue,
	} {
		doc, err := ast.JSON(v)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendJSON(nil, v)
		if err != nil {
			t.Fatalf("appendJSON(%v): %v", v, err)
		}
		var a, b any
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(got, &b); err != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("appendJSON(%v) = %s, %v; want %s", v, got, err, raw)
		}
	}
	if _, err := appendJSON(nil, ast.MustParseTerm(`{"a": {1: "x"}}`).Value); !errors.Is(err, errNotPlainJSON) {
		t.Errorf("appendJSON of a number key: %v, want errNotPlainJSON", err)
	}
}

// Whatever text a vendor writes, its marshalled form parses to the value
// OPA's own reader gives.
func FuzzValueFromJSON(f *testing.F) {
	for _, s := range []string{"", "plain", "x\"y\\z\n\t\u2028 <&> é \xff", "\x00\x1f", "🤖 emoji", `{"not": "json"}`} {
		f.Add(s, 1.5)
	}
	f.Fuzz(func(t *testing.T, s string, n float64) {
		raw, err := json.Marshal(map[string]any{"text": s, s: []any{s, n}})
		if err != nil {
			t.Skip() // NaN and infinities have no JSON
		}
		want, err := ast.ValueFromReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		got, err := valueFromJSON(raw)
		if err != nil || got.Compare(want) != 0 {
			t.Fatalf("valueFromJSON(%s) = %v, %v; want %v", raw, got, err, want)
		}
	})
}
