package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// Script commands beyond those of e2e_test.go: POSTing JSON as a client other than the Pact
// CLI would (a provider build publishing its results by hand), checking an exact exit status,
// and a stand-in provider for `pact verifier` to verify.

// cmdHTTPPost implements `http-post [-status CODE] URL FILE [OUT]`: POST the JSON in FILE to
// URL, and write the answer's body to OUT. It fails unless the status is 2xx (with !, unless
// it is not), or with -status unless it is CODE.
func cmdHTTPPost(ts *testscript.TestScript, neg bool, args []string) {
	wantStatus := 0
	if len(args) > 2 && args[0] == "-status" {
		var err error
		if wantStatus, err = strconv.Atoi(args[1]); err != nil || neg {
			ts.Fatalf("usage: http-post [-status CODE] URL FILE [OUT]")
		}
		args = args[2:]
	}
	if len(args) != 2 && len(args) != 3 {
		ts.Fatalf("usage: http-post [-status CODE] URL FILE [OUT]")
	}
	req, err := http.NewRequest(http.MethodPost, args[0], bytes.NewReader([]byte(ts.ReadFile(args[1]))))
	ts.Check(err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/hal+json, application/json")
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	ts.Check(err)
	if len(args) == 3 {
		ts.Check(os.WriteFile(ts.MkAbs(args[2]), body, 0o666))
	}
	if wantStatus != 0 {
		if resp.StatusCode != wantStatus {
			ts.Fatalf("POST %s: %s, want %d\n%s", args[0], resp.Status, wantStatus, body)
		}
		return
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	switch {
	case ok && neg:
		ts.Fatalf("POST %s: unexpected %s", args[0], resp.Status)
	case !ok && !neg:
		ts.Fatalf("POST %s: %s\n%s", args[0], resp.Status, body)
	}
}

// cmdExecStatus implements `exec-status CODE PROGRAM [ARGS...]`: run PROGRAM as exec does,
// keeping its stdout and stderr for the commands that follow, and fail unless it exits with
// CODE. `! exec` only says "not zero"; can-i-deploy's 1 (no) and 2 (error) differ.
func cmdExecStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exec-status CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exec-status: bad exit status %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exec-status: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// stubProviders holds each script's stand-in provider.
var stubProviders sync.Map // *testscript.TestScript → *stubProvider

// stubProvider is payment-service and user-service on one port, as the seed's provider stub
// in shared/compat: "good" answers as the consumers' pacts expect, "breaking" renames
// transaction_id to txn_id, as a careless release would.
type stubProvider struct {
	server   *http.Server
	breaking atomic.Bool
}

// cmdProviderStart implements `provider-start good|breaking`: start the stand-in provider on a
// free loopback port and set $PROVIDER_PORT, or switch the running one to the mode given. It
// stops when the script ends.
func cmdProviderStart(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 || (args[0] != "good" && args[0] != "breaking") {
		ts.Fatalf("usage: provider-start good|breaking")
	}
	if p, ok := stubProviders.Load(ts); ok {
		p.(*stubProvider).breaking.Store(args[0] == "breaking")
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	p := &stubProvider{}
	p.breaking.Store(args[0] == "breaking")
	p.server = &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = p.server.Serve(ln) }()
	stubProviders.Store(ts, p)
	ts.Defer(func() {
		_ = p.server.Close()
		stubProviders.Delete(ts)
	})
	ts.Setenv("PROVIDER_PORT", strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
}

func (p *stubProvider) serve(w http.ResponseWriter, r *http.Request) {
	send := func(status int, body any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/_pact/provider_states":
		send(http.StatusOK, map[string]any{})
	case r.Method == http.MethodPost && r.URL.Path == "/charge":
		var req struct {
			CardToken string `json:"card_token"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		key := "transaction_id"
		if p.breaking.Load() {
			key = "txn_id"
		}
		if req.CardToken == "tok_expired" {
			send(http.StatusPaymentRequired, map[string]any{"status": "declined", key: "txn-9"})
			return
		}
		send(http.StatusOK, map[string]any{"status": "approved", key: "txn-7"})
	case r.Method == http.MethodGet && r.URL.Path == "/users/42":
		send(http.StatusOK, map[string]any{"id": 42, "name": "Grace Hopper", "email": "grace@example.com"})
	default:
		send(http.StatusNotFound, map[string]any{"error": "not found"})
	}
}
