package openapi

import (
	"fmt"
	"sort"
	"strings"
)

// checkSecurity checks that the request carries credentials for one of the operation's
// security requirements. Only the presence and scheme of credentials can be checked: apiKey
// in a header or the query, HTTP Basic and Bearer. apiKey in a cookie, OAuth 2, OpenID
// Connect and mutual TLS are taken as satisfied, as the reference takes them.
//
// Treaty differs from the reference in one way: the schemes of one requirement object must
// all be satisfied (OpenAPI says they are ANDed), where the reference accepts any one of
// them.
func (c *check) checkSecurity() {
	if !c.validRequest() || len(c.op.security) == 0 {
		return
	}
	var missing []Finding
	for _, req := range c.op.security {
		satisfied := true
		names := make([]string, 0, len(req))
		for name := range req {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if f, ok := c.credential(name); !ok {
				satisfied = false
				missing = append(missing, f)
			}
		}
		if satisfied {
			return
		}
	}
	c.findings = append(c.findings, missing...)
}

// credential checks one security scheme; when it is not satisfied it returns the finding to
// report.
func (c *check) credential(name string) (Finding, bool) {
	s := c.ix.schemes[name]
	if s == nil {
		return Finding{}, true // an undefined scheme is a document problem, reported by Load
	}
	h := c.it.reqHdr
	auth, hasAuth := h.get("authorization")
	report := func(where, msg string) (Finding, bool) {
		saved := c.findings
		c.add(CodeAuthorizationMissing, msg, c.loc(".request."+where), c.mockValue(where), c.op.loc, nil)
		f := c.findings[len(c.findings)-1]
		c.findings = saved
		return f, false
	}
	switch strings.ToLower(s.Type) {
	case "apikey":
		switch strings.ToLower(s.In) {
		case "header":
			if _, ok := h.get(s.Name); ok {
				return Finding{}, true
			}
			return report("headers", fmt.Sprintf("Request Authorization header is missing but is required by the spec file: header %q (security scheme %q)", s.Name, name))
		case "query":
			for _, q := range c.it.query {
				if q.name == s.Name {
					return Finding{}, true
				}
			}
			return report("query", fmt.Sprintf("Request Authorization query is missing but is required by the spec file: query parameter %q (security scheme %q)", s.Name, name))
		}
		return Finding{}, true
	case "http", "basic":
		scheme := strings.ToLower(s.Scheme)
		if s.Type == "basic" || scheme == "" {
			scheme = "basic"
		}
		ok := hasAuth
		if !c.profile.NoAuthorizationSchema {
			ok = strings.HasPrefix(strings.ToLower(auth), scheme+" ")
		}
		if ok {
			return Finding{}, true
		}
		return report("headers", fmt.Sprintf("Request Authorization header is missing but is required by the spec file: an Authorization header with %s credentials (security scheme %q)",
			strings.ToUpper(scheme[:1])+scheme[1:], name))
	}
	return Finding{}, true
}

// mockValue is the pact's headers or query, for a finding about them.
func (c *check) mockValue(where string) any {
	if where == "query" {
		if c.it.rawQuery != "" {
			return c.it.rawQuery
		}
		m := map[string][]string{}
		for _, q := range c.it.query {
			m[q.name] = q.values
		}
		return m
	}
	m := map[string]string{}
	for k, v := range c.it.reqHdr.values {
		m[c.it.reqHdr.names[k]] = v
	}
	return m
}
