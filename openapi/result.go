package openapi

import (
	"cmp"
	"slices"
)

// Finding is one thing Compare found, shaped like a result of the reference comparator:
// {"code","type","message","mockDetails":{…},"specDetails":{…}}.
type Finding struct {
	Code        Code        `json:"code"`
	Type        Severity    `json:"type"`
	Message     string      `json:"message"`
	MockDetails MockDetails `json:"mockDetails"`
	SpecDetails SpecDetails `json:"specDetails"`

	// interaction is the index of the interaction in the pact, for sorting; -1 for none.
	interaction int
}

// MockDetails says where in the pact the finding is: Location is like
// "[root].interactions[3].response.body.items[0].id", Value the pact's value there.
type MockDetails struct {
	InteractionDescription string `json:"interactionDescription,omitempty"`
	InteractionState       string `json:"interactionState,omitempty"`
	Location               string `json:"location"`
	Value                  any    `json:"value,omitempty"`
}

// SpecDetails says where in the OpenAPI document the finding is: Location is like
// "[root].paths./charge.post.responses.200.content.application/json.schema.properties.amount.type",
// or "[root].components.schemas.Charge.properties.amount.type" inside a referenced schema;
// Value is the document's value there (the keyword's value).
type SpecDetails struct {
	Location   string `json:"location"`
	PathMethod string `json:"pathMethod,omitempty"`
	PathName   string `json:"pathName,omitempty"`
	Value      any    `json:"value,omitempty"`
}

// Result is the outcome of comparing one pact with one document.
type Result struct {
	// Findings are sorted by interaction, then pact location, code and spec location.
	Findings []Finding `json:"results"`
	// Notices say what was not compared and why (message interactions, an empty pact).
	Notices []string `json:"notices,omitempty"`
}

// Compatible reports whether no finding is an error. Warnings never make a pact incompatible.
func (r Result) Compatible() bool {
	for _, f := range r.Findings {
		if f.Type == SeverityError {
			return false
		}
	}
	return true
}

// Errors returns the findings that are errors.
func (r Result) Errors() []Finding { return r.only(SeverityError) }

// Warnings returns the findings that are warnings.
func (r Result) Warnings() []Finding { return r.only(SeverityWarning) }

func (r Result) only(s Severity) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Type == s {
			out = append(out, f)
		}
	}
	return out
}

// sortFindings orders findings so that results are stable whatever the order of map
// iteration inside the comparison, and drops exact duplicates (two failing keywords that
// say the same thing about the same place).
func sortFindings(fs []Finding) []Finding {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.interaction, b.interaction),
			cmp.Compare(a.MockDetails.Location, b.MockDetails.Location),
			cmp.Compare(a.Code, b.Code),
			cmp.Compare(a.SpecDetails.Location, b.SpecDetails.Location),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return slices.CompactFunc(fs, func(a, b Finding) bool {
		return a.interaction == b.interaction && a.Code == b.Code && a.Message == b.Message &&
			a.MockDetails.Location == b.MockDetails.Location && a.SpecDetails.Location == b.SpecDetails.Location
	})
}

func sortCodes(cs []Code) { slices.Sort(cs) }
