package openapi

import (
	"encoding/json"
	"math"
	"testing"
)

// TestTypeSet holds typeSet.allows to typeAllows(types, jsonType(val)), which it replaces
// on the hot path.
func TestTypeSet(t *testing.T) {
	names := []string{"null", "boolean", "object", "array", "number", "string", "integer"}
	values := []any{nil, true, "s", []any{}, map[string]any{}, json.Number("1"), json.Number("1.5"), json.Number("1e400"),
		json.Number("-0"), 2.0, 2.5, math.Inf(1), 3, int64(4), uint64(5)}
	for mask := typeSet(1); mask < 1<<len(names); mask++ {
		var allowed []string
		for i, n := range names {
			if mask&(1<<i) != 0 {
				allowed = append(allowed, n)
			}
		}
		for _, v := range values {
			if got, want := mask.allows(v), typeAllows(allowed, jsonType(v)); got != want {
				t.Errorf("%v allows %#v: %v, typeAllows says %v", allowed, v, got, want)
			}
		}
	}
}
