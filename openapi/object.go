package openapi

import (
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// objectView is an object schema with its allOf parts merged: OpenAPI means allOf as "all
// of these properties", and checking each part as a closed object on its own would reject
// every property the other parts declare (the reference's most reported false positive).
type objectView struct {
	props      map[string][]propDecl
	patterns   []propDecl // keyed by pattern in name
	additional []propDecl // schema-valued additionalProperties
	required   []propDecl // name: the required property
	closed     *specPath  // where the object is closed (nil: open)
	isObject   bool       // some part says type: object
	nullable   bool
	explicitly bool // some part says additionalProperties: true
	maxProps   *uint64
	minProps   uint64
	propNames  []propDecl
	depReq     map[string][]string
	depSchemas []propDecl
	names      map[string]bool // the keys of props, shared: never modified
}

type propDecl struct {
	name   string
	schema *openapi3.SchemaRef
	sp     *specPath
	info   *schemaInfo // the schema's, for a property (nil: looked up)
}

// view merges s and its allOf parts (through references, cycles cut). Views are built once
// per schema and kept in the index: a schema object sits at one place in the document, so
// its locations are the same however it is reached.
func (v *validator) view(s *openapi3.Schema, si *schemaInfo, sp *specPath) *objectView {
	if ov := si.view.Load(); ov != nil {
		return ov
	}
	si.view.CompareAndSwap(nil, v.ix.buildView(s, sp))
	return si.view.Load()
}

func (ix *index) buildView(s *openapi3.Schema, sp *specPath) *objectView {
	sp = sp.clone() // the view keeps it
	ov := &objectView{props: map[string][]propDecl{}}
	seen := map[*openapi3.Schema]bool{}
	var add func(s *openapi3.Schema, sp *specPath)
	add = func(s *openapi3.Schema, sp *specPath) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		if s.Type != nil && s.Type.Includes("object") {
			ov.isObject = true
		}
		ov.nullable = ov.nullable || s.Nullable || s.Type != nil && s.Type.Includes("null")
		for _, name := range sortedKeys(s.Properties) {
			p := s.Properties[name]
			var info *schemaInfo
			if p != nil && p.Value != nil {
				info = ix.info(p.Value)
			}
			ov.props[name] = append(ov.props[name], propDecl{name, p, sp.child("properties").child(name), info})
		}
		for _, p := range sortedKeys(s.PatternProperties) {
			ov.patterns = append(ov.patterns, propDecl{p, s.PatternProperties[p], sp.child("patternProperties").child(p), nil})
		}
		ap := s.AdditionalProperties
		switch {
		case ap.Schema != nil:
			ov.additional = append(ov.additional, propDecl{"", ap.Schema, sp.child("additionalProperties"), nil})
		case ap.Has != nil && !*ap.Has:
			if ov.closed == nil {
				ov.closed = sp.child("additionalProperties")
			}
		case ap.Has != nil && *ap.Has:
			ov.explicitly = true
		}
		if u := s.UnevaluatedProperties; u.Has != nil && !*u.Has && ov.closed == nil {
			ov.closed = sp.child("unevaluatedProperties")
		}
		for _, r := range s.Required {
			ov.required = append(ov.required, propDecl{r, nil, sp.child("required"), nil})
		}
		if s.MaxProps != nil && (ov.maxProps == nil || *s.MaxProps < *ov.maxProps) {
			ov.maxProps = s.MaxProps
		}
		ov.minProps = max(ov.minProps, s.MinProps)
		if s.PropertyNames != nil {
			ov.propNames = append(ov.propNames, propDecl{"", s.PropertyNames, sp.child("propertyNames"), nil})
		}
		for k, deps := range s.DependentRequired {
			if ov.depReq == nil {
				ov.depReq = map[string][]string{}
			}
			ov.depReq[k] = append(ov.depReq[k], deps...)
		}
		for _, k := range sortedKeys(s.DependentSchemas) {
			ov.depSchemas = append(ov.depSchemas, propDecl{k, s.DependentSchemas[k], sp.child("dependentSchemas").child(k), nil})
		}
		for i, part := range s.AllOf {
			if part == nil || part.Value == nil {
				continue
			}
			psp := sp.child("allOf").child(itoa(i))
			if part.Ref != "" && strings.HasPrefix(part.Ref, "#/") {
				psp = refRoot(part.Ref)
			}
			add(part.Value, psp)
		}
	}
	add(s, sp)
	ov.names = make(map[string]bool, len(ov.props))
	for k := range ov.props {
		ov.names[k] = true
	}
	return ov
}

