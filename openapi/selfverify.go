package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Provider self-verification: does the running provider do what its own document says? Each
// operation is called once, with a request built from the document's examples, and the
// response is validated against the document with kin-openapi's openapi3filter. The request
// is validated too: an example the document itself rejects is a fault of the document.
//
// Values come only from the document: an operation, parameter, request body or media type
// example (or the first of its named examples), a schema's example, default or first enum
// value, and objects assembled from their properties' examples. An operation that needs a
// value the document does not give is skipped, with the reason.

// Outcomes of one operation.
const (
	OutcomePassed  = "passed"
	OutcomeFailed  = "failed"
	OutcomeSkipped = "skipped"
)

// SelfVerifyOptions configure SelfVerify.
type SelfVerifyOptions struct {
	// BaseURL is where the provider answers. The path of the document's first server (as
	// https://api.example.com/v1 gives /v1) is added unless BaseURL ends with it already.
	BaseURL string
	// Client sends the requests; nil means one with a 10 s timeout.
	Client *http.Client
	// Header is sent with every request, e.g. credentials the document's security needs.
	Header http.Header
}

// OperationResult is what happened to one operation.
type OperationResult struct {
	Method      string `json:"method"`
	Path        string `json:"path"`
	OperationID string `json:"operationId,omitempty"`
	Outcome     string `json:"outcome"`
	// Request is the request sent ("POST /charge"), Status the provider's answer.
	Request string `json:"request,omitempty"`
	Status  int    `json:"status,omitempty"`
	// Problems say why it failed, or why it was skipped.
	Problems []string `json:"problems,omitempty"`
}

// SelfReport is the outcome of a self-verification.
type SelfReport struct {
	Operations []OperationResult `json:"operations"`
	Passed     int               `json:"passed"`
	Failed     int               `json:"failed"`
	Skipped    int               `json:"skipped"`
	// Success is true when at least one operation was verified and none failed.
	Success bool `json:"success"`
}

// ErrProviderUnreachable is wrapped by SelfVerify's error when no request reached the provider.
var ErrProviderUnreachable = errors.New("cannot reach the provider")

// maxResponseSize bounds the response read from the provider per operation.
const maxResponseSize = 16 << 20

// SelfVerify calls every operation of the document on the provider at opts.BaseURL and
// validates its answers. It fails only when the provider cannot be reached at all; every
// other problem is an operation's outcome.
func SelfVerify(ctx context.Context, doc *Document, opts SelfVerifyOptions) (*SelfReport, error) {
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("the provider base URL %q is not an http or https URL", opts.BaseURL)
	}
	if prefix := serverPath(doc.spec); prefix != "" && !strings.HasSuffix(base.Path, prefix) {
		base.Path += prefix
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	v := &selfVerifier{doc: doc, base: base, client: client, header: opts.Header}
	rep := &SelfReport{Operations: []OperationResult{}}
	attempted, unreachable := 0, 0
	var lastTransport error
	for _, path := range sortedKeys(doc.spec.Paths.Map()) {
		item := doc.spec.Paths.Value(path)
		for _, method := range operationMethods(item) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			res, transportErr := v.verify(ctx, path, item, method)
			if res.Request != "" && (res.Status != 0 || transportErr != nil) {
				attempted++
			}
			if transportErr != nil {
				unreachable++
				lastTransport = transportErr
			}
			switch res.Outcome {
			case OutcomePassed:
				rep.Passed++
			case OutcomeFailed:
				rep.Failed++
			default:
				rep.Skipped++
			}
			rep.Operations = append(rep.Operations, res)
		}
	}
	if attempted > 0 && unreachable == attempted {
		return nil, fmt.Errorf("%w at %s: %v", ErrProviderUnreachable, base, lastTransport)
	}
	rep.Success = rep.Passed > 0 && rep.Failed == 0
	return rep, nil
}

// serverPath is the path of the document's first server, "" for none or "/".
func serverPath(spec *openapi3.T) string {
	if len(spec.Servers) == 0 {
		return ""
	}
	p, err := spec.Servers[0].BasePath()
	if err != nil {
		return ""
	}
	return strings.TrimRight(p, "/")
}

