package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseRetrySchedule(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		err  bool
	}{
		{"10,60,120", "[10s 1m0s 2m0s]", false},
		{"10s, 1m,2m", "[10s 1m0s 2m0s]", false},
		{"5ms,0.5", "[5ms 500ms]", false},
		{"", "[]", false},
		{"soon", "", true},
		{"-1s", "", true},
	} {
		got, err := parseRetrySchedule(tc.in)
		if (err != nil) != tc.err || (err == nil && fmt.Sprint(got) != tc.want) {
			t.Errorf("parseRetrySchedule(%q) = %v, %v; want %s (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// treaty serve runs the delivery worker: a webhook fires on publish, rendered with the
// broker's listen address, and the worker stops with the server.
func TestServeDeliversWebhooks(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]any
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		data, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(data, &body)
		mu.Lock()
		bodies = append(bodies, body)
		mu.Unlock()
	}))
	defer receiver.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &syncWriter{}
	root := newRootCmd(io.Discard, stderr)
	root.SetArgs([]string{"serve", "--listen", addr, "--database", filepath.Join(t.TempDir(), "treaty.db"), "--no-demo",
		"--webhook-scheme-allowlist", "http,https", "--webhook-host-allowlist", "127.0.0.1",
		"--webhook-retry-schedule", "10ms", "--webhook-poll-interval", "10ms"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	base := "http://" + addr
	post := func(path string, body any) *http.Response {
		data, _ := json.Marshal(body)
		var resp *http.Response
		deadline := time.Now().Add(5 * time.Second)
		for {
			resp, err = http.Post(base+path, "application/json", bytes.NewReader(data))
			if err == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := post("/webhooks", map[string]any{"events": []any{map[string]any{"name": "contract_published"}},
		"request": map[string]any{"method": "POST", "url": receiver.URL, "body": map[string]any{"pact": "${pactbroker.pactUrl}"}}}); resp.StatusCode != 201 {
		t.Fatalf("create webhook: %d", resp.StatusCode)
	}
	pact, _ := json.Marshal(map[string]any{"consumer": map[string]any{"name": "Foo"}, "provider": map[string]any{"name": "Bar"},
		"interactions": []any{map[string]any{"description": "x", "request": map[string]any{"method": "GET", "path": "/"}, "response": map[string]any{"status": 200}}}})
	if resp := post("/contracts/publish", map[string]any{"pacticipantName": "Foo", "pacticipantVersionNumber": "1", "branch": "main",
		"contracts": []any{map[string]any{"consumerName": "Foo", "providerName": "Bar", "specification": "pact", "contentType": "application/json",
			"content": base64.StdEncoding.EncodeToString(pact)}}}); resp.StatusCode != 200 {
		t.Fatalf("publish: %d", resp.StatusCode)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(bodies)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no webhook arrived; broker log:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	pactURL, _ := bodies[0]["pact"].(string)
	mu.Unlock()
	if !strings.HasPrefix(pactURL, base+"/pacts/provider/Bar/consumer/Foo/pact-version/") {
		t.Fatalf("pactUrl %q is not under the listen address %s", pactURL, base)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(stderr.String(), "webhook delivery worker stopped") {
		t.Fatalf("the worker did not stop with the server:\n%s", stderr.String())
	}
}

// syncWriter is a log buffer the server's goroutines write to while the test reads it.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}
