package openapi

import (
	"encoding/json"
	"math"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"
)

// schemaInfo is what validation reads first of a schema, gathered once per schema when the
// document is compiled: the types it allows as a set, and which groups of keywords it uses,
// so that a value is checked against those only. The schema stays the authority on the
// keywords' values.
type schemaInfo struct {
	types    typeSet // the types the schema allows; 0 for any
	anyTypes bool    // types names one Treaty does not know: checkType reads the names
	enum     bool    // enum or const
	str      bool    // a string keyword: minLength, maxLength, pattern, format
	num      bool    // a number keyword: minimum, maximum, exclusive bounds, multipleOf, format
	compose  bool    // allOf, oneOf, anyOf, not or if
	pattern  *pattern
	view     atomic.Pointer[objectView] // the merged object view, built on first use
	// The infos of the schemas validation goes on to most: items and allOf's parts (nil
	// when the schema has none, or for a schema the document's walk did not reach).
	items *schemaInfo
	allOf []*schemaInfo
}

// typeSet is a set of JSON Schema types.
type typeSet uint8

const (
	typeNull typeSet = 1 << iota
	typeBoolean
	typeObject
	typeArray
	typeNumber
	typeString
	typeInteger
)

var typeNames = map[string]typeSet{
	"null": typeNull, "boolean": typeBoolean, "object": typeObject, "array": typeArray,
	"number": typeNumber, "string": typeString, "integer": typeInteger,
}

func newSchemaInfo(s *openapi3.Schema, patterns map[string]*pattern) *schemaInfo {
	si := &schemaInfo{
		enum:    len(s.Enum) > 0 || s.Const != nil,
		str:     s.MinLength > 0 || s.MaxLength != nil || s.Pattern != "" || s.Format != "",
		num:     s.Min != nil || s.Max != nil || s.ExclusiveMin.Value != nil || s.ExclusiveMax.Value != nil || s.MultipleOf != nil || s.Format != "",
		compose: len(s.AllOf) > 0 || len(s.OneOf) > 0 || len(s.AnyOf) > 0 || s.Not != nil || s.If != nil,
	}
	for _, t := range types(s) {
		bit, known := typeNames[t]
		if !known {
			si.anyTypes = true
		}
		si.types |= bit
	}
	if s.Pattern != "" {
		re, known := patterns[s.Pattern]
		if !known {
			re = cachedPattern(s.Pattern)
		}
		si.pattern = re
	}
	return si
}

// linkInfos points each schemaInfo at its items' and allOf parts' infos.
func (ix *index) linkInfos() {
	for s, si := range ix.infos {
		if s.Items != nil && s.Items.Value != nil {
			si.items = ix.infos[s.Items.Value]
		}
		if len(s.AllOf) > 0 {
			si.allOf = make([]*schemaInfo, len(s.AllOf))
			for i, part := range s.AllOf {
				if part != nil && part.Value != nil {
					si.allOf[i] = ix.infos[part.Value]
				}
			}
		}
	}
}

// info returns the schema's schemaInfo: the compiled document's, or, for a schema the
// document's walk did not reach, one made now.
func (ix *index) info(s *openapi3.Schema) *schemaInfo {
	if si := ix.infos[s]; si != nil {
		return si
	}
	return newSchemaInfo(s, ix.patterns)
}

// allows reports whether the types admit val, as typeAllows(types, jsonType(val)) does. A
// number is read only when the schema admits integers but not numbers: a json.Number comes
// from a JSON parser, so it always reads as a number.
func (t typeSet) allows(val any) bool {
	switch x := val.(type) {
	case nil:
		return t&typeNull != 0
	case bool:
		return t&typeBoolean != 0
	case string:
		return t&typeString != 0
	case []any:
		return t&typeArray != 0
	case map[string]any:
		return t&typeObject != 0
	case json.Number:
		if t&typeNumber != 0 {
			return true
		}
		if t&typeInteger == 0 {
			return false
		}
		f, ok := number(x)
		return ok && f == math.Trunc(f) && !math.IsInf(f, 0)
	}
	if f, ok := number(val); ok {
		if t&typeNumber != 0 {
			return true
		}
		return t&typeInteger != 0 && f == math.Trunc(f) && !math.IsInf(f, 0)
	}
	return false
}
