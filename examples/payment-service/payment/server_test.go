package payment

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/examples/internal/openapitest"
)

// doc is payment-service's OpenAPI document: every response in these tests must match it.
func doc(t *testing.T) *openapitest.Doc { return openapitest.Load(t, "../openapi.yaml") }

func newServer(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func post(path, body string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}

func decode(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", rec.Body, err)
	}
	return m
}

func TestCharge(t *testing.T) {
	d := doc(t)
	tests := []struct {
		name       string
		body       string
		wantCode   int
		wantStatus string // charge status; empty for an error response
		wantError  string // a substring of the error message
	}{
		{"valid card is approved", `{"order_id":"o-1001","amount":1999,"card_token":"tok_visa"}`, 200, "approved", ""},
		{"expired card is declined", `{"order_id":"o-1002","amount":1999,"card_token":"tok_expired"}`, 402, "declined", ""},
		{"unknown card is declined", `{"order_id":"o-1003","amount":1999,"card_token":"tok_nobody"}`, 402, "declined", ""},
		{"extra fields are ignored", `{"order_id":"o-1004","amount":1,"card_token":"tok_visa","note":"x"}`, 200, "approved", ""},
		{"missing order id", `{"amount":1999,"card_token":"tok_visa"}`, 400, "", "order_id: required"},
		{"zero amount", `{"order_id":"o-1","amount":0,"card_token":"tok_visa"}`, 400, "", "amount: must be a positive"},
		{"negative amount", `{"order_id":"o-1","amount":-5,"card_token":"tok_visa"}`, 400, "", "amount: must be a positive"},
		{"fractional amount", `{"order_id":"o-1","amount":19.99,"card_token":"tok_visa"}`, 400, "", "amount: must be an integer"},
		{"amount as a string", `{"order_id":"o-1","amount":"1999","card_token":"tok_visa"}`, 400, "", "amount: must be an integer"},
		{"missing card token", `{"order_id":"o-1","amount":1999}`, 400, "", "card_token: required"},
		{"not JSON", `order=o-1`, 400, "", "not valid JSON"},
		{"empty body", ``, 400, "", "empty"},
		{"two objects", `{"order_id":"o-1","amount":1,"card_token":"tok_visa"}{}`, 400, "", "trailing data"},
		{"too large", `{"order_id":"` + strings.Repeat("x", 70<<10) + `"}`, 400, "", "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := d.Serve(t, newServer(t, Options{}), post("/charge", tt.body))
			if rec.Code != tt.wantCode {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.wantCode, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			body := decode(t, rec)
			if tt.wantStatus != "" {
				if body["status"] != tt.wantStatus {
					t.Errorf("status %v, want %s", body["status"], tt.wantStatus)
				}
				if id, _ := body["transaction_id"].(string); !strings.HasPrefix(id, "txn_") {
					t.Errorf("transaction_id %q, want txn_…", id)
				}
				return
			}
			if msg, _ := body["error"].(string); !strings.Contains(msg, tt.wantError) {
				t.Errorf("error %q, want it to mention %q", msg, tt.wantError)
			}
		})
	}
}

func TestChargeTransactionIDsAreUnique(t *testing.T) {
	s := newServer(t, Options{})
	seen := map[string]bool{}
	for range 50 {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, post("/charge", `{"order_id":"o-1","amount":1,"card_token":"tok_visa"}`))
		id := decode(t, rec)["transaction_id"].(string)
		if seen[id] {
			t.Fatalf("transaction id %s issued twice", id)
		}
		seen[id] = true
	}
}

// TestBreakingRelease pins down the careless release: the field is renamed, and the
// OpenAPI document, which describes the intended API, rejects the response.
func TestBreakingRelease(t *testing.T) {
	d := doc(t)
	s := newServer(t, Options{Breaking: true})
	req := post("/charge", `{"order_id":"o-1001","amount":1999,"card_token":"tok_visa"}`)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	body := decode(t, rec)
	if rec.Code != http.StatusOK || body["txn_id"] == nil || body["transaction_id"] != nil {
		t.Fatalf("got %d %s, want 200 with txn_id and no transaction_id", rec.Code, rec.Body)
	}
	err := d.Check(req, rec)
	if err == nil || !strings.Contains(err.Error(), "transaction_id") {
		t.Errorf("the document accepted the breaking response (err %v); it must reject it", err)
	}
}

func TestErrorRate(t *testing.T) {
	d := doc(t)
	tests := []struct {
		rate float64
		want string // one character per charge: '.' ok, 'x' 500
	}{
		{0, "........"},
		{0.25, "...x...x"},
		{0.5, ".x.x.x.x"},
		{0.3, "...x..x..x"},
		{1, "xxxx"},
	}
	for _, tt := range tests {
		s := newServer(t, Options{ErrorRate: tt.rate})
		var got strings.Builder
		for range len(tt.want) {
			rec := d.Serve(t, s, post("/charge", `{"order_id":"o-1","amount":1,"card_token":"tok_visa"}`))
			switch rec.Code {
			case http.StatusOK:
				got.WriteByte('.')
			case http.StatusInternalServerError:
				got.WriteByte('x')
			default:
				t.Fatalf("rate %v: status %d", tt.rate, rec.Code)
			}
		}
		if got.String() != tt.want {
			t.Errorf("rate %v: charges went %s, want %s", tt.rate, got.String(), tt.want)
		}
	}
}

