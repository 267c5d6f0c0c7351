package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/broker/client/clienttest"
)

// brokerCmdTest is one run of the command line against the stand-in broker.
type brokerCmdTest struct {
	name string
	// setup prepares the broker and the directory "$DIR" stands for in args.
	setup  func(t *testing.T, b *clienttest.Broker, dir string)
	args   []string // --broker-base-url is added
	code   int
	stdout string   // the whole of stdout, when not empty
	stderr []string // what stderr must contain
	routes []string // the requests the broker must have received, when not nil
	check  func(t *testing.T, b *clienttest.Broker, stdout string)
}

func runBrokerCmdTests(t *testing.T, tests []brokerCmdTest) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := clienttest.NewBroker(t)
			dir := t.TempDir()
			if tt.setup != nil {
				tt.setup(t, b, dir)
			}
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "$DIR", dir)
			}
			code, stdout, stderr := runTreaty(t, append(args, "--broker-base-url", b.URL)...)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			if tt.stdout != "" && stdout != tt.stdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout, tt.stdout)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr does not contain %q:\n%s", want, stderr)
				}
			}
			if tt.routes != nil {
				if got := b.Routes(); !reflect.DeepEqual(got, tt.routes) && !(len(got) == 0 && len(tt.routes) == 0) {
					t.Errorf("routes:\n got %q\nwant %q", got, tt.routes)
				}
			}
			if tt.check != nil {
				tt.check(t, b, stdout)
			}
		})
	}
}

// runTreaty runs the command line with the broker's environment variables cleared.
func runTreaty(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	for _, name := range []string{"PACT_BROKER_BASE_URL", "PACT_BROKER_TOKEN", "PACT_BROKER_USERNAME", "PACT_BROKER_PASSWORD"} {
		t.Setenv(name, "")
	}
	var out, errOut bytes.Buffer
	code = Main(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// requestBody decodes the JSON body of the broker's i-th request.
func requestBody(t *testing.T, b *clienttest.Broker, i int) map[string]any {
	t.Helper()
	reqs := b.Requests()
	if i >= len(reqs) {
		t.Fatalf("no request %d among %q", i, b.Routes())
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(reqs[i].Body), &body); err != nil {
		t.Fatalf("body of %s: %v", reqs[i].Route(), err)
	}
	return body
}

// wantJSON checks that two JSON texts hold the same value.
func wantJSON(t *testing.T, got any, want string) {
	t.Helper()
	data, _ := json.Marshal(got)
	var g, w any
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON:\n got %s\nwant %s", data, want)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVersionCmd(t *testing.T) {
	code, stdout, _ := runTreaty(t, "version")
	if code != ExitOK || stdout != Version+"\n" {
		t.Errorf("treaty version = %d %q", code, stdout)
	}
}

func TestBrokerFlags(t *testing.T) {
	runBrokerCmdTests(t, []brokerCmdTest{
		{
			name: "no auth, and the user agent names the version",
			args: []string{"pacticipant", "list"},
			check: func(t *testing.T, b *clienttest.Broker, _ string) {
				r := b.Requests()[0]
				if r.Header.Get("Authorization") != "" || r.Header.Get("User-Agent") != "treaty/"+Version {
					t.Errorf("headers = %v", r.Header)
				}
			},
		},
		{
			name: "basic auth from flags",
			args: []string{"pacticipant", "list", "-u", "user", "-p", "pass"},
			check: func(t *testing.T, b *clienttest.Broker, _ string) {
				if got := b.Requests()[0].Header.Get("Authorization"); got != "Basic dXNlcjpwYXNz" {
					t.Errorf("Authorization = %q", got)
				}
			},
		},
		{
			name: "token wins over basic auth",
			args: []string{"pacticipant", "list", "-u", "user", "-p", "pass", "-k", "s3cr3t"},
			check: func(t *testing.T, b *clienttest.Broker, _ string) {
				if got := b.Requests()[0].Header.Get("Authorization"); got != "Bearer s3cr3t" {
					t.Errorf("Authorization = %q", got)
				}
			},
		},
		{
			name:   "unknown output format",
			args:   []string{"pacticipant", "list", "-o", "yaml"},
			code:   ExitUsage,
			stderr: []string{`invalid argument "yaml" for "-o, --output" flag: must be one of text, table, json`},
			routes: []string{},
		},
	})
}

func TestBrokerEnvironmentVariables(t *testing.T) {
	b := clienttest.NewBroker(t)
	for _, name := range []string{"PACT_BROKER_USERNAME", "PACT_BROKER_PASSWORD"} {
		t.Setenv(name, "")
	}
	t.Setenv("PACT_BROKER_BASE_URL", b.URL)
	t.Setenv("PACT_BROKER_TOKEN", "s3cr3t")
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"pacticipant", "list"}, &stdout, &stderr); code != ExitOK {
		t.Fatalf("exit code %d: %s", code, stderr.String())
	}
	if got := b.Requests()[0].Header.Get("Authorization"); got != "Bearer s3cr3t" {
		t.Errorf("Authorization = %q", got)
	}
	// Secrets stay out of --help.
	stdout.Reset()
	Main([]string{"pacticipant", "list", "--help"}, &stdout, &stderr)
	if strings.Contains(stdout.String(), "s3cr3t") {
		t.Errorf("--help shows the token:\n%s", stdout.String())
	}
}

func TestUnreachableBroker(t *testing.T) {
	b := clienttest.NewBroker(t)
	b.Close()
	for _, args := range [][]string{
		{"pacticipant", "list"},
		{"environment", "describe", "--name", "test"},
		{"record-deployment", "--pacticipant", "Foo", "--version", "1.0.0", "--environment", "production"},
	} {
		code, _, stderr := runTreaty(t, append(args, "--broker-base-url", b.URL)...)
		if code != ExitUsage || !strings.Contains(stderr, "cannot reach the broker at "+b.URL) {
			t.Errorf("%v: exit code %d, stderr %q", args, code, stderr)
		}
	}
	code, _, stderr := runTreaty(t, "pacticipant", "list", "--broker-base-url", "localhost:9292")
	if code != ExitUsage || !strings.Contains(stderr, "--broker-base-url") {
		t.Errorf("bad URL: exit code %d, stderr %q", code, stderr)
	}
}
