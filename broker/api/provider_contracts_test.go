package api_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/broker/api"
)

// Provider contracts and bi-directional contract testing through the real router, on every
// database: publishing as the pact CLI does, the refusals, the read resources, and the matrix
// and can-i-deploy for providers that publish an OpenAPI document instead of verifying pacts.

// thingsAPI is Bar's document: it serves what interaction() expects.
const thingsAPI = `openapi: 3.0.3
info: {title: Bar, version: "1"}
paths:
  /things:
    get:
      responses:
        "200":
          description: the things
          content:
            application/json:
              schema:
                type: object
                properties:
                  things: {type: array, items: {type: string}}
`

// thingsAPIJSON is the same document in JSON, keys in another order.
const thingsAPIJSON = `{"paths": {"/things": {"get": {"responses": {"200": {"content": {"application/json": {"schema":
	{"properties": {"things": {"items": {"type": "string"}, "type": "array"}}, "type": "object"}}}, "description": "the things"}}}}},
	"openapi": "3.0.3", "info": {"version": "1", "title": "Bar"}}`

// thingsSwagger is the same API as a Swagger 2.0 document.
const thingsSwagger = `{"swagger": "2.0", "info": {"title": "Bar", "version": "1"}, "basePath": "/", "paths": {"/things": {"get": {
	"produces": ["application/json"], "responses": {"200": {"description": "the things", "schema": {"type": "object",
	"properties": {"things": {"type": "array", "items": {"type": "string"}}}}}}}}}}`

// widgetsAPI is a later Bar that serves widgets, not things.
const widgetsAPI = `openapi: 3.0.3
info: {title: Bar, version: "2"}
paths:
  /widgets:
    get:
      responses:
        "200": {description: the widgets}
`

// Self-verification outcomes for publishContract.
const (
	selfPassed = "passed"
	selfFailed = "failed"
	selfNone   = "none"
)

func contractBody(version, branch, doc, self string) map[string]any {
	contract := map[string]any{"content": base64.StdEncoding.EncodeToString([]byte(doc)), "contentType": "application/yaml", "specification": "oas"}
	if self != selfNone {
		contract["selfVerificationResults"] = map[string]any{"success": self == selfPassed,
			"content": base64.StdEncoding.EncodeToString([]byte("12 tests, " + self)), "contentType": "text/plain",
			"format": "text", "verifier": "dredd", "verifierVersion": "14.1.0"}
	}
	body := map[string]any{"pacticipantVersionNumber": version, "contract": contract}
	if branch != "" {
		body["branch"] = branch
	}
	return body
}

// publishContract publishes provider version's OpenAPI document as the pact CLI does.
func (h *harness) publishContract(provider, version, doc, self string) response {
	h.t.Helper()
	return h.must(200, http.MethodPost, "/provider-contracts/provider/"+esc(provider)+"/publish", contractBody(version, "main", doc, self))
}

// messagePact is a pact with no HTTP interaction.
func messagePact(consumer, provider string) map[string]any {
	return map[string]any{"consumer": map[string]any{"name": consumer}, "provider": map[string]any{"name": provider},
		"messages": []any{map[string]any{"description": "a thing happened", "contents": map[string]any{"id": 1}}},
		"metadata": map[string]any{"pactSpecification": map[string]any{"version": "3.0.0"}}}
}

