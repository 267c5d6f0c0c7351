package verifier

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Report is what a verification run found, per interaction.
type Report struct {
	Provider     string
	Success      bool // every non-pending interaction verified
	Interactions []InteractionResult
	Notices      []string
	Output       string // the engine's own text output
	Duration     time.Duration
}

// Interaction statuses.
const (
	StatusOK      = "ok"
	StatusFailed  = "failed"
	StatusPending = "pending" // failed, but the pact is pending: it does not fail the build
)

// InteractionResult is one interaction's verdict.
type InteractionResult struct {
	Consumer    string     `json:"consumer"`
	Description string     `json:"description"`
	States      []string   `json:"providerStates,omitempty"`
	Status      string     `json:"status"`
	Duration    string     `json:"duration,omitempty"`
	Error       string     `json:"error,omitempty"` // the request itself failed (state change, connection)
	Mismatches  []Mismatch `json:"mismatches,omitempty"`

	pact int // which of the run's pacts it is in, counting from 1 (0: unknown)
}

// Mismatch is one difference between what the pact expects and what the provider answered.
type Mismatch struct {
	Type        string `json:"type"` // BodyMismatch, StatusMismatch, HeaderMismatch, …
	Path        string `json:"path,omitempty"`
	Key         string `json:"key,omitempty"` // a header or query parameter name
	Expected    string `json:"expected,omitempty"`
	Actual      string `json:"actual,omitempty"`
	Description string `json:"description"`
}

// Counts tallies the interactions by status.
func (r *Report) Counts() (ok, failed, pending int) {
	for _, i := range r.Interactions {
		switch i.Status {
		case StatusOK:
			ok++
		case StatusFailed:
			failed++
		case StatusPending:
			pending++
		}
	}
	return ok, failed, pending
}

// engineResult is the JSON the engine produces for a run.
type engineResult struct {
	Result             bool             `json:"result"`
	Errors             []engineError    `json:"errors"`
	PendingErrors      []engineError    `json:"pendingErrors"`
	InteractionResults []engineInteract `json:"interactionResults"`
	Notices            []map[string]any `json:"notices"`
	Output             []string         `json:"output"`
}

type engineError struct {
	Interaction string `json:"interaction"`
	Mismatch    struct {
		Type       string           `json:"type"`
		Message    string           `json:"message"`
		Mismatches []map[string]any `json:"mismatches"`
	} `json:"mismatch"`
}

type engineInteract struct {
	Description string `json:"description"`
	Duration    string `json:"duration"`
	Result      string `json:"result"`
}

var (
	pactHeader      = regexp.MustCompile(`^\s*Verifying a pact between (.+) and (.+?)\s*$`)
	interactionLine = regexp.MustCompile(`^  (\S.*?) \(.* loading, .* verification\)`)
	givenLine       = regexp.MustCompile(`^\s+Given (.+)$`)
)

// parseEngineResult turns the engine's JSON into a report. The engine lists interaction
// results in order and names their pact only in its text output, so the output's headers
// place each interaction in its pact.
func parseEngineResult(provider string, raw []byte) (*Report, error) {
	var er engineResult
	if err := json.Unmarshal(raw, &er); err != nil {
		return nil, fmt.Errorf("read the verification results: %w", err)
	}
	rep := &Report{Provider: provider, Success: er.Result, Output: strings.Join(er.Output, "\n")}
	for _, n := range er.Notices {
		if t, ok := n["text"].(string); ok {
			rep.Notices = append(rep.Notices, t)
		}
	}
	type located struct {
		consumer string
		pact     int
		states   []string
	}
	var places []located
	consumer, pact := "", 0
	for _, block := range er.Output {
		for _, line := range strings.Split(block, "\n") {
			if m := pactHeader.FindStringSubmatch(line); m != nil {
				consumer = m[1]
				pact++
				continue
			}
			if interactionLine.MatchString(line) {
				places = append(places, located{consumer: consumer, pact: pact})
				continue
			}
			if m := givenLine.FindStringSubmatch(line); m != nil && len(places) > 0 {
				last := &places[len(places)-1]
				last.states = append(last.states, m[1])
			}
		}
	}
	failures := indexErrors(provider, er.Errors)
	pending := indexErrors(provider, er.PendingErrors)
	for i, ir := range er.InteractionResults {
		res := InteractionResult{Description: ir.Description, Duration: ir.Duration, Status: StatusOK}
		if i < len(places) {
			res.Consumer, res.States, res.pact = places[i].consumer, places[i].states, places[i].pact
		}
		// Several pacts of one consumer may hold interactions with the same description (a
		// main branch's pact and a work-in-progress one): an interaction the engine says
		// passed takes none of the errors filed under that description.
		key := errorKey(res.Consumer, res.Description)
		switch {
		case passed(ir.Result):
		case len(failures[key]) > 0:
			res.Status = StatusFailed
			fillFailure(&res, failures[key][0])
			failures[key] = failures[key][1:]
		case len(pending[key]) > 0:
			res.Status = StatusPending
			fillFailure(&res, pending[key][0])
			pending[key] = pending[key][1:]
		case ir.Result != "":
			res.Status = StatusFailed
			res.Error = "the engine reported " + ir.Result
		}
		rep.Interactions = append(rep.Interactions, res)
	}
	return rep, nil
}

// passed reports whether an interaction result says the interaction verified.
func passed(result string) bool { return result == "OK" || result == "Ok" }

func errorKey(consumer, description string) string { return consumer + "\x00" + description }

// indexErrors groups the engine's errors by consumer and interaction description, parsed from
// "Verifying a pact between C and P[ Given S] - D".
func indexErrors(provider string, errs []engineError) map[string][]engineError {
	re := regexp.MustCompile(`^Verifying a pact between (.+) and ` + regexp.QuoteMeta(provider) + `(?: \[[^\]]*\])?(?: Given (.+?))? - (.+)$`)
	out := map[string][]engineError{}
	for _, e := range errs {
		m := re.FindStringSubmatch(e.Interaction)
		if m == nil {
			continue
		}
		k := errorKey(m[1], m[3])
		out[k] = append(out[k], e)
	}
	return out
}

func fillFailure(res *InteractionResult, e engineError) {
	if e.Mismatch.Type == "error" || len(e.Mismatch.Mismatches) == 0 {
		res.Error = e.Mismatch.Message
		return
	}
	for _, m := range e.Mismatch.Mismatches {
		res.Mismatches = append(res.Mismatches, Mismatch{
			Type: text(m["type"]), Path: text(m["path"]), Key: text(m["key"]),
			Expected: text(m["expected"]), Actual: text(m["actual"]), Description: text(m["mismatch"]),
		})
	}
}

// text renders a mismatch field: strings as they are, anything else as JSON.
func text(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	}
	b, _ := json.Marshal(v)
	return string(b)
}
