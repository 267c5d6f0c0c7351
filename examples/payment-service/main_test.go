package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/examples/internal/maintest"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    config
		wantErr string
	}{
		{"defaults", nil, nil, config{listen: "127.0.0.1:8081"}, ""},
		{"flags", []string{"--listen", "127.0.0.1:0", "--breaking", "--error-rate", "0.25"}, nil,
			config{listen: "127.0.0.1:0", breaking: true, errorRate: 0.25}, ""},
		{"environment", nil, map[string]string{"PAYMENT_LISTEN": ":9000", "PAYMENT_BREAKING": "1", "PAYMENT_ERROR_RATE": "0.5"},
			config{listen: ":9000", breaking: true, errorRate: 0.5}, ""},
		{"flags beat environment", []string{"--breaking=false", "--error-rate=0"}, map[string]string{"PAYMENT_BREAKING": "true", "PAYMENT_ERROR_RATE": "1"},
			config{listen: "127.0.0.1:8081"}, ""},
		{"bad env bool", nil, map[string]string{"PAYMENT_BREAKING": "yes please"}, config{}, "PAYMENT_BREAKING"},
		{"bad env rate", nil, map[string]string{"PAYMENT_ERROR_RATE": "lots"}, config{}, "PAYMENT_ERROR_RATE"},
		{"rate above 1", []string{"--error-rate", "1.5"}, nil, config{}, "--error-rate 1.5"},
		{"negative rate", []string{"--error-rate", "-0.1"}, nil, config{}, "--error-rate -0.1"},
		{"unknown flag", []string{"--verbose"}, nil, config{}, "flag provided but not defined"},
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
	url := maintest.Start(t, func(ctx context.Context, stdout io.Writer) int {
		return run(ctx, []string{"--listen", "127.0.0.1:0", "--breaking"}, func(string) string { return "" }, stdout, io.Discard)
	})
	resp, err := http.Post(url+"/charge", "application/json",
		strings.NewReader(`{"order_id":"o-1001","amount":1999,"card_token":"tok_visa"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"txn_id"`) {
		t.Errorf("POST /charge in breaking mode: %d %s", resp.StatusCode, body)
	}
}

func TestRunUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"--error-rate", "2"}, {"--nope"}} {
		if code := run(context.Background(), args, func(string) string { return "" }, io.Discard, io.Discard); code != 2 {
			t.Errorf("run %v: exit %d, want 2", args, code)
		}
	}
}
