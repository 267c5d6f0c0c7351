package openapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/treaty-dev/treaty/broker"
)

// Pact is a pact file read for comparison: its HTTP interactions, in order, with what
// Compare needs of each. Message interactions are counted, not kept.
type Pact struct {
	consumer     string
	interactions []*interaction
	notices      []string
}

// interaction is one HTTP interaction of a pact.
type interaction struct {
	index       int // position in the pact's "interactions" array
	description string
	state       string

	method   string
	path     string
	query    []queryParam
	rawQuery string // the query as the pact wrote it, for values
	hasQuery bool
	reqHdr   headers
	reqBody  body

	status     int
	statusKeys [3]string // the keys a response for status may have: "201", "2XX", "2xx"
	resHdr     headers
	resBody    body
	rules      *ruleSet // the response's matching rules
}

type queryParam struct {
	name   string
	values []string
}

// body is a request or response body. present is false when the pact has none (absent,
// null, or an empty string).
type body struct {
	present     bool
	value       any    // JSON value, or a string for text and decoded binary bodies
	contentType string // a Pact V4 body's own content type
}

// headers holds a pact's headers by lower-cased name; values of a repeated header are joined
// with ", " as HTTP would.
type headers struct {
	names  map[string]string // lower-cased → as written
	values map[string]string
	order  []string // the lower-cased names, sorted
}

func (h headers) get(name string) (string, bool) {
	v, ok := h.values[strings.ToLower(name)]
	return v, ok
}

// maxPactSize bounds a pact handed to ParsePact: larger than any sane contract.
const maxPactSize = 64 << 20

// ParsePact reads a pact file (Pact specification 2, 3 or 4) for comparison. A pact whose
// HTTP interactions are not shaped as the specification says (no request method, no
// response status…) is an error naming the interaction; a pact with no HTTP interactions is
// not, and Compare says so in a notice.
func ParsePact(data []byte) (*Pact, error) {
	if len(data) > maxPactSize {
		return nil, fmt.Errorf("the pact is %d bytes, more than the %d Treaty reads", len(data), maxPactSize)
	}
	v, ok := readJSON(data, true)
	if !ok {
		// encoding/json says what is wrong.
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("the pact is not valid JSON: %v", err)
		}
		if dec.More() {
			return nil, errors.New("the pact has trailing data after the JSON document")
		}
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("the pact is not a JSON object")
	}
	return parsePactDoc(doc)
}

// NewPact reads a pact the broker has parsed.
func NewPact(p *broker.PactDocument) (*Pact, error) {
	return ParsePact(p.JSON())
}

func parsePactDoc(doc map[string]any) (*Pact, error) {
	p := &Pact{}
	if c, ok := doc["consumer"].(map[string]any); ok {
		p.consumer = str(c["name"])
	}
	version := specVersion(doc)
	list, ok := doc["interactions"].([]any)
	if doc["interactions"] != nil && !ok {
		return nil, errors.New("the pact's interactions must be an array")
	}
	messages := 0
	if ms, ok := doc["messages"].([]any); ok {
		messages += len(ms)
	}
	other := map[string]int{}
	for i, raw := range list {
		m, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("interactions[%d] is not an object", i)
		}
		typ, _ := m["type"].(string)
		switch strings.ToLower(typ) {
		case "", "synchronous/http":
		case "asynchronous/messages", "synchronous/messages":
			messages++
			continue
		default:
			other[typ]++
			continue
		}
		it, err := parseInteraction(i, m, version >= 4 || typ != "")
		if err != nil {
			return nil, fmt.Errorf("interactions[%d] (%q): %w", i, str(m["description"]), err)
		}
		p.interactions = append(p.interactions, it)
	}
	if messages > 0 {
		p.notices = append(p.notices, fmt.Sprintf(
			"%d message interaction(s) skipped: an OpenAPI document describes HTTP interactions only", messages))
	}
	kinds := make([]string, 0, len(other))
	for k := range other {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		p.notices = append(p.notices, fmt.Sprintf("%d interaction(s) of type %q skipped: Treaty does not know that type", other[k], k))
	}
	if len(p.interactions) == 0 {
		p.notices = append(p.notices, "the pact has no HTTP interactions: there is nothing to compare with the OpenAPI document")
	}
	return p, nil
}

