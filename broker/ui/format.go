package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"sort"
	"strings"
	"time"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/broker/store"
)

// stamp is a moment shown as "3 hours ago", with the exact time in a tooltip and in the
// <time> element's datetime for machines.
type stamp struct {
	t, now time.Time
}

func (p *Pages) stamp(t time.Time) stamp { return stamp{t: t, now: p.now()} }

// IsZero reports whether there is no time to show.
func (s stamp) IsZero() bool { return s.t.IsZero() }

// ISO is the machine-readable time.
func (s stamp) ISO() string { return s.t.UTC().Format(time.RFC3339) }

// Full is the exact time for people.
func (s stamp) Full() string { return s.t.UTC().Format("2 Jan 2006 15:04:05 UTC") }

// Ago is the time relative to now.
func (s stamp) Ago() string {
	d := s.now.Sub(s.t)
	if d < 0 {
		d = 0
	}
	unit := func(n int, name string) string {
		if n == 1 {
			return "1 " + name + " ago"
		}
		return fmt.Sprintf("%d %ss ago", n, name)
	}
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return unit(int(d/time.Minute), "minute")
	case d < 24*time.Hour:
		return unit(int(d/time.Hour), "hour")
	case d < 60*24*time.Hour:
		return unit(int(d/(24*time.Hour)), "day")
	case d < 730*24*time.Hour:
		return unit(int(d/(30*24*time.Hour)), "month")
	}
	return unit(int(d/(365*24*time.Hour)), "year")
}

// Verification results as the pages name them.
const (
	resultSuccess    = store.StatusSuccess
	resultFailed     = store.StatusFailed
	resultUnverified = store.StatusUnverified
)

func resultOf(success *bool) string {
	switch {
	case success == nil:
		return resultUnverified
	case *success:
		return resultSuccess
	}
	return resultFailed
}

func verificationResult(v *broker.Verification) string {
	if v == nil {
		return resultUnverified
	}
	return resultOf(&v.Success)
}

var resultLabels = map[string]string{resultSuccess: "Verified", resultFailed: "Failed", resultUnverified: "Not verified"}

// outcome is a matrix result as people read it: its class (success, failed, unverified), a
// few words, and for a bi-directional result a sentence that says which of its two checks
// failed.
type outcome struct {
	Result string
	Text   string
	Detail string
}

// Describe is the outcome in words, with its sentence when it has one.
func (o outcome) Describe() string {
	if o.Detail == "" {
		return o.Text
	}
	return o.Text + ": " + o.Detail
}

func outcomeOf(v *broker.MatrixVerification) outcome {
	switch {
	case v == nil:
		return outcome{Result: resultUnverified, Text: resultLabels[resultUnverified]}
	case !v.IsBidirectional():
		r := resultOf(&v.Success)
		return outcome{Result: r, Text: resultLabels[r]}
	}
	return bidirectionalOutcome(v.Compatible, v.SelfVerified)
}

// bidirectionalOutcome reads a comparison with an OpenAPI document and the document's
// self-verification (nil: none published), as the matrix judges them together.
func bidirectionalOutcome(compatible bool, selfVerified *bool) outcome {
	switch {
	case !compatible:
		return outcome{Result: resultFailed, Text: "Incompatible (OpenAPI)", Detail: "the pact is not compatible with the OpenAPI document"}
	case selfVerified == nil:
		return outcome{Result: resultFailed, Text: "Not self-verified (OpenAPI)",
			Detail: "the pact is compatible with the OpenAPI document, but no self-verification results were published for it"}
	case !*selfVerified:
		return outcome{Result: resultFailed, Text: "Self-verification failed (OpenAPI)",
			Detail: "the pact is compatible with the OpenAPI document, but the document's self-verification failed"}
	}
	return outcome{Result: resultSuccess, Text: "Compatible (OpenAPI)",
		Detail: "the pact is compatible with the OpenAPI document, whose self-verification succeeded"}
}

