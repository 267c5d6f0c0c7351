package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/broker/demo"
	"github.com/treaty-dev/treaty/broker/store"
	"github.com/treaty-dev/treaty/broker/store/storetest"
	"github.com/treaty-dev/treaty/examples/internal/brokertest"
)

// noEnv keeps the developer's PACT_BROKER_* variables out of the tests.
func noEnv(string) string { return "" }

func play(t *testing.T, brokerURL, pactDir, runID string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), []string{"--broker-base-url", brokerURL, "--pact-dir", pactDir, "--run-id", runID}, noEnv, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestStory plays the story on a broker holding `make run`'s demo data, twice: the second
// play must go as the first, on top of what the first left.
func TestStory(t *testing.T) {
	storetest.Run(t, storetest.Options{}, func(t *testing.T, s *store.Store) {
		if err := demo.Load(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		b := brokertest.Start(t, s)
		for _, id := range []string{"1", "2"} {
			code, out, errOut := play(t, b.URL, brokertest.PactDir(), id)
			if code != exitOK {
				t.Fatalf("play %s: exit %d\n%s\n%s", id, code, out, errOut)
			}
			for _, want := range []string{
				"1. order-service, the consumer, publishes its pacts.",
				"Created order-service version o" + id + " with branch main",
				"staging exists already.",
				"$ treaty can-i-deploy --pacticipant order-service --version o" + id + " --to-environment production",
				"Recorded: order-service o" + id + " is deployed to production",
				"FAILED   a charge for an order (given card tok_visa is valid)",
				"body at $: Actual map is missing the following keys: transaction_id",
				"Computer says no",
				"The verification for the pact between the version of order-service currently in production (o" + id + ") and version p" + id + "-careless of payment-service failed",
				"The story went as told.",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("play %s: the story lacks %q:\n%s", id, want, out)
				}
			}
			if strings.Count(out, "Computer says yes") != 6 {
				t.Errorf("play %s: want 6 yes answers (3 versions, 2 environments):\n%s", id, out)
			}
		}
	})
}

func TestStoryCreatesEnvironments(t *testing.T) {
	storetest.Run(t, storetest.Options{}, func(t *testing.T, s *store.Store) {
		b := brokertest.Start(t, s)
		code, out, errOut := play(t, b.URL, brokertest.PactDir(), "1")
		if code != exitOK {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		for _, want := range []string{"Created staging.", "$ treaty environment create --name production --production", "Created production."} {
			if !strings.Contains(out, want) {
				t.Errorf("the story lacks %q:\n%s", want, out)
			}
		}
	})
}

func TestBrokerUnreachable(t *testing.T) {
	code, out, errOut := play(t, "http://127.0.0.1:1", brokertest.PactDir(), "1")
	if code != exitCannotStart || out != "" || !strings.Contains(errOut, "cannot reach the broker at http://127.0.0.1:1") ||
		!strings.Contains(errOut, "start the broker with make run first") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and a message that says to start the broker", code, out, errOut)
	}
}

// TestStoryContradicted: when the consumer's pact already expects txn_id, the careless release
// passes its verification, which is not the story.
func TestStoryContradicted(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"order-service-payment-service.json", "order-service-user-service.json"} {
		data, err := os.ReadFile(filepath.Join(brokertest.PactDir(), name))
		if err != nil {
			t.Fatal(err)
		}
		data = bytes.ReplaceAll(data, []byte("transaction_id"), []byte("txn_id"))
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	storetest.Run(t, storetest.Options{}, func(t *testing.T, s *store.Store) {
		b := brokertest.Start(t, s)
		code, out, errOut := play(t, b.URL, dir, "1")
		if code != exitContradicted || !strings.Contains(errOut, "the story did not go as told") {
			t.Fatalf("exit %d, stderr %q; want 1\n%s", code, errOut, out)
		}
	})
}

func TestParseFlags(t *testing.T) {
	env := map[string]string{"PACT_BROKER_BASE_URL": "https://broker.example.com", "PACT_BROKER_TOKEN": "t0k",
		"PACT_BROKER_USERNAME": "ci", "PACT_BROKER_PASSWORD": "s3cret"}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want config
	}{
		{"defaults", []string{"--run-id", "x"}, nil,
			config{brokerURL: "http://127.0.0.1:9292", pactDir: "examples/order-service/pacts", runID: "x"}},
		{"the Pact variables", []string{"--run-id", "x"}, env,
			config{brokerURL: "https://broker.example.com", token: "t0k", username: "ci", password: "s3cret", pactDir: "examples/order-service/pacts", runID: "x"}},
		{"flags beat them", []string{"--run-id", "x", "--broker-base-url", "http://b", "--broker-username", "me"}, env,
			config{brokerURL: "http://b", token: "t0k", username: "me", password: "s3cret", pactDir: "examples/order-service/pacts", runID: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFlags(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	if cfg, err := parseFlags(nil, noEnv, io.Discard); err != nil || cfg.runID == "" {
		t.Errorf("without --run-id: %+v, %v; want a run id from the time", cfg, err)
	}
	if _, err := parseFlags([]string{"stray"}, noEnv, io.Discard); err == nil {
		t.Error("a stray argument was accepted")
	}
}
