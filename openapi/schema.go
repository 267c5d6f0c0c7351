package openapi

import (
	"fmt"
	"math"
	"regexp"
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
}

// vErr is one way a value fails its schema.
type vErr struct {
	inst      *instPath
	spec      *specPath
	keyword   string
	specValue any
	value     any
	msg       string // without the leading "at $.x": see message()
}

// message says what is wrong, with where: in a body "at $.items[0].id"; for a parameter
// or header, root names it ("in query parameter \"limit\"").
func (e vErr) message(root string) string {
	at := "at " + e.inst.jsonPath()
	if root != "" {
		at = "in " + root
		if suffix := e.inst.suffix(); suffix != "" {
			at += " at $" + suffix
		}
	}
	return strings.ReplaceAll(e.msg, "{at}", at)
}

// instPath is a place in a value: a linked list from the leaf to the root, built as the
// validator descends and rendered only for errors.
type instPath struct {
	parent *instPath
	key    string
	idx    int
	isIdx  bool
	depth  int
}

func (p *instPath) field(k string) *instPath { return &instPath{parent: p, key: k, depth: p.depth + 1} }
func (p *instPath) item(i int) *instPath {
	return &instPath{parent: p, idx: i, isIdx: true, depth: p.depth + 1}
}

func (p *instPath) segments() []*instPath {
	var segs []*instPath
	for q := p; q != nil && q.parent != nil; q = q.parent {
		segs = append(segs, q)
	}
	for i, j := 0, len(segs)-1; i < j; i, j = i+1, j-1 {
		segs[i], segs[j] = segs[j], segs[i]
	}
	return segs
}

// suffix renders the path for a pact location: ".items[0].id".
func (p *instPath) suffix() string {
	var b strings.Builder
	for _, s := range p.segments() {
		if s.isIdx {
			fmt.Fprintf(&b, "[%d]", s.idx)
		} else if plainKey.MatchString(s.key) {
			b.WriteString("." + s.key)
		} else {
			b.WriteString("['" + strings.ReplaceAll(s.key, "'", `\'`) + "']")
		}
	}
	return b.String()
}

