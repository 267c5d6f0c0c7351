package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// ErrNotFound matches (with errors.Is) a 404 from the broker, and a name the broker does not
// know when the client found that out from a list, such as an unknown environment name.
var ErrNotFound = errors.New("not found")

// Notice is a message the broker addresses to the person running the client; its type is
// debug, info, prompt, success, warning or error.
type Notice struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Error is a broker's answer with an error status, holding whatever the broker's JSON body
// said: a single message ("error"), validation errors ("errors", field to messages or a
// list), and notices.
type Error struct {
	Status  int
	Message string
	Errors  any
	Notices []Notice
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("broker said %d %s", e.Status, http.StatusText(e.Status))
	if d := e.Detail(); d != "" {
		msg += ": " + d
	}
	return msg
}

// Is makes a 404 match ErrNotFound.
func (e *Error) Is(target error) bool {
	return target == ErrNotFound && e.Status == http.StatusNotFound
}

// Detail is what the broker said, on one line: its message, else its validation errors,
// else its error notices.
func (e *Error) Detail() string {
	if e.Message != "" {
		return e.Message
	}
	if msgs := flattenErrors("", e.Errors); len(msgs) > 0 {
		return strings.Join(msgs, "; ")
	}
	var texts []string
	for _, n := range e.Notices {
		if n.Type == "error" {
			texts = append(texts, strings.TrimSpace(n.Text))
		}
	}
	return strings.Join(texts, "; ")
}

// flattenErrors turns the "errors" member into "field: message" lines. The reference broker
// nests the errors of array items ({"contracts": {"0": ["…"]}}); Treaty uses dotted keys
// ({"contracts.0": ["…"]}); both read "contracts.0: …".
func flattenErrors(field string, v any) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			sub := k
			if field != "" {
				sub = field + "." + k
			}
			out = append(out, flattenErrors(sub, v[k])...)
		}
		return out
	case []any:
		var out []string
		for _, item := range v {
			out = append(out, flattenErrors(field, item)...)
		}
		return out
	default:
		msg := fmt.Sprint(v)
		if field == "" {
			return []string{msg}
		}
		return []string{field + ": " + msg}
	}
}

// parseError reads an error body. Bodies that are not the broker's JSON (a proxy's text or
// HTML page) leave only the status, plus the text when it is short and plain.
func parseError(status int, body []byte) *Error {
	e := &Error{Status: status}
	var wire struct {
		Error   json.RawMessage `json:"error"`
		Errors  any             `json:"errors"`
		Notices []Notice        `json:"notices"`
	}
	if err := json.Unmarshal(body, &wire); err != nil {
		text := strings.TrimSpace(string(body))
		if text != "" && len(text) <= 200 && !strings.HasPrefix(text, "<") && !strings.Contains(text, "\n") {
			e.Message = text
		}
		return e
	}
	e.Errors = wire.Errors
	e.Notices = wire.Notices
	// "error" is a string ({"error": "No pacticipant …"}) or, for server errors, an object
	// ({"error": {"message": "…", "reference": "…"}}).
	var s string
	var obj struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(wire.Error, &s) == nil {
		e.Message = s
	} else if json.Unmarshal(wire.Error, &obj) == nil {
		e.Message = obj.Message
	}
	return e
}

// notFoundError is something the broker does not know, found out from a list.
type notFoundError struct{ what string }

func (e *notFoundError) Error() string        { return e.what }
func (e *notFoundError) Is(target error) bool { return target == ErrNotFound }

func notFound(format string, args ...any) error {
	return &notFoundError{what: fmt.Sprintf(format, args...)}
}