// funcs are the helpers every template may call.
var funcs = template.FuncMap{
	"resultLabel": func(r string) string { return resultLabels[r] },
	"resultIcon": func(r string) string {
		switch r {
		case resultSuccess:
			return "✓"
		case resultFailed:
			return "✗"
		}
		return "?"
	},
	"short": func(s string) string {
		if len(s) > 8 {
			return s[:8]
		}
		return s
	},
	"plural": plural,
	"add":    func(a, b int) int { return a + b },
	// dict passes several values to a partial: dict "Key" value "Key2" value2.
	"dict": func(pairs ...any) (map[string]any, error) {
		if len(pairs)%2 != 0 {
			return nil, fmt.Errorf("dict needs key-value pairs")
		}
		m := make(map[string]any, len(pairs)/2)
		for i := 0; i < len(pairs); i += 2 {
			k, ok := pairs[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict keys must be strings")
			}
			m[k] = pairs[i+1]
		}
		return m, nil
	},
	"slug":      slug,
	"breakable": breakable,
	"gateClass": gateResultClass,
	"runClass":  runClass,
}

// breakable lets a long dotted location ("[root].interactions[0].response.body.id") wrap
// after its dots rather than in the middle of a name.
func breakable(s string) template.HTML {
	parts := strings.SplitAfter(s, ".")
	for i, part := range parts {
		parts[i] = template.HTMLEscapeString(part)
	}
	return template.HTML(strings.Join(parts, "<wbr>"))
}

// slug makes a name usable in an element id.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// plural counts things: "1 interaction", "3 interactions".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// prettyJSON indents a JSON value for reading; numbers keep their exact text.
func prettyJSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimRight(buf.String(), "\n")
}

// compactJSON writes a JSON value on one line, strings without their quotes when bare is set.
func compactJSON(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimRight(buf.String(), "\n")
}

// envChip is a version deployed or released in an environment, as shown next to a name.
type envChip struct {
	Environment string
	Display     string
	Production  bool
	Version     string
	Released    bool
	Instance    string
	Since       stamp
	URL         string // the environment's page
	VersionURL  string // the version's matrix
}

// orderEnvironments sorts environments as a pipeline runs through them: the others by
// name, then production ones by name.
func orderEnvironments(envs []broker.Environment) []broker.Environment {
	out := append([]broker.Environment(nil), envs...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Production != out[j].Production {
			return !out[i].Production
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func envRank(envs []broker.Environment) map[string]int {
	rank := map[string]int{}
	for i, e := range orderEnvironments(envs) {
		rank[e.Name] = i
	}
	return rank
}

func displayName(e broker.Environment) string {
	if e.DisplayName != "" {
		return e.DisplayName
	}
	return broker.DefaultDisplayName(e.Name)
}

// chipsByPacticipant groups what is deployed and released now per pacticipant, in pipeline
// order of environments.
func (p *Pages) chipsByPacticipant(deployed []broker.DeployedVersion, released []broker.ReleasedVersion, envs []broker.Environment) map[string][]envChip {
	rank := envRank(envs)
	out := map[string][]envChip{}
	for _, d := range deployed {
		c := envChip{Environment: d.Environment.Name, Display: displayName(d.Environment), Production: d.Environment.Production,
			Version: d.Version, Since: p.stamp(d.CreatedAt), URL: p.links.Environment(d.Environment.Name),
			VersionURL: p.links.VersionMatrix(d.Pacticipant, d.Version)}
		if d.ApplicationInstance != nil {
			c.Instance = *d.ApplicationInstance
		}
		out[d.Pacticipant] = append(out[d.Pacticipant], c)
	}
	for _, r := range released {
		out[r.Pacticipant] = append(out[r.Pacticipant], envChip{Environment: r.Environment.Name, Display: displayName(r.Environment),
			Production: r.Environment.Production, Version: r.Version, Released: true, Since: p.stamp(r.CreatedAt),
			URL: p.links.Environment(r.Environment.Name), VersionURL: p.links.VersionMatrix(r.Pacticipant, r.Version)})
	}
	for name, chips := range out {
		sort.SliceStable(chips, func(i, j int) bool {
			if rank[chips[i].Environment] != rank[chips[j].Environment] {
				return rank[chips[i].Environment] < rank[chips[j].Environment]
			}
			return chips[i].Since.t.After(chips[j].Since.t)
		})
		out[name] = chips
	}
	return out
}
