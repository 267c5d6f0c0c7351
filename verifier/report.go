package verifier

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// WriteText prints the report for a person: per pact, each interaction with ok or its
// mismatches (expected and actual, at which JSON path), then a summary.
func (r *Report) WriteText(w io.Writer) {
	consumer, pact := "\x00", -1
	for _, i := range r.Interactions {
		if i.Consumer != consumer || i.pact != pact {
			consumer, pact = i.Consumer, i.pact
			fmt.Fprintf(w, "\n%s → %s\n", orUnknown(consumer), r.Provider)
		}
		given := ""
		if len(i.States) > 0 {
			given = " (given " + strings.Join(i.States, ", ") + ")"
		}
		switch i.Status {
		case StatusOK:
			fmt.Fprintf(w, "  ok       %s%s\n", i.Description, given)
		case StatusPending:
			fmt.Fprintf(w, "  PENDING  %s%s — failed, but the pact is pending: this does not fail the build\n", i.Description, given)
		default:
			fmt.Fprintf(w, "  FAILED   %s%s\n", i.Description, given)
		}
		if i.Error != "" {
			fmt.Fprintf(w, "           %s\n", i.Error)
		}
		for _, m := range i.Mismatches {
			fmt.Fprintf(w, "           %s\n", describeMismatch(m))
		}
	}
	ok, failed, pending := r.Counts()
	total := ok + failed + pending
	for _, n := range r.Notices {
		fmt.Fprintf(w, "\nnote: %s\n", n)
	}
	switch {
	case total == 0:
		fmt.Fprintf(w, "\nNo pacts to verify for %s.\n", r.Provider)
	case failed == 0:
		fmt.Fprintf(w, "\n%d of %d interactions verified", ok, total)
		if pending > 0 {
			fmt.Fprintf(w, ", %d pending failures (not counted)", pending)
		}
		fmt.Fprintf(w, " in %s.\n", r.Duration.Round(1e6))
	default:
		fmt.Fprintf(w, "\n%d of %d interactions FAILED", failed, total)
		if pending > 0 {
			fmt.Fprintf(w, ", %d pending", pending)
		}
		fmt.Fprintf(w, " (%d verified) in %s.\n", ok, r.Duration.Round(1e6))
	}
}

func describeMismatch(m Mismatch) string {
	where := m.Path
	if m.Key != "" {
		where = strings.TrimSpace(where + " " + m.Key)
	}
	kind := strings.TrimSuffix(m.Type, "Mismatch")
	var b strings.Builder
	b.WriteString(strings.ToLower(kind))
	if where != "" {
		b.WriteString(" at " + where)
	}
	b.WriteString(": " + m.Description)
	if m.Expected != "" || m.Actual != "" {
		fmt.Fprintf(&b, " (expected %s, got %s)", orNothing(m.Expected), orNothing(m.Actual))
	}
	return b.String()
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown consumer)"
	}
	return s
}

func orNothing(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

// WriteJSON writes the report as JSON, for CI systems.
func (r *Report) WriteJSON(w io.Writer) error {
	ok, failed, pending := r.Counts()
	interactions := r.Interactions
	if interactions == nil {
		interactions = []InteractionResult{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{
		"provider":     r.Provider,
		"success":      r.Success,
		"summary":      map[string]int{"verified": ok, "failed": failed, "pending": pending, "total": ok + failed + pending},
		"durationMs":   r.Duration.Milliseconds(),
		"interactions": interactions,
		"notices":      r.Notices,
	})
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitFailure `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML: a suite per consumer, a case per interaction;
// pending failures are reported as skipped, as they do not fail the build.
func (r *Report) WriteJUnit(w io.Writer) error {
	suites := junitSuites{Name: "pact verification of " + r.Provider}
	index := map[string]int{}
	for _, i := range r.Interactions {
		name := orUnknown(i.Consumer) + " → " + r.Provider
		at, ok := index[name]
		if !ok {
			at = len(suites.Suites)
			index[name] = at
			suites.Suites = append(suites.Suites, junitSuite{Name: name})
		}
		s := &suites.Suites[at]
		c := junitCase{Name: i.Description, ClassName: name}
		if len(i.States) > 0 {
			c.Name += " (given " + strings.Join(i.States, ", ") + ")"
		}
		detail := i.Error
		for _, m := range i.Mismatches {
			detail += describeMismatch(m) + "\n"
		}
		switch i.Status {
		case StatusFailed:
			c.Failure = &junitFailure{Message: firstLine(detail), Text: detail}
			s.Failures++
			suites.Failures++
		case StatusPending:
			c.Skipped = &junitFailure{Message: "pending pact: " + firstLine(detail), Text: detail}
			s.Skipped++
			suites.Skipped++
		}
		s.Tests++
		suites.Tests++
		s.Cases = append(s.Cases, c)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(suites); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
