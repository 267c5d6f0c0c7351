package openapi

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// index is what comparisons need from a document, built once per document: the router,
// each operation with its parameters merged, security schemes, server path prefixes, and
// per-schema facts (schemaInfo, compiled patterns, implicit discriminators). Comparisons
// only read it, but for the merged object views, which schemaInfo builds on first use.
type index struct {
	router   router
	servers  []string // path prefixes of the document's servers, longest first
	schemes  map[string]*openapi3.SecurityScheme
	patterns map[string]*pattern // nil value: a pattern Go cannot evaluate
	// children maps a schema with a discriminator but no oneOf/anyOf to the schemas that
	// extend it through allOf, by discriminator value: implicit polymorphism.
	children map[*openapi3.Schema]map[string]*openapi3.SchemaRef
	// refName maps a component schema to its reference, for locations and mappings.
	refName  map[*openapi3.Schema]string
	infos    map[*openapi3.Schema]*schemaInfo // every schema the document's walk reaches
	is31     bool
	warnings []string
}

// operation is one method of one path of the document, with what comparisons read of it
// gathered once: they run for every interaction of every pact compared with the document.
type operation struct {
	method   string // upper case, as routed
	lower    string // lower case, as findings name it
	path     string // the template, as in the document
	loc      string // "[root].paths./x.get"
	op       *openapi3.Operation
	params   []param
	security openapi3.SecurityRequirements // the operation's, else the document's

	requestTypes  []string             // the request body's media types, in mediaTypes order
	responses     map[string]*response // by the document's key ("200", "2XX", "default"), those with a value
	responseKeys  []string             // every key, sorted, for messages
	responseTypes []string             // every response's media types, by key
	headerParams  map[string]bool      // lower-cased names of the header parameters
	apiKeyHeaders map[string]bool      // lower-cased names of apiKey headers the security accepts
	apiKeyQuery   map[string]bool      // names of apiKey query parameters the security accepts
}

// response is one response of an operation.
type response struct {
	*openapi3.Response
	types    []string        // media types, in mediaTypes order
	headers  []string        // declared header names, sorted
	declared map[string]bool // lower-cased declared header names, content-type included
}

// param is a parameter of an operation, with where it was declared.
type param struct {
	*openapi3.Parameter
	loc       string // "[root].paths./x.get.parameters[0]" or "[root].paths./x.parameters[1]"
	schema    *openapi3.SchemaRef
	schemaLoc string // "schema" or "content.<media type>.schema", below loc
	typ       string // the schema's type when it names one: onlyType
	style     string // lower-cased
	lower     string // the name, lower-cased
	clean     string // the name as a path template writes it: cleanParamName
}

var routedMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"}

// compiled returns the document's index, building it on first use.
func (d *Document) compiled() *index {
	d.once.Do(func() { d.index = buildIndex(d.spec) })
	return d.index
}

func buildIndex(spec *openapi3.T) *index {
	ix := &index{
		schemes:  map[string]*openapi3.SecurityScheme{},
		patterns: map[string]*pattern{},
		children: map[*openapi3.Schema]map[string]*openapi3.SchemaRef{},
		refName:  map[*openapi3.Schema]string{},
		infos:    map[*openapi3.Schema]*schemaInfo{},
		is31:     spec.IsOpenAPI31OrLater(),
	}
	if spec.Components != nil {
		for name, s := range spec.Components.SecuritySchemes {
			if s != nil && s.Value != nil {
				ix.schemes[name] = s.Value
			}
		}
		for name, s := range spec.Components.Schemas {
			if s != nil && s.Value != nil {
				ix.refName[s.Value] = "#/components/schemas/" + name
			}
		}
	}
	ix.servers = serverPrefixes(spec.Servers)

	paths := spec.Paths.Map()
	templates := make([]string, 0, len(paths))
	for p := range paths {
		templates = append(templates, p)
	}
	sort.Strings(templates)
	for _, tmpl := range templates {
		item := paths[tmpl]
		if item == nil {
			continue
		}
		for _, method := range routedMethods {
			op := item.GetOperation(method)
			if op == nil {
				continue
			}
			lower := strings.ToLower(method)
			o := &operation{
				method: method,
				lower:  lower,
				path:   tmpl,
				loc:    "[root].paths." + tmpl + "." + lower,
				op:     op,
				params: mergeParams(tmpl, lower, item.Parameters, op.Parameters),
			}
			o.security = spec.Security
			if op.Security != nil {
				o.security = *op.Security
			}
			for _, req := range o.security {
				for name := range req {
					if ix.schemes[name] == nil {
						ix.warnings = append(ix.warnings, fmt.Sprintf(
							"%s requires the security scheme %q, which components.securitySchemes does not define; it is ignored", o.loc, name))
					}
				}
			}
			ix.gather(o)
			ix.router.add(tmpl, o)
		}
	}
	ix.walkSchemas(spec)
	sort.Strings(ix.warnings)
	ix.warnings = compactStrings(ix.warnings)
	return ix
}