// Consumer is the pact's consumer.name.
func (p *Pact) Consumer() string { return p.consumer }

// Notices says what of the pact will not be compared.
func (p *Pact) Notices() []string { return append([]string(nil), p.notices...) }

// HTTPInteractions is the number of HTTP interactions Compare will check.
func (p *Pact) HTTPInteractions() int { return len(p.interactions) }

func specVersion(doc map[string]any) int {
	meta, _ := doc["metadata"].(map[string]any)
	var s string
	for _, key := range []string{"pactSpecification", "pact-specification"} {
		if m, ok := meta[key].(map[string]any); ok {
			if v, ok := m["version"].(string); ok {
				s = v
			}
		}
	}
	if v, ok := meta["pactSpecificationVersion"].(string); ok && s == "" {
		s = v
	}
	major, _, _ := strings.Cut(s, ".")
	n, _ := strconv.Atoi(major)
	return n
}

func parseInteraction(index int, m map[string]any, v4 bool) (*interaction, error) {
	req, ok := m["request"].(map[string]any)
	if !ok {
		return nil, errors.New("request must be an object")
	}
	res, ok := m["response"].(map[string]any)
	if !ok {
		return nil, errors.New("response must be an object")
	}
	it := &interaction{index: index, description: str(m["description"])}
	it.state = str(m["providerState"])
	if states, ok := m["providerStates"].([]any); ok && it.state == "" && len(states) > 0 {
		if s, ok := states[0].(map[string]any); ok {
			it.state = str(s["name"])
		}
	}
	var ok2 bool
	if it.method, ok2 = req["method"].(string); !ok2 || it.method == "" {
		return nil, errors.New("request.method must be a string")
	}
	it.method = strings.ToUpper(it.method)
	if it.path, ok2 = req["path"].(string); !ok2 {
		return nil, errors.New("request.path must be a string")
	}
	var err error
	if it.query, it.rawQuery, it.hasQuery, err = parseQuery(req["query"]); err != nil {
		return nil, fmt.Errorf("request.query: %w", err)
	}
	if it.reqHdr, err = parseHeaders(req["headers"]); err != nil {
		return nil, fmt.Errorf("request.headers: %w", err)
	}
	if it.resHdr, err = parseHeaders(res["headers"]); err != nil {
		return nil, fmt.Errorf("response.headers: %w", err)
	}
	status, ok := res["status"].(json.Number)
	if !ok {
		return nil, errors.New("response.status must be a number")
	}
	f, err := status.Float64()
	if err != nil || f != math.Trunc(f) || f < 100 || f > 999 {
		return nil, fmt.Errorf("response.status %s is not an HTTP status", status)
	}
	it.status = int(f)
	code := strconv.Itoa(it.status)
	it.statusKeys = [3]string{code, code[:1] + "XX", code[:1] + "xx"}
	it.reqBody = parseBody(req, v4)
	it.resBody = parseBody(res, v4)
	if it.rules, err = parseRules(res["matchingRules"]); err != nil {
		return nil, fmt.Errorf("response.matchingRules: %w", err)
	}
	return it, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// parseQuery reads a V2 query string ("a=1&b=2") or a V3/V4 object of arrays.
func parseQuery(v any) ([]queryParam, string, bool, error) {
	switch q := v.(type) {
	case nil:
		return nil, "", false, nil
	case string:
		if q == "" {
			return nil, "", false, nil
		}
		var out []queryParam
		pos := map[string]int{}
		for _, part := range strings.Split(q, "&") {
			if part == "" {
				continue
			}
			k, val, _ := strings.Cut(part, "=")
			k, _ = queryUnescape(k)
			val, _ = queryUnescape(val)
			if i, ok := pos[k]; ok {
				out[i].values = append(out[i].values, val)
				continue
			}
			pos[k] = len(out)
			out = append(out, queryParam{k, []string{val}})
		}
		return out, q, true, nil
	case map[string]any:
		names := make([]string, 0, len(q))
		for k := range q {
			names = append(names, k)
		}
		sort.Strings(names)
		var out []queryParam
		for _, k := range names {
			vals, err := stringList(q[k])
			if err != nil {
				return nil, "", false, fmt.Errorf("%s: %w", k, err)
			}
			out = append(out, queryParam{k, vals})
		}
		return out, "", len(out) > 0, nil
	}
	return nil, "", false, errors.New("must be a string or an object")
}

func queryUnescape(s string) (string, error) {
	d, err := url.QueryUnescape(s)
	if err != nil {
		return s, err
	}
	return d, nil
}

// stringList reads a header or query value: a string, or an array of strings. Control
// characters are dropped as the reference drops them.
func stringList(v any) ([]string, error) {
	clean := func(s string) string { return strings.NewReplacer("\r", "", "\n", "", "\x00", "").Replace(s) }
	switch t := v.(type) {
	case string:
		return []string{clean(t)}, nil
	case json.Number:
		return []string{t.String()}, nil
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			switch s := e.(type) {
			case string:
				out = append(out, clean(s))
			case json.Number:
				out = append(out, s.String())
			default:
				return nil, errors.New("values must be strings")
			}
		}
		return out, nil
	case nil:
		return []string{""}, nil
	}
	return nil, errors.New("must be a string or an array of strings")
}

