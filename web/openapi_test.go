package web

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/manifest"
	"github.com/modeltender/modeltender/internal/tender"
	"github.com/modeltender/modeltender/web/openapi"
)

// The OpenAPI document and routes.go describe the same API: every route is
// documented and every documented operation is served. The API is what lives
// under /api/ plus the health endpoints; the HTML pages of the web UI are
// for people, not clients, and are not part of the contract.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openapi.Document, &doc); err != nil {
		t.Fatalf("openapi.yaml is not valid YAML: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q, want 3.x", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	param := regexp.MustCompile(`:(\w+)`)
	var served []string
	for _, r := range NewServer(&tender.Service{}, nil).echo.Routes() {
		if !isAPIRoute(r.Path) || r.Method == "echo_route_not_found" {
			continue
		}
		served = append(served, r.Method+" "+param.ReplaceAllString(r.Path, "{$1}"))
	}
	if len(served) < 10 {
		t.Fatalf("only %d routes served: %v", len(served), served)
	}
	slices.Sort(documented)
	slices.Sort(served)
	served = slices.Compact(served)
	for _, op := range served {
		if !slices.Contains(documented, op) {
			t.Errorf("route %s is not in openapi.yaml", op)
		}
	}
	for _, op := range documented {
		if !slices.Contains(served, op) {
			t.Errorf("openapi.yaml documents %s, which routes.go does not serve", op)
		}
	}
}

func isAPIRoute(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/healthz" || path == "/readyz"
}

// The candidate file's formats and evidence items in the OpenAPI document
// are the ones the bid parser reads: every manifest format, and every
// member of domain.EvidenceItem with kind and location required.
func TestOpenAPICandidateFileMatchesParser(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Required   []string `yaml:"required"`
				Properties map[string]struct {
					Enum  []string       `yaml:"enum"`
					Items map[string]any `yaml:"items"`
				} `yaml:"properties"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(openapi.Document, &doc); err != nil {
		t.Fatalf("openapi.yaml is not valid YAML: %v", err)
	}
	file := doc.Components.Schemas["CandidateFile"]
	var formats []string
	for _, f := range manifest.Formats {
		formats = append(formats, string(f))
	}
	if got := file.Properties["format"].Enum; !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(formats))) {
		t.Errorf("CandidateFile formats %v, the parser reads %v", got, formats)
	}
	if ref := file.Properties["evidence"].Items["$ref"]; ref != "#/components/schemas/EvidenceItem" {
		t.Errorf("CandidateFile evidence items are %q, want the EvidenceItem schema", ref)
	}
	item := doc.Components.Schemas["EvidenceItem"]
	typ := reflect.TypeFor[domain.EvidenceItem]()
	var members []string
	for i := range typ.NumField() {
		members = append(members, strings.Split(typ.Field(i).Tag.Get("json"), ",")[0])
	}
	var documented []string
	for name := range item.Properties {
		documented = append(documented, name)
	}
	if !slices.Equal(slices.Sorted(slices.Values(documented)), slices.Sorted(slices.Values(members))) {
		t.Errorf("EvidenceItem documents %v, domain.EvidenceItem has %v", documented, members)
	}
	if !slices.Equal(item.Required, []string{"kind", "location"}) {
		t.Errorf("EvidenceItem requires %v, the parser requires [kind location]", item.Required)
	}
}
