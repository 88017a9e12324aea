package policies

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// A decision converts its input to an OPA value and its result back to
// JSON. OPA's own conversions go through map[string]any on both sides, which
// cost more than the policies' evaluation of small inputs; these two go
// straight between JSON text and OPA values, with the same results.

// valueFromJSON parses data, JSON as encoding/json.Marshal writes it, into
// the value ast.ValueFromReader returns for it. It relies on that writer: it
// checks that data is whole, not that it is valid.
func valueFromJSON(data []byte) (ast.Value, error) {
	p := jsonParser{data: data, text: string(data), keys: map[string]*ast.Term{}}
	t, err := p.term()
	if err != nil {
		return nil, err
	}
	if p.i != len(data) {
		return nil, errors.New("JSON goes on after its value")
	}
	return t.Value, nil
}

var errJSONEnds = errors.New("JSON ends early")

// jsonParser reads JSON as encoding/json.Marshal writes it: valid, without
// spaces. It allocates little: strings are slices of one copy of the text,
// terms come from a shared slab, and every object shares one term per
// distinct key (terms are not changed once made; OPA shares its interned
// terms likewise).
type jsonParser struct {
	data  []byte
	text  string
	i     int
	keys  map[string]*ast.Term
	slab  []ast.Term
	items [][2]*ast.Term // of the objects being read
	elems []*ast.Term    // of the arrays being read
}

// next is the byte at p.i, or 0 past the end.
func (p *jsonParser) next() byte {
	if p.i >= len(p.data) {
		return 0
	}
	return p.data[p.i]
}

func (p *jsonParser) newTerm(v ast.Value) *ast.Term {
	if len(p.slab) == 0 {
		p.slab = make([]ast.Term, 64)
	}
	t := &p.slab[0]
	p.slab = p.slab[1:]
	t.Value = v
	return t
}

func (p *jsonParser) term() (*ast.Term, error) {
	switch p.next() {
	case 0:
		return nil, errJSONEnds
	case '{':
		return p.object()
	case '[':
		return p.array()
	case '"':
		s, err := p.string()
		return p.newTerm(ast.String(s)), err
	case 't':
		return p.literal("true", ast.InternedTerm(true))
	case 'f':
		return p.literal("false", ast.InternedTerm(false))
	case 'n':
		return p.literal("null", ast.InternedNullTerm)
	}
	start := p.i
	for p.i < len(p.data) && isNumberByte(p.data[p.i]) {
		p.i++
	}
	if p.i == start {
		return nil, fmt.Errorf("unexpected %q in JSON", p.data[p.i])
	}
	// As the decoder's UseNumber leaves it, so small integers are interned alike.
	v, err := ast.InterfaceToValue(json.Number(p.text[start:p.i]))
	return p.newTerm(v), err
}

func (p *jsonParser) literal(word string, t *ast.Term) (*ast.Term, error) {
	if !strings.HasPrefix(p.text[p.i:], word) {
		return nil, errJSONEnds
	}
	p.i += len(word)
	return t, nil
}

func (p *jsonParser) object() (*ast.Term, error) {
	p.i++ // {
	mark := len(p.items)
	for {
		switch p.next() {
		case 0:
			return nil, errJSONEnds
		case '}':
			p.i++
			// NewObject keeps the terms, not the slice.
			obj := ast.NewObject(p.items[mark:]...)
			p.items = p.items[:mark]
			return p.newTerm(obj), nil
		case ',':
			p.i++
		}
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		p.i++ // :
		v, err := p.term()
		if err != nil {
			return nil, err
		}
		p.items = append(p.items, [2]*ast.Term{key, v})
	}
}

func (p *jsonParser) key() (*ast.Term, error) {
	start := p.i
	if end := p.skipString(); end < 0 {
		return nil, errJSONEnds
	} else if t, ok := p.keys[p.text[start:end]]; ok {
		return t, nil
	}
	p.i = start
	s, err := p.string()
	if err != nil {
		return nil, err
	}
	t := ast.StringTerm(s)
	p.keys[p.text[start:p.i]] = t
	return t, nil
}

func (p *jsonParser) array() (*ast.Term, error) {
	p.i++ // [
	mark := len(p.elems)
	for {
		switch p.next() {
		case 0:
			return nil, errJSONEnds
		case ']':
			p.i++
			// NewArray keeps the slice, so it gets its own.
			arr := ast.NewArray(slices.Clone(p.elems[mark:])...)
			p.elems = p.elems[:mark]
			return p.newTerm(arr), nil
		case ',':
			p.i++
		}
		t, err := p.term()
		if err != nil {
			return nil, err
		}
		p.elems = append(p.elems, t)
	}
}

// string reads the string at p.i.
func (p *jsonParser) string() (string, error) {
	start := p.i
	end := p.skipString()
	if end < 0 {
		return "", errJSONEnds
	}
	if strings.IndexByte(p.text[start:end], '\\') < 0 {
		return p.text[start+1 : end-1], nil
	}
	var s string
	err := json.Unmarshal(p.data[start:end], &s)
	return s, err
}

// skipString moves past the string at p.i and returns where it ends, after
// its closing quote, or -1 if it does not.
func (p *jsonParser) skipString() int {
	for p.i++; p.next() != '"'; p.i++ {
		switch p.next() {
		case 0:
			return -1
		case '\\':
			p.i++
		}
	}
	p.i++
	return p.i
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// errNotPlainJSON says a value has an object key that is not a string, which
// JSON has no direct spelling for.
var errNotPlainJSON = errors.New("object key is not a string")

// appendJSON appends v as JSON: what encoding/json writes for ast.JSON(v),
// except that keys keep the value's order and no HTML is escaped, so that
// decoded, the two are the same. A value with a key that is not a string returns
// errNotPlainJSON.
func appendJSON(buf []byte, v ast.Value) ([]byte, error) {
	switch v := v.(type) {
	case ast.Null:
		return append(buf, "null"...), nil
	case ast.Boolean:
		return strconv.AppendBool(buf, bool(v)), nil
	case ast.Number:
		return append(buf, v...), nil
	case ast.String:
		return appendJSONString(buf, string(v)), nil
	case *ast.Array:
		return appendJSONElems(buf, v.Len(), v.Elem)
	case ast.Set:
		// An array in the set's order, as ast.JSON makes it.
		elems := v.Slice()
		return appendJSONElems(buf, len(elems), func(i int) *ast.Term { return elems[i] })
	case ast.Object:
		buf = append(buf, '{')
		var err error
		for i, k := range v.Keys() {
			key, ok := k.Value.(ast.String)
			if !ok {
				return nil, errNotPlainJSON
			}
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(appendJSONString(buf, string(key)), ':')
			if buf, err = appendJSON(buf, v.Get(k).Value); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	}
	return nil, errors.New(ast.TypeName(v) + " requires evaluation")
}

func appendJSONElems(buf []byte, n int, elem func(int) *ast.Term) ([]byte, error) {
	buf = append(buf, '[')
	var err error
	for i := range n {
		if i > 0 {
			buf = append(buf, ',')
		}
		if buf, err = appendJSON(buf, elem(i).Value); err != nil {
			return nil, err
		}
	}
	return append(buf, ']'), nil
}

// appendJSONString quotes s for JSON. Invalid UTF-8 passes through; the
// decoder replaces it with U+FFFD, as encoding/json's encoder would.
func appendJSONString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			buf = append(buf, '\\', c)
		case c < 0x20:
			buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			buf = append(buf, c)
		}
	}
	return append(buf, '"')
}