func TestPublishProviderContract(t *testing.T) {
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		index := h.must(200, http.MethodGet, "/", nil)
		if href := get(index.JSON, "_links", "pf:publish-provider-contract", "href"); href != "http://broker.test/provider-contracts/provider/{provider}/publish" {
			t.Fatalf("pf:publish-provider-contract = %v", href)
		}

		body := contractBody("1.2.3", "main", thingsAPI, selfPassed)
		body["tags"] = []string{"dev", "prod"}
		body["buildUrl"] = "http://ci/build/42"
		res := h.must(200, http.MethodPost, "/provider-contracts/provider/Bar/publish", body)
		// What the pact CLI needs to exit 0.
		if get(res.JSON, "_embedded", "version", "number") != "1.2.3" {
			t.Fatalf("_embedded.version.number: %s", res.Raw)
		}
		if tags, _ := get(res.JSON, "_links", "pb:pacticipant-version-tags").([]any); len(tags) != 2 || get(tags[0], "name") != "dev" {
			t.Fatalf("pb:pacticipant-version-tags: %s", res.Raw)
		}
		if get(res.JSON, "_links", "pb:branch-version", "name") != "main" {
			t.Fatalf("pb:branch-version: %s", res.Raw)
		}
		for _, want := range []string{"Successfully published provider contract for Bar version 1.2.3",
			"View the uploaded contract at http://broker.test/contracts/bi-directional/provider/Bar/version/1.2.3/provider-contract"} {
			if !strings.Contains(string(res.Raw), want) {
				t.Fatalf("notices lack %q: %s", want, res.Raw)
			}
		}

		version := h.must(200, http.MethodGet, "/pacticipants/Bar/versions/1.2.3", nil)
		if get(version.JSON, "buildUrl") != "http://ci/build/42" || !strings.Contains(string(version.Raw), `"prod"`) {
			t.Fatalf("version: %s", version.Raw)
		}

		got := h.must(200, http.MethodGet, "/contracts/bi-directional/provider/Bar/version/1.2.3/provider-contract", nil)
		if get(got.JSON, "content") != thingsAPI || get(got.JSON, "specification") != "oas" || get(got.JSON, "contentType") != "application/yaml" {
			t.Fatalf("provider contract: %s", got.Raw)
		}
		if get(got.JSON, "selfVerificationResults", "verifier") != "dredd" {
			t.Fatalf("self-verification results not as sent: %s", got.Raw)
		}
		latest := h.must(200, http.MethodGet, "/contracts/bi-directional/provider/Bar/latest/provider-contract", nil)
		if get(latest.JSON, "providerVersion", "number") != "1.2.3" {
			t.Fatalf("latest: %s", latest.Raw)
		}
		self := h.must(200, http.MethodGet, "/contracts/bi-directional/provider/Bar/version/1.2.3/provider-contract-verification-results", nil)
		if get(self.JSON, "success") != true || get(self.JSON, "verifierVersion") != "14.1.0" || get(self.JSON, "format") != "text" {
			t.Fatalf("self-verification: %s", self.Raw)
		}

		// The same document in JSON is the same content: republishing it replaces the
		// self-verification, and changes nothing else.
		again := contractBody("1.2.3", "", thingsAPIJSON, selfFailed)
		again["contract"].(map[string]any)["contentType"] = "application/json"
		res = h.must(200, http.MethodPost, "/provider-contracts/provider/Bar/publish", again)
		if !strings.Contains(string(res.Raw), "republished with no content changes") {
			t.Fatalf("republication: %s", res.Raw)
		}
		self = h.must(200, http.MethodGet, "/contracts/bi-directional/provider/Bar/version/1.2.3/provider-contract-verification-results", nil)
		if get(self.JSON, "success") != false {
			t.Fatalf("self-verification not replaced: %s", self.Raw)
		}

		// Another document for the same version is refused, as a changed pact is.
		res = h.must(409, http.MethodPost, "/provider-contracts/provider/Bar/publish", contractBody("1.2.3", "", widgetsAPI, selfPassed))
		if !strings.Contains(string(res.Raw), "Cannot change the content of the provider contract for Bar version 1.2.3") {
			t.Fatalf("409 body: %s", res.Raw)
		}

		// The older API: PUT with contractType and verificationResults.
		res = h.must(201, http.MethodPut, "/contracts/provider/Bar/version/1.2.4", map[string]any{
			"content": base64.StdEncoding.EncodeToString([]byte(widgetsAPI)), "contractType": "oas", "contentType": "application/yaml",
			"verificationResults": map[string]any{"success": true, "verifier": "schemathesis"}})
		if get(res.JSON, "selfVerificationResults", "verifier") != "schemathesis" {
			t.Fatalf("legacy PUT: %s", res.Raw)
		}
		h.must(200, http.MethodPut, "/contracts/provider/Bar/version/1.2.4", map[string]any{
			"content": base64.StdEncoding.EncodeToString([]byte(widgetsAPI)), "contractType": "oas", "contentType": "application/yaml"})

		// Without results, the contract is published with a warning, and no results resource.
		res = h.publishContract("Bar", "1.2.5", thingsAPI, selfNone)
		if !strings.Contains(string(res.Raw), "No self-verification results were published") {
			t.Fatalf("no warning about the missing self-verification: %s", res.Raw)
		}
		h.must(404, http.MethodGet, "/contracts/bi-directional/provider/Bar/version/1.2.5/provider-contract-verification-results", nil)
		h.must(404, http.MethodGet, "/contracts/bi-directional/provider/Bar/version/9/provider-contract", nil)
		h.must(404, http.MethodGet, "/contracts/bi-directional/provider/Nobody/latest/provider-contract", nil)
	})
}

