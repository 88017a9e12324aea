package inputguard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/modeltender/modeltender/internal/domain"
)

// CheckJSON checks a JSON document before anything decodes it: the Document
// budget, and every string, member names included, against the text rules
// and the length limit of the member it is the value of (MaxLength; a
// list's items take their list's). It reads the raw text, so it sees what
// encoding/json would silently replace: invalid UTF-8 and lone UTF-16
// surrogates (\ud800). path prefixes field names, e.g. "candidates[0]".
//
// The result is nil or a *domain.Error: ErrTooLarge for the size, else
// ErrInvalid naming each field at fault (candidates[0].weights.license).
// A document that is not JSON is checked as far as it reads; its decoder
// reports the syntax error, with the line.
func CheckJSON(data []byte, path string) error { return checkJSON(data, path, true) }

// CheckJSONText is CheckJSON without the length table, for a format whose
// member names are not the API's (a CycloneDX BOM): lengths are checked on
// the manifest read from it.
func CheckJSONText(data []byte, path string) error { return checkJSON(data, path, false) }

// maxFieldErrors bounds the field errors one document reports: enough to
// fix a form in one go, not a second copy of a hostile document.
const maxFieldErrors = 20

// maxKeyLength bounds a member name; no format modeltender reads has a
// longer one.
const maxKeyLength = 200

func checkJSON(data []byte, path string, lengths bool) error {
	b := Document
	if len(data) > b.MaxBytes {
		return b.TooLarge(path, len(data))
	}
	s := &jsonScanner{data: data, lengths: lengths, budget: b, prefix: path}
	err := s.value("", 0)
	var de *domain.Error
	switch {
	case errors.As(err, &de):
		return de
	case len(s.fields) > 0:
		return InvalidText(s.fields)
	}
	return nil // read to the end, stopped at a syntax error, or at maxFieldErrors with none (impossible)
}

// InvalidText is the error for fields whose text breaks the rules.
func InvalidText(fields []domain.FieldError) *domain.Error {
	return domain.InvalidFields(fmt.Sprintf(
		"%d field(s) hold text that is not accepted (see errors): text must be UTF-8 without control characters other than line breaks and tabs, "+
			"and each field within its length (maxLength in /api/openapi.yaml and /api/v1/schemas/manifest.json)", len(fields)), fields)
}

var (
	errSyntax = errors.New("not JSON")      // left to the decoder
	errFull   = errors.New("enough errors") // maxFieldErrors reached
)

type jsonScanner struct {
	data    []byte
	pos     int
	lengths bool
	budget  Budget
	nodes   int
	prefix  string
	segs    []step // the path below prefix
	fields  []domain.FieldError
}

// step is one step of a path: a member name, or a list index.
type step struct {
	key     string
	index   int
	isIndex bool
}

// path renders the current path, only when a problem needs it.
func (s *jsonScanner) path() string {
	var b strings.Builder
	b.WriteString(s.prefix)
	for _, st := range s.segs {
		if st.isIndex {
			b.WriteString("[" + strconv.Itoa(st.index) + "]")
		} else {
			b.WriteString(segment(st.key))
		}
	}
	p := b.String()
	if s.prefix == "" {
		p = strings.TrimPrefix(p, ".")
	}
	return orRoot(p)
}

func (s *jsonScanner) report(message string) error {
	s.fields = append(s.fields, domain.FieldError{Field: s.path(), Message: message})
	if len(s.fields) >= maxFieldErrors {
		return errFull
	}
	return nil
}

