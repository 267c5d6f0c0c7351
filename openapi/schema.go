package openapi

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// direction says which side of an interaction a value is on. It decides how schemas are
// read, as the reference reads them:
//
//   - request bodies are checked as the schema says: required properties are required and
//     objects are open unless the schema closes them;
//   - response bodies are what a consumer expects to read, which may be a subset of what the
//     provider sends: required is not enforced, and an object schema is closed (a property
//     the provider does not declare is an error), unless its additionalProperties is a schema;
//   - parameters and headers are strings, coerced to the schema's type before checking.
//
// Treaty also enforces readOnly (never in a request) and writeOnly (never in a response),
// which the reference ignores.
type direction int

const (
	dirRequest direction = iota
	dirResponse
	dirParam
)

// Bounds on the work of validating one value, so that a hostile schema or pact cannot make
// a comparison hang: schema visits and nesting depth.
const (
	maxVisits = 200_000
	maxNest   = 128
)

// validator checks one value against one schema and collects what is wrong.
type validator struct {
	ix      *index
	dir     direction
	profile Profile
	rules   *ruleSet // response matching rules; nil elsewhere
	// coerceStrings reads string values as the schema's type, as parameters are read; Treaty
	// reads form bodies so too.
	coerceStrings bool

	visits    int
	exhausted bool
	errs      []vErr
	tokens    []pathToken // scratch for tolerance
	insts     nodes[instPath]
	specs     nodes[specPath]
	root      instPath
}

// reset readies the validator for another value: validators are reused within a comparison.
func (v *validator) reset(dir direction, rules *ruleSet, coerceStrings bool) {
	v.dir, v.rules, v.coerceStrings = dir, rules, coerceStrings
	v.visits, v.exhausted = 0, false
	v.errs = v.errs[:0]
	v.insts.reset()
	v.specs.reset()
}

// check validates val against ref, whose place in the document is given by segs (joined
// with dots). Errors are in v.errs.
func (v *validator) check(ref *openapi3.SchemaRef, val any, segs ...string) {
	var sp *specPath
	for _, s := range segs {
		sp = v.child(sp, s)
	}
	v.validate(ref, sp, val, &v.root, frame{})
}

// vErr is one way a value fails its schema. Its places are rendered when it is made:
// validation passes far more often than it fails, so the paths it descends are linked
// nodes the validator reuses (instPath, specPath), turned into strings only here.
type vErr struct {
	at        string // the value's place below the root, as instPath.suffix renders it
	depth     int    // how deep that place is, for closest
	spec      string // the keyword's place in the document
	keyword   string
	specValue any
	value     any
	msg       string // without the leading "at $.x": see message()
}

// message says what is wrong, with where: in a body "at $.items[0].id"; for a parameter
// or header, root names it ("in query parameter \"limit\"").
func (e vErr) message(root string) string {
	at := "at $" + e.at
	if root != "" {
		at = "in " + root
		if e.at != "" {
			at += " at $" + e.at
		}
	}
	return strings.ReplaceAll(e.msg, "{at}", at)
}

// instPath is a place in a value: a linked list from the leaf to the root, built as the
// validator descends (see nodes) and rendered only for errors.
type instPath struct {
	parent *instPath
	key    string
	idx    int
	isIdx  bool
	depth  int
}

func (v *validator) field(p *instPath, k string) *instPath {
	n := v.insts.alloc()
	*n = instPath{parent: p, key: k, depth: p.depth + 1}
	return n
}

func (v *validator) item(p *instPath, i int) *instPath {
	n := v.insts.alloc()
	*n = instPath{parent: p, idx: i, isIdx: true, depth: p.depth + 1}
	return n
}

// child is p.child for the paths of one validation, which are not kept.
func (v *validator) child(p *specPath, seg string) *specPath {
	n := v.specs.alloc()
	*n = specPath{parent: p, seg: seg}
	return n
}

// nodes hands out the path nodes of one validation from blocks reused from one validation
// to the next: the validator makes one per value and keyword it descends into, and nothing
// keeps them once the validation is over (errors render their paths, views clone theirs).
type nodes[T any] struct {
	blocks      [][]T
	block, next int
}

func (n *nodes[T]) alloc() *T {
	if n.block == len(n.blocks) {
		n.blocks = append(n.blocks, make([]T, 256))
	}
	b := n.blocks[n.block]
	p := &b[n.next]
	if n.next++; n.next == len(b) {
		n.block, n.next = n.block+1, 0
	}
	return p
}

