package openapi

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

const defaultMediaType = "application/json"

// checkRequestBody validates the request body against the schema of its media type.
func (c *check) checkRequestBody() {
	op := c.op.op
	var rb *openapi3.RequestBody
	if op.RequestBody != nil {
		rb = op.RequestBody.Value
	}
	required := rb != nil && rb.Required
	b := c.it.reqBody
	if !required && !b.present {
		return
	}
	available := c.op.requestTypes
	requested, _ := c.it.reqHdr.get("content-type")
	if requested == "" {
		requested = b.contentType
	}
	mediaType := defaultMediaType
	if requested != "" {
		mediaType = requested
		if m := findMatchingType(requested, available); m != "" {
			mediaType = m
		}
	}
	var schema *openapi3.SchemaRef
	if rb != nil {
		if mt := rb.Content.Get(mediaType); mt != nil {
			schema = mt.Schema
		} else if m := findMatchingType(mediaType, available); m != "" && rb.Content[m] != nil {
			mediaType = m
			schema = rb.Content[m].Schema
		}
	}
	kind := kindOf(mediaType, c.profile.DisableMultipartFormData)
	if kind == bodyOther {
		if b.present && c.validRequest() {
			c.add(CodeRequestBodyUnvalidat, fmt.Sprintf("Body with content type '%s' is not supported by the spec comparator", mediaType),
				c.loc(".request.body"), b.value, c.op.loc+".requestBody.content", nil)
		}
		return
	}
	if !c.validRequest() {
		return
	}
	if c.profile.NoValidateRequestBodyUnlessApplicationJSON && findMatchingType("application/json", available) == "" {
		if !(b.present && schema == nil && len(available) == 0) {
			return
		}
	}
	if schema == nil {
		if b.present {
			c.add(CodeRequestBodyUnknown, "No matching schema found for request body", c.loc(".request.body"), b.value, c.op.loc+".requestBody.content", nil)
		}
		return
	}
	if !b.present {
		c.add(CodeRequestBodyIncompatible, "Request body is incompatible with the request body schema in the spec file: the request has no body, and the operation requires one",
			c.loc(".request.body"), nil, c.op.loc+".requestBody.required", true)
		return
	}
	value := b.value
	v := c.newValidator(dirRequest)
	switch kind {
	case bodyForm:
		value = parseForm(b.value, c.profile.LegacyParser)
		v.coerceStrings = true
	case bodyMultipart:
		value = parseMultipart(b.value, requested)
		v.coerceStrings = true
	}
	v.check(schema, value, c.op.loc, "requestBody", "content", mediaType, "schema")
	c.reportSchemaErrors(v, CodeRequestBodyIncompatible, SeverityError,
		"Request body is incompatible with the request body schema in the spec file: ", c.mockLoc(".request.body"), "")
	if v.exhausted {
		c.add(CodeRequestBodyUnvalidat, "Request body is too large or too deeply nested to validate completely", c.loc(".request.body"), nil,
			c.op.loc+".requestBody.content."+mediaType+".schema", nil)
	}
}

// parseForm reads an application/x-www-form-urlencoded body into an object of strings
// (arrays for repeated names; nested objects for a.b and a[b] names, unless the legacy
// parser is asked for). Treaty then reads the strings as the schema's types, as a server
// would; the reference does not, and so rejects "ttl=600" for an integer ttl.
func parseForm(v any, legacy bool) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	values, err := url.ParseQuery(s)
	if err != nil {
		return v
	}
	obj := map[string]any{}
	for _, k := range sortedKeys(values) {
		vals := values[k]
		var val any = vals[0]
		if len(vals) > 1 {
			items := make([]any, len(vals))
			for i, x := range vals {
				items[i] = x
			}
			val = items
		}
		target, key := obj, k
		if !legacy {
			if outer, inner, ok := strings.Cut(strings.TrimSuffix(strings.Replace(k, "[", ".", 1), "]"), "."); ok && outer != "" && inner != "" {
				sub, _ := obj[outer].(map[string]any)
				if sub == nil {
					sub = map[string]any{}
					obj[outer] = sub
				}
				target, key = sub, inner
			}
		}
		target[key] = val
	}
	return obj
}

// parseMultipart reads a multipart/form-data body into an object of its parts' contents.
func parseMultipart(v any, contentType string) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil || params["boundary"] == "" {
		return v
	}
	r := multipart.NewReader(bytes.NewReader([]byte(s)), params["boundary"])
	obj := map[string]any{}
	for range 1000 {
		part, err := r.NextPart()
		if err != nil {
			break
		}
		data, _ := io.ReadAll(io.LimitReader(part, 1<<20))
		obj[part.FormName()] = string(data)
	}
	return obj
}