var plainKey = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$-]*$`)

// jsonPath renders the path for a message: "$.items[0].id".
func (p *instPath) jsonPath() string { return "$" + p.suffix() }

func (p *instPath) tokens() []pathToken {
	segs := p.segments()
	out := make([]pathToken, len(segs))
	for i, s := range segs {
		out[i] = pathToken{name: s.key, index: s.idx, isIdx: s.isIdx}
	}
	return out
}

// specPath is a place in the document, like instPath.
type specPath struct {
	parent *specPath
	seg    string
}

func (p *specPath) child(seg string) *specPath { return &specPath{parent: p, seg: seg} }

func (p *specPath) String() string {
	var segs []string
	for q := p; q != nil; q = q.parent {
		segs = append(segs, q.seg)
	}
	for i, j := 0, len(segs)-1; i < j; i, j = i+1, j-1 {
		segs[i], segs[j] = segs[j], segs[i]
	}
	return strings.Join(segs, ".")
}

// refRoot is refRoot, remembered.
func (ix *index) refRoot(ref string) *specPath {
	if sp, ok := ix.refRoots.Load(ref); ok {
		return sp.(*specPath)
	}
	sp := refRoot(ref)
	ix.refRoots.Store(ref, sp)
	return sp
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

func (v *validator) fail(ip *instPath, sp *specPath, keyword string, specValue, value any, format string, args ...any) {
	v.errs = append(v.errs, vErr{inst: ip, spec: sp.child(keyword), keyword: keyword, specValue: specValue, value: value, msg: fmt.Sprintf(format, args...)})
}

// validate checks val against ref and reports whether it passed.
func (v *validator) validate(ref *openapi3.SchemaRef, sp *specPath, val any, ip *instPath, fr frame) bool {
	if ref == nil || ref.Value == nil || v.exhausted {
		return true
	}
	v.visits++
	if v.visits > maxVisits || ip.depth > maxNest {
		v.exhausted = true
		return true
	}
	if ref.Ref != "" && strings.HasPrefix(ref.Ref, "#/") {
		sp = v.ix.refRoot(ref.Ref)
	}
	s := ref.Value
	before := len(v.errs)
	if s.Always != nil {
		if !*s.Always {
			v.fail(ip, sp.parent, sp.seg, false, val, "no value is allowed {at}: the schema is false")
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

	tol := v.tolerance(ip)
	val, ok := v.checkType(s, sp, val, ip)
	if !ok {
		return false
	}
	if !tol.typeOnly {
		v.checkEnumConst(s, sp, val, ip)
	} else if tol.regex != "" && len(s.Enum) > 0 {
		v.checkEnumRegex(s, sp, val, ip, tol.regex)
	}
	switch x := val.(type) {
	case string:
		if !tol.typeOnly {
			v.checkString(s, sp, x, ip)
		}
	case []any:
		v.checkArray(s, sp, x, ip, tol)
	case map[string]any:
		if !fr.merged {
			fr.known = v.checkObject(s, sp, x, ip, tol, fr.known)
		}
	default:
		if _, isNum := number(val); isNum && !tol.typeOnly {
			v.checkNumber(s, sp, val, ip)
		}
	}
	v.checkComposition(s, sp, val, ip, fr)
	return len(v.errs) == before
}

func (v *validator) tolerance(ip *instPath) tolerance {
	if v.rules == nil || len(v.rules.body) == 0 || v.profile.IgnoreMatchers {
		return tolerance{}
	}
	return v.rules.at(ip.tokens())
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
func (v *validator) checkType(s *openapi3.Schema, sp *specPath, val any, ip *instPath) (any, bool) {
	allowed := types(s)
	if allowed == nil {
		return val, true
	}
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
	re := cachedRegexp(pattern)
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

func (v *validator) checkNumber(s *openapi3.Schema, sp *specPath, val any, ip *instPath) {
	f, _ := number(val)
	text := numberText(val)
	exclusive := func(b openapi3.ExclusiveBound) bool { return b.Bool != nil && *b.Bool }
	if s.Min != nil {
		if exclusive(s.ExclusiveMin) && f <= *s.Min {
			v.fail(ip, sp, "exclusiveMinimum", *s.Min, val, "expected a number > %v {at}, got %s", *s.Min, text)
		} else if f < *s.Min {
			v.fail(ip, sp, "minimum", *s.Min, val, "expected a number >= %v {at}, got %s", *s.Min, text)
		}
	}
	if s.Max != nil {
		if exclusive(s.ExclusiveMax) && f >= *s.Max {
			v.fail(ip, sp, "exclusiveMaximum", *s.Max, val, "expected a number < %v {at}, got %s", *s.Max, text)
		} else if f > *s.Max {
			v.fail(ip, sp, "maximum", *s.Max, val, "expected a number <= %v {at}, got %s", *s.Max, text)
		}
	}
	if b := s.ExclusiveMin.Value; b != nil && f <= *b {
		v.fail(ip, sp, "exclusiveMinimum", *b, val, "expected a number > %v {at}, got %s", *b, text)
	}
	if b := s.ExclusiveMax.Value; b != nil && f >= *b {
		v.fail(ip, sp, "exclusiveMaximum", *b, val, "expected a number < %v {at}, got %s", *b, text)
	}
	if m := s.MultipleOf; m != nil && *m > 0 {
		q := f / *m
		if math.Abs(q-math.Round(q)) > 1e-9 {
			v.fail(ip, sp, "multipleOf", *m, val, "expected a multiple of %v {at}, got %s", *m, text)
		}
	}
	if s.Format != "" {
		if ok, known := checkNumberFormat(s.Format, f); known && !ok {
			v.fail(ip, sp, "format", s.Format, val, "expected a number of format %s {at}, got %s", s.Format, text)
		}
	}
}

func (v *validator) checkString(s *openapi3.Schema, sp *specPath, str string, ip *instPath) {
	n := uint64(utf8.RuneCountInString(str))
	if n < s.MinLength {
		v.fail(ip, sp, "minLength", s.MinLength, str, "expected a string of at least %d character(s) {at}, got %s", s.MinLength, describe(str))
	}
	if s.MaxLength != nil && n > *s.MaxLength {
		v.fail(ip, sp, "maxLength", *s.MaxLength, str, "expected a string of at most %d character(s) {at}, got %s", *s.MaxLength, describe(str))
	}
	if s.Pattern != "" {
		re, known := v.ix.patterns[s.Pattern]
		if !known {
			re = cachedRegexp(s.Pattern)
		}
		if re != nil && !re.MatchString(str) {
			v.fail(ip, sp, "pattern", s.Pattern, str, "expected a string matching /%s/ {at}, got %s", s.Pattern, describe(str))
		}
	}
	if s.Format != "" {
		if ok, known := checkStringFormat(s.Format, str); known && !ok {
			v.fail(ip, sp, "format", s.Format, str, "expected %s {at}, got %s", formatName(s.Format), describe(str))
		}
	}
}

func (v *validator) checkArray(s *openapi3.Schema, sp *specPath, arr []any, ip *instPath, tol tolerance) {
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
		v.validate(p, sp.child("prefixItems").child(strconv.Itoa(i)), arr[i], ip.item(i), frame{})
		start = i + 1
	}
	if s.Items != nil {
		for i := start; i < len(arr); i++ {
			v.validate(s.Items, sp.child("items"), arr[i], ip.item(i), frame{})
		}
	} else if s.UnevaluatedItems.Has != nil && !*s.UnevaluatedItems.Has && len(arr) > start && len(s.AllOf)+len(s.OneOf)+len(s.AnyOf) == 0 {
		v.fail(ip, sp, "unevaluatedItems", false, arr, "expected at most %d item(s) {at}, got %d", start, len(arr))
	}
	if s.Contains != nil && !tol.typeOnly {
		count := 0
		for i, e := range arr {
			if v.try(s.Contains, sp.child("contains"), e, ip.item(i), frame{}) {
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

var regexpCache sync.Map // pattern → *regexp.Regexp (nil when Go cannot compile it)

func cachedRegexp(p string) *regexp.Regexp {
	if re, ok := regexpCache.Load(p); ok {
		return re.(*regexp.Regexp)
	}
	re, err := regexp.Compile(p)
	if err != nil {
		re = nil
	}
	regexpCache.Store(p, re)
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
