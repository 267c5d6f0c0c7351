package ui

import (
	"bytes"
	"encoding/json"
	"strings"
)

// A verification's testResults is whatever the verifier sent. The shapes in use:
//
//   - pact_verifier (Rust, and the FFI behind pact-go and Treaty's verifier): an array of
//     {interactionId, success, mismatches: [{type, path, key, expected, actual, mismatch}]}
//     or {attribute, identifier, description} for errors;
//   - pact-ruby: {tests: [{testDescription, status, interactionDescription,
//     interactionProviderState, mismatches: [{attribute, identifier, description}],
//     exception: {message}}], summary: {testCount, failureCount}};
//   - anything else, which is shown as JSON.
//
// testResults reads them all into one list of tests, each with its mismatches.

type testResult struct {
	InteractionID string
	Description   string
	State         string
	Status        string // success, failed, pending or "" when unknown
	Error         string
	Mismatches    []mismatch
}

type mismatch struct {
	Kind        string // body, status, header, query, path, method or the verifier's type
	Path        string // a JSON path, or a header or query name
	Expected    string
	Actual      string
	Description string
}

type testSummary struct {
	Tests    []testResult
	Count    int // from the summary when the verifier sent one
	Failures int
	HasCount bool
	Raw      string // the JSON as sent, when it is not in a known shape
}

func parseTestResults(raw json.RawMessage) testSummary {
	var s testSummary
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return s
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		s.Raw = string(trimmed)
		return s
	}
	var list []any
	known := false
	switch t := v.(type) {
	case []any:
		list, known = t, true
	case map[string]any:
		for _, key := range []string{"tests", "testResults", "interactions", "results"} {
			if l, ok := t[key].([]any); ok {
				list, known = l, true
				break
			}
		}
		if sum, ok := t["summary"].(map[string]any); ok {
			known = true
			if n, ok := number(sum["testCount"]); ok {
				s.Count, s.HasCount = n, true
			}
			if n, ok := number(sum["failureCount"]); ok {
				s.Failures = n
			}
		}
	}
	if !known {
		s.Raw = prettyJSON(v)
		return s
	}
	for _, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			continue
		}
		s.Tests = append(s.Tests, testOf(m))
	}
	return s
}

func testOf(m map[string]any) testResult {
	t := testResult{
		InteractionID: str(m["interactionId"]),
		Description:   firstOf(m, "interactionDescription", "description", "testDescription", "testFullDescription"),
		State:         firstOf(m, "interactionProviderState", "providerState"),
		Error:         firstOf(m, "error", "message"),
	}
	switch s := m["success"].(type) {
	case bool:
		t.Status = map[bool]string{true: resultSuccess, false: resultFailed}[s]
	}
	switch strings.ToLower(str(m["status"])) {
	case "passed", "ok", "success":
		t.Status = resultSuccess
	case "failed", "error", "failure":
		t.Status = resultFailed
	case "pending":
		t.Status = "pending"
	}
	if ex, ok := m["exception"].(map[string]any); ok && t.Error == "" {
		t.Error = str(ex["message"])
	}
	list, _ := m["mismatches"].([]any)
	for _, x := range list {
		mm, ok := x.(map[string]any)
		if !ok {
			continue
		}
		t.Mismatches = append(t.Mismatches, mismatchOf(mm))
	}
	return t
}

func mismatchOf(m map[string]any) mismatch {
	kind := firstOf(m, "type", "attribute")
	kind = strings.TrimSuffix(kind, "Mismatch")
	out := mismatch{
		Kind:        strings.ToLower(kind),
		Path:        firstOf(m, "path", "identifier", "key", "parameter"),
		Description: firstOf(m, "mismatch", "description", "message"),
	}
	if v, ok := m["expected"]; ok {
		out.Expected = valueText(v)
	}
	if v, ok := m["actual"]; ok {
		out.Actual = valueText(v)
	}
	return out
}

// valueText shows an expected or actual value: strings as they are (they are often JSON
// already), anything else indented.
func valueText(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		var inner any
		dec := json.NewDecoder(strings.NewReader(t))
		dec.UseNumber()
		if (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && dec.Decode(&inner) == nil {
			return prettyJSON(inner)
		}
		return t
	}
	return prettyJSON(v)
}

func firstOf(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s := str(m[k]); s != "" {
			return s
		}
	}
	return ""
}

func str(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case nil:
		return ""
	}
	return compactJSON(v)
}

func number(v any) (int, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return int(i), err == nil
}
