package openapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the results in testdata/corpus/*/expected.json")

// expectation is a corpus case's expected.json. Verdict and codes are written by hand and
// say what the case is for; -update rewrites only the results (messages and locations).
type expectation struct {
	Description string   `json:"description"`
	Profile     string   `json:"profile,omitempty"` // "pactflow" for PactFlowProfile
	Compatible  bool     `json:"compatible"`
	Codes       []string `json:"codes"` // "type code", sorted, unique
	Notices     []string `json:"notices,omitempty"`
	// Reference is what the reference comparator finds ("INTERACTION TYPE CODE") when it
	// differs from Treaty, and Differences names the entries of DIFFERENCES.md that explain
	// why. reference-compare.sh checks both.
	Reference   []string  `json:"reference,omitempty"`
	Differences []string  `json:"differences,omitempty"`
	Results     []Finding `json:"results"`
}

// TestCorpus compares each pact/OpenAPI pair of testdata/corpus with its expected verdict,
// codes and results.
func TestCorpus(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "corpus", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	covered := map[Code]bool{}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			exp, res := runCase(t, dir)
			for _, f := range res.Findings {
				covered[f.Code] = true
			}
			if got := res.Compatible(); got != exp.Compatible {
				t.Errorf("compatible = %v, want %v", got, exp.Compatible)
			}
			if got := codesOf(res); !slices.Equal(got, exp.Codes) {
				t.Errorf("codes = %q, want %q", got, exp.Codes)
			}
			if !slices.Equal(res.Notices, exp.Notices) {
				t.Errorf("notices = %q, want %q", res.Notices, exp.Notices)
			}
			got, _ := json.MarshalIndent(res.Findings, "", "  ")
			want, _ := json.MarshalIndent(exp.Results, "", "  ")
			if *update {
				exp.Results = res.Findings
				writeExpectation(t, dir, exp)
				return
			}
			if !bytes.Equal(got, want) {
				t.Errorf("results differ from expected.json (run with -update to accept):\ngot  %s\nwant %s", got, want)
			}
		})
	}
	for _, c := range Codes() {
		if c != CodeSpecMissing && !covered[c] {
			t.Errorf("no corpus case emits %s", c)
		}
	}
}

func runCase(t *testing.T, dir string) (expectation, Result) {
	t.Helper()
	var exp expectation
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &exp); err != nil {
		t.Fatalf("expected.json: %v", err)
	}
	doc, err := loadCaseDoc(dir)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	pactData, err := os.ReadFile(filepath.Join(dir, "pact.json"))
	if err != nil {
		t.Fatal(err)
	}
	pact, err := ParsePact(pactData)
	if err != nil {
		t.Fatalf("pact: %v", err)
	}
	profile := DefaultProfile
	if exp.Profile == "pactflow" {
		profile = PactFlowProfile
	}
	return exp, Compare(pact, doc, profile)
}

// loadCaseDoc loads the case's openapi.yaml (or openapi.json).
func loadCaseDoc(dir string) (*Document, error) {
	for _, name := range []string{"openapi.yaml", "openapi.json"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil {
			return Load(data)
		}
	}
	return nil, os.ErrNotExist
}

func codesOf(r Result) []string {
	out := []string{}
	for _, f := range r.Findings {
		out = append(out, string(f.Type)+" "+string(f.Code))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func writeExpectation(t *testing.T, dir string, exp expectation) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(exp); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "expected.json"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
