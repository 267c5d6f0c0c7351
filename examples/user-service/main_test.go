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
		{"default", nil, nil, config{listen: "127.0.0.1:8082"}, ""},
		{"flag", []string{"--listen", "127.0.0.1:0"}, nil, config{listen: "127.0.0.1:0"}, ""},
		{"environment", nil, map[string]string{"USER_LISTEN": ":9000"}, config{listen: ":9000"}, ""},
		{"flag beats environment", []string{"--listen=:1"}, map[string]string{"USER_LISTEN": ":9000"}, config{listen: ":1"}, ""},
		{"unknown flag", []string{"--port", "1"}, nil, config{}, "flag provided but not defined"},
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
		return run(ctx, []string{"--listen", "127.0.0.1:0"}, func(string) string { return "" }, stdout, io.Discard)
	})
	resp, err := http.Get(url + "/users/42")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Ada Lovelace") {
		t.Errorf("GET /users/42: %d %s", resp.StatusCode, body)
	}
}

func TestRunUsageError(t *testing.T) {
	if code := run(context.Background(), []string{"--nope"}, func(string) string { return "" }, io.Discard, io.Discard); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
}