func (s *jsonScanner) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// value reads one value; member is the name whose length limit applies to
// its strings.
func (s *jsonScanner) value(member string, depth int) error {
	s.space()
	if s.pos >= len(s.data) {
		return errSyntax
	}
	s.nodes++
	if s.nodes > s.budget.MaxNodes {
		return s.budget.TooManyNodes(s.path())
	}
	switch c := s.data[s.pos]; {
	case c == '{' || c == '[':
		if depth >= s.budget.MaxDepth {
			return s.budget.TooDeep(s.path())
		}
		s.pos++
		if c == '{' {
			return s.object(depth + 1)
		}
		return s.array(member, depth+1)
	case c == '"':
		_, err := s.str(member, false)
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	start := s.pos
	for s.pos < len(s.data) && strings.IndexByte("+-.0123456789eE", s.data[s.pos]) >= 0 {
		s.pos++
	}
	if s.pos == start {
		return errSyntax
	}
	return nil
}

func (s *jsonScanner) literal(word string) error {
	if !strings.HasPrefix(string(s.data[s.pos:min(len(s.data), s.pos+len(word))]), word) {
		return errSyntax
	}
	s.pos += len(word)
	return nil
}

func (s *jsonScanner) object(depth int) error {
	s.space()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		return nil
	}
	for {
		s.space()
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			return errSyntax
		}
		key, err := s.str("", true)
		if err != nil {
			return err
		}
		s.segs = append(s.segs, step{key: key})
		s.space()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return errSyntax
		}
		s.pos++
		if err := s.value(key, depth); err != nil {
			return err
		}
		s.segs = s.segs[:len(s.segs)-1]
		if done, err := s.separator('}'); done || err != nil {
			return err
		}
	}
}

func (s *jsonScanner) array(member string, depth int) error {
	s.space()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		return nil
	}
	for i := 0; ; i++ {
		s.segs = append(s.segs, step{index: i, isIndex: true})
		if err := s.value(member, depth); err != nil {
			return err
		}
		s.segs = s.segs[:len(s.segs)-1]
		if done, err := s.separator(']'); done || err != nil {
			return err
		}
	}
}

// segment renders a member name as a path step: .name, or ["odd.name"]
// when it is not plain text a reader can take apart (the empty name too).
func segment(key string) string {
	if key != "" && TextProblem(key) == "" && !strings.ContainsAny(key, `.[]" `) {
		return "." + key
	}
	return "[" + strconv.Quote(key) + "]"
}

// str reads the string at s.pos (a '"'), reports its first problem at the
// current path (a member name's at the path of that member) and returns
// its text when key is set.
func (s *jsonScanner) str(member string, key bool) (string, error) {
	s.pos++
	var text strings.Builder
	// problem is the string's first; later ones are not even worded, so a
	// string of a million bad bytes costs no more than a good one.
	var problem string
	chars, line := 0, 1
	cr := 0 // the character number of a carriage return waiting for its line feed
	for {
		if s.pos >= len(s.data) {
			return "", errSyntax
		}
		c := s.data[s.pos]
		var r rune
		switch {
		case c == '"':
			s.pos++
			if cr > 0 && problem == "" {
				problem = controlMessage('\r', cr, line)
			}
			return s.finish(text.String(), member, key, problem, chars)
		case c < 0x20:
			return "", errSyntax // a raw control character: not JSON
		case c == '\\':
			var lone bool
			var err error
			if r, lone, err = s.escape(); err != nil {
				return "", err
			}
			if lone && problem == "" {
				problem = fmt.Sprintf("holds \\u%04x, half of a UTF-16 surrogate pair, at character %d%s: "+
					"escape a character beyond U+FFFF as both halves of its pair, or send it as UTF-8", r, chars+1, onLine(line))
			}
			if lone {
				r = utf8.RuneError
			}
		case c < utf8.RuneSelf:
			r = rune(c)
			s.pos++
		default:
			var size int
			r, size = utf8.DecodeRune(s.data[s.pos:])
			if r == utf8.RuneError && size == 1 && problem == "" {
				problem = fmt.Sprintf("is not valid UTF-8 (at character %d%s): send the text encoded as UTF-8", chars+1, onLine(line))
			}
			s.pos += size
		}
		chars++
		if cr > 0 && r != '\n' && problem == "" {
			problem = controlMessage('\r', cr, line)
		}
		cr = 0
		switch {
		case r == '\r':
			cr = chars
		case r == '\n':
			line++
		case !allowed(r, false) && problem == "":
			problem = controlMessage(r, chars, line)
		}
		if key && chars <= maxKeyLength {
			text.WriteRune(r)
		}
	}
}

