package users

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/examples/internal/openapitest"
)

// doc is user-service's OpenAPI document: every response in these tests must match it.
func doc(t *testing.T) *openapitest.Doc { return openapitest.Load(t, "../openapi.yaml") }

func get(path string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Accept", "application/json")
	return req
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

func TestGetUser(t *testing.T) {
	d := doc(t)
	tests := []struct {
		path      string
		wantCode  int
		wantBody  string // exact JSON for a 200
		wantError string // a substring of the error message otherwise
	}{
		{"/users/42", 200, `{"id":42,"name":"Ada Lovelace","email":"ada@example.com"}`, ""},
		{"/users/042", 200, `{"id":42,"name":"Ada Lovelace","email":"ada@example.com"}`, ""},
		{"/users/7", 404, "", "user 7 not found"},
		{"/users/-1", 404, "", "user -1 not found"},
		{"/users/abc", 400, "", `id: must be an integer, got "abc"`},
		{"/users/4.2", 400, "", "id: must be an integer"},
		{"/users/99999999999999999999", 400, "", "id: must be an integer"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := d.Serve(t, New(nil), get(tt.path))
			if rec.Code != tt.wantCode {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.wantCode, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			if tt.wantBody != "" {
				if got := strings.TrimSpace(rec.Body.String()); got != tt.wantBody {
					t.Errorf("body %s, want %s", got, tt.wantBody)
				}
				return
			}
			if msg, _ := decode(t, rec)["error"].(string); !strings.Contains(msg, tt.wantError) {
				t.Errorf("error %q, want it to mention %q", msg, tt.wantError)
			}
		})
	}
}

func TestProviderStates(t *testing.T) {
	d := doc(t)
	tests := []struct {
		name      string
		changes   []string // state change bodies, sent in order
		user      string   // the path looked up afterwards
		wantCode  int      // of the last state change
		wantUser  int      // status of the look-up
		wantError string   // of the last state change
	}{
		{"seed: user 42", nil, "/users/42", 200, 200, ""},
		{"pact v3, as order-service sends it",
			[]string{`{"state":"user 42 exists","params":{"id":42},"action":"setup"}`}, "/users/42", 200, 200, ""},
		{"creates a user that did not exist",
			[]string{`{"state":"user 7 exists","action":"setup"}`}, "/users/7", 200, 200, ""},
		{"the id parameter counts",
			[]string{`{"state":"user 1 exists","params":{"id":8},"action":"setup"}`}, "/users/8", 200, 200, ""},
		{"does not exist",
			[]string{`{"state":"user 42 does not exist","action":"setup"}`}, "/users/42", 200, 404, ""},
		{"ruby verifier shape",
			[]string{`{"consumer":"order-service","states":["user 9 exists"]}`}, "/users/9", 200, 200, ""},
		{"teardown restores the seed",
			[]string{`{"state":"user 42 does not exist","action":"setup"}`, `{"state":"user 42 does not exist","action":"teardown"}`},
			"/users/42", 200, 200, ""},
		{"teardown forgets created users",
			[]string{`{"state":"user 7 exists","action":"setup"}`, `{"state":"user 7 exists","action":"teardown"}`},
			"/users/7", 200, 404, ""},
		{"unknown state",
			[]string{`{"state":"a user exists","action":"setup"}`}, "/users/42", 400, 200, `unknown provider state "a user exists"`},
		{"fractional id parameter",
			[]string{`{"state":"user 42 exists","params":{"id":4.5},"action":"setup"}`}, "/users/42", 400, 200, "params.id: must be an integer"},
		{"string id parameter",
			[]string{`{"state":"user 42 exists","params":{"id":"42"},"action":"setup"}`}, "/users/42", 400, 200, "params.id: must be an integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(nil)
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
			if rec := d.Serve(t, s, get(tt.user)); rec.Code != tt.wantUser {
				t.Errorf("GET %s: status %d, want %d", tt.user, rec.Code, tt.wantUser)
			}
		})
	}
}

func TestOperations(t *testing.T) {
	d := doc(t)
	s := New(nil)
	for _, path := range []string{"/users/42", "/users/7", "/users/7", "/users/x"} {
		d.Serve(t, s, get(path))
	}
	rec := d.Serve(t, s, get("/healthz"))
	if rec.Code != http.StatusOK || decode(t, rec)["status"] != "ok" {
		t.Errorf("healthz: %d %s", rec.Code, rec.Body)
	}
	rec = d.Serve(t, s, get("/metrics"))
	for _, line := range []string{
		`http_requests_total{code="200",method="GET",route="/users/{id}"} 1`,
		`http_requests_total{code="404",method="GET",route="/users/{id}"} 2`,
		`http_requests_total{code="400",method="GET",route="/users/{id}"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), line+"\n") {
			t.Errorf("metrics lack %s:\n%s", line, rec.Body)
		}
	}
}