// gather collects what comparisons read of an operation: media types, responses by key,
// the names of header parameters and of apiKey credentials.
func (ix *index) gather(o *operation) {
	op := o.op
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		o.requestTypes = mediaTypes(op.RequestBody.Value.Content)
	}
	o.responses = map[string]*response{}
	if op.Responses != nil {
		o.responseKeys = sortedKeys(op.Responses.Map())
		for _, k := range o.responseKeys {
			r := op.Responses.Value(k)
			if r == nil || r.Value == nil {
				continue
			}
			resp := &response{Response: r.Value, types: mediaTypes(r.Value.Content), headers: sortedKeys(r.Value.Headers),
				declared: map[string]bool{"content-type": true}}
			for _, name := range resp.headers {
				resp.declared[strings.ToLower(name)] = true
			}
			o.responses[k] = resp
			o.responseTypes = append(o.responseTypes, resp.types...)
		}
	}
	o.headerParams = map[string]bool{}
	for _, p := range o.params {
		if p.In == "header" {
			o.headerParams[p.lower] = true
		}
	}
	o.apiKeyHeaders, o.apiKeyQuery = map[string]bool{}, map[string]bool{}
	for _, req := range o.security {
		for name := range req {
			s := ix.schemes[name]
			if s == nil || !strings.EqualFold(s.Type, "apiKey") {
				continue
			}
			switch {
			case strings.EqualFold(s.In, "header"):
				o.apiKeyHeaders[strings.ToLower(s.Name)] = true
			case strings.EqualFold(s.In, "query"):
				o.apiKeyQuery[s.Name] = true
			}
		}
	}
}

// mergeParams lists an operation's parameters, then the path item's that the operation does
// not override (same name and location).
func mergeParams(tmpl, method string, itemParams, opParams openapi3.Parameters) []param {
	var out []param
	seen := map[string]bool{}
	for i, p := range opParams {
		if p == nil || p.Value == nil {
			continue
		}
		seen[p.Value.In+"\x00"+p.Value.Name] = true
		out = append(out, newParam(p.Value, fmt.Sprintf("[root].paths.%s.%s.parameters[%d]", tmpl, method, i)))
	}
	for i, p := range itemParams {
		if p == nil || p.Value == nil || seen[p.Value.In+"\x00"+p.Value.Name] {
			continue
		}
		out = append(out, newParam(p.Value, fmt.Sprintf("[root].paths.%s.parameters[%d]", tmpl, i)))
	}
	return out
}

func newParam(p *openapi3.Parameter, loc string) param {
	schema, schemaLoc := paramSchema(p)
	return param{Parameter: p, loc: loc, schema: schema, schemaLoc: strings.TrimPrefix(schemaLoc, "."), typ: onlyType(schema),
		style: strings.ToLower(p.Style), lower: strings.ToLower(p.Name), clean: cleanParamName(p.Name)}
}

// serverPrefixes returns the path part of each server URL, with variables replaced by their
// defaults, longest first; "/" and empty paths are left out (they prefix nothing).
func serverPrefixes(servers openapi3.Servers) []string {
	var out []string
	for _, s := range servers {
		if s == nil {
			continue
		}
		raw := s.URL
		for name, v := range s.Variables {
			if v != nil {
				raw = strings.ReplaceAll(raw, "{"+name+"}", v.Default)
			}
		}
		u, err := url.Parse(raw)
		if err != nil {
			continue
		}
		p := strings.TrimRight(u.Path, "/")
		if p != "" && !strings.Contains(p, "{") {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) {
			return len(out[i]) > len(out[j])
		}
		return out[i] < out[j]
	})
	return compactStrings(out)
}

