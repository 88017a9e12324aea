package ocds

import (
	"bytes"
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/modeltender/modeltender/internal/domain"
)

// The official schemas, byte for byte as published (see schema/README.md).
var (
	//go:embed schema/release-package-schema.json
	releasePackageSchema []byte
	//go:embed schema/release-schema.json
	releaseSchema []byte
	//go:embed schema/ocds_bid_extension/release-schema.json
	bidExtensionPatch []byte
	//go:embed schema/ocds_lots_extension/release-schema.json
	lotsExtensionPatch []byte
	//go:embed schema/ocds_requirements_extension/release-schema.json
	requirementsExtensionPatch []byte
	//go:embed schema/ocds_awardCriteriaBreakdown_extension/release-schema.json
	awardCriteriaExtensionPatch []byte
	//go:embed schema/ocds_complaint_extension/release-schema.json
	complaintExtensionPatch []byte
)

// extension is one vendored extension: the URL of its extension.json that
// packages declare (a release tag, or the commit vendored for extensions
// that have none) and its release schema patch.
type extension struct {
	url   string
	patch []byte
}

// extensions are applied in this order: the bid extension defines Bid,
// which the lots and requirements extensions add to, and the lots extension
// defines Lot, which the award criteria breakdown adds to.
var extensions = []extension{
	{"https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json", bidExtensionPatch},
	{"https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.5/extension.json", lotsExtensionPatch},
	{"https://raw.githubusercontent.com/open-contracting-extensions/ocds_requirements_extension/b4f5ba94b46bded427f5cd771b53397d020f7ec5/extension.json", requirementsExtensionPatch},
	{"https://raw.githubusercontent.com/open-contracting-extensions/ocds_awardCriteriaBreakdown_extension/9391240f353e8536992938fe9f7987cd89235331/extension.json", awardCriteriaExtensionPatch},
	{"https://raw.githubusercontent.com/openprocurement/ocds_complaint_extension/6491488ba45ac68dce6f513cdf61d0b1e2c5f23d/extension.json", complaintExtensionPatch},
}

// extensionURLs are what a package declares in its extensions list.
func extensionURLs() []string {
	urls := make([]string, len(extensions))
	for i, e := range extensions {
		urls[i] = e.url
	}
	return urls
}

// The ids the schemas declare; the package schema $refs the release schema by
// releaseSchemaURL, and the compiler resolves it from memory, never the network.
const (
	releasePackageSchemaURL = "https://standard.open-contracting.org/schema/1__1__5/release-package-schema.json"
	releaseSchemaURL        = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
)

var printer = message.NewPrinter(language.English)

// compiled is the release package schema with the extensions patched into
// the release schema, the way OCDS tooling validates a package that declares
// them. The patches only add properties and definitions, so a package valid
// here is valid against the core schema too.
var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	pkg, err := jsonschema.UnmarshalJSON(bytes.NewReader(releasePackageSchema))
	if err != nil {
		return nil, fmt.Errorf("read release package schema: %w", err)
	}
	release, err := extendedReleaseSchema()
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat() // dates and URIs are part of what makes a notice usable
	if err := c.AddResource(releaseSchemaURL, release); err != nil {
		return nil, fmt.Errorf("add release schema: %w", err)
	}
	if err := c.AddResource(releasePackageSchemaURL, pkg); err != nil {
		return nil, fmt.Errorf("add release package schema: %w", err)
	}
	return c.Compile(releasePackageSchemaURL)
})

// extendedReleaseSchema applies the extensions, each a JSON Merge Patch
// (RFC 7386) of the release schema, as the OCDS extension mechanism defines it.
func extendedReleaseSchema() (any, error) {
	release, err := jsonschema.UnmarshalJSON(bytes.NewReader(releaseSchema))
	if err != nil {
		return nil, fmt.Errorf("read release schema: %w", err)
	}
	for _, e := range extensions {
		patch, err := jsonschema.UnmarshalJSON(bytes.NewReader(e.patch))
		if err != nil {
			return nil, fmt.Errorf("read the schema of extension %s: %w", e.url, err)
		}
		release = mergePatch(release, patch)
	}
	return release, nil
}

// mergePatch is RFC 7386: objects merge key by key, null deletes, anything
// else replaces.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}

// Validate checks a release package document against the vendored OCDS 1.1.5
// schema with the extensions modeltender declares. A failure is a domain invalid error whose
// message and fields name each failing place by JSON Pointer, e.g.
// /releases/0/tender/status.
func Validate(doc []byte) error {
	sch, err := compiled()
	if err != nil {
		return fmt.Errorf("compile OCDS schema: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return domain.InvalidFields("the release package is not valid JSON",
			[]domain.FieldError{{Field: "", Message: err.Error()}})
	}
	err = sch.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("validate release package: %w", err)
	}
	fields := failures(ve)
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
	lines := make([]string, len(fields))
	for i, f := range fields {
		lines[i] = cmp.Or(f.Field, "(document)") + ": " + f.Message
	}
	return domain.InvalidFields("the release package breaks the OCDS 1.1 schema: "+strings.Join(lines, "; "), fields)
}

// failures flattens the error tree to its leaves, which say what to fix.
func failures(ve *jsonschema.ValidationError) []domain.FieldError {
	if len(ve.Causes) == 0 {
		return []domain.FieldError{{
			Field:   pointer(ve.InstanceLocation),
			Message: ve.ErrorKind.LocalizedString(printer),
		}}
	}
	var out []domain.FieldError
	for _, c := range ve.Causes {
		out = append(out, failures(c)...)
	}
	return out
}

var pointerEscape = strings.NewReplacer("~", "~0", "/", "~1")

// pointer renders an instance location as a JSON Pointer (RFC 6901); the
// document itself is the empty pointer.
func pointer(loc []string) string {
	var b strings.Builder
	for _, tok := range loc {
		b.WriteString("/" + pointerEscape.Replace(tok))
	}
	return b.String()
}
