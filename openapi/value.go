package openapi

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// JSON values reach the validator from pacts (json.Number for numbers, to keep their text),
// from parameters after coercion (float64) and from documents (float64, int, uint64…). These
// helpers treat them alike.

// number returns v as a float64 when it is a JSON number.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil || isRangeErr(err)
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case int32:
		return float64(n), true
	}
	return 0, false
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// jsonType names the JSON Schema type of a value; a number with no fractional part is an
// "integer" (1.0 included, as JSON Schema says).
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	if f, ok := number(v); ok {
		if f == math.Trunc(f) && !math.IsInf(f, 0) {
			return "integer"
		}
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

// describe shows a value in a message: `string "12"`, `integer 7`, `an object`.
func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		if len(t) > 60 {
			t = t[:57] + "…"
		}
		return "string " + strconv.Quote(t)
	case bool:
		return "boolean " + strconv.FormatBool(t)
	case []any:
		return fmt.Sprintf("an array of %d item(s)", len(t))
	case map[string]any:
		return "an object"
	}
	return jsonType(v) + " " + numberText(v)
}

func numberText(v any) string {
	if n, ok := v.(json.Number); ok {
		return n.String()
	}
	f, _ := number(v)
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// quoteJSON renders a value as compact JSON for messages.
func quoteJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 80 {
		s = s[:77] + "…"
	}
	return s
}

// equalJSON compares JSON values: numbers by value, objects and arrays deeply.
func equalJSON(a, b any) bool {
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && fa == fb
	}
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equalJSON(xv, yv) {
				return false
			}
		}
		return true
	}
	if _, ok := number(b); ok {
		return false
	}
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if reflect.TypeOf(a).Comparable() && reflect.TypeOf(b).Comparable() {
		return a == b
	}
	return false
}

// coerce converts a parameter's string value to the first of the schema's types it reads
// as, the way query, path and header values are compared with their schemas.
func coerce(s string, types []string) (any, bool) {
	for _, t := range types {
		switch t {
		case "integer":
			if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && strings.TrimSpace(s) != "" && f == math.Trunc(f) {
				return f, true
			}
		case "number":
			if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && strings.TrimSpace(s) != "" {
				return f, true
			}
		case "boolean":
			if s == "true" || s == "false" {
				return s == "true", true
			}
		case "null":
			if s == "" {
				return nil, true
			}
		}
	}
	return nil, false
}