func TestPublishProviderContractAcceptsAnInvalidDocumentWithAWarning(t *testing.T) {
	// No responses: kin-openapi finds the document invalid, but it can still be compared.
	const invalid = "openapi: 3.0.3\ninfo: {title: Bar, version: '1'}\npaths:\n  /things:\n    get: {}\n"
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		res := h.publishContract("Bar", "1", invalid, selfPassed)
		if !strings.Contains(string(res.Raw), `"type":"warning","text":"The OpenAPI document was accepted, but invalid document:`) {
			t.Fatalf("no warning notice: %s", res.Raw)
		}
	})
}

func TestPublishProviderContractRejectsBadInputAndWritesNothing(t *testing.T) {
	valid := func(mutate func(body, contract map[string]any)) map[string]any {
		b := contractBody("1", "main", thingsAPI, selfPassed)
		mutate(b, b["contract"].(map[string]any))
		return b
	}
	content := func(doc string) func(b, c map[string]any) {
		return func(_, c map[string]any) { c["content"] = base64.StdEncoding.EncodeToString([]byte(doc)) }
	}
	cases := []struct {
		name       string
		body       any
		wantStatus int
		wantError  string
	}{
		{"missing version", valid(func(b, _ map[string]any) { delete(b, "pacticipantVersionNumber") }), 400, `"pacticipantVersionNumber":["cannot be blank"]`},
		{"missing contract", valid(func(b, _ map[string]any) { delete(b, "contract") }), 400, `"contract":["is missing"]`},
		{"missing content", valid(func(_, c map[string]any) { delete(c, "content") }), 400, `"contract":["content is missing"]`},
		{"bad base64", valid(func(_, c map[string]any) { c["content"] = "not base64!" }), 400, "is not valid base64"},
		{"wrong specification", valid(func(_, c map[string]any) { c["specification"] = "asyncapi" }), 400, `must be \"oas\" (got \"asyncapi\")`},
		{"blank branch", valid(func(b, _ map[string]any) { b["branch"] = " " }), 400, `"branch":["cannot be blank"]`},
		{"bad build URL", valid(func(b, _ map[string]any) { b["buildUrl"] = "not a url" }), 400, "must be an absolute URL"},
		{"unparseable document", valid(content("openapi: 3.0.3\ninfo: [unclosed\n")), 400, `"contract":["content is not a valid OpenAPI document: not JSON or YAML`},
		{"plain text", valid(content("hello")), 400, "the top level is not an object"},
		{"not OpenAPI", valid(content(`{"asyncapi": "2.6.0"}`)), 400, `neither \"openapi\" nor \"swagger\"`},
		{"OpenAPI 4", valid(content(`{"openapi": "4.0.0", "paths": {}}`)), 400, "is not 3.x"},
		{"external $ref", valid(content(`openapi: 3.0.3
info: {title: Bar, version: "1"}
paths:
  /things:
    $ref: 'https://example.com/things.yaml'
`)), 400, "external $ref \\\"https://example.com/things.yaml\\\" at [root].paths./things is refused"},
		{"external file $ref", valid(content(`{"openapi": "3.0.3", "info": {"title": "Bar", "version": "1"}, "paths": {"/things": {"get":
			{"responses": {"200": {"$ref": "../../../etc/passwd#/x"}}}}}}`)), 400, "Treaty never fetches other documents"},
		{"not UTF-8", valid(func(_, c map[string]any) { c["content"] = base64.StdEncoding.EncodeToString([]byte{'{', 0xff, '}'}) }), 400, "not UTF-8 text"},
		{"self-verification without success", valid(func(_, c map[string]any) {
			c["selfVerificationResults"] = map[string]any{"verifier": "dredd"}
		}), 400, `"contract":["selfVerificationResults.success is missing (true or false)"]`},
		{"self-verification not an object", valid(func(_, c map[string]any) { c["selfVerificationResults"] = "yes" }), 400, "selfVerificationResults must be an object"},
		{"malformed JSON", `{"pacticipantVersionNumber": "1",`, 400, "is not valid JSON"},
	}
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				h.t = t
				res := h.must(tc.wantStatus, http.MethodPost, "/provider-contracts/provider/Bar/publish", tc.body)
				if !strings.Contains(string(res.Raw), tc.wantError) {
					t.Fatalf("body %s does not mention %q", res.Raw, tc.wantError)
				}
				list := h.must(200, http.MethodGet, "/pacticipants", nil)
				if n := len(get(list.JSON, "_embedded", "pacticipants").([]any)); n != 0 {
					t.Fatalf("a refused publication left %d pacticipants behind", n)
				}
			})
		}
		h.t = t
		h.must(400, http.MethodPut, "/contracts/provider/Bar/version/1", map[string]any{"content": "b3Blbg=="})
	})
}

