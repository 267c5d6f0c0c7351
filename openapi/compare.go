package openapi

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Compare checks every HTTP interaction of a pact against a document: could the provider
// the document describes accept the consumer's request, and send the response the consumer
// expects? doc may be nil (no provider contract): every HTTP interaction is then a
// request.spec.missing error. The document's info x-opc-config-* extensions override the
// profile, as in the reference.
//
// The checks and their order are the reference comparator's (see DIFFERENCES.md for where
// Treaty judges differently). For each interaction: route (method and path, under the base
// path or a server's path), path parameters; then, unless the response status is 400 or more
// (a negative test, whose request is meant to be wrong), security, request headers, query and
// body; then the response status, content type, headers and body.
func Compare(p *Pact, doc *Document, profile Profile) Result {
	var res Result
	if p == nil {
		return res
	}
	res.Notices = append(res.Notices, p.notices...)
	var ix *index
	if doc != nil {
		ix = doc.compiled()
		if doc.spec.Info != nil {
			profile = profile.withInfo(doc.spec.Info.Extensions)
		}
	}
	c := &check{ix: ix, doc: doc, profile: profile, v: &validator{ix: ix, profile: profile}}
	for _, it := range p.interactions {
		c.it, c.op, c.findings = it, nil, c.findings[:0]
		c.run()
		res.Findings = append(res.Findings, c.findings...)
	}
	res.Findings = sortFindings(res.Findings)
	if res.Findings == nil {
		res.Findings = []Finding{} // "results": [], as the reference prints it
	}
	return res
}

// check compares one interaction; Compare reuses one for every interaction of a pact.
type check struct {
	ix       *index
	doc      *Document
	profile  Profile
	it       *interaction
	op       *operation
	params   []pathParam
	findings []Finding
	v        *validator // reused: see newValidator
}

// loc is "[root].interactions[N]" followed by rest.
func (c *check) loc(rest string) string {
	return "[root].interactions[" + strconv.Itoa(c.it.index) + "]" + rest
}

// mockLoc is loc, made when called: for locations needed only if something fails.
func (c *check) mockLoc(rest string) func() string {
	return func() string { return c.loc(rest) }
}

func (c *check) add(code Code, message, mockLoc string, mockValue any, specLoc string, specValue any) {
	c.addAs(severityOf[code], code, message, mockLoc, mockValue, specLoc, specValue)
}

func (c *check) addAs(sev Severity, code Code, message, mockLoc string, mockValue any, specLoc string, specValue any) {
	f := Finding{
		Code:    code,
		Type:    sev,
		Message: message,
		MockDetails: MockDetails{
			InteractionDescription: c.it.description,
			InteractionState:       c.it.state,
			Location:               mockLoc,
			Value:                  mockValue,
		},
		SpecDetails: SpecDetails{Location: specLoc, Value: specValue},
		interaction: c.it.index,
	}
	if f.MockDetails.InteractionState == "" {
		f.MockDetails.InteractionState = "[none]"
	}
	if c.op != nil {
		f.SpecDetails.PathMethod = c.op.lower
		f.SpecDetails.PathName = c.op.path
	}
	c.findings = append(c.findings, f)
}

// validRequest is false for a negative test: a response status of 400 or more means the
// consumer sends a bad request on purpose, so the request side is not checked.
func (c *check) validRequest() bool { return c.it.status < 400 }

func (c *check) run() {
	if c.ix == nil {
		c.add(CodeSpecMissing, "No OpenAPI document provided to validate HTTP interaction",
			c.loc(""), c.it.description, "[root]", nil)
		return
	}
	if !c.route() {
		c.add(CodePathOrMethodUnknown, fmt.Sprintf("Path or method not defined in spec file: %s %s", c.it.method, c.it.path),
			c.loc(".request.path"), c.it.path, "[root].paths", nil)
		return
	}
	if !c.checkPathParams() {
		return
	}
	c.checkSecurity()
	ctIncompatible := c.checkRequestHeaders()
	c.checkQuery()
	if !ctIncompatible {
		c.checkRequestBody()
	}
	c.checkResponse()
}

