package ui

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestParseTestResults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		raw   string
		tests []testResult
		count int
		raw2  bool // kept as raw JSON
	}{
		{name: "none", raw: `null`},
		{name: "pact_verifier array", raw: `[
			{"interactionId":"1a","success":true},
			{"interactionId":"2b","success":false,"mismatches":[
				{"type":"StatusMismatch","expected":200,"actual":500,"mismatch":"expected 200 but was 500"},
				{"type":"BodyMismatch","path":"$.transaction_id","expected":"\"txn-1\"","actual":"null","mismatch":"Expected 'txn-1' but received null"},
				{"type":"HeaderMismatch","key":"Content-Type","expected":"application/json","actual":"text/html","mismatch":"Mismatch with header 'Content-Type'"}]}]`,
			tests: []testResult{
				{InteractionID: "1a", Status: resultSuccess},
				{InteractionID: "2b", Status: resultFailed, Mismatches: []mismatch{
					{Kind: "status", Expected: "200", Actual: "500", Description: "expected 200 but was 500"},
					{Kind: "body", Path: "$.transaction_id", Expected: `"txn-1"`, Actual: "null", Description: "Expected 'txn-1' but received null"},
					{Kind: "header", Path: "Content-Type", Expected: "application/json", Actual: "text/html", Description: "Mismatch with header 'Content-Type'"},
				}},
			}, count: 2},
		{name: "pact-ruby", raw: `{"tests":[{"testDescription":"has status 200","status":"failed","interactionDescription":"a request",
				"interactionProviderState":"things exist","exception":{"class":"RSpec","message":"boom"},
				"mismatches":[{"attribute":"body","identifier":"$.id","description":"Expected 1 but got 2","expected":1,"actual":2}]}],
				"summary":{"testCount":3,"failureCount":1}}`,
			tests: []testResult{{Description: "a request", State: "things exist", Status: resultFailed, Error: "boom",
				Mismatches: []mismatch{{Kind: "body", Path: "$.id", Expected: "1", Actual: "2", Description: "Expected 1 but got 2"}}}},
			count: 3},
		{name: "summary only", raw: `{"summary":{"testCount":4,"failureCount":0}}`, count: 4},
		{name: "expected JSON objects are indented", raw: `[{"success":false,"mismatches":[{"type":"BodyMismatch","path":"$","expected":"{\"a\":1}","actual":{"a":2}}]}]`,
			tests: []testResult{{Status: resultFailed, Mismatches: []mismatch{{Kind: "body", Path: "$", Expected: "{\n  \"a\": 1\n}", Actual: "{\n  \"a\": 2\n}"}}}},
			count: 1},
		{name: "unknown shape", raw: `{"something":"else"}`, raw2: true},
		{name: "not JSON", raw: `{oops`, raw2: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := parseTestResults(json.RawMessage(tc.raw))
			if !reflect.DeepEqual(s.Tests, tc.tests) {
				t.Errorf("tests:\n got %+v\nwant %+v", s.Tests, tc.tests)
			}
			count := s.Count
			if !s.HasCount {
				count = len(s.Tests)
			}
			if count != tc.count {
				t.Errorf("count = %d, want %d", count, tc.count)
			}
			if (s.Raw != "") != tc.raw2 {
				t.Errorf("raw = %q", s.Raw)
			}
		})
	}
}
