package broker

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// The error vocabulary. Storage translates driver errors into these, the HTTP layer maps them
// to status codes in one place, and nothing above storage ever sees a driver error.
var (
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrInvalid      = errors.New("invalid")
	ErrUnauthorized = errors.New("unauthorized")
	ErrForbidden    = errors.New("forbidden")
)

// NotFoundError names what was looked for.
type NotFoundError struct {
	What  string
	whole bool // What is the whole message
}

func (e *NotFoundError) Error() string {
	if e.whole {
		return e.What
	}
	return e.What + " not found"
}

func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// NotFoundMessage is a NotFoundError whose message is given whole, for the texts clients
// match on.
func NotFoundMessage(format string, args ...any) error {
	return &NotFoundError{What: fmt.Sprintf(format, args...), whole: true}
}

// NotFound builds a NotFoundError from a format string.
func NotFound(format string, args ...any) error {
	return &NotFoundError{What: fmt.Sprintf(format, args...)}
}

// ValidationError lists problems per field, the shape the Pact clients print:
// {"errors": {"field": ["message", …]}}. Keys may be dotted paths such as "contracts.0".
type ValidationError struct {
	Fields map[string][]string
}

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", k, strings.Join(e.Fields[k], ", "))
	}
	return b.String()
}

func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Add records a message against field.
func (e *ValidationError) Add(field, format string, args ...any) {
	if e.Fields == nil {
		e.Fields = map[string][]string{}
	}
	e.Fields[field] = append(e.Fields[field], fmt.Sprintf(format, args...))
}

// Err returns e when it holds any problem, else nil.
func (e *ValidationError) Err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Invalid is a ValidationError with a single field.
func Invalid(field, format string, args ...any) error {
	v := &ValidationError{}
	v.Add(field, format, args...)
	return v
}

// ConflictError is a refused change, with the notices that explain it (for a pact whose
// content changed under the same version, a diff).
type ConflictError struct {
	Message string
	Field   string
	Notices []Notice
}

func (e *ConflictError) Error() string        { return e.Message }
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }
