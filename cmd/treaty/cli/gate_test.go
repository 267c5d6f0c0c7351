package cli

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/broker/api"
	"github.com/treaty-dev/treaty/broker/store/storetest"
)

// The gate verbs against a real broker on every database: exit codes, waiting, and a tampered
// decision log that --verify refuses.
func TestGateVerbs(t *testing.T) {
	for _, b := range storetest.Open(t, storetest.Options{}) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			srv := httptest.NewServer(api.New(b.Store, nil, api.Config{}))
			defer srv.Close()
			for _, env := range []broker.Environment{{Name: "staging"}, {Name: "production", Production: true}} {
				if _, err := b.Store.CreateEnvironment(ctx, env); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := b.Store.CreatePacticipant(ctx, "order-service", broker.PacticipantPatch{}); err != nil {
				t.Fatal(err)
			}
			run := func(wantCode int, args ...string) (string, string) {
				t.Helper()
				var stdout, stderr bytes.Buffer
				code := Main(append(args, "--broker-base-url", srv.URL), &stdout, &stderr)
				if code != wantCode {
					t.Fatalf("treaty %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, wantCode, stdout.String(), stderr.String())
				}
				return stdout.String(), stderr.String()
			}
			run(ExitOK, "record-artifact", "--pacticipant", "order-service", "--version", "v1", "--image", "order-service:v1@sha256:"+strings.Repeat("ab", 32), "--author", "dana")

			out, _ := run(ExitPending, "gate", "check", "--pacticipant", "order-service", "--version", "v1", "--to", "production")
			if !strings.Contains(out, "promote to production: PENDING") || !strings.Contains(out, "unblock: ") || !strings.Contains(out, "next check: ") {
				t.Fatalf("pending:\n%s", out)
			}
			// Waiting for what does not come ends at the timeout, still pending.
			_, errOut := run(ExitPending, "gate", "check", "--pacticipant", "order-service", "--version", "v1", "--to", "production", "--wait", "--timeout", "300ms", "--interval", "100ms")
			if !strings.Contains(errOut, "pending (decision") || !strings.Contains(errOut, "still pending after 300ms") {
				t.Fatalf("waiting:\n%s", errOut)
			}
			out, _ = run(ExitOK, "gate", "check", "--pacticipant", "order-service", "--version", "v1", "--to", "staging", "-o", "json")
			if !strings.Contains(out, `"result": "allow"`) {
				t.Fatalf("json:\n%s", out)
			}
			run(ExitOK, "reject", "--pacticipant", "order-service", "--version", "v1", "--environment", "production", "--by", "olga")
			run(ExitNo, "gate", "check", "--pacticipant", "order-service", "--version", "v1", "--to", "production")
			run(ExitUsage, "gate", "check", "--pacticipant", "order-service", "--version", "v1", "--to", "moon")
			_, errOut = run(ExitUsage, "approve", "--pacticipant", "order-service", "--version", "v1", "--environment", "production")
			if !strings.Contains(errOut, "--by is required") {
				t.Fatalf("approve without --by:\n%s", errOut)
			}

			out, _ = run(ExitOK, "gate", "log", "--verify")
			if !strings.Contains(out, "The decision log verifies: ") {
				t.Fatalf("verify:\n%s", out)
			}
			out, _ = run(ExitOK, "gate", "explain", "2")
			if !strings.Contains(out, "the same decision") {
				t.Fatalf("explain:\n%s", out)
			}
			db, err := b.Store.DB()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`UPDATE gate_decisions SET body = replace(body, '"result":"pending"', '"result":"allow"'), result = 'allow' WHERE id = 1`); err != nil {
				t.Fatal(err)
			}
			_, errOut = run(ExitNo, "gate", "log", "--verify")
			if !strings.Contains(errOut, "the decision log is broken at entry 1") || !strings.Contains(errOut, "content was changed") {
				t.Fatalf("a tampered log:\n%s", errOut)
			}
		})
	}
}
