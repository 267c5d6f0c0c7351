package cli

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/broker/client"
	"github.com/treaty-dev/treaty/broker/client/clienttest"
)

func TestCanIDeploy(t *testing.T) {
	const matrix = "GET /matrix?"
	answer := func(fixture string) func(t *testing.T, b *clienttest.Broker, _ string) {
		return func(t *testing.T, b *clienttest.Broker, _ string) {
			b.Respond("GET /matrix", http.StatusOK, clienttest.Fixture(fixture))
		}
	}
	unknown := clienttest.Response{Status: http.StatusOK, Body: clienttest.Fixture("matrix-unknown.json")}
	yes := clienttest.Response{Status: http.StatusOK, Body: clienttest.Fixture("matrix-deployable.json")}
	stdoutHas := func(wants ...string) func(t *testing.T, b *clienttest.Broker, stdout string) {
		return func(t *testing.T, _ *clienttest.Broker, stdout string) {
			for _, want := range wants {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout does not contain %q:\n%s", want, stdout)
				}
			}
		}
	}
	runBrokerCmdTests(t, []brokerCmdTest{
		// What is asked: the queries the Pact CLI sends for the same arguments.
		{
			name: "to an environment",
			args: []string{"can-i-deploy", "--pacticipant", "Foo", "--version", "1.0.0", "--to-environment", "production"},
			stdout: "CONSUMER  C.VERSION  PROVIDER  P.VERSION  SUCCESS?\n" +
				"Foo       1.0.0      Bar       2.0.0      true\n" +
				"\n" +
				"All required verification results are published and successful\n" +
				"\n" +
				`Computer says yes \o/` + "\n",
			routes: []string{matrix + "q[][pacticipant]=Foo&q[][version]=1.0.0&latestby=cvpv&environment=production"},
		},
		{
			name:   "to a tag",
			args:   []string{"can-i-deploy", "--pacticipant", "Foo", "--version", "1.0.0", "--to", "prod"},
			routes: []string{matrix + "q[][pacticipant]=Foo&q[][version]=1.0.0&tag=prod&latestby=cvp&latest=true"},
		},
		{
			name:   "no target",
			args:   []string{"can-i-deploy", "-a", "Foo", "-e", "1.0.0"},
			routes: []string{matrix + "q[][pacticipant]=Foo&q[][version]=1.0.0&latestby=cvp&latest=true"},
		},
		{
			name: "two selectors, the latest with a tag, and an ignored version",
			args: []string{"can-i-deploy", "--pacticipant", "Foo", "--version", "1.0.0", "--pacticipant", "Bar", "--latest", "prod",
				"--ignore", "Baz", "--version", "3"},
			routes: []string{matrix + "q[][pacticipant]=Foo&q[][version]=1.0.0&q[][pacticipant]=Bar&q[][latest]=true&q[][tag]=prod&" +
				"ignore[][pacticipant]=Baz&ignore[][version]=3&latestby=cvpv"},
		},
		{
			name: "a branch and a main branch",
			args: []string{"can-i-deploy", "--pacticipant", "Foo", "--branch", "feat/x", "--pacticipant", "Bar", "--main-branch",
				"--to-environment", "production"},
			routes: []string{matrix + "q[][pacticipant]=Foo&q[][branch]=feat%2Fx&q[][pacticipant]=Bar&q[][mainBranch]=true&latestby=cvpv&environment=production"},
		},
		{
			name: "--latest without a tag, -l=TAG, --tag, and flags in between",
			args: []string{"can-i-deploy", "-a", "Foo", "--latest", "--to-environment", "production", "-a", "Bar", "-l=prod",
				"-a", "Baz", "--tag", "dev", "--ignore", "Qux", "--ignore", "Quux", "-e", "7", "--pacticipant", "Corge", "--latest"},
			routes: []string{matrix + "q[][pacticipant]=Foo&q[][latest]=true&q[][pacticipant]=Bar&q[][latest]=true&q[][tag]=prod&" +
				"q[][pacticipant]=Baz&q[][tag]=dev&q[][pacticipant]=Corge&q[][latest]=true&" +
				"ignore[][pacticipant]=Qux&ignore[][pacticipant]=Quux&ignore[][version]=7&latestby=cvpv&environment=production"},
		},
		{
			name: "a --version after an --ignore belongs to the ignore",
			args: []string{"can-i-deploy", "--ignore", "Bar", "--pacticipant", "Foo", "--version", "1.0.0", "--ignore", "Baz", "--version", "2", "--to", "prod"},
			routes: []string{matrix + "q[][pacticipant]=Foo&q[][version]=1.0.0&ignore[][pacticipant]=Bar&ignore[][pacticipant]=Baz&ignore[][version]=2&" +
				"tag=prod&latestby=cvp&latest=true"},
		},
		{
			name: "ignores from the environment",
			setup: func(t *testing.T, _ *clienttest.Broker, _ string) {
				t.Setenv("PACT_BROKER_CAN_I_DEPLOY_IGNORE", "Bar, Baz")
			},
			args:   []string{"can-i-deploy", "--pacticipant", "Foo", "--version", "1.0.0", "--to-environment", "production"},
			routes: []string{matrix + "q[][pacticipant]=Foo&q[][version]=1.0.0&ignore[][pacticipant]=Bar&ignore[][pacticipant]=Baz&latestby=cvpv&environment=production"},
		},
		{
			name:   "can-i-merge",
			args:   []string{"can-i-merge", "--pacticipant", "Foo", "--version", "1.0.0"},
			check:  stdoutHas(`Computer says yes \o/`),
			routes: []string{matrix + "q[][pacticipant]=Foo&q[][version]=1.0.0&latestby=cvp&latest=true&mainBranch=true"},
		},
		{
			name:   "can-i-merge with two versions",
			args:   []string{"can-i-merge", "-a", "Foo", "-e", "1.0.0", "-a", "Bar", "-e", "2"},
			routes: []string{matrix + "q[][pacticipant]=Foo&q[][version]=1.0.0&q[][pacticipant]=Bar&q[][version]=2&latestby=cvpv&mainBranch=true"},
		},

		// What is answered.
		{
			name:  "failed: exit 1",
			setup: answer("matrix-failed.json"),
			args:  []string{"can-i-deploy", "--pacticipant", "Foo", "--version", "1.0.0", "--to-environment", "production"},
			code:  ExitNo,
			check: stdoutHas("Foo       1.0.0      Bar       2.0.0      false\n",
				"The verification for the pact between version 1.0.0 of Foo and a version of Bar currently in production (2.0.0) failed",
				`Computer says no ¯\_(ツ)_/¯`),
		},
		{
			name:  "unknown: exit 1",
			setup: answer("matrix-unknown.json"),
			args:  []string{"can-i-deploy", "--pacticipant", "Foo", "--version", "1.0.0", "--to-environment", "production"},
			code:  ExitNo,
			check: stdoutHas("Foo       1.0.0      Bar       -          unknown\n", "There is no verified pact", `Computer says no`),
		},
		{
			name:  "can-i-merge says no",
			setup: answer("matrix-failed.json"),
			args:  []string{"can-i-merge", "--pacticipant", "Foo", "--version", "1.0.0"},
			code:  ExitNo,
			check: stdoutHas(`Computer says no`),
		},
		{
			name:  "dry run: the answer, and exit 0",
			setup: answer("matrix-failed.json"),
			args:  []string{"can-i-deploy", "--pacticipant", "Foo", "--version", "1.0.0", "--to-environment", "production", "--dry-run"},
			check: stdoutHas(`Computer says no ¯\_(ツ)_/¯`, dryRunNote),
		},
		{
			name: "dry run from the environment",
			setup: func(t *testing.T, b *clienttest.Broker, dir string) {
				t.Setenv("PACT_BROKER_CAN_I_DEPLOY_DRY_RUN", "true")
				answer("matrix-unknown.json")(t, b, dir)
			},
			args:  []string{"can-i-deploy", "--pacticipant", "Foo", "--version", "1.0.0", "--to-environment", "production"},
			check: stdoutHas(`Computer says no`, dryRunNote),
		},
		{
			name:  "JSON: the broker's answer",
			setup: answer("matrix-failed.json"),
			args:  []string{"can-i-deploy", "--pacticipant", "Foo", "--version", "1.0.0", "--to-environment", "production", "-o", "json"},
			code:  ExitNo,
			check: func(t *testing.T, _ *clienttest.Broker, stdout string) {
				var m struct {
					Summary struct {
						Deployable *bool `json:"deployable"`
						Failed     int   `json:"failed"`
					} `json:"summary"`
					Matrix []json.RawMessage `json:"matrix"`
				}
				if err := json.Unmarshal([]byte(stdout), &m); err != nil || m.Summary.Deployable == nil || *m.Summary.Deployable ||
					m.Summary.Failed != 1 || len(m.Matrix) != 1 {
					t.Errorf("stdout is not the broker's answer (%v):\n%s", err, stdout)
				}
			},
		},
		{
			name: "table",
			args: []string{"can-i-deploy", "--pacticipant", "Foo", "--version", "1.0.0", "--to-environment", "production", "-o", "table"},
			stdout: "CONSUMER  C.VERSION  PROVIDER  P.VERSION  SUCCESS?\n" +
				"Foo       1.0.0      Bar       2.0.0      true\n",
		},

		// Waiting for results.
		{
			name: "retry while unknown until known",
			setup: func(t *testing.T, b *clienttest.Broker, _ string) {
				b.RespondInTurn("GET /matrix", unknown, unknown, yes)
			},
			args: []string{"can-i-deploy", "--pacticipant", "Foo", "--version", "1.0.0", "--to-environment", "production",
				"--retry-while-unknown", "5", "--retry-interval", "1ms"},
			stderr: []string{"Waiting for 1 verification result to be published... (retry 1 of 5 in 1ms)", "(retry 2 of 5 in 1ms)"},
			check: func(t *testing.T, b *clienttest.Broker, stdout string) {
				stdoutHas(`Computer says yes`)(t, b, stdout)
				if n := len(b.Requests()); n != 3 {
					t.Errorf("%d requests, want 3", n)
				}
			},
		},
		{
			name: "retry while unknown gives up",
			setup: func(t *testing.T, b *clienttest.Broker, _ string) {
				b.RespondInTurn("GET /matrix", unknown)
			},
			args: []string{"can-i-deploy", "--pacticipant", "Foo", "--version", "1.0.0", "--to-environment", "production",
				"--retry-while-unknown", "2", "--retry-interval", "0"},
			code:   ExitNo,
			stderr: []string{"(retry 2 of 2 in 0s)"},
			check: func(t *testing.T, b *clienttest.Broker, _ string) {
				if n := len(b.Requests()); n != 3 {
					t.Errorf("%d requests, want 3 (the first and 2 retries)", n)
				}
			},
		},
		{
			name: "a failure is not retried",
			setup: func(t *testing.T, b *clienttest.Broker, _ string) {
				b.RespondInTurn("GET /matrix", clienttest.Response{Status: http.StatusOK, Body: clienttest.Fixture("matrix-failed.json")}, yes)
			},
			args: []string{"can-i-deploy", "--pacticipant", "Foo", "--version", "1.0.0", "--to-environment", "production",
				"--retry-while-unknown", "3", "--retry-interval", "1ms"},
			code: ExitNo,
			check: func(t *testing.T, b *clienttest.Broker, _ string) {
				if n := len(b.Requests()); n != 1 {
					t.Errorf("%d requests, want 1", n)
				}
			},
		},

		// Broker errors: exit 2.
		{
			name: "the broker refuses the question",
			setup: func(t *testing.T, b *clienttest.Broker, _ string) {
				b.Respond("GET /matrix", http.StatusBadRequest, clienttest.Fixture("matrix-unknown-pacticipant.json"))
			},
			args:   []string{"can-i-deploy", "--pacticipant", "Wiffle", "--version", "1.0.0", "--to-environment", "production"},
			code:   ExitUsage,
			stderr: []string{"error: query the matrix: broker said 400 Bad Request: Pacticipant Wiffle not found"},
		},
		{
			name:   "the broker cannot be reached",
			setup:  func(t *testing.T, b *clienttest.Broker, _ string) { b.Close() },
			args:   []string{"can-i-deploy", "--pacticipant", "Foo", "--version", "1.0.0", "--to-environment", "production"},
			code:   ExitUsage,
			stderr: []string{"cannot reach the broker"},
		},
		{
			name:   "a dry run passes a broker error",
			setup:  func(t *testing.T, b *clienttest.Broker, _ string) { b.Close() },
			args:   []string{"can-i-deploy", "--pacticipant", "Foo", "--version", "1.0.0", "--to-environment", "production", "--dry-run"},
			stderr: []string{"cannot reach the broker"},
			check:  stdoutHas(dryRunNote),
		},

		// Usage errors: exit 2, nothing asked.
		{
			name:   "no pacticipant",
			args:   []string{"can-i-deploy", "--to-environment", "production"},
			code:   ExitUsage,
			stderr: []string{`required flag(s) "pacticipant" not set`},
			routes: []string{},
		},
		{
			name:   "a version before any pacticipant",
			args:   []string{"can-i-deploy", "--version", "1.0.0", "--pacticipant", "Foo", "--to-environment", "production"},
			code:   ExitUsage,
			stderr: []string{"must follow the --pacticipant or --ignore it belongs to"},
			routes: []string{},
		},
		{
			name:   "--latest after an --ignore",
			args:   []string{"can-i-deploy", "--pacticipant", "Foo", "--version", "1", "--ignore", "Bar", "--latest"},
			code:   ExitUsage,
			stderr: []string{"must follow the --pacticipant it belongs to"},
			routes: []string{},
		},
		{
			name:   "two versions for one pacticipant",
			args:   []string{"can-i-deploy", "--pacticipant", "Foo", "--version", "1", "--version", "2"},
			code:   ExitUsage,
			stderr: []string{"--pacticipant Foo has a version already"},
			routes: []string{},
		},
		{
			name:   "a version and --latest",
			args:   []string{"can-i-deploy", "--pacticipant", "Foo", "--version", "1", "--latest"},
			code:   ExitUsage,
			stderr: []string{"give either a version or --latest/--main-branch"},
			routes: []string{},
		},
		{
			name:   "an environment and a tag",
			args:   []string{"can-i-deploy", "--pacticipant", "Foo", "--version", "1", "--to-environment", "production", "--to", "prod"},
			code:   ExitUsage,
			stderr: []string{"[to to-environment] were all set"},
			routes: []string{},
		},
		{
			name:   "an argument",
			args:   []string{"can-i-deploy", "--pacticipant", "Foo", "--version", "1", "production"},
			code:   ExitUsage,
			stderr: []string{`unexpected argument "production"`},
			routes: []string{},
		},
		{
			name:   "an unknown flag",
			args:   []string{"can-i-deploy", "--pacticipant", "Foo", "--environment", "production"},
			code:   ExitUsage,
			stderr: []string{"unknown flag: --environment"},
			routes: []string{},
		},
		{
			name:   "a bad retry interval",
			args:   []string{"can-i-deploy", "--pacticipant", "Foo", "--version", "1", "--retry-interval", "soon"},
			code:   ExitUsage,
			stderr: []string{`"soon" is neither a number of seconds nor a duration`},
			routes: []string{},
		},
		{
			name:   "can-i-merge takes no target",
			args:   []string{"can-i-merge", "--pacticipant", "Foo", "--version", "1", "--to-environment", "production"},
			code:   ExitUsage,
			stderr: []string{"unknown flag: --to-environment"},
			routes: []string{},
		},
		{
			name:   "help",
			args:   []string{"can-i-deploy", "--help"},
			check:  stdoutHas("Usage:\n  treaty can-i-deploy [flags]", "-l, --latest [TAG]"),
			routes: []string{},
		},
	})
}