func TestNewRejectsBadErrorRate(t *testing.T) {
	for _, rate := range []float64{-0.1, 1.5} {
		if _, err := New(Options{ErrorRate: rate}); err == nil {
			t.Errorf("New accepted error rate %v", rate)
		}
	}
}

func TestProviderStates(t *testing.T) {
	d := doc(t)
	tests := []struct {
		name      string
		changes   []string // state change bodies, sent in order
		token     string
		wantCode  int    // of the last state change
		wantCard  int    // charge status for token afterwards
		wantError string // of the last state change
	}{
		{"seed: tok_visa valid", nil, "tok_visa", 200, 200, ""},
		{"seed: tok_expired declined", nil, "tok_expired", 200, 402, ""},
		{"pact v3 setup: valid",
			[]string{`{"state":"card tok_new is valid","params":{},"action":"setup"}`}, "tok_new", 200, 200, ""},
		{"pact v3 setup: expired",
			[]string{`{"state":"card tok_visa is expired","action":"setup"}`}, "tok_visa", 200, 402, ""},
		{"no action means setup",
			[]string{`{"state":"card tok_new is valid"}`}, "tok_new", 200, 200, ""},
		{"ruby verifier shape",
			[]string{`{"consumer":"order-service","states":["card tok_a is valid","card tok_b is valid"]}`}, "tok_b", 200, 200, ""},
		{"teardown restores the seed",
			[]string{`{"state":"card tok_visa is expired","action":"setup"}`, `{"state":"card tok_visa is expired","action":"teardown"}`},
			"tok_visa", 200, 200, ""},
		{"unknown state",
			[]string{`{"state":"the moon is full","action":"setup"}`}, "tok_visa", 400, 200, `unknown provider state "the moon is full"`},
		{"unknown action",
			[]string{`{"state":"card tok_visa is valid","action":"reset"}`}, "tok_visa", 400, 200, "action: must be"},
		{"no state",
			[]string{`{"action":"setup"}`}, "tok_visa", 400, 200, "state: a provider state name is required"},
		{"bad JSON",
			[]string{`{"state":`}, "tok_visa", 400, 200, "request body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, Options{})
			code := http.StatusOK
			var body map[string]any
			for _, c := range tt.changes {
				rec := d.Serve(t, s, post("/_pact/provider_states", c))
				code, body = rec.Code, decode(t, rec)
			}
			if code != tt.wantCode {
				t.Fatalf("state change: status %d, want %d (%v)", code, tt.wantCode, body)
			}
			if msg, _ := body["error"].(string); !strings.Contains(msg, tt.wantError) {
				t.Errorf("state change error %q, want it to mention %q", msg, tt.wantError)
			}
			rec := d.Serve(t, s, post("/charge", `{"order_id":"o-1","amount":1,"card_token":"`+tt.token+`"}`))
			if rec.Code != tt.wantCard {
				t.Errorf("charge with %s: status %d, want %d", tt.token, rec.Code, tt.wantCard)
			}
		})
	}
}

func TestOperations(t *testing.T) {
	d := doc(t)
	s := newServer(t, Options{ErrorRate: 0.5})
	for _, body := range []string{
		`{"order_id":"o-1","amount":1,"card_token":"tok_visa"}`,    // 200
		`{"order_id":"o-1","amount":1,"card_token":"tok_visa"}`,    // 500, injected
		`{"order_id":"o-1","amount":1,"card_token":"tok_expired"}`, // 402
		`{"order_id":"o-1","amount":1,"card_token":"tok_visa"}`,    // 500, injected
	} {
		d.Serve(t, s, post("/charge", body))
	}

	rec := d.Serve(t, s, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK || decode(t, rec)["status"] != "ok" {
		t.Errorf("healthz: %d %s", rec.Code, rec.Body)
	}

	rec = d.Serve(t, s, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, line := range []string{
		`http_requests_total{code="200",method="POST",route="/charge"} 1`,
		`http_requests_total{code="402",method="POST",route="/charge"} 1`,
		`http_requests_total{code="500",method="POST",route="/charge"} 2`,
	} {
		if !strings.Contains(rec.Body.String(), line+"\n") {
			t.Errorf("metrics lack %s:\n%s", line, rec.Body)
		}
	}
	if strings.Contains(rec.Body.String(), `route="/healthz"`) {
		t.Errorf("metrics count health checks, which would dilute the error ratio:\n%s", rec.Body)
	}
}