// checkObject checks an object's properties against the merged view of s. known holds
// property names declared around s (next to the oneOf s is a branch of); it returns the
// names a nested oneOf/anyOf of s must treat as known.
func (v *validator) checkObject(s *openapi3.Schema, si *schemaInfo, sp *specPath, obj map[string]any, ip *instPath, tol tolerance, known map[string]bool) map[string]bool {
	ov := v.view(s, si, sp)
	composed := len(s.OneOf) > 0 || len(s.AnyOf) > 0
	closedAt := ov.closed
	// A response object the provider describes is closed to properties it does not declare,
	// unless it is a map (additionalProperties is a schema) or branches of a oneOf/anyOf
	// describe it.
	if closedAt == nil && v.dir == dirResponse && ov.isObject && !composed && len(ov.additional) == 0 &&
		!(ov.explicitly && v.profile.HonourAdditionalPropertiesTrue) &&
		!(ov.nullable && v.profile.NoTransformNonNullableResponseSchema) {
		closedAt = v.child(sp, "additionalProperties")
	}
	if tol.keysFree {
		closedAt = nil
	}

	// Map order is fine: findings are sorted at the end.
	for name, val := range obj {
		cip := v.field(ip, name)
		decls := ov.props[name]
		for _, d := range decls {
			if d.schema == nil || d.schema.Value == nil {
				continue
			}
			switch {
			case v.dir == dirRequest && d.schema.Value.ReadOnly:
				v.fail(cip, d.sp, "readOnly", true, val, "property %q {at} is read-only: the provider sets it, a request must not send it", name)
			case v.dir == dirResponse && d.schema.Value.WriteOnly:
				v.fail(cip, d.sp, "writeOnly", true, val, "property %q {at} is write-only: the provider never sends it", name)
			}
			v.validateWith(d.schema, d.info, d.sp, val, cip, frame{})
		}
		matched := len(decls) > 0
		for _, p := range ov.patterns {
			re, ok := v.ix.patterns[p.name]
			if !ok {
				re = cachedPattern(p.name)
			}
			if re != nil && re.MatchString(name) {
				matched = true
				v.validate(p.schema, p.sp, val, cip, frame{})
			}
		}
		for _, pn := range ov.propNames {
			v.validate(pn.schema, pn.sp, name, cip, frame{})
		}
		if matched || known[name] {
			continue
		}
		for _, a := range ov.additional {
			v.validate(a.schema, a.sp, val, cip, frame{})
		}
		if len(ov.additional) == 0 && closedAt != nil {
			if v.dir == dirResponse {
				v.failAt(cip, closedAt, false, val, "unexpected property %q {at}: the provider does not declare it", name)
			} else {
				v.failAt(cip, closedAt, false, val, "property %q {at} is not allowed: the schema declares no such property", name)
			}
		}
	}

	// A response may leave out what the provider sends: only requests must be complete.
	if v.dir != dirResponse && !tol.typeOnly {
		for _, r := range ov.required {
			if _, ok := obj[r.name]; ok {
				continue
			}
			if v.readOnly(ov.props[r.name]) {
				continue // the provider sets it; a request does not send it
			}
			v.fail(ip, r.sp.parent, "required", r.name, nil, "missing required property %q {at}", r.name)
		}
		if ov.minProps > 0 && uint64(len(obj)) < ov.minProps {
			v.fail(ip, sp, "minProperties", ov.minProps, obj, "expected at least %d properties {at}, got %d", ov.minProps, len(obj))
		}
		for _, k := range sortedKeys(ov.depReq) {
			if _, ok := obj[k]; !ok {
				continue
			}
			for _, dep := range ov.depReq[k] {
				if _, ok := obj[dep]; !ok {
					v.fail(ip, sp, "dependentRequired", ov.depReq[k], obj, "property %q {at} requires property %q", k, dep)
				}
			}
		}
	}
	if ov.maxProps != nil && uint64(len(obj)) > *ov.maxProps && !tol.typeOnly {
		v.fail(ip, sp, "maxProperties", *ov.maxProps, obj, "expected at most %d properties {at}, got %d", *ov.maxProps, len(obj))
	}
	for _, d := range ov.depSchemas {
		if _, ok := obj[d.name]; ok {
			v.validate(d.schema, d.sp, obj, ip, frame{merged: true})
		}
	}

	if !composed && len(s.AllOf) == 0 {
		return known
	}
	if len(known) == 0 {
		return ov.names
	}
	names := make(map[string]bool, len(known)+len(ov.props))
	for k := range known {
		names[k] = true
	}
	for k := range ov.props {
		names[k] = true
	}
	return names
}

func (v *validator) readOnly(decls []propDecl) bool {
	for _, d := range decls {
		if d.schema != nil && d.schema.Value != nil && d.schema.Value.ReadOnly {
			return true
		}
	}
	return false
}
