package openapi

import (
	"math"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// decodeSpec builds kin-openapi's form of an OpenAPI 3 document from its parsed tree,
// exactly as json.Unmarshal of the tree's JSON into openapi3.T builds it, in one pass.
// kin-openapi's UnmarshalJSON methods read each object twice (once for the fields, once for
// the extensions) and read every object again for each level above it, so that loading a
// document costs many times parsing it.
//
// ok is false when the tree holds anything decodeSpec does not reproduce exactly: a $ref
// with siblings, null where a value of some type is expected, a key that differs from a
// field's name only in case, a value of the wrong type, a number that is not a float64.
// Load then lets kin-openapi read the document, errors and all. TestDecodeSpec and FuzzLoad
// hold the two to the same result.
func decodeSpec(tree map[string]any) (spec *openapi3.T, ok bool) {
	spec = &openapi3.T{}
	if !decodeStruct(reflect.ValueOf(spec).Elem(), tree) {
		return nil, false
	}
	return spec, true
}

var (
	typeSchemaRef      = reflect.TypeFor[openapi3.SchemaRef]()
	typeSchema         = reflect.TypeFor[openapi3.Schema]()
	typeTypes          = reflect.TypeFor[openapi3.Types]()
	typeBoolSchema     = reflect.TypeFor[openapi3.BoolSchema]()
	typeExclusiveBound = reflect.TypeFor[openapi3.ExclusiveBound]()
	typeMappingRef     = reflect.TypeFor[openapi3.MappingRef]()
	typeHeader         = reflect.TypeFor[openapi3.Header]()
	typePaths          = reflect.TypeFor[openapi3.Paths]()
	typeResponses      = reflect.TypeFor[openapi3.Responses]()
	typeCallback       = reflect.TypeFor[openapi3.Callback]()
	typeAny            = reflect.TypeFor[any]()
)

// refTypes are the types kin-openapi reads as "a $ref, or the value itself": each has
// exported Ref and Value fields, and UnmarshalJSON methods alike.
var refTypes = map[reflect.Type]bool{
	reflect.TypeFor[openapi3.SchemaRef]():         true,
	reflect.TypeFor[openapi3.ParameterRef]():      true,
	reflect.TypeFor[openapi3.HeaderRef]():         true,
	reflect.TypeFor[openapi3.RequestBodyRef]():    true,
	reflect.TypeFor[openapi3.ResponseRef]():       true,
	reflect.TypeFor[openapi3.SecuritySchemeRef](): true,
	reflect.TypeFor[openapi3.ExampleRef]():        true,
	reflect.TypeFor[openapi3.LinkRef]():           true,
	reflect.TypeFor[openapi3.CallbackRef]():       true,
}

// objectTypes are the types whose UnmarshalJSON reads the JSON fields by their tags, then
// keeps every other key in Extensions: the keys kin-openapi deletes from Extensions are
// exactly the tags' names.
var objectTypes = map[reflect.Type]bool{
	reflect.TypeFor[openapi3.T]():              true,
	reflect.TypeFor[openapi3.Components]():     true,
	reflect.TypeFor[openapi3.Contact]():        true,
	reflect.TypeFor[openapi3.Discriminator]():  true,
	reflect.TypeFor[openapi3.Encoding]():       true,
	reflect.TypeFor[openapi3.Example]():        true,
	reflect.TypeFor[openapi3.ExternalDocs]():   true,
	reflect.TypeFor[openapi3.Info]():           true,
	reflect.TypeFor[openapi3.License]():        true,
	reflect.TypeFor[openapi3.Link]():           true,
	reflect.TypeFor[openapi3.MediaType]():      true,
	reflect.TypeFor[openapi3.Operation]():      true,
	reflect.TypeFor[openapi3.Parameter]():      true,
	reflect.TypeFor[openapi3.PathItem]():       true,
	reflect.TypeFor[openapi3.RequestBody]():    true,
	reflect.TypeFor[openapi3.Response]():       true,
	reflect.TypeFor[openapi3.Schema]():         true,
	reflect.TypeFor[openapi3.SecurityScheme](): true,
	reflect.TypeFor[openapi3.OAuthFlows]():     true,
	reflect.TypeFor[openapi3.OAuthFlow]():      true,
	reflect.TypeFor[openapi3.Server]():         true,
	reflect.TypeFor[openapi3.ServerVariable](): true,
	reflect.TypeFor[openapi3.Tag]():            true,
	reflect.TypeFor[openapi3.XML]():            true,
}

// objectInfo is how decodeStruct reads one of objectTypes.
type objectInfo struct {
	fields     map[string]int  // JSON name → field index
	folded     map[string]bool // lower-cased JSON names: a key equal to one but for case is refused
	extensions int             // index of Extensions, or -1
}

var objectInfos sync.Map // reflect.Type → *objectInfo

func infoOf(t reflect.Type) *objectInfo {
	if oi, ok := objectInfos.Load(t); ok {
		return oi.(*objectInfo)
	}
	oi := &objectInfo{fields: map[string]int{}, folded: map[string]bool{}, extensions: -1}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Name == "Extensions" {
			oi.extensions = i
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		oi.fields[name] = i
		oi.folded[strings.ToLower(name)] = true
	}
	objectInfos.Store(t, oi)
	return oi
}

// decodeStruct reads an object into one of objectTypes.
func decodeStruct(dst reflect.Value, m map[string]any) bool {
	oi := infoOf(dst.Type())
	var ext map[string]any
	for k, v := range m {
		if i, ok := oi.fields[k]; ok {
			if !decode(dst.Field(i), v) {
				return false
			}
			continue
		}
		// encoding/json matches field names without regard to case, and kin-openapi keeps
		// such a key in Extensions too; this decoder does not go there.
		if !isASCII(k) || oi.folded[strings.ToLower(k)] {
			return false
		}
		if oi.extensions < 0 {
			continue
		}
		val, ok := plainValue(v)
		if !ok {
			return false
		}
		if ext == nil {
			ext = map[string]any{}
		}
		ext[k] = val
	}
	if ext != nil {
		dst.Field(oi.extensions).Set(reflect.ValueOf(ext))
	}
	return true
}

// decode reads v into dst, which is settable.
func decode(dst reflect.Value, v any) bool {
	t := dst.Type()
	if v == nil && t != typeAny {
		return false // null: encoding/json has rules of its own for it
	}
	switch t {
	case typeAny:
		val, ok := plainValue(v)
		if ok && val != nil {
			dst.Set(reflect.ValueOf(&val).Elem())
		}
		return ok
	case typeTypes:
		return decodeTypes(dst, v)
	case typeBoolSchema:
		return decodeBoolSchema(dst, v)
	case typeExclusiveBound:
		return decodeExclusiveBound(dst, v)
	case typeMappingRef:
		s, ok := v.(string)
		if ok {
			dst.Set(reflect.ValueOf(openapi3.MappingRef{Ref: s}))
		}
		return ok && utf8.ValidString(s)
	case typeHeader:
		m, ok := v.(map[string]any)
		return ok && decodeStruct(dst.Field(0), m) // Header is a Parameter
	}
	switch t.Kind() {
	case reflect.Pointer:
		return decodePointer(dst, v)
	case reflect.Struct:
		m, ok := v.(map[string]any)
		return ok && objectTypes[t] && decodeStruct(dst, m)
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok || t.Key().Kind() != reflect.String {
			return false
		}
		out := reflect.MakeMapWithSize(t, len(m))
		elem := reflect.New(t.Elem()).Elem()
		for k, e := range m {
			if !utf8.ValidString(k) {
				return false
			}
			elem.SetZero()
			if !decode(elem, e) {
				return false
			}
			out.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), elem)
		}
		dst.Set(out)
		return true
	case reflect.Slice:
		a, ok := v.([]any)
		if !ok {
			return false
		}
		out := reflect.MakeSlice(t, len(a), len(a))
		for i, e := range a {
			if !decode(out.Index(i), e) {
				return false
			}
		}
		dst.Set(out)
		return true
	case reflect.String:
		s, ok := v.(string)
		if ok {
			dst.SetString(s)
		}
		return ok && utf8.ValidString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if ok {
			dst.SetBool(b)
		}
		return ok
	case reflect.Float64:
		f, ok := float(v)
		if ok {
			dst.SetFloat(f)
		}
		return ok
	case reflect.Uint64:
		// The JSON of a float64 is read into a uint64 when it is a plain integer: not
		// negative (not even -0), and below 2^53 to stay clear of exponents and rounding.
		f, ok := float(v)
		if !ok || f < 0 || math.Signbit(f) || f >= 1<<53 || f != math.Trunc(f) {
			return false
		}
		dst.SetUint(uint64(f))
		return true
	}
	return false
}

