package openapi

import (
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// paramSchema is a parameter's schema, from "schema" or, for a parameter described by
// content, its first media type.
func paramSchema(p *openapi3.Parameter) (*openapi3.SchemaRef, string) {
	if p.Schema != nil {
		return p.Schema, ".schema"
	}
	for _, mt := range mediaTypes(p.Content) {
		if m := p.Content[mt]; m != nil && m.Schema != nil {
			return m.Schema, ".content." + mt + ".schema"
		}
	}
	return nil, ""
}

// onlyType is the schema's type when it names exactly one, else "".
func onlyType(ref *openapi3.SchemaRef) string {
	if ref != nil && ref.Value != nil && ref.Value.Type != nil && len(*ref.Value.Type) == 1 {
		return (*ref.Value.Type)[0]
	}
	return ""
}

// complexSchema is what the no-validate-complex-parameters quirk still validates.
func complexSchema(typ string) bool { return typ == "array" || typ == "object" }

// splitParam reads a serialized parameter value as its schema (of type typ, see onlyType)
// wants it: an array is split on the style's delimiter, an object from "k,v,k2,v2" or
// "k=v,k2=v2" (explode).
func splitParam(raw string, typ string, delim string) any {
	switch typ {
	case "array":
		parts := strings.Split(raw, delim)
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = p
		}
		return out
	case "object":
		obj := map[string]any{}
		parts := strings.Split(raw, delim)
		if strings.Contains(raw, "=") {
			for _, p := range parts {
				k, v, _ := strings.Cut(p, "=")
				obj[k] = v
			}
			return obj
		}
		for i := 0; i+1 < len(parts); i += 2 {
			obj[parts[i]] = parts[i+1]
		}
		return obj
	}
	return raw
}

// validateParam checks a parameter value and reports what fails under code. prefix and
// mockLoc are made only when something fails: most values pass.
func (c *check) validateParam(p *param, value any, code Code, sev Severity, prefix func() string, mockLoc func() string, what string) {
	if p.schema == nil {
		return
	}
	if c.profile.NoValidateComplexParameters && !complexSchema(p.typ) {
		return
	}
	v := c.newValidator(dirParam)
	v.check(p.schema, value, p.loc, p.schemaLoc)
	if len(v.errs) == 0 {
		return
	}
	c.reportSchemaErrors(v, code, sev, prefix(), mockLoc, fmt.Sprintf("%s %q", what, p.Name))
}

func paramPrefix() string {
	return "Value is incompatible with the parameter defined in the spec file: "
}

// checkPathParams validates the path parameters the router extracted. A value that fails
// its schema means the path does not exist, as for the reference; but on a negative test
// (status 400 or more: "GET /orders/abc → 404") it is only a warning, since asking for a path
// that does not exist is then the point of the test. It reports whether to go on.
func (c *check) checkPathParams() bool {
	before := len(c.findings)
	sev := SeverityError
	if !c.validRequest() {
		sev = SeverityWarning
	}
	for i := range c.op.params {
		p := &c.op.params[i]
		if p.In != "path" {
			continue
		}
		raw, ok := lookupParam(c.params, p.clean)
		if !ok {
			continue
		}
		delim := ","
		explode := p.Explode != nil && *p.Explode
		switch {
		case p.style == "label":
			raw = strings.TrimPrefix(raw, ".")
			if explode {
				delim = "."
			}
		case p.style == "matrix":
			raw = strings.TrimPrefix(strings.TrimPrefix(raw, ";"), p.Name+"=")
			if explode {
				delim = ";"
			}
		}
		var value any = raw
		if p.typ != "string" {
			value = splitParam(raw, p.typ, delim)
		}
		c.validateParam(p, value, CodePathOrMethodUnknown, sev, func() string {
			return fmt.Sprintf("Path or method not defined in spec file: %s %s: ", c.it.method, c.it.path)
		}, c.mockLoc(".request.path"), "path parameter")
	}
	for i := before; i < len(c.findings); i++ {
		c.findings[i].MockDetails.Location = c.loc(".request.path")
		c.findings[i].MockDetails.Value = c.it.path
		if c.findings[i].Type == SeverityError {
			return false
		}
	}
	return true
}