// TestAskMatrixStopsWhenCancelled checks that waiting for results ends with the context.
func TestAskMatrixStopsWhenCancelled(t *testing.T) {
	b := clienttest.NewBroker(t)
	b.Respond("GET /matrix", http.StatusOK, clienttest.Fixture("matrix-unknown.json"))
	c, err := client.New(b.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	q := client.CanIDeployQuery([]client.MatrixSelector{{Pacticipant: "Foo", Version: "1.0.0"}}, nil, client.DeployTarget{Environment: "production"})
	_, err = askMatrix(ctx, c, q, 100, time.Hour, io.Discard)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s", d)
	}
	if n := len(b.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// TestRetryInterval checks --retry-interval's two spellings.
func TestRetryInterval(t *testing.T) {
	for in, want := range map[string]time.Duration{"10": 10 * time.Second, "0": 0, "1m30s": 90 * time.Second, "250ms": 250 * time.Millisecond} {
		var r retryInterval
		if err := r.Set(in); err != nil || r.d != want {
			t.Errorf("Set(%q) = %v, %s; want %s", in, err, r.d, want)
		}
	}
	for _, in := range []string{"", "soon", "-1", "-5s"} {
		var r retryInterval
		if err := r.Set(in); err == nil {
			t.Errorf("Set(%q) = %s, want an error", in, r.d)
		}
	}
}
