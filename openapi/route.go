package openapi

import (
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// router finds the operation of a pact request: a trie of path segments, static segments
// before templated ones (so /users/me wins over /users/{id}), one template segment matching
// one path segment. Unlike a generic router it can be asked, per lookup, to ignore case,
// trailing slashes or duplicate slashes, as the profile says.
type router struct {
	root *routeNode
}

type routeNode struct {
	static    map[string]*routeNode
	lower     map[string]*routeNode // static children by lower-cased segment, for case-insensitive routing
	templates []*templateEdge
	ops       map[string]*operation // by upper-case method
}

// templateEdge is a segment with parameters: "{id}", "{id}:cancel", "v{major}.{minor}".
type templateEdge struct {
	raw   string
	names []string
	re    *regexp.Regexp // nil for a segment that is one parameter alone
	fold  *regexp.Regexp // re, ignoring case
	next  *routeNode
}

func newRouteNode() *routeNode {
	return &routeNode{static: map[string]*routeNode{}, lower: map[string]*routeNode{}, ops: map[string]*operation{}}
}

// add registers op under its path template.
func (r *router) add(template string, op *operation) {
	if r.root == nil {
		r.root = newRouteNode()
	}
	n := r.root
	for _, seg := range splitPath(template) {
		if !strings.Contains(seg, "{") {
			child := n.static[seg]
			if child == nil {
				child = newRouteNode()
				n.static[seg] = child
				if _, taken := n.lower[strings.ToLower(seg)]; !taken {
					n.lower[strings.ToLower(seg)] = child
				}
			}
			n = child
			continue
		}
		var edge *templateEdge
		for _, e := range n.templates {
			if e.raw == seg {
				edge = e
			}
		}
		if edge == nil {
			edge = compileTemplate(seg)
			n.templates = append(n.templates, edge)
			// Segments with literal text are more specific than a bare parameter; among
			// those, longer literal text first; ties by text, for stable results.
			sort.SliceStable(n.templates, func(i, j int) bool {
				a, b := n.templates[i], n.templates[j]
				if (a.re == nil) != (b.re == nil) {
					return a.re != nil
				}
				la, lb := literalLen(a.raw), literalLen(b.raw)
				if la != lb {
					return la > lb
				}
				return a.raw < b.raw
			})
		}
		n = edge.next
	}
	n.ops[op.method] = op
}

var paramInTemplate = regexp.MustCompile(`\{[^{}]*\}`)

func literalLen(seg string) int { return len(paramInTemplate.ReplaceAllString(seg, "")) }

// compileTemplate turns a template segment into a matcher. Label and matrix prefixes
// ({.x}, {;x}) become literal text before the parameter, explode markers (*) are dropped.
func compileTemplate(seg string) *templateEdge {
	e := &templateEdge{raw: seg, next: newRouteNode()}
	if m := paramInTemplate.FindAllStringIndex(seg, -1); len(m) == 1 && m[0][0] == 0 && m[0][1] == len(seg) {
		if name := cleanParamName(seg[1 : len(seg)-1]); !strings.HasPrefix(seg, "{.") && !strings.HasPrefix(seg, "{;") {
			e.names = []string{name}
			return e
		}
	}
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, m := range paramInTemplate.FindAllStringIndex(seg, -1) {
		b.WriteString(regexp.QuoteMeta(seg[last:m[0]]))
		inner := seg[m[0]+1 : m[1]-1]
		if strings.HasPrefix(inner, ".") || strings.HasPrefix(inner, ";") {
			b.WriteString(regexp.QuoteMeta(inner[:1]))
		}
		e.names = append(e.names, cleanParamName(inner))
		b.WriteString("(.+?)")
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(seg[last:]))
	b.WriteString("$")
	e.re = regexp.MustCompile(b.String())
	e.fold = regexp.MustCompile("(?i)" + b.String())
	return e
}

// cleanParamName strips a template's label/matrix prefix and explode suffix: "{.id*}" → "id".
func cleanParamName(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "."), ";")
	return strings.TrimSuffix(s, "*")
}

// splitPath splits "/a/b" into ["a","b"]. Empty segments are kept: "/a//b/" is
// ["a","","b",""], so trailing and duplicate slashes are significant unless the profile says
// otherwise.
func splitPath(p string) []string {
	p = strings.TrimPrefix(p, "/")
	return strings.Split(p, "/")
}

// routeOptions are the profile switches that change routing.
type routeOptions struct {
	caseInsensitive   bool
	ignoreTrailing    bool
	ignoreDuplicate   bool
	noPercentEncoding bool
}

// pathParam is the value of a path parameter, percent-decoded.
type pathParam struct{ name, value string }

// lookupParam returns the value of the named path parameter. When a template names a
// parameter twice, the first segment's value wins.
func lookupParam(params []pathParam, name string) (string, bool) {
	for i := len(params) - 1; i >= 0; i-- {
		if params[i].name == name {
			return params[i].value, true
		}
	}
	return "", false
}

// match finds the operation for method and path, and the values of its path parameters,
// appended to params[:0].
func (r *router) match(method, path string, o routeOptions, params []pathParam) (*operation, []pathParam) {
	params = params[:0]
	if r.root == nil {
		return nil, params
	}
	if o.ignoreDuplicate {
		for strings.Contains(path, "//") {
			path = strings.ReplaceAll(path, "//", "/")
		}
	}
	if o.ignoreTrailing && len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	op, params := r.root.find(strings.TrimPrefix(path, "/"), false, method, o, params)
	return op, params
}

// decodeSegment percent-decodes a path segment; one that does not decode is kept as it is
// (and will match only a template). With the no-percent-encoding quirk "%" is literal.
func decodeSegment(s string, literalPercent bool) string {
	if literalPercent || !strings.Contains(s, "%") {
		return s
	}
	if d, err := url.PathUnescape(s); err == nil {
		return d
	}
	return s
}

// find matches the segments of rest ("a/b/c", split on "/"; done when none are left)
// below n. The path is split as it is matched, not before, so that routing allocates
// nothing for the common path.
func (n *routeNode) find(rest string, done bool, method string, o routeOptions, params []pathParam) (*operation, []pathParam) {
	if done {
		if op := n.ops[method]; op != nil {
			return op, params
		}
		// With trailing slashes ignored, a document path "/a/" answers "/a".
		if o.ignoreTrailing {
			if child := n.static[""]; child != nil {
				return child.ops[method], params
			}
		}
		return nil, params
	}
	seg, after, more := strings.Cut(rest, "/")
	seg = decodeSegment(seg, o.noPercentEncoding)
	child := n.static[seg]
	if child == nil && o.caseInsensitive {
		child = n.lower[strings.ToLower(seg)]
	}
	if child != nil {
		if op, ps := child.find(after, !more, method, o, params); op != nil {
			return op, ps
		}
	}
	if seg == "" {
		return nil, params // a parameter is never empty
	}
	for _, e := range n.templates {
		var values []string
		if e.re != nil {
			if m := e.re.FindStringSubmatch(seg); m != nil {
				values = m[1:]
			} else if o.caseInsensitive {
				if m := e.fold.FindStringSubmatch(seg); m != nil {
					values = m[1:]
				}
			}
			if values == nil {
				continue
			}
		}
		if op, ps := e.next.find(after, !more, method, o, params); op != nil {
			// Deeper segments' values are appended first; lookupParam reads from the end.
			if e.re == nil {
				return op, append(ps, pathParam{e.names[0], seg})
			}
			for i, name := range e.names {
				ps = append(ps, pathParam{name, values[i]})
			}
			return op, ps
		}
	}
	return nil, params
}
