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

func schemaIs(ref *openapi3.SchemaRef, typ string) bool {
	return ref != nil && ref.Value != nil && ref.Value.Type != nil && ref.Value.Type.Is(typ)
}

// complexSchema is what the no-validate-complex-parameters quirk still validates.
func complexSchema(ref *openapi3.SchemaRef) bool {
	return schemaIs(ref, "array") || schemaIs(ref, "object")
}

// splitParam reads a serialized parameter value as its schema wants it: an array is split on
// the style's delimiter, an object from "k,v,k2,v2" or "k=v,k2=v2" (explode).
func splitParam(raw string, ref *openapi3.SchemaRef, delim string) any {
	switch {
	case schemaIs(ref, "array"):
		parts := strings.Split(raw, delim)
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = p
		}
		return out
	case schemaIs(ref, "object"):
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

// validateParam checks a parameter value and reports what fails under code.
// prefix is built only when something fails: most values pass.
func (c *check) validateParam(p param, value any, code Code, sev Severity, prefix func() string, mockLoc, what string) {
	ref, schemaLoc := paramSchema(p.Parameter)
	if ref == nil {
		return
	}
	if c.profile.NoValidateComplexParameters && !complexSchema(ref) {
		return
	}
	v := c.newValidator(dirParam)
	v.validate(ref, &specPath{seg: p.loc + schemaLoc}, value, &instPath{}, frame{})
	if len(v.errs) > 0 {
		c.reportSchemaErrors(v, code, sev, prefix(), mockLoc, fmt.Sprintf("%s %q", what, p.Name))
	}
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
	for _, p := range c.op.params {
		if p.In != "path" {
			continue
		}
		raw, ok := c.params[cleanParamName(p.Name)]
		if !ok {
			continue
		}
		ref, _ := paramSchema(p.Parameter)
		delim := ","
		style := strings.ToLower(p.Style)
		explode := p.Explode != nil && *p.Explode
		switch {
		case style == "label":
			raw = strings.TrimPrefix(raw, ".")
			if explode {
				delim = "."
			}
		case style == "matrix":
			raw = strings.TrimPrefix(strings.TrimPrefix(raw, ";"), p.Name+"=")
			if explode {
				delim = ";"
			}
		}
		var value any = raw
		if !schemaIs(ref, "string") {
			value = splitParam(raw, ref, delim)
		}
		c.validateParam(p, value, CodePathOrMethodUnknown, sev, func() string {
			return fmt.Sprintf("Path or method not defined in spec file: %s %s: ", c.it.method, c.it.path)
		}, c.loc(".request.path"), "path parameter")
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

// securityNames returns the names of apiKey credentials the operation's security accepts
// in the given place ("header" or "query"), lower-cased for headers.
func (c *check) securityNames(in string) map[string]bool {
	out := map[string]bool{}
	for _, req := range c.op.security {
		for name := range req {
			s := c.ix.schemes[name]
			if s != nil && strings.EqualFold(s.Type, "apiKey") && strings.EqualFold(s.In, in) {
				if in == "header" {
					out[strings.ToLower(s.Name)] = true
				} else {
					out[s.Name] = true
				}
			}
		}
	}
	return out
}

// checkRequestHeaders checks Accept, Content-Type, the declared header parameters and the
// headers the document does not know. It reports whether Content-Type was incompatible
// (the body is then not checked: it would be read as the wrong type).
func (c *check) checkRequestHeaders() (ctIncompatible bool) {
	op := c.op.op
	h := c.it.reqHdr

	var allResponseTypes []string
	if op.Responses != nil {
		for _, k := range sortedKeys(op.Responses.Map()) {
			if r := op.Responses.Value(k); r != nil && r.Value != nil {
				allResponseTypes = append(allResponseTypes, mediaTypes(r.Value.Content)...)
			}
		}
	}
	if accept, ok := h.get("accept"); ok && accept != "" {
		// The whole header is negotiated, q-values and all; the reference cuts it at the
		// first ";" and so rejects "text/html;q=0.9, application/json".
		requested := accept
		switch {
		case len(allResponseTypes) == 0:
			c.add(CodeAcceptUnknown, "Request Accept header is defined but the spec does not specify any mime-types to produce",
				c.loc(".request.headers.accept"), accept, c.op.loc, nil)
		default:
			var exact []string
			if r := op.Responses.Value(fmt.Sprint(c.it.status)); r != nil && r.Value != nil {
				exact = mediaTypes(r.Value.Content)
			}
			if len(exact) > 0 && findMatchingType(requested, allResponseTypes) == "" {
				c.add(CodeAcceptIncompatible, fmt.Sprintf("Request Accept header %q is incompatible with the mime-types the spec defines to produce (%s)",
					accept, strings.Join(exact, ", ")), c.loc(".request.headers.accept"), accept, c.op.loc, exact)
			}
		}
	}

	var requestTypes []string
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		requestTypes = mediaTypes(op.RequestBody.Value.Content)
	}
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

	declared := map[string]bool{}
	for _, p := range c.op.params {
		if p.In != "header" {
			continue
		}
		lname := strings.ToLower(p.Name)
		declared[lname] = true
		if !c.validRequest() {
			continue
		}
		value, ok := h.get(p.Name)
		mockLoc := c.loc(".request.headers." + p.Name)
		if !ok {
			if p.Required {
				c.add(CodeRequestHeaderIncompat, fmt.Sprintf("Value is incompatible with the parameter defined in the spec file: missing required header %q", p.Name),
					mockLoc, nil, p.loc, p.Name)
			}
			continue
		}
		ref, _ := paramSchema(p.Parameter)
		var val any = value
		if !schemaIs(ref, "string") {
			val = splitParam(value, ref, ",")
		}
		c.validateParam(p, val, CodeRequestHeaderIncompat, SeverityError, paramPrefix, mockLoc, "header")
	}
	if !c.validRequest() {
		return ctIncompatible
	}
	apiKeys := c.securityNames("header")
	for _, name := range h.sorted() {
		if declared[name] || standardRequestHeaders[name] || apiKeys[name] {
			continue
		}
		c.add(CodeRequestHeaderUnknown, fmt.Sprintf("Request header is not defined in the spec file: %s", h.names[name]),
			c.loc(".request.headers."+h.names[name]), h.values[name], c.op.loc, nil)
	}
	return ctIncompatible
}

// checkQuery checks the declared query parameters and reports the undeclared ones.
func (c *check) checkQuery() {
	if !c.validRequest() {
		return
	}
	byName := map[string][]string{}
	var order []string
	for _, q := range c.it.query {
		if _, seen := byName[q.name]; !seen {
			order = append(order, q.name)
		}
		byName[q.name] = append(byName[q.name], q.values...)
	}
	used := map[string]bool{}
	for _, p := range c.op.params {
		if p.In != "query" {
			continue
		}
		ref, _ := paramSchema(p.Parameter)
		mockLoc := c.loc(".request.query." + p.Name)
		value, present := c.queryValue(p, ref, byName, used)
		if !present {
			if p.Required {
				c.add(CodeQueryIncompatible, fmt.Sprintf("Value is incompatible with the parameter defined in the spec file: missing required query parameter %q", p.Name),
					mockLoc, nil, p.loc, p.Name)
			}
			continue
		}
		c.validateParam(p, value, CodeQueryIncompatible, SeverityError, paramPrefix, mockLoc, "query parameter")
	}
	apiKeys := c.securityNames("query")
	for _, name := range order {
		if used[name] || apiKeys[name] {
			continue
		}
		c.add(CodeQueryUnknown, fmt.Sprintf("Query parameter is not defined in the spec file: %s", name),
			c.loc(".request.query."+name), strings.Join(byName[name], ","), c.op.loc, nil)
	}
}

// queryValue reads a query parameter as its style says: form (repeated keys, or comma
// separated when not exploded), spaceDelimited, pipeDelimited, or deepObject (name[key]=v).
func (c *check) queryValue(p param, ref *openapi3.SchemaRef, byName map[string][]string, used map[string]bool) (any, bool) {
	style := strings.ToLower(p.Style)
	if style == "deepobject" || schemaIs(ref, "object") {
		obj := map[string]any{}
		for name, vals := range byName {
			key, ok := strings.CutPrefix(name, p.Name+"[")
			if !ok {
				if k, ok2 := strings.CutPrefix(name, p.Name+"."); ok2 && !c.profile.LegacyParser {
					key, ok = k+"]", true
				}
			}
			if ok && strings.HasSuffix(key, "]") {
				used[name] = true
				obj[strings.TrimSuffix(key, "]")] = vals[len(vals)-1]
			}
		}
		if len(obj) > 0 {
			return obj, true
		}
	}
	vals, ok := byName[p.Name]
	if !ok {
		return nil, false
	}
	used[p.Name] = true
	if c.profile.CastObjectsInPact && len(vals) == 1 && vals[0] == "[object Object]" {
		return map[string]any{}, true
	}
	if schemaIs(ref, "string") {
		return strings.Join(vals, ","), true
	}
	delim := ","
	switch style {
	case "spacedelimited":
		delim = " "
	case "pipedelimited":
		delim = "|"
	}
	if schemaIs(ref, "array") || schemaIs(ref, "object") {
		var items []any
		for _, v := range vals {
			if schemaIs(ref, "object") {
				return splitParam(v, ref, delim), true
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
