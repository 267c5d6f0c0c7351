package verifier

import (
	"reflect"
	"strings"
	"testing"
)

// TestParseEngineResultSameDescription: a main branch's pact and a work-in-progress pact of
// one consumer both have "a charge for an order"; the engine verified the first and the second
// failed (pending). The failure belongs to the interaction that failed, not to the first one
// with its description.
func TestParseEngineResultSameDescription(t *testing.T) {
	raw := `{
	  "result": true,
	  "errors": [],
	  "pendingErrors": [{"interaction": "Verifying a pact between order-service and payment-service Given card tok_visa is valid - a charge for an order",
	    "mismatch": {"type": "mismatches", "mismatches": [{"type": "BodyMismatch", "path": "$", "mismatch": "Actual map is missing the following keys: txn_id"}]}}],
	  "interactionResults": [
	    {"description": "a charge for an order", "result": "OK"},
	    {"description": "a charge with an expired card", "result": "OK"},
	    {"description": "a charge for an order", "result": "Error"}
	  ],
	  "output": [
	    "\nVerifying a pact between order-service and payment-service",
	    "  a charge for an order (0s loading, 9ms verification)", "     Given card tok_visa is valid",
	    "  a charge with an expired card (0s loading, 7ms verification)", "     Given card tok_expired is expired",
	    "\nVerifying a pact between order-service and payment-service [PENDING]",
	    "  a charge for an order (0s loading, 8ms verification)", "     Given card tok_visa is valid"
	  ]
	}`
	rep, err := parseEngineResult("payment-service", []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, i := range rep.Interactions {
		statuses = append(statuses, i.Status)
	}
	if want := []string{StatusOK, StatusOK, StatusPending}; !reflect.DeepEqual(statuses, want) {
		t.Fatalf("statuses %v, want %v", statuses, want)
	}
	if m := rep.Interactions[2].Mismatches; len(m) != 1 || m[0].Description != "Actual map is missing the following keys: txn_id" {
		t.Errorf("the pending interaction's mismatches: %+v", m)
	}
	if rep.Interactions[0].Error != "" || len(rep.Interactions[0].Mismatches) > 0 {
		t.Errorf("the verified interaction took a failure: %+v", rep.Interactions[0])
	}
	var text strings.Builder
	rep.WriteText(&text)
	if n := strings.Count(text.String(), "order-service → payment-service\n"); n != 2 {
		t.Errorf("the text report heads %d pacts, want 2:\n%s", n, text.String())
	}
}

func TestWithStateParams(t *testing.T) {
	var got map[string]any
	h := withStateParams(StateHandlers{"user 42 exists": func(_ bool, s ProviderState) (ProviderStateResponse, error) {
		got = s.Parameters
		return nil, nil
	}})["user 42 exists"]
	tests := []struct {
		name string
		in   map[string]any
		want map[string]any
	}{
		{"as pact-go passes them", map[string]any{"params": map[string]any{"id": 42.0}}, map[string]any{"id": 42.0}},
		{"already flat", map[string]any{"id": 42.0}, map[string]any{"id": 42.0}},
		{"none", nil, nil},
		{"a parameter named params among others", map[string]any{"params": map[string]any{"a": 1.0}, "b": 2.0},
			map[string]any{"params": map[string]any{"a": 1.0}, "b": 2.0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := h(true, ProviderState{Name: "user 42 exists", Parameters: tt.in}); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("the handler got %v, want %v", got, tt.want)
			}
		})
	}
}