// operationMethods lists an item's methods in a fixed order.
func operationMethods(item *openapi3.PathItem) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodTrace} {
		if item.GetOperation(m) != nil {
			out = append(out, m)
		}
	}
	return out
}

type selfVerifier struct {
	doc    *Document
	base   *url.URL
	client *http.Client
	header http.Header
}

// builtRequest is a request made from the document's examples.
type builtRequest struct {
	path        string // with parameters substituted
	pathParams  map[string]string
	query       url.Values
	header      http.Header
	cookies     []*http.Cookie
	body        []byte
	contentType string
}

func (v *selfVerifier) verify(ctx context.Context, path string, item *openapi3.PathItem, method string) (OperationResult, error) {
	op := item.GetOperation(method)
	res := OperationResult{Method: method, Path: path, OperationID: op.OperationID}
	b, why := v.build(path, item, op)
	if why != "" {
		res.Outcome, res.Problems = OutcomeSkipped, []string{why}
		return res, nil
	}
	target := *v.base
	target.Path += b.path
	target.RawQuery = b.query.Encode()
	res.Request = method + " " + b.path
	if len(b.query) > 0 {
		res.Request += "?" + target.RawQuery
	}
	newRequest := func() (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, method, target.String(), bytes.NewReader(b.body))
		if err != nil {
			return nil, err
		}
		for k, vs := range v.header {
			req.Header[k] = append([]string(nil), vs...)
		}
		for k, vs := range b.header {
			req.Header[k] = append([]string(nil), vs...)
		}
		if b.contentType != "" {
			req.Header.Set("Content-Type", b.contentType)
		}
		if req.Header.Get("Accept") == "" {
			req.Header.Set("Accept", acceptFor(op))
		}
		for _, c := range b.cookies {
			req.AddCookie(c)
		}
		return req, nil
	}

	route := &routers.Route{Spec: v.doc.spec, Path: path, PathItem: item, Method: method, Operation: op}
	options := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, SkipSettingDefaults: true,
		MultiError: true, IncludeResponseStatus: true}
	checked, err := newRequest()
	if err != nil {
		res.Outcome, res.Problems = OutcomeFailed, []string{"cannot build the request: " + err.Error()}
		return res, nil
	}
	input := &openapi3filter.RequestValidationInput{Request: checked, PathParams: b.pathParams, Route: route, Options: options}
	if err := openapi3filter.ValidateRequest(ctx, input); err != nil {
		res.Outcome = OutcomeFailed
		res.Problems = prefixed("the document's own example request is not valid: ", validationProblems(err))
		return res, nil
	}

	req, err := newRequest()
	if err != nil {
		res.Outcome, res.Problems = OutcomeFailed, []string{"cannot build the request: " + err.Error()}
		return res, nil
	}
	resp, err := v.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		res.Outcome, res.Problems = OutcomeFailed, []string{"no answer: " + err.Error()}
		return res, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseSize))
	if err != nil {
		res.Outcome, res.Problems = OutcomeFailed, []string{"reading the answer: " + err.Error()}
		return res, nil
	}
	res.Status = resp.StatusCode
	if resp.StatusCode >= 500 {
		res.Outcome = OutcomeFailed
		res.Problems = []string{fmt.Sprintf("the provider answered %d to the document's own example", resp.StatusCode)}
		return res, nil
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: input, Status: resp.StatusCode, Header: resp.Header, Options: options}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		res.Outcome, res.Problems = OutcomeFailed, validationProblems(err)
		return res, nil
	}
	res.Outcome = OutcomePassed
	return res, nil
}

// acceptFor accepts the media types of the operation's success responses.
func acceptFor(op *openapi3.Operation) string {
	seen := map[string]bool{}
	var types []string
	if op.Responses != nil {
		for _, code := range sortedKeys(op.Responses.Map()) {
			r := op.Responses.Value(code)
			if !strings.HasPrefix(code, "2") || r == nil || r.Value == nil {
				continue
			}
			for _, mt := range mediaTypes(r.Value.Content) {
				if !seen[mt] {
					seen[mt] = true
					types = append(types, mt)
				}
			}
		}
	}
	if len(types) == 0 {
		return "*/*"
	}
	return strings.Join(types, ", ")
}

