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
		states   []string
	}
	var places []located
	consumer := ""
	for _, block := range er.Output {
		for _, line := range strings.Split(block, "\n") {
			if m := pactHeader.FindStringSubmatch(line); m != nil {
				consumer = m[1]
				continue
			}
			if interactionLine.MatchString(line) {
				places = append(places, located{consumer: consumer})
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
			res.Consumer, res.States = places[i].consumer, places[i].states
		}
		key := errorKey(res.Consumer, res.Description)
		if e, ok := failures[key]; ok && len(e) > 0 {
			res.Status = StatusFailed
			fillFailure(&res, e[0])
			failures[key] = e[1:]
		} else if e, ok := pending[key]; ok && len(e) > 0 {
			res.Status = StatusPending
			fillFailure(&res, e[0])
			pending[key] = e[1:]
		} else if ir.Result != "" && ir.Result != "Ok" && ir.Result != "OK" {
			res.Status = StatusFailed
			res.Error = "the engine reported " + ir.Result
		}
		rep.Interactions = append(rep.Interactions, res)
	}
	return rep, nil
}

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
