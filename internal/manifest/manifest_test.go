package manifest

import (
	"errors"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

const valid = `{
  "schema_version": "1",
  "name": "Granite-3.1-8B-Instruct",
  "producer": "IBM",
  "weights": {"license": "Apache-2.0", "digest": "sha256:` + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + `"},
  "components": [{"name": "Training code", "included": true, "license": "Apache-2.0"}],
  "evidence": [{"kind": "model-card", "location": "https://example.org/card", "date": "2026-01-02"}],
  "deployment": {"on_premises": true, "weights_exportable": true},
  "data_use": {"trains_on_agency_data": false}
}`

func TestParseJSONValid(t *testing.T) {
	m, err := ParseJSON([]byte(valid), "")
	if err != nil {
		t.Fatalf("ParseJSON: %v", err)
	}
	if m.Name != "Granite-3.1-8B-Instruct" || m.Weights.License != "Apache-2.0" || len(m.Components) != 1 {
		t.Fatalf("unexpected manifest: %+v", m)
	}
	if m.DataUse.TrainsOnAgencyData == nil || *m.DataUse.TrainsOnAgencyData {
		t.Fatalf("trains_on_agency_data not read: %+v", m.DataUse)
	}
	again, err := ParseJSON([]byte(valid), "")
	if err != nil {
		t.Fatal(err)
	}
	if Hash(m) != Hash(again) || !strings.HasPrefix(Hash(m), "sha256:") {
		t.Fatalf("hash not stable: %s vs %s", Hash(m), Hash(again))
	}
	again.Weights.License = "MIT"
	if Hash(m) == Hash(again) {
		t.Fatal("a changed manifest hashes the same")
	}
}

func TestParseJSONRejects(t *testing.T) {
	cases := []struct {
		name, doc, field, want string
	}{
		{"syntax", `{"schema_version": "1", "name": "x",}`, "candidates[0]", "line 1, column"},
		{"truncated", `{"schema_version": "1"`, "candidates[0]", "ends too early"},
		{"missing weights", `{"schema_version": "1", "name": "x"}`, "candidates[0]", "weights"},
		{"unknown component", `{"schema_version": "1", "name": "x", "weights": {"license": "MIT"}, "components": [{"name": "Secret sauce", "included": true}]}`, "candidates[0].components[0].name", "must be one of 'Datasets'"},
		{"bad date", `{"schema_version": "1", "name": "x", "weights": {"license": "MIT"}, "evidence": [{"kind": "model-card", "date": "last year"}]}`, "candidates[0].evidence[0].date", "date"},
		{"bad digest", `{"schema_version": "1", "name": "x", "weights": {"license": "MIT", "digest": "md5:1"}}`, "candidates[0].weights.digest", "sha256"},
		{"extra field", `{"schema_version": "1", "name": "x", "weights": {"license": "MIT"}, "colour": "red"}`, "candidates[0]", "colour"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseJSON([]byte(tc.doc), "candidates[0]")
			var de *domain.Error
			if !errors.As(err, &de) || de.Kind != domain.ErrInvalid {
				t.Fatalf("want invalid error, got %v", err)
			}
			for _, f := range de.Fields {
				if f.Field == tc.field && strings.Contains(f.Message, tc.want) {
					return
				}
			}
			t.Fatalf("no field %q mentioning %q in %+v", tc.field, tc.want, de.Fields)
		})
	}
}
