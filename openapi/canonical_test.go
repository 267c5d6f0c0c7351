package openapi

import (
	"crypto/sha256"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// checkCanonical holds canonicalSHA to json.Marshal: when it writes a tree, the hash is the
// one of json.Marshal's bytes.
func checkCanonical(t *testing.T, tree any) {
	t.Helper()
	sum, ok := canonicalSHA(tree)
	data, err := json.Marshal(tree)
	switch {
	case ok && err != nil:
		t.Errorf("canonicalSHA wrote a tree json.Marshal refuses (%v)", err)
	case ok && sum != sha256.Sum256(data):
		t.Errorf("canonicalSHA differs from json.Marshal's %.300s", data)
	}
}

func TestCanonicalSHA(t *testing.T) {
	var all []byte
	for b := range 256 {
		all = append(all, byte(b))
	}
	strs := []any{string(all), "a\u2028b\u2029c<>&\"\\", "\xff\xfe\xed\xa0\x80é😀", ""}
	nums := []any{0.0, math.Copysign(0, -1), 1e21, 1e20, 123456789012345680000.0, 1e-6, 1e-7, 5e-324, math.MaxFloat64, -1.5e-10, 0.1, 3, int64(-7), uint64(1 << 63)}
	tree := map[string]any{"strings": strs, "numbers": nums, string(all): map[string]any{"b": 1.0, "a": []any{nil, true, false, map[string]any{}}, "\u2028": "x"}}
	if _, ok := canonicalSHA(tree); !ok {
		t.Fatal("canonicalSHA did not write a plain tree")
	}
	checkCanonical(t, tree)
	if _, ok := canonicalSHA(map[string]any{"x": math.NaN()}); ok {
		t.Error("canonicalSHA wrote NaN, which json.Marshal refuses")
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "corpus", "*", "openapi.*"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		tree, err := parseTree(data)
		if err != nil {
			t.Fatal(err)
		}
		checkCanonical(t, tree)
	}
}