// validationProblems splits kin-openapi's errors into lines, each saying what it is about
// ("response body doesn't match schema: Error at "/id": value must be an integer").
func validationProblems(err error) []string {
	if me, ok := err.(openapi3.MultiError); ok {
		var out []string
		for _, e := range me {
			out = append(out, validationProblems(e)...)
		}
		return out
	}
	var (
		reqE *openapi3filter.RequestError
		resE *openapi3filter.ResponseError
	)
	switch {
	case errors.As(err, &reqE) && reqE.Err != nil:
		var about []string
		switch {
		case reqE.Parameter != nil:
			about = append(about, fmt.Sprintf("%s parameter %s", reqE.Parameter.In, reqE.Parameter.Name))
		case reqE.RequestBody != nil:
			about = append(about, "request body")
		}
		if reqE.Reason != "" {
			about = append(about, reqE.Reason)
		}
		return prefixed(strings.Join(about, " ")+": ", validationProblems(reqE.Err))
	case errors.As(err, &resE) && resE.Err != nil:
		return prefixed(resE.Reason+": ", validationProblems(resE.Err))
	}
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	// kin-openapi appends the schema and the value to a schema error: the first line says it.
	if len(lines) > 1 {
		lines = lines[:1]
	}
	return lines
}

func prefixed(prefix string, lines []string) []string {
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return lines
}

// build makes the operation's request from the document's examples, or says why it cannot.
func (v *selfVerifier) build(path string, item *openapi3.PathItem, op *openapi3.Operation) (builtRequest, string) {
	b := builtRequest{path: path, pathParams: map[string]string{}, query: url.Values{}, header: http.Header{}}
	for _, p := range mergedParameters(item, op) {
		value, ok := parameterExample(p)
		if !ok {
			if p.Required || p.In == openapi3.ParameterInPath {
				return b, fmt.Sprintf("no example for the required %s parameter %s", p.In, p.Name)
			}
			continue
		}
		values, ok := scalarValues(value)
		if !ok {
			return b, fmt.Sprintf("the example of the %s parameter %s is not a value Treaty can send", p.In, p.Name)
		}
		switch p.In {
		case openapi3.ParameterInPath:
			joined := strings.Join(values, ",")
			b.pathParams[p.Name] = joined
			b.path = strings.ReplaceAll(b.path, "{"+p.Name+"}", url.PathEscape(joined))
		case openapi3.ParameterInQuery:
			if p.Explode != nil && !*p.Explode {
				b.query.Set(p.Name, strings.Join(values, ","))
			} else {
				for _, s := range values {
					b.query.Add(p.Name, s)
				}
			}
		case openapi3.ParameterInHeader:
			b.header.Set(p.Name, strings.Join(values, ","))
		case openapi3.ParameterInCookie:
			b.cookies = append(b.cookies, &http.Cookie{Name: p.Name, Value: strings.Join(values, ",")})
		}
	}
	if strings.Contains(b.path, "{") {
		return b, "the path has a parameter the document does not declare"
	}
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return b, ""
	}
	rb := op.RequestBody.Value
	for _, mt := range mediaTypes(rb.Content) {
		media := rb.Content[mt]
		value, ok := mediaExample(media)
		if !ok {
			continue
		}
		if body, ok := encodeBody(mt, value); ok {
			b.body, b.contentType = body, mt
			return b, ""
		}
	}
	if rb.Required {
		return b, "no example for the request body"
	}
	return b, ""
}

// mergedParameters are the path item's parameters overridden by the operation's.
func mergedParameters(item *openapi3.PathItem, op *openapi3.Operation) []*openapi3.Parameter {
	var out []*openapi3.Parameter
	index := map[string]int{}
	for _, list := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		for _, ref := range list {
			if ref == nil || ref.Value == nil {
				continue
			}
			p := ref.Value
			key := p.In + " " + p.Name
			if i, ok := index[key]; ok {
				out[i] = p
				continue
			}
			index[key] = len(out)
			out = append(out, p)
		}
	}
	return out
}

func parameterExample(p *openapi3.Parameter) (any, bool) {
	if p.Example != nil {
		return p.Example, true
	}
	if v, ok := firstExample(p.Examples); ok {
		return v, true
	}
	for _, mt := range mediaTypes(p.Content) {
		if v, ok := mediaExample(p.Content[mt]); ok {
			return v, true
		}
	}
	return schemaExample(p.Schema, 0)
}

