package openapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// ruleSet holds the matching rules of a pact response. The reference comparator ignores
// them and judges the example values alone; Treaty reads them, because they say what the
// consumer accepts: a body field matched by type accepts any value of that type, so an
// example "pending" for a field the provider declares as enum [paid, refunded] is no
// incompatibility. Request matching rules are not read: the request example is what the
// provider is sent when the pact is verified, so it is checked as it is.
type ruleSet struct {
	body   []rule
	header map[string][]matcher // by lower-cased header name
	status []matcher
}

// rule is the matchers of one body path, like $.items[*].id.
type rule struct {
	path     []pathToken
	matchers []matcher
	and      bool // "combine": "AND" (the default); OR otherwise
}

// pathToken is a field name, an index, or a wildcard (name "*" or index -1).
type pathToken struct {
	name  string
	index int
	isIdx bool
}

type matcher struct {
	kind  string // type, regex, integer, decimal, number, boolean, null, equality, include, values, …
	regex string
	min   *int
	max   *int
	codes []int  // statusCode: explicit codes
	class string // statusCode: information, success, redirect, clientError, serverError, nonError, error
}

// parseRules reads a response's matchingRules in the V2 form ({"$.body.x": {"match":
// "type"}}) or the V3/V4 form ({"body": {"$.x": {"matchers": [...]}}}).
func parseRules(v any) (*ruleSet, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil, nil
	}
	rs := &ruleSet{header: map[string][]matcher{}}
	for key, raw := range m {
		switch {
		case key == "body" || key == "header" || key == "headers" || key == "status":
			cat, ok := raw.(map[string]any)
			if key == "status" {
				ms, _, err := parseMatchers(raw)
				if err != nil {
					return nil, fmt.Errorf("status: %w", err)
				}
				rs.status = ms
				continue
			}
			if !ok {
				return nil, fmt.Errorf("%s must be an object", key)
			}
			for p, def := range cat {
				ms, and, err := parseMatchers(def)
				if err != nil {
					return nil, fmt.Errorf("%s %s: %w", key, p, err)
				}
				if key == "body" {
					toks, err := parseRulePath(p)
					if err != nil {
						return nil, fmt.Errorf("body %s: %w", p, err)
					}
					rs.body = append(rs.body, rule{toks, ms, and})
				} else {
					name := strings.TrimPrefix(p, "$.")
					rs.header[strings.ToLower(name)] = ms
				}
			}
		case strings.HasPrefix(key, "$.body"):
			ms, and, err := parseMatchers(raw)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			toks, err := parseRulePath("$" + strings.TrimPrefix(key, "$.body"))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			rs.body = append(rs.body, rule{toks, ms, and})
		case strings.HasPrefix(key, "$.headers."):
			ms, _, err := parseMatchers(raw)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			rs.header[strings.ToLower(strings.TrimPrefix(key, "$.headers."))] = ms
		}
	}
	sort.SliceStable(rs.body, func(i, j int) bool { return len(rs.body[i].path) < len(rs.body[j].path) })
	return rs, nil
}

// parseMatchers reads {"matchers": [...], "combine": "AND"|"OR"}, or a V2 single matcher.
func parseMatchers(v any) ([]matcher, bool, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, true, errors.New("must be an object")
	}
	and := !strings.EqualFold(str(m["combine"]), "OR")
	list, ok := m["matchers"].([]any)
	if !ok {
		mt, err := parseMatcher(m)
		if err != nil {
			return nil, and, err
		}
		return []matcher{mt}, and, nil
	}
	out := make([]matcher, 0, len(list))
	for _, e := range list {
		em, ok := e.(map[string]any)
		if !ok {
			return nil, and, errors.New("a matcher must be an object")
		}
		mt, err := parseMatcher(em)
		if err != nil {
			return nil, and, err
		}
		out = append(out, mt)
	}
	return out, and, nil
}

func parseMatcher(m map[string]any) (matcher, error) {
	mt := matcher{kind: str(m["match"]), regex: str(m["regex"])}
	if n, ok := intOf(m["min"]); ok {
		mt.min = &n
	}
	if n, ok := intOf(m["max"]); ok {
		mt.max = &n
	}
	if mt.kind == "" {
		switch {
		case mt.regex != "":
			mt.kind = "regex"
		case mt.min != nil || mt.max != nil:
			mt.kind = "type"
		default:
			return mt, errors.New(`a matcher needs "match"`)
		}
	}
	if mt.kind == "statusCode" {
		switch s := m["status"].(type) {
		case string:
			mt.class = s
		case []any:
			for _, e := range s {
				if n, ok := intOf(e); ok {
					mt.codes = append(mt.codes, n)
				}
			}
		}
	}
	return mt, nil
}

func intOf(v any) (int, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := strconv.Atoi(n.String())
		return i, err == nil
	case float64:
		return int(n), true
	}
	return 0, false
}