func decodePointer(dst reflect.Value, v any) bool {
	t := dst.Type().Elem()
	switch {
	case refTypes[t]:
		return decodeRef(dst, v)
	case t == typeSchema:
		return decodeSchema(dst, v)
	case t == typePaths || t == typeResponses || t == typeCallback:
		return decodeMapLike(dst, v)
	}
	p := reflect.New(t)
	if !decode(p.Elem(), v) {
		return false
	}
	dst.Set(p)
	return true
}

// decodeRef reads a reference type: {"$ref": "..."} alone, or the value itself.
func decodeRef(dst reflect.Value, v any) bool {
	t := dst.Type().Elem()
	r := reflect.New(t)
	if m, isObj := v.(map[string]any); isObj {
		if ref, has := m["$ref"]; has {
			s, ok := ref.(string)
			if !ok || s == "" || len(m) != 1 || !utf8.ValidString(s) {
				return false // siblings (kept by kin-openapi in unexported fields), or no reference
			}
			r.Elem().FieldByName("Ref").SetString(s)
			dst.Set(r)
			return true
		}
		for k := range m {
			if strings.EqualFold(k, "$ref") {
				return false
			}
		}
	} else if t != typeSchemaRef {
		return false
	}
	if !decode(r.Elem().FieldByName("Value"), v) {
		return false
	}
	dst.Set(r)
	return true
}

