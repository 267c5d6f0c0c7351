package openapi

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Touch is a change that touches what a consumer's pact uses: an operation it calls, a
// status it expects, a field it sends or reads.
type Touch struct {
	Change
	// Breaks is true when the change breaks the consumer: a breaking change, or one oasdiff
	// rates harmless in general (removing an optional property, a non-success status) that
	// removes something this consumer uses.
	Breaks bool `json:"breaks"`
	// Uses lists the interactions that use what changed: "consumer: description".
	Uses []string `json:"uses"`
}

// ChangesTouchingPacts tells which changes touch what the given pacts use: the consumer-aware
// answer a provider needs before removing anything. The broker passes the pacts of the
// consumer versions deployed or released. oasdiff alone rates removing a 404 response as
// harmless; a consumer whose pact expects that 404 breaks, and this says so.
//
// Interactions are matched to a change's operation by method and path template (a pact path
// may carry a base path before it), to its status exactly or by range, and to its field when
// the pact's body, query or headers carry that field. A new required request parameter or
// property touches every interaction of the operation that does not send it.
func ChangesTouchingPacts(changes []Change, pacts []*Pact) []Touch {
	var out []Touch
	for _, ch := range changes {
		if ch.Method == "" || !relevant(ch) {
			continue
		}
		tmpl := templateRegexp(ch.Path)
		t := Touch{Change: ch}
		for _, p := range pacts {
			if p == nil {
				continue
			}
			for _, it := range p.interactions {
				if it.method != ch.Method || !tmpl.MatchString(it.path) || !touchesStatus(ch.Status, it.status) || !touchesField(ch, it) {
					continue
				}
				t.Uses = append(t.Uses, fmt.Sprintf("%s: %s", nameOr(p.consumer, "consumer"), nameOr(it.description, it.method+" "+it.path)))
			}
		}
		if len(t.Uses) == 0 {
			continue
		}
		sort.Strings(t.Uses)
		t.Breaks = ch.Breaking || strings.Contains(ch.ID, "removed")
		out = append(out, t)
	}
	return out
}

// relevant: breaking changes, and removals that are harmless only to a consumer that does
// not use what was removed.
func relevant(ch Change) bool {
	return ch.Level != "info" || strings.Contains(ch.ID, "removed")
}

func nameOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// templateRegexp matches a pact path against a path template: each {param} one segment,
// anything before it (a base or server path).
func templateRegexp(tmpl string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^(?:/[^?]*)?")
	last := 0
	for _, m := range paramInTemplate.FindAllStringIndex(tmpl, -1) {
		b.WriteString(regexp.QuoteMeta(tmpl[last:m[0]]))
		b.WriteString("[^/]+")
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(tmpl[last:]))
	b.WriteString("/?$")
	return regexp.MustCompile(b.String())
}

func touchesStatus(status string, actual int) bool {
	switch {
	case status == "" || status == "default":
		return true
	case strings.HasSuffix(strings.ToUpper(status), "XX"):
		return strconv.Itoa(actual)[:1] == status[:1]
	}
	return status == strconv.Itoa(actual)
}

// touchesField reports whether an interaction uses the change's field (or, for a new
// requirement, fails to send it).
func touchesField(ch Change, it *interaction) bool {
	if ch.Field == "" {
		return true
	}
	reqUses := it.sendsField(ch.Field)
	if strings.HasPrefix(ch.ID, "new-required-request") || strings.Contains(ch.ID, "became-required") {
		return !reqUses
	}
	switch {
	case strings.HasPrefix(ch.ID, "request-") || strings.HasPrefix(ch.ID, "new-"):
		return reqUses
	case strings.HasPrefix(ch.ID, "response-"):
		return bodyHasField(it.resBody.value, ch.Field) || it.resHdr.has(ch.Field)
	}
	return reqUses || bodyHasField(it.resBody.value, ch.Field)
}

func (it *interaction) sendsField(field string) bool {
	for _, q := range it.query {
		if q.name == field || strings.HasPrefix(q.name, field+"[") {
			return true
		}
	}
	return it.reqHdr.has(field) || bodyHasField(it.reqBody.value, field)
}

func (h headers) has(name string) bool {
	_, ok := h.values[strings.ToLower(name)]
	return ok
}

// bodyHasField reports whether a body carries the property at an oasdiff property path
// ("lines/items/sku": sku in an item of lines).
func bodyHasField(v any, path string) bool {
	if path == "" {
		return true
	}
	head, rest, _ := strings.Cut(path, "/")
	switch t := v.(type) {
	case map[string]any:
		if child, ok := t[head]; ok {
			return bodyHasField(child, rest)
		}
		return false
	case []any:
		if head == "items" {
			for _, e := range t {
				if bodyHasField(e, rest) {
					return true
				}
			}
			return false
		}
		for _, e := range t {
			if bodyHasField(e, path) {
				return true
			}
		}
	}
	return false
}