func (n *nodes[T]) reset() { n.block, n.next = 0, 0 }

// suffix renders the path for a pact location: ".items[0].id".
func (p *instPath) suffix() string {
	if p.parent == nil {
		return ""
	}
	var b strings.Builder
	p.writeTo(&b)
	return b.String()
}

func (p *instPath) writeTo(b *strings.Builder) {
	if p.parent == nil {
		return
	}
	p.parent.writeTo(b)
	switch {
	case p.isIdx:
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(p.idx))
		b.WriteByte(']')
	case plainKey(p.key):
		b.WriteByte('.')
		b.WriteString(p.key)
	default:
		b.WriteString("['" + strings.ReplaceAll(p.key, "'", `\'`) + "']")
	}
}

// plainKey reports whether a key can follow a dot in a path: [A-Za-z_$][A-Za-z0-9_$-]*.
func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c == '_', c == '$':
		case i > 0 && (c >= '0' && c <= '9' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// tokens lists the path's names and indexes from the root, for matching rules. buf is
// used when it is large enough.
func (p *instPath) tokens(buf []pathToken) []pathToken {
	out := buf[:0]
	if cap(out) < p.depth {
		out = make([]pathToken, 0, p.depth)
	}
	out = out[:p.depth]
	for q := p; q != nil && q.parent != nil; q = q.parent {
		out[q.depth-1] = pathToken{name: q.key, index: q.idx, isIdx: q.isIdx}
	}
	return out
}

// specPath is a place in the document, like instPath: segments joined by dots. The nodes
// the validator descends through are not kept after the validation (see nodes); those kept
// (in views) are copied with clone. A node with ref set is the place of a referenced schema,
// rendered from the reference when needed: refRoot.
type specPath struct {
	parent *specPath
	seg    string
	ref    string
}

func (p *specPath) child(seg string) *specPath { return &specPath{parent: p, seg: seg} }

func (p *specPath) segment() string {
	if p.ref != "" {
		return refRoot(p.ref).seg
	}
	return p.seg
}

func (p *specPath) String() string {
	if p == nil {
		return ""
	}
	if p.parent == nil {
		return p.segment()
	}
	return p.parent.String() + "." + p.segment()
}

// clone copies the path to the heap, so that it can be kept.
func (p *specPath) clone() *specPath {
	if p == nil {
		return nil
	}
	return &specPath{parent: p.parent.clone(), seg: p.segment()}
}

// refRoot is where a referenced schema lives: "#/components/schemas/Pet" → "[root].components.schemas.Pet".
func refRoot(ref string) *specPath {
	parts := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	return &specPath{seg: "[root]." + strings.Join(parts, ".")}
}

// frame carries what a schema's surroundings say about an object value: known holds the
// properties declared next to a oneOf/anyOf (or by the other parts of an allOf), which the
// branches must not call unknown; merged says the object keywords were already checked by
// the allOf this schema is part of.
type frame struct {
	known  map[string]bool
	merged bool
}

// fail records that the value at ip fails the keyword of the schema at sp.
func (v *validator) fail(ip *instPath, sp *specPath, keyword string, specValue, value any, format string, args ...any) {
	spec := keyword
	if sp != nil {
		spec = sp.String() + "." + keyword
	}
	v.errs = append(v.errs, vErr{at: ip.suffix(), depth: ip.depth, spec: spec, keyword: keyword, specValue: specValue, value: value, msg: fmt.Sprintf(format, args...)})
}

// failAt records that the value at ip fails at sp, a keyword's own place.
func (v *validator) failAt(ip *instPath, sp *specPath, specValue, value any, format string, args ...any) {
	v.errs = append(v.errs, vErr{at: ip.suffix(), depth: ip.depth, spec: sp.String(), keyword: sp.segment(), specValue: specValue, value: value, msg: fmt.Sprintf(format, args...)})
}

// validate checks val against ref and reports whether it passed.
func (v *validator) validate(ref *openapi3.SchemaRef, sp *specPath, val any, ip *instPath, fr frame) bool {
	return v.validateWith(ref, nil, sp, val, ip, fr)
}

// validateWith is validate, with the schemaInfo of ref.Value when the caller has it (nil:
// looked up).
func (v *validator) validateWith(ref *openapi3.SchemaRef, si *schemaInfo, sp *specPath, val any, ip *instPath, fr frame) bool {
	if ref == nil || ref.Value == nil || v.exhausted {
		return true
	}
	v.visits++
	if v.visits > maxVisits || ip.depth > maxNest {
		v.exhausted = true
		return true
	}
	if ref.Ref != "" && strings.HasPrefix(ref.Ref, "#/") {
		sp = v.specs.alloc()
		*sp = specPath{ref: ref.Ref}
	}
	s := ref.Value
	before := len(v.errs)
	if s.Always != nil {
		if !*s.Always {
			v.failAt(ip, sp, false, val, "no value is allowed {at}: the schema is false")
		}
		return len(v.errs) == before
	}

	// Implicit polymorphism: a base schema with a discriminator, extended by components
	// through allOf. The value's discriminator selects the component to check it against.
	if !fr.merged && s.Discriminator != nil && len(s.OneOf) == 0 && len(s.AnyOf) == 0 {
		if obj, ok := val.(map[string]any); ok {
			if tag, ok := obj[s.Discriminator.PropertyName].(string); ok {
				if child := v.ix.children[s][tag]; child != nil && child.Value != s {
					return v.validate(child, sp, val, ip, fr)
				}
			}
		}
	}

	if si == nil {
		si = v.ix.info(s)
	}
	var tol tolerance
	if v.rules != nil {
		tol = v.tolerance(ip)
	}
	val, ok := v.checkType(s, si, sp, val, ip)
	if !ok {
		return false
	}
	if !tol.typeOnly {
		if si.enum {
			v.checkEnumConst(s, sp, val, ip)
		}
	} else if tol.regex != "" && len(s.Enum) > 0 {
		v.checkEnumRegex(s, sp, val, ip, tol.regex)
	}
	switch x := val.(type) {
	case string:
		if !tol.typeOnly && si.str {
			v.checkString(s, si, sp, x, ip)
		}
	case []any:
		v.checkArray(s, si, sp, x, ip, tol)
	case map[string]any:
		if !fr.merged {
			fr.known = v.checkObject(s, si, sp, x, ip, tol, fr.known)
		}
	default:
		if !si.num || tol.typeOnly {
			break
		}
		if f, isNum := number(val); isNum {
			v.checkNumber(s, sp, f, val, ip)
		}
	}
	if si.compose {
		v.checkComposition(s, si, sp, val, ip, fr)
	}
	return len(v.errs) == before
}

func (v *validator) tolerance(ip *instPath) tolerance {
	if v.rules == nil || len(v.rules.body) == 0 || v.profile.IgnoreMatchers {
		return tolerance{}
	}
	v.tokens = ip.tokens(v.tokens)
	return v.rules.at(v.tokens)
}

// types returns the types a schema allows, or nil for any; OpenAPI 3.0's nullable adds null.
func types(s *openapi3.Schema) []string {
	if s.Type == nil || len(*s.Type) == 0 {
		return nil
	}
	t := s.Type.Slice()
	if s.Nullable && !s.Type.Includes("null") {
		t = append(append([]string(nil), t...), "null")
	}
	return t
}

func typeAllows(allowed []string, actual string) bool {
	for _, t := range allowed {
		if t == actual || t == "number" && actual == "integer" {
			return true
		}
	}
	return false
}

// checkType checks the value's type, coercing parameter strings; it returns the (coerced)
// value and whether the type fits. Nothing else is checked on a value of the wrong type:
// every other keyword would only repeat the complaint.
func (v *validator) checkType(s *openapi3.Schema, si *schemaInfo, sp *specPath, val any, ip *instPath) (any, bool) {
	if si.types == 0 && !si.anyTypes {
		return val, true
	}
	if !si.anyTypes && si.types.allows(val) {
		return val, true
	}
	allowed := types(s)
	actual := jsonType(val)
	if typeAllows(allowed, actual) {
		return val, true
	}
	if str, isStr := val.(string); isStr && (v.dir == dirParam || v.coerceStrings) {
		if c, ok := coerce(str, allowed); ok {
			return c, true
		}
		if typeAllows(allowed, "array") {
			return []any{str}, true
		}
	}
	var want any = allowed
	if len(allowed) == 1 {
		want = allowed[0]
	}
	v.fail(ip, sp, "type", want, val, "expected %s {at}, got %s", strings.Join(allowed, " or "), describe(val))
	return val, false
}

func (v *validator) checkEnumConst(s *openapi3.Schema, sp *specPath, val any, ip *instPath) {
	if len(s.Enum) > 0 {
		found := false
		for _, e := range s.Enum {
			if equalJSON(val, e) {
				found = true
				break
			}
		}
		if !found {
			v.fail(ip, sp, "enum", s.Enum, val, "expected one of %s {at}, got %s", quoteJSON(s.Enum), quoteJSON(val))
		}
	}
	if s.Const != nil && !equalJSON(val, s.Const) {
		v.fail(ip, sp, "const", s.Const, val, "expected %s {at}, got %s", quoteJSON(s.Const), quoteJSON(val))
	}
}

// checkEnumRegex: the consumer accepts any string matching its regex matcher; the provider
// sends one of its enum values. They are compatible when some enum value matches.
func (v *validator) checkEnumRegex(s *openapi3.Schema, sp *specPath, val any, ip *instPath, pattern string) {
	re := cachedPattern(pattern)
	if re == nil {
		return
	}
	for _, e := range s.Enum {
		if es, ok := e.(string); ok && re.MatchString(es) {
			return
		}
	}
	v.fail(ip, sp, "enum", s.Enum, val, "the consumer's regex /%s/ {at} matches none of the values the provider may send, %s", pattern, quoteJSON(s.Enum))
}

func (v *validator) checkNumber(s *openapi3.Schema, sp *specPath, f float64, val any, ip *instPath) {
	exclusive := func(b openapi3.ExclusiveBound) bool { return b.Bool != nil && *b.Bool }
	if s.Min != nil {
		if exclusive(s.ExclusiveMin) && f <= *s.Min {
			v.fail(ip, sp, "exclusiveMinimum", *s.Min, val, "expected a number > %v {at}, got %s", *s.Min, numberText(val))
		} else if f < *s.Min {
			v.fail(ip, sp, "minimum", *s.Min, val, "expected a number >= %v {at}, got %s", *s.Min, numberText(val))
		}
	}
	if s.Max != nil {
		if exclusive(s.ExclusiveMax) && f >= *s.Max {
			v.fail(ip, sp, "exclusiveMaximum", *s.Max, val, "expected a number < %v {at}, got %s", *s.Max, numberText(val))
		} else if f > *s.Max {
			v.fail(ip, sp, "maximum", *s.Max, val, "expected a number <= %v {at}, got %s", *s.Max, numberText(val))
		}
	}
	if b := s.ExclusiveMin.Value; b != nil && f <= *b {
		v.fail(ip, sp, "exclusiveMinimum", *b, val, "expected a number > %v {at}, got %s", *b, numberText(val))
	}
	if b := s.ExclusiveMax.Value; b != nil && f >= *b {
		v.fail(ip, sp, "exclusiveMaximum", *b, val, "expected a number < %v {at}, got %s", *b, numberText(val))
	}
	if m := s.MultipleOf; m != nil && *m > 0 {
		q := f / *m
		if math.Abs(q-math.Round(q)) > 1e-9 {
			v.fail(ip, sp, "multipleOf", *m, val, "expected a multiple of %v {at}, got %s", *m, numberText(val))
		}
	}
	if s.Format != "" {
		if ok, known := checkNumberFormat(s.Format, f); known && !ok {
			v.fail(ip, sp, "format", s.Format, val, "expected a number of format %s {at}, got %s", s.Format, numberText(val))
		}
	}
}

func (v *validator) checkString(s *openapi3.Schema, si *schemaInfo, sp *specPath, str string, ip *instPath) {
	if s.MinLength > 0 || s.MaxLength != nil {
		n := uint64(utf8.RuneCountInString(str))
		if n < s.MinLength {
			v.fail(ip, sp, "minLength", s.MinLength, str, "expected a string of at least %d character(s) {at}, got %s", s.MinLength, describe(str))
		}
		if s.MaxLength != nil && n > *s.MaxLength {
			v.fail(ip, sp, "maxLength", *s.MaxLength, str, "expected a string of at most %d character(s) {at}, got %s", *s.MaxLength, describe(str))
		}
	}
	if s.Pattern != "" {
		if re := si.pattern; re != nil && !re.MatchString(str) {
			v.fail(ip, sp, "pattern", s.Pattern, str, "expected a string matching /%s/ {at}, got %s", s.Pattern, describe(str))
		}
	}
	if s.Format != "" {
		if ok, known := checkStringFormat(s.Format, str); known && !ok {
			v.fail(ip, sp, "format", s.Format, str, "expected %s {at}, got %s", formatName(s.Format), describe(str))
		}
	}
}

func (v *validator) checkArray(s *openapi3.Schema, si *schemaInfo, sp *specPath, arr []any, ip *instPath, tol tolerance) {
	n := uint64(len(arr))
	switch {
	case tol.typeOnly:
		// The consumer accepts any length from its matcher's min to max; the provider
		// sends from minItems to maxItems. Only lengths no side can agree on are a problem.
		if tol.min != nil && s.MaxItems != nil && uint64(*tol.min) > *s.MaxItems {
			v.fail(ip, sp, "maxItems", *s.MaxItems, arr, "the consumer expects at least %d item(s) {at}, the provider sends at most %d", *tol.min, *s.MaxItems)
		}
		if tol.max != nil && uint64(*tol.max) < s.MinItems {
			v.fail(ip, sp, "minItems", s.MinItems, arr, "the consumer expects at most %d item(s) {at}, the provider sends at least %d", *tol.max, s.MinItems)
		}
	default:
		if n < s.MinItems {
			v.fail(ip, sp, "minItems", s.MinItems, arr, "expected at least %d item(s) {at}, got %d", s.MinItems, n)
		}
		if s.MaxItems != nil && n > *s.MaxItems {
			v.fail(ip, sp, "maxItems", *s.MaxItems, arr, "expected at most %d item(s) {at}, got %d", *s.MaxItems, n)
		}
		if s.UniqueItems {
			for i := 0; i < len(arr); i++ {
				for j := i + 1; j < len(arr); j++ {
					if equalJSON(arr[i], arr[j]) {
						v.fail(ip, sp, "uniqueItems", true, arr, "expected unique items {at}, items %d and %d are equal", i, j)
						i, j = len(arr), len(arr)
					}
				}
			}
		}
	}
	// OpenAPI 3.1 (JSON Schema 2020-12): prefixItems checks the first items, items the rest.
	// In 3.0, items checks every item.
	start := 0
	for i, p := range s.PrefixItems {
		if i >= len(arr) {
			break
		}
		v.validate(p, v.child(v.child(sp, "prefixItems"), strconv.Itoa(i)), arr[i], v.item(ip, i), frame{})
		start = i + 1
	}
	if s.Items != nil {
		for i := start; i < len(arr); i++ {
			v.validateWith(s.Items, si.items, v.child(sp, "items"), arr[i], v.item(ip, i), frame{})
		}
	} else if s.UnevaluatedItems.Has != nil && !*s.UnevaluatedItems.Has && len(arr) > start && len(s.AllOf)+len(s.OneOf)+len(s.AnyOf) == 0 {
		v.fail(ip, sp, "unevaluatedItems", false, arr, "expected at most %d item(s) {at}, got %d", start, len(arr))
	}
	if s.Contains != nil && !tol.typeOnly {
		count := 0
		for i, e := range arr {
			if v.try(s.Contains, v.child(sp, "contains"), e, v.item(ip, i), frame{}) {
				count++
			}
		}
		minC := uint64(1)
		if s.MinContains != nil {
			minC = *s.MinContains
		}
		if uint64(count) < minC {
			v.fail(ip, sp, "contains", nil, arr, "expected at least %d item(s) matching contains {at}, got %d", minC, count)
		}
		if s.MaxContains != nil && uint64(count) > *s.MaxContains {
			v.fail(ip, sp, "maxContains", *s.MaxContains, arr, "expected at most %d item(s) matching contains {at}, got %d", *s.MaxContains, count)
		}
	}
}

// try reports whether val passes ref, without reporting anything.
func (v *validator) try(ref *openapi3.SchemaRef, sp *specPath, val any, ip *instPath, fr frame) bool {
	_, ok := v.attempt(ref, sp, val, ip, fr)
	return ok
}

// attempt validates into a scratch list and returns what failed.
func (v *validator) attempt(ref *openapi3.SchemaRef, sp *specPath, val any, ip *instPath, fr frame) ([]vErr, bool) {
	saved := v.errs
	v.errs = nil
	v.validate(ref, sp, val, ip, fr)
	got := v.errs
	v.errs = saved
	return got, len(got) == 0
}

var patternCache sync.Map // pattern → *pattern (nil when Go cannot compile it)

func cachedPattern(p string) *pattern {
	if re, ok := patternCache.Load(p); ok {
		return re.(*pattern)
	}
	re, err := newPattern(p)
	if err != nil {
		re = nil
	}
	patternCache.Store(p, re)
	return re
}

// sortedKeys returns a map's keys sorted, so that errors come out in a stable order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