// decodeSchema reads a schema: an object, or a JSON Schema boolean.
func decodeSchema(dst reflect.Value, v any) bool {
	s := &openapi3.Schema{}
	switch x := v.(type) {
	case bool:
		s.Always = &x
	case map[string]any:
		if !decodeStruct(reflect.ValueOf(s).Elem(), x) {
			return false
		}
	default:
		return false
	}
	dst.Set(reflect.ValueOf(s))
	return true
}

// decodeMapLike reads Paths, Responses or Callback: x- keys are extensions (an empty map
// when there are none, as kin-openapi leaves it), the other keys its entries.
func decodeMapLike(dst reflect.Value, v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	ext := map[string]any{}
	var entries reflect.Value
	var set func(k string, e reflect.Value)
	switch dst.Type().Elem() {
	case typePaths:
		p := openapi3.NewPathsWithCapacity(len(m))
		p.Extensions = ext
		entries = reflect.New(reflect.TypeFor[*openapi3.PathItem]()).Elem()
		set = func(k string, e reflect.Value) { p.Set(k, e.Interface().(*openapi3.PathItem)) }
		dst.Set(reflect.ValueOf(p))
	case typeResponses:
		r := openapi3.NewResponsesWithCapacity(len(m))
		r.Extensions = ext
		entries = reflect.New(reflect.TypeFor[*openapi3.ResponseRef]()).Elem()
		set = func(k string, e reflect.Value) { r.Set(k, e.Interface().(*openapi3.ResponseRef)) }
		dst.Set(reflect.ValueOf(r))
	default:
		c := openapi3.NewCallbackWithCapacity(len(m))
		c.Extensions = ext
		entries = reflect.New(reflect.TypeFor[*openapi3.PathItem]()).Elem()
		set = func(k string, e reflect.Value) { c.Set(k, e.Interface().(*openapi3.PathItem)) }
		dst.Set(reflect.ValueOf(c))
	}
	for k, e := range m {
		if !utf8.ValidString(k) {
			return false
		}
		if strings.HasPrefix(k, "x-") {
			val, ok := plainValue(e)
			if !ok {
				return false
			}
			ext[k] = val
			continue
		}
		entries.SetZero()
		if !decode(entries, e) {
			return false
		}
		set(k, entries)
	}
	return true
}

