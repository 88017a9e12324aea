package domain

import (
	"errors"
	"fmt"
)

// ErrorKind classifies failures the way callers must react to them; the web
// layer maps each kind to one HTTP status in one place.
type ErrorKind string

const (
	ErrMalformed       ErrorKind = "malformed"       // the body cannot be read: not JSON, wrong types
	ErrInvalid         ErrorKind = "invalid"         // the input breaks a rule: schema, SPDX syntax, ranges
	ErrUnauthenticated ErrorKind = "unauthenticated" // no or unknown credentials
	ErrForbidden       ErrorKind = "forbidden"       // the role or organisation may not do this
	ErrNotFound        ErrorKind = "not-found"       // no such thing, or not visible to the caller
	ErrConflict        ErrorKind = "conflict"        // the thing is in the wrong state for this
	ErrDeadlinePassed  ErrorKind = "deadline-passed" // the solicitation no longer accepts this
	ErrTooLarge        ErrorKind = "too-large"       // an upload over the limit
	ErrUnavailable     ErrorKind = "unavailable"     // a dependency (database, Temporal) is down
	ErrInternal        ErrorKind = "internal"        // a bug: nothing the caller can fix
	ErrStale           ErrorKind = "stale"           // a decision on evidence that changed since
	ErrConflictOfInt   ErrorKind = "conflict-of-interest"

	// ErrUnsupportedMedia is a body in a format the endpoint does not read.
	ErrUnsupportedMedia ErrorKind = "unsupported-media-type"
)

// FieldError points at one bad field of the input, by JSON path.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is a failure with a kind, a message for the user that says what is
// wrong and how to fix it, and optionally the fields at fault.
type Error struct {
	Kind    ErrorKind
	Message string
	Fields  []FieldError
	Err     error // cause, not shown to users
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error of the given kind.
func Errorf(kind ErrorKind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// InvalidFields reports input that failed validation, field by field.
func InvalidFields(message string, fields []FieldError) *Error {
	return &Error{Kind: ErrInvalid, Message: message, Fields: fields}
}

// KindOf returns the kind of the first *Error in err's chain, or ErrInternal.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ErrInternal
}

// KnownKind reports whether k is one of the kinds above; workflow update
// rejections carry their kind as a string, so it is checked on the way out.
func KnownKind(k ErrorKind) bool {
	switch k {
	case ErrMalformed, ErrInvalid, ErrUnauthenticated, ErrForbidden, ErrNotFound, ErrConflict, ErrDeadlinePassed,
		ErrTooLarge, ErrUnavailable, ErrInternal, ErrStale, ErrConflictOfInt:
		return true
	}
	return false
}
