package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/examples/internal/maintest"
)

func TestParseFlags(t *testing.T) {
	defaults := config{
		listen:      "127.0.0.1:8080",
		usersURL:    "http://127.0.0.1:8082",
		paymentsURL: "http://127.0.0.1:8081",
		timeout:     5 * time.Second,
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    config
		wantErr string
	}{
		{"defaults", nil, nil, defaults, ""},
		{"flags", []string{"--listen", "127.0.0.1:0", "--user-service-url", "http://users:80", "--payment-service-url", "https://pay", "--timeout", "2s"}, nil,
			config{listen: "127.0.0.1:0", usersURL: "http://users:80", paymentsURL: "https://pay", timeout: 2 * time.Second}, ""},
		{"environment", nil, map[string]string{"ORDER_LISTEN": ":9000", "USER_SERVICE_URL": "http://u", "PAYMENT_SERVICE_URL": "http://p", "ORDER_DEPENDENCY_TIMEOUT": "1s"},
			config{listen: ":9000", usersURL: "http://u", paymentsURL: "http://p", timeout: time.Second}, ""},
		{"not a URL", []string{"--user-service-url", "users:8082"}, nil, config{}, "--user-service-url"},
		{"no host", []string{"--payment-service-url", "http://"}, nil, config{}, "--payment-service-url"},
		{"bad env timeout", nil, map[string]string{"ORDER_DEPENDENCY_TIMEOUT": "5"}, config{}, "ORDER_DEPENDENCY_TIMEOUT"},
		{"zero timeout", []string{"--timeout", "0s"}, nil, config{}, "--timeout"},
		{"stray argument", []string{"serve"}, nil, config{}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFlags(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRun(t *testing.T) {
	users := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":42,"name":"Ada Lovelace","email":"ada@example.com"}`)
	}))
	defer users.Close()
	payments := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"approved","transaction_id":"txn_1"}`)
	}))
	defer payments.Close()
	env := map[string]string{"USER_SERVICE_URL": users.URL, "PAYMENT_SERVICE_URL": payments.URL}
	url := maintest.Start(t, func(ctx context.Context, stdout io.Writer) int {
		return run(ctx, []string{"--listen", "127.0.0.1:0"}, func(k string) string { return env[k] }, stdout, io.Discard)
	})

	resp, err := http.Post(url+"/orders", "application/json", strings.NewReader(`{"user_id":42,"amount":1999,"card_token":"tok_visa"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(body), `"order_id":"o-1001"`) {
		t.Errorf("POST /orders: %d %s", resp.StatusCode, body)
	}
}

func TestRunUsageError(t *testing.T) {
	if code := run(context.Background(), []string{"--timeout", "soon"}, func(string) string { return "" }, io.Discard, io.Discard); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
}