// checkResponse checks the response status, content type, headers and body.
func (c *check) checkResponse() {
	it := c.it
	resp, key, viaDefault := c.responseFor()
	if resp == nil {
		declared := c.op.responseKeys
		c.add(CodeStatusUnknown, fmt.Sprintf("Response status code not defined in spec file: %d (declared: %s)", it.status, strings.Join(declared, ", ")),
			c.loc(".response.status"), it.status, c.op.loc+".responses", declared)
		return
	}
	if viaDefault {
		c.add(CodeStatusDefault, fmt.Sprintf("Response status code matched default response in spec file: %d", it.status),
			c.loc(".response.status"), it.status, c.op.loc+".responses", nil)
	}
	available := resp.types
	ct, hasCT := it.resHdr.get("content-type")
	ctType, _, _ := strings.Cut(ct, ";")
	ctIncompatible := false
	switch {
	case hasCT && ctType != "" && len(available) == 0:
		c.add(CodeResponseCTUnknown, "Response Content-Type header is defined but the spec does not specify any mime-types to produce",
			c.loc(".response.headers.content-type"), ct, c.op.loc, nil)
	case hasCT && ctType != "" && findMatchingType(ctType, available) == "":
		c.add(CodeResponseCTIncompatible, fmt.Sprintf("Response Content-Type header %q is incompatible with the mime-types the spec defines to produce (%s)",
			ct, strings.Join(available, ", ")), c.loc(".response.headers.content-type"), ct, c.op.loc+".responses."+key+".content", available)
		ctIncompatible = true
	}
	c.checkResponseHeaders(resp, key)
	if !ctIncompatible {
		c.checkResponseBody(resp, key, ctType)
	}
}

func (c *check) checkResponseHeaders(resp *response, key string) {
	h := c.it.resHdr
	for _, name := range resp.headers {
		hr := resp.Headers[name]
		value, ok := h.get(name)
		if !ok || hr == nil || hr.Value == nil {
			continue
		}
		ref, schemaLoc := paramSchema(&hr.Value.Parameter)
		if ref == nil {
			continue
		}
		v := c.newValidator(dirParam)
		tol := c.it.rules.headerTolerance(name)
		if tol.typeOnly && !c.profile.IgnoreMatchers {
			// A header matched by regex or type: the consumer accepts any value so matched.
			// Only a type the header can never have is a problem.
			if tol.regex != "" && ref.Value != nil && len(ref.Value.Enum) > 0 {
				v.checkEnumRegex(ref.Value, &specPath{seg: c.op.loc + ".responses." + key + ".headers." + name + schemaLoc}, value, &v.root, tol.regex)
			}
		} else {
			var val any = value
			if typ := onlyType(ref); typ != "string" {
				val = splitParam(value, typ, ",")
			}
			v.check(ref, val, c.op.loc, "responses", key, "headers", name+schemaLoc)
		}
		c.reportSchemaErrors(v, CodeResponseHeaderIncompat, SeverityError,
			"Value is incompatible with the parameter defined in the spec file: ", c.mockLoc(".response.headers."+name), fmt.Sprintf("header %q", name))
	}
	for _, name := range h.order {
		if resp.declared[name] {
			continue
		}
		value := h.values[name]
		written := h.names[name]
		if standardResponseHeaders[name] {
			c.add(CodeResponseHeaderUndefined, fmt.Sprintf("Standard http response header is not defined in the spec file: %s", written),
				c.loc(".response.headers."+written), value, c.op.loc, nil)
			continue
		}
		c.add(CodeResponseHeaderUnknown, fmt.Sprintf("Response header is not defined in the spec file: %s", written),
			c.loc(".response.headers."+written), value, c.op.loc+".responses."+key+".headers", nil)
	}
}

// checkResponseBody picks the schema by the response's Content-Type (the reference picks it
// by the request's Accept, which chooses the wrong schema when the two differ), else by
// Accept, else application/json, else the first media type.
func (c *check) checkResponseBody(resp *response, key, ctType string) {
	b := c.it.resBody
	available := resp.types
	mediaType := ""
	if ctType != "" {
		mediaType = findMatchingType(ctType, available)
	}
	if mediaType == "" {
		accept, _ := c.it.reqHdr.get("accept")
		if accept == "" {
			accept = defaultMediaType
		}
		mediaType = findMatchingType(accept, available)
	}
	if mediaType == "" && len(available) > 0 {
		mediaType = available[0]
	}
	kindType := mediaType
	if kindType == "" || strings.Contains(kindType, "*") {
		kindType = ctType
		if kindType == "" {
			kindType = defaultMediaType
		}
	}
	if kindOf(kindType, false) == bodyOther {
		if b.present {
			c.add(CodeResponseBodyUnvalidat, fmt.Sprintf("Body with content type '%s' is not supported by the spec comparator", kindType),
				c.loc(".response.body"), b.value, c.op.loc+".responses."+key+".content", nil)
		}
		return
	}
	if !b.present {
		return
	}
	var schema *openapi3.SchemaRef
	if mediaType != "" && resp.Content[mediaType] != nil {
		schema = resp.Content[mediaType].Schema
	}
	if schema == nil {
		c.add(CodeResponseBodyUnknown, "No matching schema found for response body: the provider does not say it sends one",
			c.loc(".response.body"), b.value, c.op.loc+".responses."+key+".content", nil)
		return
	}
	v := c.newValidator(dirResponse)
	v.rules = c.it.rules
	v.check(schema, b.value, c.op.loc, "responses", key, "content", mediaType, "schema")
	c.reportSchemaErrors(v, CodeResponseBodyIncompatible, SeverityError,
		"Response body is incompatible with the response body schema in the spec file: ", c.mockLoc(".response.body"), "")
	if v.exhausted {
		c.add(CodeResponseBodyUnvalidat, "Response body is too large or too deeply nested to validate completely", c.loc(".response.body"), nil,
			c.op.loc+".responses."+key+".content."+mediaType+".schema", nil)
	}
}
