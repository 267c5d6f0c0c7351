package openapi

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func loadFile(t *testing.T, path string) *Document {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDiff(t *testing.T) {
	old := loadFile(t, filepath.Join("testdata", "diff", "old.yaml"))
	new := loadFile(t, filepath.Join("testdata", "diff", "new.yaml"))
	changes, err := Diff(old, new)
	if err != nil {
		t.Fatal(err)
	}
	var breaking []string
	for _, c := range changes {
		if c.Breaking {
			breaking = append(breaking, c.ID+" "+c.Operation+" "+c.Status+" "+c.Field)
		}
	}
	want := []string{
		"api-path-removed-without-deprecation GET /other  ",
		"new-required-request-parameter GET /products/{id}  locale",
		"response-property-became-optional GET /products/{id} 200 price",
		"response-property-type-changed GET /products/{id} 200 price",
	}
	if !slices.Equal(breaking, want) {
		t.Errorf("breaking changes:\n got %q\nwant %q", breaking, want)
	}
	if changes[0].Level != "error" || changes[len(changes)-1].Level != "info" {
		t.Errorf("changes are not sorted breaking first: %+v", changes)
	}

	same, err := Diff(old, old)
	if err != nil || len(same) != 0 {
		t.Errorf("a document compared with itself: %v, %+v", err, same)
	}
}

// TestChangesTouchingPacts: the pact reads the price whose type changed, reads the "name"
// and expects the 404 whose removals oasdiff rates as info, fails to send the new required
// locale in one interaction, and never calls the removed /other.
func TestChangesTouchingPacts(t *testing.T) {
	old := loadFile(t, filepath.Join("testdata", "diff", "old.yaml"))
	new := loadFile(t, filepath.Join("testdata", "diff", "new.yaml"))
	changes, err := Diff(old, new)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("testdata", "diff", "pact.json"))
	if err != nil {
		t.Fatal(err)
	}
	pact, err := ParsePact(data)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tc := range ChangesTouchingPacts(changes, []*Pact{pact}) {
		got = append(got, tc.ID+" "+tc.Status+" "+tc.Field)
		if !tc.Breaks {
			t.Errorf("%s touches the pact but does not break it", tc.ID)
		}
	}
	want := []string{
		"new-required-request-parameter  locale", // the 404 interaction does not send it
		"response-property-became-optional 200 price",
		"response-property-type-changed 200 price",
		"response-non-success-status-removed 404 ",
		"response-optional-property-removed 200 name",
	}
	if !slices.Equal(got, want) {
		t.Errorf("touching:\n got %q\nwant %q", got, want)
	}
}