func decodeTypes(dst reflect.Value, v any) bool {
	switch x := v.(type) {
	case string:
		dst.Set(reflect.ValueOf(openapi3.Types{x}))
		return utf8.ValidString(x)
	case []any:
		types := make(openapi3.Types, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok || !utf8.ValidString(s) {
				return false
			}
			types[i] = s
		}
		dst.Set(reflect.ValueOf(types))
		return true
	}
	return false
}

func decodeBoolSchema(dst reflect.Value, v any) bool {
	var bs openapi3.BoolSchema
	switch x := v.(type) {
	case bool:
		bs.Has = &x
	case map[string]any:
		if len(x) == 0 {
			bs.Schema = &openapi3.SchemaRef{Value: &openapi3.Schema{}}
		} else if !decodeRef(reflect.ValueOf(&bs.Schema).Elem(), x) {
			return false
		}
	default:
		return false
	}
	dst.Set(reflect.ValueOf(bs))
	return true
}

func decodeExclusiveBound(dst reflect.Value, v any) bool {
	var eb openapi3.ExclusiveBound
	switch x := v.(type) {
	case bool:
		eb.Bool = &x
	default:
		f, ok := float(v)
		if !ok {
			return false
		}
		eb.Value = &f
	}
	dst.Set(reflect.ValueOf(eb))
	return true
}

// plainValue returns a value of the tree as encoding/json would decode its JSON into an
// any: maps, slices, strings, float64s, booleans and nil. Trees parsed from JSON are so
// already and are returned as they are; YAML's integers become float64s when they are
// exactly one.
func plainValue(v any) (any, bool) {
	p, _, ok := plain(v)
	return p, ok
}

// plain is plainValue, also saying whether the value changed (was copied).
func plain(v any) (out any, changed, ok bool) {
	switch x := v.(type) {
	case nil, bool, float64:
		return v, false, true
	case string:
		return v, false, utf8.ValidString(x)
	case map[string]any:
		var m map[string]any // made when a value changes
		for k, e := range x {
			if !utf8.ValidString(k) {
				return nil, false, false
			}
			p, ch, ok := plain(e)
			if !ok {
				return nil, false, false
			}
			if ch && m == nil {
				m = make(map[string]any, len(x))
				for k2, e2 := range x {
					m[k2] = e2
				}
			}
			if m != nil {
				m[k] = p
			}
		}
		if m != nil {
			return m, true, true
		}
		return x, false, true
	case []any:
		var a []any
		for i, e := range x {
			p, ch, ok := plain(e)
			if !ok {
				return nil, false, false
			}
			if ch && a == nil {
				a = append([]any(nil), x...)
			}
			if a != nil {
				a[i] = p
			}
		}
		if a != nil {
			return a, true, true
		}
		return x, false, true
	}
	f, ok := float(v)
	return f, true, ok
}

// float reads a JSON number: a float64, or one of YAML's integers when a float64 holds it
// exactly (as the JSON of the integer, read back, would be).
func float(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), n >= -1<<53 && n <= 1<<53
	case int64:
		return float64(n), n >= -1<<53 && n <= 1<<53
	case uint64:
		return float64(n), n <= 1<<53
	}
	return 0, false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
