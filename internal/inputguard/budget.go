package inputguard

import (
	"fmt"

	"github.com/modeltender/modeltender/internal/domain"
)

// Budget bounds what reading one outside document may cost: its size, how
// deep its objects and lists nest, and how many values it holds once YAML
// aliases are expanded. Every parser of outside input checks it while it
// reads, so a small hostile document (a YAML alias bomb) fails in
// proportion to the budget, not to what it would expand to.
type Budget struct {
	MaxBytes int // the document as sent
	MaxDepth int // objects and lists inside one another
	MaxNodes int // values of every kind: objects, lists, strings, numbers, literals
}

// Document is the budget of one request body or candidate file. A real
// manifest, Model Openness Tool file or ML-BOM holds some hundreds of
// values nested under ten levels deep.
var Document = Budget{MaxBytes: 2 << 20, MaxDepth: 64, MaxNodes: 100_000}

// YAMLDocument is the budget of a YAML document (a Model Openness Tool
// file). go.yaml.in/yaml/v3 builds its whole node tree, some 200 bytes a
// value, before anything can count the values, so YAML gets fewer bytes:
// 256 KiB is some 80 times a real model file, and at most some 30 MB of
// nodes.
var YAMLDocument = Budget{MaxBytes: 256 << 10, MaxDepth: Document.MaxDepth, MaxNodes: Document.MaxNodes}

// TooLarge is the error for a document of n bytes over b.MaxBytes, at field.
func (b Budget) TooLarge(field string, n int) *domain.Error {
	return &domain.Error{Kind: domain.ErrTooLarge,
		Message: fmt.Sprintf("the document is %d bytes, over the %d-byte limit: send a smaller file", n, b.MaxBytes),
		Fields:  []domain.FieldError{{Field: orRoot(field), Message: fmt.Sprintf("is %d bytes, at most %d allowed", n, b.MaxBytes)}}}
}

// TooDeep is the error for nesting deeper than b.MaxDepth, at field.
func (b Budget) TooDeep(field string) *domain.Error {
	return domain.InvalidFields(fmt.Sprintf("the document nests deeper than %d levels: flatten it", b.MaxDepth),
		[]domain.FieldError{{Field: orRoot(field), Message: fmt.Sprintf("nests deeper than %d levels", b.MaxDepth)}})
}

// TooManyNodes is the error for more than b.MaxNodes values, counted at field.
func (b Budget) TooManyNodes(field string) *domain.Error {
	return domain.InvalidFields(fmt.Sprintf("the document holds more than %d values, a YAML alias counted as often as it is used: send a smaller document", b.MaxNodes),
		[]domain.FieldError{{Field: orRoot(field), Message: fmt.Sprintf("reaches the limit of %d values here", b.MaxNodes)}})
}

func orRoot(p string) string {
	if p == "" {
		return "$"
	}
	return p
}
