package httpsvc

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMuxWritesErrors(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantCode int
		wantBody string
		wantLog  string // a substring of the log; empty: nothing logged
	}{
		{"client error", Errorf(400, "amount: must be positive"), 400, `{"error":"amount: must be positive"}`, ""},
		{"wrapped client error", fmt.Errorf("charge: %w", Errorf(404, "no such card")), 404, `{"error":"no such card"}`, ""},
		{"internal error hides its text", errors.New("disk on fire"), 500, `{"error":"internal error"}`, "disk on fire"},
		{"bad gateway shows its message, logs its cause", &StatusError{Status: 502, Message: "user-service failed", Err: errors.New("connection refused")},
			502, `{"error":"user-service failed"}`, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			m := NewMux(slog.New(slog.NewTextHandler(&logs, nil)))
			m.Handle("GET /thing", func(http.ResponseWriter, *http.Request) error { return tt.err })
			rec := httptest.NewRecorder()
			m.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/thing", nil))
			if rec.Code != tt.wantCode || strings.TrimSpace(rec.Body.String()) != tt.wantBody {
				t.Errorf("got %d %s, want %d %s", rec.Code, rec.Body, tt.wantCode, tt.wantBody)
			}
			if tt.wantLog == "" && logs.Len() > 0 {
				t.Errorf("logged a client error: %s", &logs)
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log %q, want it to mention %q", &logs, tt.wantLog)
			}
		})
	}
}

func TestMuxCountsRoutesNotPaths(t *testing.T) {
	m := NewMux(slog.New(slog.DiscardHandler))
	m.Handle("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) error {
		if r.PathValue("id") == "0" {
			return Errorf(404, "no")
		}
		_, err := w.Write([]byte("{}")) // an implicit 200
		return err
	})
	for _, p := range []string{"/users/1", "/users/2", "/users/0", "/healthz", "/metrics"} {
		m.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	got := rec.Body.String()
	for _, want := range []string{
		`http_requests_total{code="200",method="GET",route="/users/{id}"} 2` + "\n",
		`http_requests_total{code="404",method="GET",route="/users/{id}"} 1` + "\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("metrics lack %s in\n%s", want, got)
		}
	}
	if strings.Contains(got, "/healthz") || strings.Contains(got, `route="/metrics"`) {
		t.Errorf("metrics count probes or scrapes:\n%s", got)
	}
}

func TestDecodeJSON(t *testing.T) {
	type body struct {
		N int64  `json:"n"`
		S string `json:"s"`
	}
	tests := []struct {
		in      string
		want    body
		wantErr string
	}{
		{`{"n":1,"s":"x"}`, body{1, "x"}, ""},
		{`{"n":1,"extra":true}`, body{N: 1}, ""},
		{`{"n":1.5}`, body{}, "n: must be an integer, got number 1.5"},
		{`{"n":"1"}`, body{}, "n: must be an integer, got string"},
		{`{"s":3}`, body{}, "s: must be a string, got number"},
		{`[1]`, body{}, "request body must be a JSON object, got array"},
		{`{"n":`, body{}, "request body"},
		{`{n:1}`, body{}, "not valid JSON"},
		{``, body{}, "request body is empty"},
		{`{} {}`, body{}, "trailing data"},
		{`{"s":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, body{}, "larger than"},
	}
	for _, tt := range tests {
		name := tt.in
		if len(name) > 20 {
			name = name[:20]
		}
		t.Run(name, func(t *testing.T) {
			var got body
			err := DecodeJSON(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.in)), &got)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			var se *StatusError
			if !errors.As(err, &se) || se.Status != http.StatusBadRequest || !strings.Contains(se.Message, tt.wantErr) {
				t.Errorf("err %v, want a 400 mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestDecodeStateChange(t *testing.T) {
	tests := []struct {
		in      string
		want    StateChange
		wantErr string
	}{
		{`{"state":"user 42 exists","params":{"id":42},"action":"setup"}`,
			StateChange{"setup", []ProviderState{{"user 42 exists", map[string]any{"id": 42.0}}}}, ""},
		{`{"state":"card tok_visa is valid","action":"teardown"}`,
			StateChange{"teardown", []ProviderState{{Name: "card tok_visa is valid"}}}, ""},
		{`{"consumer":"order-service","states":["a","b"]}`,
			StateChange{"setup", []ProviderState{{Name: "a"}, {Name: "b"}}}, ""},
		{`{"state":"a","action":"reset"}`, StateChange{}, `action: must be "setup" or "teardown"`},
		{`{"action":"setup"}`, StateChange{}, "state: a provider state name is required"},
		{`{"states":[1]}`, StateChange{}, "states: must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := DecodeStateChange(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, StatesPath, strings.NewReader(tt.in)))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestIntParam(t *testing.T) {
	tests := []struct {
		params  map[string]any
		want    int64
		wantErr bool
	}{
		{nil, 7, false},
		{map[string]any{"id": 42.0}, 42, false},
		{map[string]any{"id": 4.5}, 0, true},
		{map[string]any{"id": "42"}, 0, true},
	}
	for _, tt := range tests {
		got, err := ProviderState{Params: tt.params}.IntParam("id", 7)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("IntParam(%v) = %d, %v; want %d, error %v", tt.params, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestGetenv(t *testing.T) {
	env := Getenv(func(k string) string {
		return map[string]string{"S": "x", "B": "1", "BADB": "maybe", "F": "0.5", "BADF": "half", "D": "2s", "BADD": "2"}[k]
	})
	if got := env.String("S", "d"); got != "x" {
		t.Errorf("String set: %q", got)
	}
	if got := env.String("UNSET", "d"); got != "d" {
		t.Errorf("String unset: %q", got)
	}
	if b, err := env.Bool("B", false); !b || err != nil {
		t.Errorf("Bool: %v, %v", b, err)
	}
	if _, err := env.Bool("BADB", false); err == nil || !strings.Contains(err.Error(), "BADB") {
		t.Errorf("Bool bad: %v", err)
	}
	if f, err := env.Float("F", 0); f != 0.5 || err != nil {
		t.Errorf("Float: %v, %v", f, err)
	}
	if _, err := env.Float("BADF", 0); err == nil {
		t.Error("Float accepted half")
	}
	if d, err := env.Duration("D", 0); d != 2*time.Second || err != nil {
		t.Errorf("Duration: %v, %v", d, err)
	}
	if _, err := env.Duration("BADD", 0); err == nil {
		t.Error("Duration accepted a bare number")
	}
}