// finish reports a string's problem, or its length over the limit.
func (s *jsonScanner) finish(text, member string, key bool, problem string, chars int) (string, error) {
	switch {
	case key && problem == "" && chars > maxKeyLength:
		problem = fmt.Sprintf("is a member name of %d characters, at most %d allowed", chars, maxKeyLength)
	case !key && problem == "" && s.lengths:
		problem = lengthProblem(chars, MaxLength(member))
	}
	if problem == "" {
		return text, nil
	}
	if key {
		s.segs = append(s.segs, step{key: text})
		defer func() { s.segs = s.segs[:len(s.segs)-1] }()
	}
	return text, s.report(problem)
}

// escape reads the escape at s.pos (a '\') and returns the character;
// lone says it is half a surrogate pair, that half.
func (s *jsonScanner) escape() (r rune, lone bool, err error) {
	if s.pos+1 >= len(s.data) {
		return 0, false, errSyntax
	}
	c := s.data[s.pos+1]
	s.pos += 2
	switch c {
	case '"', '\\', '/':
		return rune(c), false, nil
	case 'b':
		return '\b', false, nil
	case 'f':
		return '\f', false, nil
	case 'n':
		return '\n', false, nil
	case 'r':
		return '\r', false, nil
	case 't':
		return '\t', false, nil
	case 'u':
	default:
		return 0, false, errSyntax
	}
	u, ok := s.hex4()
	if !ok {
		return 0, false, errSyntax
	}
	if !utf16Surrogate(u) {
		return u, false, nil
	}
	if u < 0xdc00 && s.pos+1 < len(s.data) && s.data[s.pos] == '\\' && s.data[s.pos+1] == 'u' {
		save := s.pos
		s.pos += 2
		if low, ok := s.hex4(); ok && low >= 0xdc00 && low <= 0xdfff {
			return 0x10000 + (u-0xd800)<<10 + (low - 0xdc00), false, nil
		}
		s.pos = save
	}
	return u, true, nil
}

func utf16Surrogate(r rune) bool { return r >= 0xd800 && r <= 0xdfff }

// hex4 reads the four hex digits of a \u escape.
func (s *jsonScanner) hex4() (rune, bool) {
	if s.pos+4 > len(s.data) {
		return 0, false
	}
	var r rune
	for _, c := range s.data[s.pos : s.pos+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	s.pos += 4
	return r, true
}

// separator reads what follows a member or element: a comma (more follow)
// or closing, which ends the object or array; anything else is a syntax error.
func (s *jsonScanner) separator(closing byte) (done bool, err error) {
	s.space()
	if s.pos >= len(s.data) {
		return false, errSyntax
	}
	switch s.data[s.pos] {
	case ',':
		s.pos++
		return false, nil
	case closing:
		s.pos++
		return true, nil
	}
	return false, errSyntax
}

// DescribeJSONError says where and why data did not decode, for a person
// to fix: "line L, column C: ..." for a syntax error, the field and the type
// it must have for a value of the wrong type, and that the document ends
// too early for a truncated one.
func DescribeJSONError(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.As(err, &se) && se.Error() == "unexpected end of JSON input":
		return "the JSON ends too early: check that every { and [ is closed"
	case errors.As(err, &se):
		line, col := position(data, se.Offset)
		if at := se.Offset - 1; at >= 0 && at < int64(len(data)) && (data[at] == '}' || data[at] == ']') {
			// The usual cause in a hand-edited file: a comma left before the
			// closing bracket, which JSON does not allow.
			prev := bytes.TrimRight(data[:at], " \t\r\n")
			if len(prev) > 0 && prev[len(prev)-1] == ',' {
				cl, cc := position(data, int64(len(prev)))
				return fmt.Sprintf("line %d, column %d: a comma before the closing %q (JSON allows no trailing comma); remove the comma at line %d, column %d", line, col, data[at], cl, cc)
			}
		}
		return fmt.Sprintf("line %d, column %d: %s; check for a missing comma, quote or bracket there", line, col, se.Error())
	case errors.As(err, &te) && te.Field != "":
		return fmt.Sprintf("field %q must be a %s, not a JSON %s", te.Field, te.Type.String(), te.Value)
	}
	return err.Error()
}

// position is the line and column (1-based, in bytes) of the byte at
// offset-1, as json.SyntaxError.Offset counts.
func position(data []byte, offset int64) (line, col int) {
	line, col = 1, 1
	for i := 0; i < len(data) && int64(i) < offset-1; i++ {
		if data[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}