// TestBidirectionalScenarios are can-i-deploy questions about providers that publish an
// OpenAPI document (Bar), beside one that verifies pacts (Baz).
func TestBidirectionalScenarios(t *testing.T) {
	scenarios := []struct {
		name  string
		setup func(h *harness)
		query string
		want  verdict
		types []string // the rows' verificationType, in order; nil: not checked
	}{
		{"compatible and self-verified: yes", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.publishContract("Bar", "2", thingsAPI, selfPassed)
			h.deploy("Bar", "2", "test", "")
		}, cid("Foo", "1", "test"), verdict{true, 1, "All required verification results are published and successful", []int{1, 0, 0}},
			[]string{"bidirectional"}},

		{"a Swagger 2.0 document", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.publishContract("Bar", "2", thingsSwagger, selfPassed)
			h.deploy("Bar", "2", "test", "")
		}, cid("Foo", "1", "test"), verdict{true, 1, "All required", []int{1, 0, 0}}, []string{"bidirectional"}},

		{"a JSON document", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.publishContract("Bar", "2", thingsAPIJSON, selfPassed)
			h.deploy("Bar", "2", "test", "")
		}, cid("Foo", "1", "test"), verdict{true, 1, "All required", []int{1, 0, 0}}, nil},

		{"the contract came first: the pact is compared when it is published", func(h *harness) {
			h.publishContract("Bar", "2", thingsAPI, selfPassed)
			h.deploy("Bar", "2", "test", "")
			h.publishPact("Foo", "1", "Bar", 1, "main")
		}, cid("Foo", "1", "test"), verdict{true, 1, "All required", []int{1, 0, 0}}, []string{"bidirectional"}},

		{"incompatible: no, with the finding", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.publishContract("Bar", "2", widgetsAPI, selfPassed)
			h.deploy("Bar", "2", "test", "")
		}, cid("Foo", "1", "test"), verdict{false, 1, "The pact between version 1 of Foo and the version of Bar currently in test (2) is not compatible with the OpenAPI document of version 2 of Bar: request.path-or-method.unknown Path or method not defined in spec file: GET /things ([root].interactions[0].request.path)", []int{0, 1, 0}},
			[]string{"bidirectional"}},

		{"self-verification failed: no", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.publishContract("Bar", "2", thingsAPI, selfFailed)
			h.deploy("Bar", "2", "test", "")
		}, cid("Foo", "1", "test"), verdict{false, 1, "The self-verification of the OpenAPI document of version 2 of Bar failed", []int{0, 1, 0}}, nil},

		{"no self-verification: no", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.publishContract("Bar", "2", thingsAPI, selfNone)
			h.deploy("Bar", "2", "test", "")
		}, cid("Foo", "1", "test"), verdict{false, 1, "No self-verification results were published for the OpenAPI document of version 2 of Bar", []int{0, 1, 0}}, nil},

		{"incompatible and not self-verified: both reasons", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.publishContract("Bar", "2", widgetsAPI, selfFailed)
			h.deploy("Bar", "2", "test", "")
		}, cid("Foo", "1", "test"), verdict{false, 1, "request.path-or-method.unknown Path or method not defined in spec file: GET /things ([root].interactions[0].request.path)\nThe self-verification of the OpenAPI document of version 2 of Bar failed", []int{0, 1, 0}}, nil},

		{"a self-verification published later counts", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.publishContract("Bar", "2", thingsAPI, selfNone)
			h.deploy("Bar", "2", "test", "")
			h.publishContract("Bar", "2", thingsAPI, selfPassed)
		}, cid("Foo", "1", "test"), verdict{true, 1, "All required", []int{1, 0, 0}}, nil},

		{"mixed: a pact-verified provider and an OpenAPI provider", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.publishPact("Foo", "1", "Baz", 2, "main")
			h.publishContract("Bar", "2", thingsAPI, selfPassed)
			h.verify("Foo", "1", "Baz", "7", true)
			h.deploy("Bar", "2", "test", "")
			h.deploy("Baz", "7", "test", "")
		}, cid("Foo", "1", "test"), verdict{true, 2, "All required", []int{2, 0, 0}}, []string{"pact", "bidirectional"}},

		{"mixed: the pact-verified provider failed", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.publishPact("Foo", "1", "Baz", 2, "main")
			h.publishContract("Bar", "2", thingsAPI, selfPassed)
			h.verify("Foo", "1", "Baz", "7", false)
			h.deploy("Bar", "2", "test", "")
			h.deploy("Baz", "7", "test", "")
		}, cid("Foo", "1", "test"), verdict{false, 2, "The verification for the pact between version 1 of Foo and the version of Baz currently in test (7) failed", []int{1, 1, 0}}, nil},

		{"verified or compatible: a failed verification beside a good contract", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.verify("Foo", "1", "Bar", "2", false)
			h.publishContract("Bar", "2", thingsAPI, selfPassed)
			h.deploy("Bar", "2", "test", "")
		}, cid("Foo", "1", "test"), verdict{true, 1, "All required", []int{1, 0, 0}}, []string{"bidirectional"}},

		{"a new provider contract must suit the consumers in the environment", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.deploy("Foo", "1", "prod", "")
			h.publishContract("Bar", "2", thingsAPI, selfPassed)
			h.publishContract("Bar", "3", widgetsAPI, selfPassed)
		}, cid("Bar", "3", "prod"), verdict{false, 1, "is not compatible with the OpenAPI document of version 3 of Bar", []int{0, 1, 0}}, nil},

		{"the compatible provider version can go", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.deploy("Foo", "1", "prod", "")
			h.publishContract("Bar", "2", thingsAPI, selfPassed)
			h.publishContract("Bar", "3", widgetsAPI, selfPassed)
		}, cid("Bar", "2", "prod"), verdict{true, 1, "All required", []int{1, 0, 0}}, nil},

		{"compared on demand for versions that did not matter when published", func(h *harness) {
			h.publishContract("Bar", "2", thingsAPI, selfPassed)
			h.publishContract("Bar", "3", widgetsAPI, selfPassed)
			h.publishPact("Foo", "1", "Bar", 1, "feat")
		}, "q[][pacticipant]=Foo&q[][version]=1&q[][pacticipant]=Bar&q[][version]=2", verdict{true, 1, "All required", []int{1, 0, 0}}, nil},

		{"every version: one row per provider version with a contract", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.publishContract("Bar", "2", thingsAPI, selfPassed)
			h.publishContract("Bar", "3", widgetsAPI, selfPassed)
		}, "q[][pacticipant]=Foo&q[][pacticipant]=Bar", verdict{false, 2, "", []int{1, 1, 0}}, nil},

		{"a pact with no HTTP interactions is not compatible", func(h *harness) {
			h.must(200, http.MethodPost, "/contracts/publish", publishBody("Foo", "1", "main", messagePact("Foo", "Bar")))
			h.publishContract("Bar", "2", thingsAPI, selfPassed)
			h.deploy("Bar", "2", "test", "")
		}, cid("Foo", "1", "test"), verdict{false, 1, "the pact has no HTTP interactions: there is nothing to compare with the OpenAPI document", []int{0, 1, 0}}, nil},
	}
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				h.t = t
				h.reset()
				sc.setup(h)
				res := h.matrix(sc.query)
				h.expect(res, sc.want)
				if sc.types != nil {
					rows := res.JSON["matrix"].([]any)
					var got []string
					for _, r := range rows {
						got = append(got, get(r, "verificationType").(string))
					}
					if strings.Join(got, ",") != strings.Join(sc.types, ",") {
						t.Fatalf("verificationType %v, want %v: %s", got, sc.types, res.Raw)
					}
				}
			})
		}
	})
}