// route finds the operation. The pact path is tried as it is, then under the configured
// base path (x-opc-config-base-path, or Swagger 2.0's basePath, which the reference
// requires), then with each server's path taken off (the reference ignores servers).
func (c *check) route() bool {
	path := c.it.path
	if strings.Contains(path, "?") {
		return false
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	o := routeOptions{
		caseInsensitive:   c.profile.CaseInsensitive,
		ignoreTrailing:    c.profile.IgnoreTrailingSlash,
		ignoreDuplicate:   c.profile.IgnoreDuplicateSlashes,
		noPercentEncoding: c.profile.NoPercentEncoding,
	}
	base := c.profile.BasePath
	if base == "" && c.doc != nil {
		base = c.doc.basePath
	}
	base = strings.TrimRight(base, "/")
	if base != "" {
		if !hasPathPrefix(path, base, c.profile.CaseInsensitive) {
			return false
		}
		path = path[len(base):]
		if path == "" {
			path = "/"
		}
	}
	if c.op, c.params = c.ix.router.match(c.it.method, path, o, c.params); c.op != nil {
		return true
	}
	if c.profile.IgnoreServers {
		return false
	}
	for _, prefix := range c.ix.servers {
		if hasPathPrefix(path, prefix, c.profile.CaseInsensitive) {
			rest := path[len(prefix):]
			if rest == "" {
				rest = "/"
			}
			if c.op, c.params = c.ix.router.match(c.it.method, rest, o, c.params); c.op != nil {
				return true
			}
		}
	}
	return false
}

func hasPathPrefix(path, prefix string, fold bool) bool {
	if len(path) < len(prefix) {
		return false
	}
	head := path[:len(prefix)]
	if head != prefix && !(fold && strings.EqualFold(head, prefix)) {
		return false
	}
	return len(path) == len(prefix) || path[len(prefix)] == '/'
}

// responseFor finds the document's response for the interaction's status: the exact code,
// its range (2XX), or default. viaDefault says only default matched.
func (c *check) responseFor() (resp *response, key string, viaDefault bool) {
	rs := c.op.responses
	it := c.it
	for _, k := range it.statusKeys {
		if r := rs[k]; r != nil {
			return r, k, false
		}
	}
	// A status matcher says the consumer accepts any status of a class: a declared status
	// of that class will do.
	if ok, has := it.rules.statusAccepts(it.status); has && ok && !c.profile.IgnoreMatchers {
		for _, k := range c.op.responseKeys {
			if n, err := strconv.Atoi(k); err == nil {
				if accepts, _ := it.rules.statusAccepts(n); accepts {
					if r := rs[k]; r != nil {
						return r, k, false
					}
				}
			}
		}
	}
	if r := rs["default"]; r != nil {
		return r, "default", true
	}
	return nil, "", false
}

// mediaTypes lists a content map's media types, JSON ones first, then by name: the order
// the document wrote them in is not kept by the parser, and JSON is what pacts mostly carry.
func mediaTypes(content openapi3.Content) []string {
	out := make([]string, 0, len(content))
	for k := range content {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		ji, jj := isJSONType(out[i]), isJSONType(out[j])
		if ji != jj {
			return ji
		}
		return out[i] < out[j]
	})
	return out
}

// reportSchemaErrors turns a validator's errors into findings. mockBase is the pact
// location the errors' places are under, made only when there are errors.
func (c *check) reportSchemaErrors(v *validator, code Code, sev Severity, prefix string, mockBase func() string, root string) {
	if len(v.errs) == 0 {
		return
	}
	base := mockBase()
	for _, e := range v.errs {
		c.addAs(sev, code, prefix+e.message(root), base+e.at, e.value, e.spec, e.specValue)
	}
}

// newValidator returns the comparison's validator, reset: one value is validated at a time,
// and its errors are reported before the next, so one validator (and its scratch space)
// serves the whole comparison.
func (c *check) newValidator(dir direction) *validator {
	c.v.reset(dir, nil, false)
	return c.v
}