func mediaExample(m *openapi3.MediaType) (any, bool) {
	if m == nil {
		return nil, false
	}
	if m.Example != nil {
		return m.Example, true
	}
	if v, ok := firstExample(m.Examples); ok {
		return v, true
	}
	return schemaExample(m.Schema, 0)
}

// firstExample is the value of the first named example, by name.
func firstExample(examples openapi3.Examples) (any, bool) {
	for _, name := range sortedKeys(examples) {
		if e := examples[name]; e != nil && e.Value != nil && e.Value.Value != nil {
			return e.Value.Value, true
		}
	}
	return nil, false
}

// maxExampleDepth bounds how deep schemaExample assembles objects (schemas may be cyclic).
const maxExampleDepth = 8

// schemaExample is a schema's example, default or first enum value; or an object assembled
// from its properties' (every required one needs a value), or a one-item array.
func schemaExample(ref *openapi3.SchemaRef, depth int) (any, bool) {
	if ref == nil || ref.Value == nil || depth > maxExampleDepth {
		return nil, false
	}
	s := ref.Value
	switch {
	case s.Example != nil:
		return s.Example, true
	case len(s.Examples) > 0: // OpenAPI 3.1
		return s.Examples[0], true
	case s.Default != nil:
		return s.Default, true
	case len(s.Enum) > 0:
		return s.Enum[0], true
	}
	for _, alt := range [][]*openapi3.SchemaRef{s.OneOf, s.AnyOf} {
		for _, r := range alt {
			if v, ok := schemaExample(r, depth+1); ok {
				return v, true
			}
		}
	}
	if len(s.AllOf) > 0 {
		merged := map[string]any{}
		for _, r := range s.AllOf {
			v, ok := schemaExample(r, depth+1)
			if !ok {
				return nil, false
			}
			m, isObject := v.(map[string]any)
			if !isObject {
				return v, true
			}
			for k, x := range m {
				merged[k] = x
			}
		}
		return merged, true
	}
	switch {
	case s.Type.Is(openapi3.TypeArray):
		if v, ok := schemaExample(s.Items, depth+1); ok {
			return []any{v}, true
		}
		return nil, false
	case s.Type.Is(openapi3.TypeObject) || len(s.Properties) > 0:
		required := map[string]bool{}
		for _, r := range s.Required {
			required[r] = true
		}
		out := map[string]any{}
		for _, name := range sortedKeys(s.Properties) {
			p := s.Properties[name]
			if p != nil && p.Value != nil && p.Value.ReadOnly {
				continue
			}
			v, ok := schemaExample(p, depth+1)
			if !ok {
				if required[name] {
					return nil, false
				}
				continue
			}
			out[name] = v
		}
		if len(out) == 0 && len(required) > 0 {
			return nil, false
		}
		return out, len(out) > 0 || len(s.Properties) == 0
	}
	return nil, false
}

// scalarValues turns a parameter's example into the strings to send: a scalar, or an array
// of scalars (a form-style list).
func scalarValues(v any) ([]string, bool) {
	switch t := v.(type) {
	case nil:
		return nil, false
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := scalarString(e)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	s, ok := scalarString(v)
	return []string{s}, ok
}

func scalarString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case bool, float64, float32, int, int64, json.Number:
		return fmt.Sprint(t), true
	}
	return "", false
}

// encodeBody encodes an example for a media type: JSON for JSON types, form encoding for a
// flat object, text as it is.
func encodeBody(mediaType string, v any) ([]byte, bool) {
	switch {
	case isJSONType(mediaType):
		data, err := json.Marshal(v)
		return data, err == nil
	case mediaType == "application/x-www-form-urlencoded":
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		form := url.Values{}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			values, ok := scalarValues(m[k])
			if !ok {
				return nil, false
			}
			for _, s := range values {
				form.Add(k, s)
			}
		}
		return []byte(form.Encode()), true
	case strings.HasPrefix(mediaType, "text/"):
		s, ok := scalarString(v)
		return []byte(s), ok
	}
	return nil, false
}
