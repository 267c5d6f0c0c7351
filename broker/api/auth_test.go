package api_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/broker/api"
)

func TestAuthentication(t *testing.T) {
	cfg := api.Config{Auth: api.AuthConfig{BasicWrite: "admin:secret", BasicRead: "reader:pw", WriteTokens: []string{"w1", "w2"}, ReadTokens: []string{"r1"}}}
	basic := func(cred string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(cred)) }
	n := 0
	write := func(h *harness) response {
		n++
		return h.do(http.MethodPost, "/environments", map[string]any{"name": fmt.Sprintf("env-%d", n), "production": false})
	}
	read := func(h *harness) response { return h.do(http.MethodGet, "/environments", nil) }
	verify := func(h *harness) response {
		return h.do(http.MethodPost, "/pacts/provider/Bar/for-verification", map[string]any{"consumerVersionSelectors": []any{}})
	}
	cases := []struct {
		name            string
		header          string
		read, write     int
		forVerification bool // may ask which pacts to verify
	}{
		{"no credentials", "", 401, 401, false},
		{"write token", "Bearer w1", 200, 201, true},
		{"second write token", "Bearer w2", 200, 201, true},
		{"read token", "Bearer r1", 200, 403, true},
		{"wrong token", "Bearer nope", 401, 401, false},
		{"basic admin", basic("admin:secret"), 200, 201, true},
		{"basic reader", basic("reader:pw"), 200, 403, true},
		{"basic wrong password", basic("admin:nope"), 401, 401, false},
		{"garbage basic", "Basic !!!", 401, 401, false},
	}
	eachBackend(t, cfg, func(t *testing.T, h *harness) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				h.t, h.auth = t, tc.header
				if got := read(h).Status; got != tc.read {
					t.Errorf("read: %d, want %d", got, tc.read)
				}
				res := write(h)
				if res.Status != tc.write {
					t.Errorf("write: %d, want %d", res.Status, tc.write)
				}
				if res.Status == 401 && res.Header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				// Whatever for-verification answers (issue-dependent), it must not be an auth refusal.
				if got := verify(h).Status; (got != 401 && got != 403) != tc.forVerification {
					t.Errorf("for-verification POST: %d", got)
				}
			})
		}
		h.t, h.auth = t, ""
		for _, path := range []string{"/healthz", "/readyz"} {
			if got := h.do(http.MethodGet, path, nil).Status; got != 200 {
				t.Errorf("%s needs no credentials, got %d", path, got)
			}
		}
		rec := httptest.NewRecorder()
		h.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		// Metrics are labelled by route pattern, never by raw path.
		for _, want := range []string{
			`treaty_http_requests_total{method="POST",route="/environments",status="403"} 2`,
			`treaty_http_request_duration_seconds_count{method="GET",route="/environments"}`,
		} {
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), want) {
				t.Errorf("/metrics (%d) lacks %s", rec.Code, want)
			}
		}
	})
}