func TestBidirectionalResultsAreStoredOnceAndReadable(t *testing.T) {
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		h.publishPact("Foo", "1", "Bar", 1, "main")
		h.publishPact("Foo", "2", "Bar", 1, "main") // the same content
		res := h.publishContract("Bar", "2", widgetsAPI, selfPassed)
		if !strings.Contains(string(res.Raw), "Not compatible with the pact of Foo version 2: request.path-or-method.unknown") {
			t.Fatalf("the publication does not report the comparison: %s", res.Raw)
		}
		h.publishContract("Bar", "3", widgetsAPI, selfPassed) // the same document again
		h.deploy("Bar", "3", "test", "")
		for range 3 {
			h.expect(h.matrix(cid("Foo", "1", "test")), verdict{false, 1, "request.path-or-method.unknown", nil})
		}
		if n := h.comparisons(); n != 1 {
			t.Fatalf("%d comparisons stored for one pact content and one document content, want 1", n)
		}

		row := get(h.matrix(cid("Foo", "1", "test")).JSON, "matrix", 0)
		href := get(row, "verificationResult", "_links", "self", "href").(string)
		result := h.must(200, http.MethodGet, strings.TrimPrefix(href, "http://broker.test"), nil)
		if get(result.JSON, "summary", "success") != false || get(result.JSON, "providerContractVerificationResults", "success") != true {
			t.Fatalf("verification results: %s", result.Raw)
		}
		if get(result.JSON, "crossContractVerificationResults", "results", "errors", 0, "code") != "request.path-or-method.unknown" {
			t.Fatalf("cross-contract results: %s", result.Raw)
		}

		list := h.must(200, http.MethodGet, "/contracts/bi-directional/provider/Bar/version/3/cross-contract-verification-results", nil)
		if get(list.JSON, "summary", "incompatible") != float64(1) || get(list.JSON, "_embedded", "crossContractVerificationResults", 0, "consumer", "version", "number") != "2" {
			t.Fatalf("comparisons: %s", list.Raw)
		}
		one := h.must(200, http.MethodGet, "/contracts/bi-directional/provider/Bar/version/3/consumer/Foo/version/1/cross-contract-verification-results", nil)
		if get(one.JSON, "_embedded", "crossContractVerificationResults", 0, "consumer", "version", "number") != "1" ||
			!strings.Contains(get(one.JSON, "_embedded", "crossContractVerificationResults", 0, "results", "failureReason").(string), "GET /things") {
			t.Fatalf("comparison of Foo 1: %s", one.Raw)
		}
		h.must(404, http.MethodGet, "/contracts/bi-directional/provider/Bar/version/3/consumer/Foo/version/9/cross-contract-verification-results", nil)
		h.must(404, http.MethodGet, "/contracts/bi-directional/provider/Bar/version/9/cross-contract-verification-results", nil)
	})
}

