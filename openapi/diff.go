package openapi

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/oasdiff/oasdiff/checker"
	"github.com/oasdiff/oasdiff/diff"
	"github.com/oasdiff/oasdiff/load"
)

// Change is one difference between two versions of a document, as oasdiff's checker rates
// it: a rule id (like "response-property-removed"), a level (error means breaking for a
// client that followed the old document; warning, maybe; info, not), the operation, and a
// sentence. Status and Field say what of the operation it is about, when the rule says.
type Change struct {
	ID        string `json:"id"`
	Level     string `json:"level"` // error, warning or info
	Breaking  bool   `json:"breaking"`
	Method    string `json:"method,omitempty"`
	Path      string `json:"path,omitempty"`
	Operation string `json:"operation,omitempty"` // "GET /products/{id}"
	Status    string `json:"status,omitempty"`    // the response status it is about: "200", "4XX", "default"
	Field     string `json:"field,omitempty"`     // the property or parameter it is about: "price", "lines/items/sku"
	Text      string `json:"text"`
}

// Diff lists the changes from old to new, breaking ones first, then by operation and rule.
// Endpoints are matched as oasdiff matches them: by method and path, parameter names aside.
func Diff(old, new *Document) ([]Change, error) {
	if old == nil || new == nil {
		return nil, fmt.Errorf("diff needs two documents")
	}
	s1 := &load.SpecInfo{Url: "old", Spec: old.spec, Version: old.version}
	s2 := &load.SpecInfo{Url: "new", Spec: new.spec, Version: new.version}
	d, sources, err := diff.GetWithOperationsSourcesMap(diff.NewConfig(), s1, s2)
	if err != nil {
		return nil, fmt.Errorf("diff: %w", err)
	}
	found := checker.CheckBackwardCompatibilityUntilLevel(checker.NewConfig(checker.GetAllChecks()), d, sources, checker.INFO)
	l := checker.NewDefaultLocalizer()
	out := make([]Change, 0, len(found))
	for _, c := range found {
		ch := Change{
			ID:       c.GetId(),
			Level:    levelName(c.GetLevel()),
			Breaking: c.IsBreaking(),
			Method:   strings.ToUpper(c.GetOperation()),
			Path:     c.GetPath(),
			Text:     c.GetUncolorizedText(l),
		}
		if ch.Method != "" {
			ch.Operation = ch.Method + " " + ch.Path
		}
		ch.Status, ch.Field = subjects(c.GetArgs())
		out = append(out, ch)
	}
	slices.SortStableFunc(out, func(a, b Change) int {
		return cmp.Or(
			-cmp.Compare(levelRank(a.Level), levelRank(b.Level)),
			cmp.Compare(a.Path, b.Path), cmp.Compare(a.Method, b.Method),
			cmp.Compare(a.ID, b.ID), cmp.Compare(a.Text, b.Text))
	})
	return slices.CompactFunc(out, func(a, b Change) bool {
		return a.ID == b.ID && a.Operation == b.Operation && a.Text == b.Text
	}), nil
}

func levelName(l checker.Level) string {
	switch l {
	case checker.ERR:
		return "error"
	case checker.WARN:
		return "warning"
	}
	return "info"
}

func levelRank(l string) int {
	switch l {
	case "error":
		return 2
	case "warning":
		return 1
	}
	return 0
}

var statusArg = regexp.MustCompile(`^(?:[1-5](?:\d\d|XX|xx)|default)$`)

// compositionSegment is how oasdiff names a property reached through a composition:
// "allOf[#/components/schemas/Charge]/transaction_id". A pact body has no such level.
var compositionSegment = regexp.MustCompile(`(?:allOf|oneOf|anyOf)\[[^\]]*\]/?`)

// subjects reads what a change is about from its rule's arguments: a response status, and
// the first property or parameter name (oasdiff writes nested properties as "a/items/b";
// later arguments are old and new values).
func subjects(args []any) (status, field string) {
	for _, a := range args {
		s, ok := a.(string)
		if ok {
			s = strings.TrimSuffix(compositionSegment.ReplaceAllString(s, ""), "/")
		}
		if !ok || s == "" {
			continue
		}
		switch {
		case statusArg.MatchString(s) && status == "":
			status = s
		case s == "query" || s == "header" || s == "path" || s == "cookie":
		case strings.ContainsAny(s, " \t") || strings.HasPrefix(s, "#/"):
		case field == "":
			field = s
		}
	}
	return status, field
}