func parseHeaders(v any) (headers, error) {
	h := headers{names: map[string]string{}, values: map[string]string{}}
	if v == nil {
		return h, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return h, errors.New("must be an object")
	}
	for k, raw := range m {
		vals, err := stringList(raw)
		if err != nil {
			return h, fmt.Errorf("%s: %w", k, err)
		}
		lk := strings.ToLower(k)
		if prev, dup := h.values[lk]; dup {
			vals = append([]string{prev}, vals...)
		}
		h.names[lk] = k
		h.values[lk] = strings.Join(vals, ", ")
	}
	for k := range h.values {
		h.order = append(h.order, k)
	}
	sort.Strings(h.order)
	return h, nil
}

// parseBody reads a request or response body. A Pact V4 body is {content, contentType,
// encoded}: encoded false means content is the value; "json" means content is JSON text;
// any other encoding (base64) is decoded, and then parsed as JSON when the content type is
// JSON. The reference keeps decoded bodies as strings; Treaty reads them as the provider
// would.
func parseBody(side map[string]any, v4 bool) body {
	raw, ok := side["body"]
	if !ok || raw == nil {
		return body{}
	}
	if !v4 {
		if s, ok := raw.(string); ok && s == "" {
			return body{}
		}
		return body{present: true, value: raw}
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return body{present: true, value: raw}
	}
	b := body{present: true, contentType: str(m["contentType"])}
	content := m["content"]
	enc := ""
	switch e := m["encoded"].(type) {
	case string:
		enc = strings.ToLower(e)
	case bool:
		if e {
			enc = "base64"
		}
	}
	text, isText := content.(string)
	switch {
	case enc == "" || enc == "false":
		b.value = content
	case enc == "json" && isText:
		b.value = parseJSONText(text)
	case enc == "base64" && isText:
		decoded, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			decoded, err = base64.RawStdEncoding.DecodeString(text)
		}
		if err != nil {
			b.value = text
			break
		}
		b.value = string(decoded)
		if isJSONType(b.contentType) {
			b.value = parseJSONText(string(decoded))
		}
	default:
		b.value = content
	}
	if s, ok := b.value.(string); ok && s == "" || b.value == nil {
		return body{}
	}
	return b
}

// parseJSONText parses JSON text, keeping text that is not JSON as a string.
func parseJSONText(s string) any {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return s
	}
	return v
}