// comparisons counts the stored comparisons.
func (h *harness) comparisons() int {
	h.t.Helper()
	db, err := h.store.DB()
	if err != nil {
		h.t.Fatal(err)
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM contract_comparisons").Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func TestBidirectionalComparisonsArePrecomputed(t *testing.T) {
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		// A pact for a provider without contracts costs no comparison.
		h.publishPact("Foo", "1", "Baz", 1, "main")
		if n := h.comparisons(); n != 0 {
			t.Fatalf("%d comparisons, want 0", n)
		}
		// A new contract is compared with the consumers' latest pacts at once.
		h.publishPact("Foo", "1", "Bar", 1, "main")
		h.publishContract("Bar", "2", thingsAPI, selfPassed)
		if n := h.comparisons(); n != 1 {
			t.Fatalf("%d comparisons after the contract was published, want 1", n)
		}
		// A new pact is compared with the deployed provider version's contract at once, and
		// with the latest: both are Bar 2's document.
		h.deploy("Bar", "2", "production", "")
		h.publishPact("Foo", "2", "Bar", 2, "feat")
		if n := h.comparisons(); n != 2 {
			t.Fatalf("%d comparisons after the pact was published, want 2", n)
		}
		h.expect(h.matrix(cid("Foo", "2", "production")), verdict{true, 1, "All required", nil})
		if n := h.comparisons(); n != 2 {
			t.Fatalf("%d comparisons after can-i-deploy, want 2 (computed already)", n)
		}
	})
}
