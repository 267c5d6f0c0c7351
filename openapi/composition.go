package openapi

import (
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

func itoa(i int) string { return strconv.Itoa(i) }

// checkComposition checks allOf, oneOf, anyOf, not and if/then/else.
func (v *validator) checkComposition(s *openapi3.Schema, si *schemaInfo, sp *specPath, val any, ip *instPath, fr frame) {
	_, isObj := val.(map[string]any)
	for i, part := range s.AllOf {
		var info *schemaInfo
		if i < len(si.allOf) {
			info = si.allOf[i]
		}
		// The parts' object keywords were checked on the merged view (see object.go).
		v.validateWith(part, info, v.child(v.child(sp, "allOf"), itoa(i)), val, ip, frame{merged: isObj, known: fr.known})
	}
	if len(s.OneOf) > 0 {
		v.checkAlternatives(s, sp, "oneOf", s.OneOf, val, ip, fr)
	}
	if len(s.AnyOf) > 0 {
		v.checkAlternatives(s, sp, "anyOf", s.AnyOf, val, ip, fr)
	}
	if s.Not != nil && v.try(s.Not, v.child(sp, "not"), val, ip, frame{}) {
		v.fail(ip, sp, "not", nil, val, "the value {at} must not match the schema of not")
	}
	if s.If != nil {
		if v.try(s.If, v.child(sp, "if"), val, ip, frame{}) {
			v.validate(s.Then, v.child(sp, "then"), val, ip, frame{})
		} else {
			v.validate(s.Else, v.child(sp, "else"), val, ip, frame{})
		}
	}
}

// checkAlternatives checks oneOf or anyOf. With a discriminator the value's tag picks the
// branch. Otherwise a request must match exactly one branch of a oneOf; a response, which
// may be a subset of what the provider sends, must match at least one: a subset that two
// branches share is something the provider can send (the reference demands exactly one,
// and so fails consumers that read only the fields common to the branches).
func (v *validator) checkAlternatives(s *openapi3.Schema, sp *specPath, keyword string, branches openapi3.SchemaRefs, val any, ip *instPath, fr frame) {
	ksp := v.child(sp, keyword)
	if d := s.Discriminator; d != nil && d.PropertyName != "" {
		if obj, ok := val.(map[string]any); ok {
			tag, has := obj[d.PropertyName]
			tagStr, isStr := tag.(string)
			if has && isStr {
				if i := discriminated(d, branches, tagStr); i >= 0 {
					v.validate(branches[i], v.child(ksp, itoa(i)), val, ip, frame{known: fr.known})
					return
				}
				v.fail(v.field(ip, d.PropertyName), sp, "discriminator", tagStr, tag,
					"discriminator %q {at} is %q, which selects none of the schemas of %s", d.PropertyName, tagStr, keyword)
				return
			}
			if !has && v.dir != dirResponse {
				v.fail(ip, sp, "discriminator", d.PropertyName, nil, "missing discriminator property %q {at}", d.PropertyName)
				return
			}
		}
	}
	var matched []int
	var failures [][]vErr
	for i, b := range branches {
		errs, ok := v.attempt(b, v.child(ksp, itoa(i)), val, ip, frame{known: fr.known})
		if ok {
			matched = append(matched, i)
		}
		failures = append(failures, errs)
	}
	switch {
	case len(matched) == 0:
		// Report the branch that came closest, if one clearly did: its own errors say more
		// than "matches none".
		if best := closest(failures, ip); best >= 0 {
			v.errs = append(v.errs, failures[best]...)
			return
		}
		v.fail(ip, sp, keyword, nil, val, "expected the value {at} to match one of the %d schemas of %s, it matches none", len(branches), keyword)
	case len(matched) > 1 && keyword == "oneOf" && v.dir != dirResponse:
		idx := make([]string, len(matched))
		for i, m := range matched {
			idx[i] = "#" + itoa(m)
		}
		v.fail(ip, sp, keyword, nil, val, "expected the value {at} to match exactly one schema of oneOf, it matches %d (%s)", len(matched), strings.Join(idx, ", "))
	}
}

// discriminated finds the branch a discriminator value selects: through the mapping, else
// the branch whose reference ends with the value (the component's name).
func discriminated(d *openapi3.Discriminator, branches openapi3.SchemaRefs, tag string) int {
	target := ""
	if m, ok := d.Mapping[tag]; ok {
		target = m.Ref
		if !strings.Contains(target, "/") {
			target = "#/components/schemas/" + target
		}
	}
	for i, b := range branches {
		if b == nil {
			continue
		}
		if target != "" && b.Ref == target || target == "" && strings.HasSuffix(b.Ref, "/"+tag) {
			return i
		}
	}
	return -1
}

// closest picks the one failed branch whose errors are all below the value itself (the
// value had the right type and shape, a detail failed), when exactly one branch is such.
func closest(failures [][]vErr, ip *instPath) int {
	best := -1
	for i, errs := range failures {
		deep := len(errs) > 0
		for _, e := range errs {
			// Every error of a branch is at ip or below it: the depth tells which.
			if e.depth == ip.depth && e.keyword == "type" || e.depth == ip.depth+1 && e.keyword == "additionalProperties" {
				deep = false
			}
		}
		if deep {
			if best >= 0 {
				return -1
			}
			best = i
		}
	}
	return best
}