// checkRequestHeaders checks Accept, Content-Type, the declared header parameters and the
// headers the document does not know. It reports whether Content-Type was incompatible
// (the body is then not checked: it would be read as the wrong type).
func (c *check) checkRequestHeaders() (ctIncompatible bool) {
	h := c.it.reqHdr
	if accept, ok := h.get("accept"); ok && accept != "" {
		// The whole header is negotiated, q-values and all; the reference cuts it at the
		// first ";" and so rejects "text/html;q=0.9, application/json".
		switch {
		case len(c.op.responseTypes) == 0:
			c.add(CodeAcceptUnknown, "Request Accept header is defined but the spec does not specify any mime-types to produce",
				c.loc(".request.headers.accept"), accept, c.op.loc, nil)
		default:
			var exact []string
			if r := c.op.responses[c.it.statusKeys[0]]; r != nil {
				exact = r.types
			}
			if len(exact) > 0 && findMatchingType(accept, c.op.responseTypes) == "" {
				c.add(CodeAcceptIncompatible, fmt.Sprintf("Request Accept header %q is incompatible with the mime-types the spec defines to produce (%s)",
					accept, strings.Join(exact, ", ")), c.loc(".request.headers.accept"), accept, c.op.loc, exact)
			}
		}
	}

	requestTypes := c.op.requestTypes
	ct, hasCT := h.get("content-type")
	ctType, _, _ := strings.Cut(ct, ";")
	switch {
	case hasCT && ctType != "" && len(requestTypes) == 0:
		c.add(CodeContentTypeUnknown, "Request content-type header is defined but the spec does not specify any mime-types to consume",
			c.loc(".request.headers.content-type"), ct, c.op.loc, nil)
	case hasCT && ctType != "" && findMatchingType(ctType, requestTypes) == "":
		c.add(CodeContentTypeIncompatible, fmt.Sprintf("Request Content-Type header %q is incompatible with the mime-types the spec accepts to consume (%s)",
			ct, strings.Join(requestTypes, ", ")), c.loc(".request.headers.content-type"), ct, c.op.loc+".requestBody.content", requestTypes)
		ctIncompatible = true
	case (!hasCT || ctType == "") && len(requestTypes) > 0 && c.it.reqBody.present:
		c.add(CodeContentTypeMissing, "Request content type header is not defined but spec specifies mime-types to consume",
			c.loc(".request.headers.content-type"), nil, c.op.loc, requestTypes)
	}

	if !c.validRequest() {
		return ctIncompatible
	}
	for i := range c.op.params {
		p := &c.op.params[i]
		if p.In != "header" {
			continue
		}
		value, ok := h.values[p.lower]
		if !ok {
			if p.Required {
				c.add(CodeRequestHeaderIncompat, fmt.Sprintf("Value is incompatible with the parameter defined in the spec file: missing required header %q", p.Name),
					c.loc(".request.headers."+p.Name), nil, p.loc, p.Name)
			}
			continue
		}
		var val any = value
		if p.typ != "string" {
			val = splitParam(value, p.typ, ",")
		}
		c.validateParam(p, val, CodeRequestHeaderIncompat, SeverityError, paramPrefix, c.mockLoc(".request.headers."+p.Name), "header")
	}
	for _, name := range h.order {
		if c.op.headerParams[name] || standardRequestHeaders[name] || c.op.apiKeyHeaders[name] {
			continue
		}
		c.add(CodeRequestHeaderUnknown, fmt.Sprintf("Request header is not defined in the spec file: %s", h.names[name]),
			c.loc(".request.headers."+h.names[name]), h.values[name], c.op.loc, nil)
	}
	return ctIncompatible
}

// checkQuery checks the declared query parameters and reports the undeclared ones. The
// pact's query names are unique (parsePact merges repeated ones).
func (c *check) checkQuery() {
	if !c.validRequest() {
		return
	}
	query := c.it.query
	var small [16]bool
	used := small[:0]
	if len(query) > len(small) {
		used = make([]bool, len(query))
	} else {
		used = small[:len(query)]
	}
	for i := range c.op.params {
		p := &c.op.params[i]
		if p.In != "query" {
			continue
		}
		value, present := c.queryValue(p, used)
		if !present {
			if p.Required {
				c.add(CodeQueryIncompatible, fmt.Sprintf("Value is incompatible with the parameter defined in the spec file: missing required query parameter %q", p.Name),
					c.loc(".request.query."+p.Name), nil, p.loc, p.Name)
			}
			continue
		}
		c.validateParam(p, value, CodeQueryIncompatible, SeverityError, paramPrefix, c.mockLoc(".request.query."+p.Name), "query parameter")
	}
	for i, q := range query {
		if used[i] || c.op.apiKeyQuery[q.name] {
			continue
		}
		c.add(CodeQueryUnknown, fmt.Sprintf("Query parameter is not defined in the spec file: %s", q.name),
			c.loc(".request.query."+q.name), strings.Join(q.values, ","), c.op.loc, nil)
	}
}

// queryValue reads a query parameter as its style says: form (repeated keys, or comma
// separated when not exploded), spaceDelimited, pipeDelimited, or deepObject (name[key]=v).
// It marks the pact's query parameters it reads in used.
func (c *check) queryValue(p *param, used []bool) (any, bool) {
	query := c.it.query
	if p.style == "deepobject" || p.typ == "object" {
		var obj map[string]any
		for i, q := range query {
			key, ok := strings.CutPrefix(q.name, p.Name+"[")
			if !ok {
				if k, ok2 := strings.CutPrefix(q.name, p.Name+"."); ok2 && !c.profile.LegacyParser {
					key, ok = k+"]", true
				}
			}
			if ok && strings.HasSuffix(key, "]") {
				used[i] = true
				if obj == nil {
					obj = map[string]any{}
				}
				obj[strings.TrimSuffix(key, "]")] = q.values[len(q.values)-1]
			}
		}
		if len(obj) > 0 {
			return obj, true
		}
	}
	idx := -1
	for i, q := range query {
		if q.name == p.Name {
			idx = i
			break
		}
	}
	if idx < 0 {
		return nil, false
	}
	used[idx] = true
	vals := query[idx].values
	if c.profile.CastObjectsInPact && len(vals) == 1 && vals[0] == "[object Object]" {
		return map[string]any{}, true
	}
	if p.typ == "string" {
		if len(vals) == 1 {
			return vals[0], true
		}
		return strings.Join(vals, ","), true
	}
	delim := ","
	switch p.style {
	case "spacedelimited":
		delim = " "
	case "pipedelimited":
		delim = "|"
	}
	if p.typ == "array" || p.typ == "object" {
		var items []any
		for _, v := range vals {
			if p.typ == "object" {
				return splitParam(v, p.typ, delim), true
			}
			for _, part := range strings.Split(v, delim) {
				items = append(items, part)
			}
		}
		return items, true
	}
	if len(vals) == 1 {
		return vals[0], true
	}
	items := make([]any, len(vals))
	for i, v := range vals {
		items[i] = v
	}
	return items, true
}