var rulePathToken = regexp.MustCompile(`^(?:\.([^.\[\]]+)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+|\*)\])`)

// parseRulePath reads a matching-rule path: $.a.b, $.items[0], $.items[*].id, $['odd key'], $.*.
func parseRulePath(p string) ([]pathToken, error) {
	if !strings.HasPrefix(p, "$") {
		return nil, errors.New("a body path starts with $")
	}
	rest := p[1:]
	var out []pathToken
	for rest != "" {
		m := rulePathToken.FindStringSubmatch(rest)
		if m == nil {
			return nil, fmt.Errorf("cannot read %q", rest)
		}
		switch {
		case m[1] != "":
			out = append(out, pathToken{name: m[1]})
		case m[3] == "*":
			out = append(out, pathToken{isIdx: true, index: -1})
		case m[3] != "":
			n, _ := strconv.Atoi(m[3])
			out = append(out, pathToken{isIdx: true, index: n})
		default:
			out = append(out, pathToken{name: strings.ReplaceAll(m[2], `\'`, `'`)})
		}
		rest = rest[len(m[0]):]
	}
	return out, nil
}

// tolerance is what the matching rules at one place of a response body say the consumer
// accepts.
type tolerance struct {
	typeOnly bool   // any value of the example's type
	regex    string // any string matching this
	keysFree bool   // any keys (values, eachKey)
	min, max *int   // array length bounds
}

// at returns the tolerance for the body value at path (names and indexes from the root).
// The most specific rule whose path covers the value applies; a rule on a parent reaches
// its children, as Pact's type matching cascades.
func (rs *ruleSet) at(path []pathToken) tolerance {
	if rs == nil || len(rs.body) == 0 {
		return tolerance{}
	}
	best, bestLen, bestWeight := -1, -1, -1
	for i, r := range rs.body {
		if len(r.path) > len(path) {
			continue
		}
		weight, ok := 0, true
		for j, t := range r.path {
			a := path[j]
			switch {
			case t.isIdx && t.index == -1 && a.isIdx, !t.isIdx && t.name == "*" && !a.isIdx:
				weight++
			case t.isIdx == a.isIdx && t.name == a.name && t.index == a.index:
				weight += 2
			default:
				ok = false
			}
			if !ok {
				break
			}
		}
		if ok && (len(r.path) > bestLen || len(r.path) == bestLen && weight > bestWeight) {
			best, bestLen, bestWeight = i, len(r.path), weight
		}
	}
	if best < 0 {
		return tolerance{}
	}
	r := rs.body[best]
	inherited := len(r.path) < len(path)
	return toleranceOf(r.matchers, r.and, inherited)
}

// toleranceOf combines matchers. With AND every matcher must hold, so one equality matcher
// makes the place strict; with OR any may hold, so the most tolerant wins.
func toleranceOf(ms []matcher, and, inherited bool) tolerance {
	var t tolerance
	strict := false
	for _, m := range ms {
		switch m.kind {
		case "equality":
			strict = true
		case "regex":
			if !inherited {
				t.regex = m.regex
			}
			t.typeOnly = true
		case "values", "eachKey":
			t.keysFree = true
			t.typeOnly = true
		case "type", "min", "max", "minmax", "eachValue", "arrayContains":
			t.typeOnly = true
			if !inherited {
				t.min, t.max = m.min, m.max
			}
		case "":
		default: // integer, decimal, number, boolean, null, date, time, timestamp, include, contentType, notEmpty, semver
			t.typeOnly = true
		}
	}
	if strict && and {
		return tolerance{}
	}
	return t
}

// header returns the tolerance for a response header.
func (rs *ruleSet) headerTolerance(name string) tolerance {
	if rs == nil {
		return tolerance{}
	}
	ms, ok := rs.header[strings.ToLower(name)]
	if !ok {
		return tolerance{}
	}
	return toleranceOf(ms, true, false)
}

// statusAccepts reports whether the response's status matcher accepts code, and whether
// there is such a matcher.
func (rs *ruleSet) statusAccepts(code int) (accepts, has bool) {
	if rs == nil || len(rs.status) == 0 {
		return false, false
	}
	for _, m := range rs.status {
		if m.kind != "statusCode" {
			continue
		}
		has = true
		for _, c := range m.codes {
			if c == code {
				return true, true
			}
		}
		switch m.class {
		case "information":
			accepts = code >= 100 && code < 200
		case "success":
			accepts = code >= 200 && code < 300
		case "redirect":
			accepts = code >= 300 && code < 400
		case "clientError":
			accepts = code >= 400 && code < 500
		case "serverError":
			accepts = code >= 500 && code < 600
		case "nonError":
			accepts = code < 400
		case "error":
			accepts = code >= 400
		}
		if accepts {
			return true, true
		}
	}
	return false, has
}
