package pipelines

import (
	"errors"
	"fmt"
	"strings"

	"github.com/treaty-dev/treaty/broker"
)

// permanentError is a failure that trying again cannot fix: bad configuration, a refused
// request, a test that failed for real. The runner does not retry it.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// Permanentf is Permanent(fmt.Errorf(…)).
func Permanentf(format string, args ...any) error { return Permanent(fmt.Errorf(format, args...)) }

// IsPermanent reports whether err says not to retry.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// SpecError is one problem of a spec, where it is.
type SpecError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e SpecError) String() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// SpecErrors lists every problem found in a spec, in the file's order.
type SpecErrors struct {
	Errors []SpecError
}

func (e *SpecErrors) Error() string {
	lines := make([]string, len(e.Errors))
	for i, se := range e.Errors {
		lines[i] = se.String()
	}
	return strings.Join(lines, "\n")
}

// Is makes a spec's problems invalid input in the broker's vocabulary.
func (e *SpecErrors) Is(target error) bool { return target == broker.ErrInvalid }

// StopError says the pipeline stopped on purpose rather than failed: a gate denied or has
// not decided the transition yet.
type StopError struct {
	Stage    string
	Verdict  string // deny or pending
	Decision int64
	Reason   string
}

func (e *StopError) Error() string {
	return fmt.Sprintf("stopped before %s: the gate said %s (decision %d): %s", e.Stage, e.Verdict, e.Decision, e.Reason)
}
