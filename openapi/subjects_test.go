package openapi

import "testing"

// A property reached through allOf/oneOf/anyOf is named by its path in the body, which is
// what a pact's body carries.
func TestSubjectsOfComposedSchemas(t *testing.T) {
	for _, tc := range []struct {
		args          []any
		status, field string
	}{
		{[]any{"allOf[#/components/schemas/Charge]/transaction_id", "200"}, "200", "transaction_id"},
		{[]any{"items/oneOf[#/components/schemas/A]/anyOf[subschema #2]/id", "default"}, "default", "items/id"},
		{[]any{"price", "4XX"}, "4XX", "price"},
	} {
		status, field := subjects(tc.args)
		if status != tc.status || field != tc.field {
			t.Errorf("subjects(%q) = %q, %q; want %q, %q", tc.args, status, field, tc.status, tc.field)
		}
	}
}
