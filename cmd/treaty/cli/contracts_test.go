package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const corpus = "../../../openapi/testdata/corpus"

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestContractsCompare(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.yaml")
	if err := os.WriteFile(garbage, []byte("{not: [valid"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"another provider's document", []string{"--pact", corpus + "/routing-slashes-pactflow/pact.json", "--openapi", corpus + "/routing-case-insensitive/openapi.yaml"}, 1, "not compatible"},
		{"incompatible", []string{"--pact", corpus + "/response-body-basic/pact.json", "--openapi", corpus + "/response-body-basic/openapi.yaml"}, 1, "response.body.incompatible"},
		{"warnings only", []string{"--pact", corpus + "/request-body-unvalidatable/pact.json", "--openapi", corpus + "/request-body-unvalidatable/openapi.yaml"}, 0, "compatible (1 warning(s))"},
		{"pactflow quirks", []string{"--pact", corpus + "/routing-slashes-pactflow/pact.json", "--openapi", corpus + "/routing-slashes-pactflow/openapi.yaml", "--pactflow-quirks"}, 0, "compatible"},
		{"unparseable document", []string{"--pact", corpus + "/response-body-basic/pact.json", "--openapi", garbage}, 2, ""},
		{"missing pact", []string{"--pact", filepath.Join(dir, "none.json"), "--openapi", corpus + "/response-body-basic/openapi.yaml"}, 2, ""},
		{"missing flags", []string{}, 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"contracts", "compare"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out, tc.contains) {
				t.Errorf("output lacks %q:\n%s", tc.contains, out)
			}
		})
	}
}

func TestContractsCompareJSON(t *testing.T) {
	code, out, _ := runCLI(t, "contracts", "compare", "--output", "json",
		"--pact", corpus+"/response-body-basic/pact.json", "--openapi", corpus+"/response-body-basic/openapi.yaml")
	if code != ExitNo {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Results []struct {
			Code        string `json:"code"`
			Type        string `json:"type"`
			Message     string `json:"message"`
			MockDetails struct {
				Location string `json:"location"`
			} `json:"mockDetails"`
			SpecDetails struct {
				Location string `json:"location"`
			} `json:"specDetails"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(doc.Results) != 3 || doc.Results[0].Code != "response.body.incompatible" ||
		doc.Results[0].MockDetails.Location != "[root].interactions[0].response.body.colour" ||
		doc.Results[0].SpecDetails.Location != "[root].components.schemas.Product.additionalProperties" {
		t.Errorf("unexpected results:\n%s", out)
	}
}

func TestOpenAPIDiff(t *testing.T) {
	const d = "../../../openapi/testdata/diff"
	tests := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"breaking", []string{d + "/old.yaml", d + "/new.yaml"}, 1, "error GET /products/{id} [response-property-type-changed]"},
		{"same", []string{d + "/old.yaml", d + "/old.yaml"}, 0, "no breaking changes"},
		{"pacts", []string{d + "/old.yaml", d + "/new.yaml", "--pacts", d + "/pact.json"}, 1, "used by shop: no such product"},
		{"pacts unaffected", []string{d + "/old.yaml", d + "/new.yaml", "--pacts", corpus + "/routing-base-path/pact.json"}, 0, "no change touches"},
		{"unreadable", []string{d + "/old.yaml", d + "/missing.yaml"}, 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"openapi", "diff"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out, tc.contains) {
				t.Errorf("output lacks %q:\n%s", tc.contains, out)
			}
		})
	}
	code, out, _ := runCLI(t, "openapi", "diff", d+"/old.yaml", d+"/new.yaml", "--output", "json")
	var r struct {
		Changes  []map[string]any `json:"changes"`
		Breaking bool             `json:"breaking"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 1 || !r.Breaking || len(r.Changes) == 0 {
		t.Errorf("json: exit %d, %v\n%s", code, err, out)
	}
}