func compactStrings(s []string) []string {
	if len(s) < 2 {
		return s
	}
	out := s[:1]
	for _, v := range s[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

// walkSchemas visits every schema of the document once (cycles included) to compile its
// patterns, gather its schemaInfo and find implicit discriminators.
func (ix *index) walkSchemas(spec *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var visit func(r *openapi3.SchemaRef)
	visitAll := func(rs openapi3.SchemaRefs) {
		for _, r := range rs {
			visit(r)
		}
	}
	visitMap := func(m openapi3.Schemas) {
		for _, r := range m {
			visit(r)
		}
	}
	visit = func(r *openapi3.SchemaRef) {
		if r == nil || r.Value == nil || seen[r.Value] {
			return
		}
		s := r.Value
		seen[s] = true
		if s.Pattern != "" {
			ix.compilePattern(s.Pattern)
		}
		for p := range s.PatternProperties {
			ix.compilePattern(p)
		}
		ix.infos[s] = newSchemaInfo(s, ix.patterns)
		visitAll(s.OneOf)
		visitAll(s.AnyOf)
		visitAll(s.AllOf)
		visitAll(s.PrefixItems)
		visitMap(s.Properties)
		visitMap(s.PatternProperties)
		visitMap(s.DependentSchemas)
		visitMap(s.Defs)
		for _, x := range []*openapi3.SchemaRef{s.Not, s.Items, s.AdditionalProperties.Schema, s.Contains,
			s.PropertyNames, s.UnevaluatedItems.Schema, s.UnevaluatedProperties.Schema, s.If, s.Then, s.Else, s.ContentSchema} {
			visit(x)
		}
	}
	visitContent := func(c openapi3.Content) {
		for _, mt := range c {
			if mt != nil {
				visit(mt.Schema)
			}
		}
	}
	if spec.Components != nil {
		names := make([]string, 0, len(spec.Components.Schemas))
		for name := range spec.Components.Schemas {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			visit(spec.Components.Schemas[name])
		}
		ix.findImplicitDiscriminators(spec.Components.Schemas, names)
	}
	for _, item := range spec.Paths.Map() {
		if item == nil {
			continue
		}
		for _, op := range item.Operations() {
			for _, p := range append(append(openapi3.Parameters{}, item.Parameters...), op.Parameters...) {
				if p != nil && p.Value != nil {
					visit(p.Value.Schema)
					visitContent(p.Value.Content)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				visitContent(op.RequestBody.Value.Content)
			}
			if op.Responses != nil {
				for _, resp := range op.Responses.Map() {
					if resp == nil || resp.Value == nil {
						continue
					}
					visitContent(resp.Value.Content)
					for _, h := range resp.Value.Headers {
						if h != nil && h.Value != nil {
							visit(h.Value.Schema)
						}
					}
				}
			}
		}
	}
	ix.linkInfos()
}

// compilePattern compiles an ECMA-262 pattern as far as Go's RE2 syntax allows. One that
// does not compile (a look-ahead, a back-reference) is not evaluated, and the document gets
// a warning saying so.
func (ix *index) compilePattern(p string) {
	if _, done := ix.patterns[p]; done {
		return
	}
	re, err := newPattern(p)
	if err != nil {
		ix.warnings = append(ix.warnings, fmt.Sprintf("pattern %q cannot be evaluated (%v); values are not checked against it", p, err))
	}
	ix.patterns[p] = re
}

// findImplicitDiscriminators finds, for each component schema with a discriminator and no
// oneOf/anyOf (a base type), the components that extend it with allOf, keyed by the value of
// the discriminator that selects them: the component's name, and the mapping's keys.
func (ix *index) findImplicitDiscriminators(schemas openapi3.Schemas, names []string) {
	for _, base := range names {
		b := schemas[base]
		if b == nil || b.Value == nil || b.Value.Discriminator == nil || len(b.Value.OneOf) > 0 || len(b.Value.AnyOf) > 0 {
			continue
		}
		baseRef := "#/components/schemas/" + base
		byValue := map[string]*openapi3.SchemaRef{}
		for _, name := range names {
			c := schemas[name]
			if c == nil || c.Value == nil {
				continue
			}
			for _, part := range c.Value.AllOf {
				if part != nil && part.Ref == baseRef {
					byValue[name] = &openapi3.SchemaRef{Ref: "#/components/schemas/" + name, Value: c.Value}
				}
			}
		}
		for value, m := range b.Value.Discriminator.Mapping {
			target := m.Ref
			if !strings.HasPrefix(target, "#") {
				target = "#/components/schemas/" + target
			}
			name := strings.TrimPrefix(target, "#/components/schemas/")
			if c := schemas[name]; c != nil && c.Value != nil {
				byValue[value] = &openapi3.SchemaRef{Ref: "#/components/schemas/" + name, Value: c.Value}
			}
		}
		if len(byValue) > 0 {
			ix.children[b.Value] = byValue
		}
	}
}
