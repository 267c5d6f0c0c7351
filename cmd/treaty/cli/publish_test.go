package cli

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/broker/client/clienttest"
)

func pactJSON(consumer, provider string) string {
	return `{"consumer": {"name": "` + consumer + `"}, "provider": {"name": "` + provider + `"},
  "interactions": [{"description": "a request for things", "request": {"method": "GET", "path": "/things"}, "response": {"status": 200}}],
  "metadata": {"pactSpecification": {"version": "2.0.0"}}}
`
}

// withPacts writes pact files into the test directory.
func withPacts(files map[string]string) func(*testing.T, *clienttest.Broker, string) {
	return func(t *testing.T, _ *clienttest.Broker, dir string) {
		for name, content := range files {
			writeFile(t, filepath.Join(dir, name), content)
		}
	}
}

func TestPublish(t *testing.T) {
	fooBar := pactJSON("Foo", "Bar")
	publishedNotices := `Created Foo version 1.0.0 with branch main and tags prod, dev
Pact successfully published for Foo version 1.0.0 and provider Bar.
  View the published pact at %s/pacts/provider/Bar/consumer/Foo/version/1.0.0
  Events detected: contract_published, contract_content_changed (first time untagged pact published)
  Next steps:
    * Add Pact verification tests to the Bar build. See https://docs.pact.io/go/provider_verification
`
	runBrokerCmdTests(t, []brokerCmdTest{
		{
			name:   "a directory, with branch, tags and build URL",
			setup:  withPacts(map[string]string{"Foo-Bar.json": fooBar, "notes.txt": "not a pact"}),
			args:   []string{"publish", "$DIR", "--consumer-app-version", "1.0.0", "--branch", "main", "-t", "prod", "-t", "dev", "--build-url", "http://ci/1"},
			routes: []string{"POST /contracts/publish"},
			check: func(t *testing.T, b *clienttest.Broker, stdout string) {
				if want := strings.ReplaceAll(publishedNotices, "%s", b.URL); stdout != want {
					t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
				}
				wantJSON(t, requestBody(t, b, 0), `{"branch":"main","buildUrl":"http://ci/1",
					"contracts":[{"consumerName":"Foo","content":"`+base64.StdEncoding.EncodeToString([]byte(fooBar))+`",
					"contentType":"application/json","onConflict":"overwrite","providerName":"Bar","specification":"pact"}],
					"pacticipantName":"Foo","pacticipantVersionNumber":"1.0.0","tags":["prod","dev"]}`)
			},
		},
		{
			name:   "one publication per provider, merging",
			setup:  withPacts(map[string]string{"b.json": pactJSON("Foo", "Baz"), "a.json": fooBar}),
			args:   []string{"publish", "$DIR/b.json", "$DIR", "-a", "2.0.0", "--merge"},
			routes: []string{"POST /contracts/publish", "POST /contracts/publish"},
			check: func(t *testing.T, b *clienttest.Broker, _ string) {
				for i, provider := range []string{"Bar", "Baz"} {
					c := requestBody(t, b, i)["contracts"].([]any)[0].(map[string]any)
					if c["providerName"] != provider || c["onConflict"] != "merge" {
						t.Errorf("request %d publishes %v", i, c)
					}
				}
			},
		},
		{
			name:  "JSON output",
			setup: withPacts(map[string]string{"Foo-Bar.json": fooBar}),
			args:  []string{"publish", "$DIR/Foo-Bar.json", "-a", "1.0.0", "-o", "json"},
			check: func(t *testing.T, _ *clienttest.Broker, stdout string) {
				var out []map[string]any
				if err := json.Unmarshal([]byte(stdout), &out); err != nil || len(out) != 1 || out[0]["notices"] == nil {
					t.Errorf("stdout is not the broker's answers (%v):\n%s", err, stdout)
				}
			},
		},
		{
			name: "409: the pact changed",
			setup: func(t *testing.T, b *clienttest.Broker, dir string) {
				withPacts(map[string]string{"Foo-Bar.json": fooBar})(t, b, dir)
				b.Respond("POST /contracts/publish", http.StatusConflict, clienttest.Fixture("publish-conflict.json"))
			},
			args: []string{"publish", "$DIR", "-a", "1.0.0"},
			code: ExitNo,
			stderr: []string{
				"--- Existing\n+++ New", // the diff notice
				"error: publish pacts of Foo version 1.0.0: broker said 409 Conflict: contracts: Cannot change the content of the pact for Foo version 1.0.0",
			},
			check: func(t *testing.T, _ *clienttest.Broker, stdout string) {
				if stdout != "" {
					t.Errorf("stdout = %q", stdout)
				}
			},
		},
		{
			name: "400: the broker finds the publication invalid",
			setup: func(t *testing.T, b *clienttest.Broker, dir string) {
				withPacts(map[string]string{"Foo-Bar.json": fooBar})(t, b, dir)
				b.Respond("POST /contracts/publish", http.StatusBadRequest, clienttest.Fixture("publish-invalid.json"))
			},
			args:   []string{"publish", "$DIR", "-a", "1.0.0"},
			code:   ExitNo,
			stderr: []string{"broker said 400 Bad Request: contracts.0: consumerName (Baz) must match pacticipantName (Foo)"},
		},
		{
			name:   "a malformed pact file publishes nothing",
			setup:  withPacts(map[string]string{"Foo-Bar.json": fooBar, "bad.json": "{\n  \"consumer\": {\"name\": \"Foo\"},,\n}"}),
			args:   []string{"publish", "$DIR", "-a", "1.0.0"},
			code:   ExitUsage,
			stderr: []string{"bad.json: not valid JSON, line 2: invalid character ','"},
			routes: []string{},
		},
		{
			name:   "a JSON file that is not a pact",
			setup:  withPacts(map[string]string{"package.json": `{"name": "foo"}`}),
			args:   []string{"publish", "$DIR", "-a", "1.0.0"},
			code:   ExitUsage,
			stderr: []string{"package.json is not a pact file: it needs consumer.name and provider.name"},
			routes: []string{},
		},
		{
			name:   "pacts of different consumers",
			setup:  withPacts(map[string]string{"a.json": fooBar, "b.json": pactJSON("Qux", "Bar")}),
			args:   []string{"publish", "$DIR", "-a", "1.0.0"},
			code:   ExitUsage,
			stderr: []string{"the pacts have different consumers, Foo", "and Qux"},
			routes: []string{},
		},
		{
			name:   "two files for one pair",
			setup:  withPacts(map[string]string{"a.json": fooBar, "b.json": fooBar}),
			args:   []string{"publish", "$DIR", "-a", "1.0.0"},
			code:   ExitUsage,
			stderr: []string{"a.json and ", "b.json both hold the pact between Foo and Bar"},
			routes: []string{},
		},
		{
			name:   "a directory without pacts",
			args:   []string{"publish", "$DIR", "-a", "1.0.0"},
			code:   ExitUsage,
			stderr: []string{"no pact files (*.json) in "},
		},
		{
			name:   "a missing file",
			args:   []string{"publish", "$DIR/nope.json", "-a", "1.0.0"},
			code:   ExitUsage,
			stderr: []string{"nope.json: no such file or directory"},
		},
		{
			name:   "no consumer version",
			setup:  withPacts(map[string]string{"Foo-Bar.json": fooBar}),
			args:   []string{"publish", "$DIR"},
			code:   ExitUsage,
			stderr: []string{`required flag(s) "consumer-app-version" not set`},
			routes: []string{},
		},
		{
			name:   "no files",
			args:   []string{"publish", "-a", "1.0.0"},
			code:   ExitUsage,
			stderr: []string{"requires at least 1 arg"},
		},
	})
}

func TestPublishUnreachable(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Foo-Bar.json"), pactJSON("Foo", "Bar"))
	b := clienttest.NewBroker(t)
	b.Close()
	code, _, stderr := runTreaty(t, "publish", dir, "-a", "1.0.0", "--broker-base-url", b.URL)
	if want := "error: publish pacts of Foo version 1.0.0: cannot reach the broker at " + b.URL + ": "; code != ExitUsage || !strings.Contains(stderr, want) {
		t.Errorf("exit code %d, stderr %q, want %d and %q", code, stderr, ExitUsage, want)
	}
}
