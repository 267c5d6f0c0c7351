package openapi

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestReference checks Treaty against the reference comparator's findings on the corpus.
// testdata/reference-compare.sh runs the reference under Node and sets
// TREATY_REFERENCE_RESULTS to what it found; without it the test is skipped.
func TestReference(t *testing.T) {
	file := os.Getenv("TREATY_REFERENCE_RESULTS")
	if file == "" {
		t.Skip("TREATY_REFERENCE_RESULTS is not set: run testdata/reference-compare.sh")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var reference map[string][]string
	if err := json.Unmarshal(data, &reference); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("DIFFERENCES.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^## (D\d+)\b`).FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = true
	}
	dirs, _ := filepath.Glob(filepath.Join("testdata", "corpus", "*"))
	same, differ := 0, map[string][]string{}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		exp, res := runCase(t, dir)
		got, ok := reference[name]
		if !ok {
			t.Errorf("%s: the reference did not run", name)
			continue
		}
		treaty := interactionCodes(res)
		want := treaty
		if len(exp.Differences) > 0 {
			want = exp.Reference
			if want == nil {
				want = []string{}
			}
			if slices.Equal(want, treaty) {
				t.Errorf("%s: expected.json names differences but expects the reference to find what Treaty finds", name)
			}
		} else if exp.Reference != nil {
			t.Errorf("%s: expected.json lists reference findings but names no difference that explains them", name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: the reference finds\n  %s\nexpected.json expects\n  %s\nTreaty finds\n  %s", name,
				strings.Join(got, "\n  "), strings.Join(want, "\n  "), strings.Join(treaty, "\n  "))
		}
		for _, d := range exp.Differences {
			if !documented[d] {
				t.Errorf("%s: difference %s is not in DIFFERENCES.md", name, d)
			}
			differ[d] = append(differ[d], name)
		}
		if len(exp.Differences) == 0 {
			same++
		}
	}
	t.Logf("%d cases: %d judged the same as the reference, finding for finding", len(dirs), same)
	for _, d := range sortedKeys(differ) {
		t.Logf("%s: %s", d, strings.Join(differ[d], ", "))
	}
	for d := range documented {
		if differ[d] == nil {
			t.Logf("%s: no corpus case shows it", d)
		}
	}
}

// interactionCodes lists findings as "INTERACTION TYPE CODE", sorted and unique.
func interactionCodes(r Result) []string {
	out := []string{}
	for _, f := range r.Findings {
		out = append(out, fmt.Sprintf("%d %s %s", f.interaction, f.Type, f.Code))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
