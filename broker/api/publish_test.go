package api_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/broker/api"
)

func TestPublishContractsRejectsBadInputAndWritesNothing(t *testing.T) {
	good := pactJSON("Foo", "Bar", interaction("a request for things", 200))
	valid := func(mutate func(body map[string]any)) map[string]any {
		b := publishBody("Foo", "1.0.0", "main", good)
		mutate(b)
		return b
	}
	contract := func(b map[string]any) map[string]any { return b["contracts"].([]any)[0].(map[string]any) }
	cases := []struct {
		name       string
		body       any
		headers    []string
		wantStatus int
		wantError  string // a substring of the response body
	}{
		{"missing pacticipant name", valid(func(b map[string]any) { delete(b, "pacticipantName") }), nil, 400, `"pacticipantName":["cannot be blank"]`},
		{"missing version", valid(func(b map[string]any) { delete(b, "pacticipantVersionNumber") }), nil, 400, `"pacticipantVersionNumber":["cannot be blank"]`},
		{"multi-line version", valid(func(b map[string]any) { b["pacticipantVersionNumber"] = "1\n2" }), nil, 400, "cannot contain multiple lines"},
		{"over-long version", valid(func(b map[string]any) { b["pacticipantVersionNumber"] = strings.Repeat("9", 300) }), nil, 400, "at most 255 characters"},
		{"blank branch", valid(func(b map[string]any) { b["branch"] = " " }), nil, 400, `"branch":["cannot be blank"]`},
		{"blank tag", valid(func(b map[string]any) { b["tags"] = []string{""} }), nil, 400, `"tags":{"0":["cannot be blank"]}`},
		{"tags not an array", valid(func(b map[string]any) { b["tags"] = "prod" }), nil, 400, "field tags must be an array"},
		{"no contracts", valid(func(b map[string]any) { b["contracts"] = []any{} }), nil, 400, "at least one contract is required"},
		{"bad base64", valid(func(b map[string]any) { contract(b)["content"] = "not base64!" }), nil, 400, "content is not valid base64"},
		{"content not JSON", valid(func(b map[string]any) { contract(b)["content"] = base64.StdEncoding.EncodeToString([]byte("{oops")) }), nil, 400, "pact content is not valid JSON"},
		{"content not an object", valid(func(b map[string]any) { contract(b)["content"] = base64.StdEncoding.EncodeToString([]byte("[1]")) }), nil, 400, "must be a JSON object"},
		{"content not UTF-8", valid(func(b map[string]any) {
			contract(b)["content"] = base64.StdEncoding.EncodeToString([]byte{'{', 0xff, '}'})
		}), nil, 400, "not valid UTF-8"},
		{"consumer differs from pacticipant", valid(func(b map[string]any) { contract(b)["consumerName"] = "Other" }), nil, 400, "consumerName (Other) must match pacticipantName (Foo)"},
		{"provider name in pact differs", valid(func(b map[string]any) { contract(b)["providerName"] = "Baz" }), nil, 400, `the provider name in the pact (\"Bar\") does not match the provider name \"Baz\"`},
		{"wrong content type of contract", valid(func(b map[string]any) { contract(b)["contentType"] = "text/plain" }), nil, 400, "contentType must be 'application/json'"},
		{"wrong specification", valid(func(b map[string]any) { contract(b)["specification"] = "openapi" }), nil, 400, "specification must be 'pact'"},
		{"unknown onConflict", valid(func(b map[string]any) { contract(b)["onConflict"] = "clobber" }), nil, 400, "onConflict must be one of overwrite, merge"},
		{"malformed JSON body", `{"pacticipantName": "Foo",`, nil, 400, "is not valid JSON"},
		{"wrong request content type", valid(func(map[string]any) {}), []string{"Content-Type", "text/plain"}, 415, "Unsupported content type"},
	}
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				h.t = t
				res := h.must(tc.wantStatus, http.MethodPost, "/contracts/publish", tc.body, tc.headers...)
				if !strings.Contains(string(res.Raw), tc.wantError) {
					t.Fatalf("body %s does not mention %q", res.Raw, tc.wantError)
				}
				list := h.must(200, http.MethodGet, "/pacticipants", nil)
				if n := len(get(list.JSON, "_embedded", "pacticipants").([]any)); n != 0 {
					t.Fatalf("a refused publication left %d pacticipants behind", n)
				}
			})
		}
	})
}

func TestPublishBodyOverLimitIs413(t *testing.T) {
	eachBackend(t, api.Config{MaxBodyBytes: 512}, func(t *testing.T, h *harness) {
		big := pactJSON("Foo", "Bar", interaction(strings.Repeat("x", 2000), 200))
		res := h.must(413, http.MethodPost, "/contracts/publish", publishBody("Foo", "1", "", big))
		if !strings.Contains(string(res.Raw), "larger than the limit of 512 bytes") {
			t.Fatalf("413 body: %s", res.Raw)
		}
	})
}

func TestPublishLifecycle(t *testing.T) {
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		pact := pactJSON("Foo", "Bar", interaction("a request for things", 200))
		body := publishBody("Foo", "1.0.0", "main", pact)
		body["tags"] = []string{"prod", "dev"}
		body["buildUrl"] = "https://ci.example.com/1"
		res := h.must(200, http.MethodPost, "/contracts/publish", body)
		notices := texts(res.JSON["notices"])
		for _, want := range []string{"Created Foo version 1.0.0 with branch main and tags prod, dev",
			"Pact successfully published for Foo version 1.0.0 and provider Bar."} {
			if !contains(notices, want) {
				t.Fatalf("notices %q lack %q", notices, want)
			}
		}
		if get(res.JSON, "_links", "pb:contracts", 0, "href") != "http://broker.test/pacts/provider/Bar/consumer/Foo/version/1.0.0" {
			t.Fatalf("pb:contracts: %v", get(res.JSON, "_links", "pb:contracts"))
		}
		if len(get(res.JSON, "logs").([]any)) != len(notices) {
			t.Fatal("logs must mirror notices for older clients")
		}

		doc := h.must(200, http.MethodGet, "/pacts/provider/Bar/consumer/Foo/version/1.0.0", nil)
		if id, _ := get(doc.JSON, "interactions", 0, "_id").(string); len(id) != 40 {
			t.Fatalf("interaction _id = %q, want a SHA-1", id)
		}
		for _, rel := range []string{"pb:publish-verification-results", "pb:provider", "pb:consumer-version", "pb:pact-version"} {
			if get(doc.JSON, "_links", rel, "href") == nil {
				t.Fatalf("pact document lacks %s", rel)
			}
		}
		sha := get(doc.JSON, "_links", "pb:pact-version", "name").(string)

		// Republishing the same content is accepted and says so.
		res = h.must(200, http.MethodPost, "/contracts/publish", publishBody("Foo", "1.0.0", "main", pact))
		if !contains(texts(res.JSON["notices"]), "Pact successfully republished for Foo version 1.0.0 and provider Bar with no content changes.") {
			t.Fatalf("republish notices: %v", res.JSON["notices"])
		}

		// Changing the content of a published version is refused, with the reason and a diff.
		changed := pactJSON("Foo", "Bar", interaction("a request for things", 201))
		res = h.must(409, http.MethodPost, "/contracts/publish", publishBody("Foo", "1.0.0", "main", changed))
		if !strings.Contains(string(res.Raw), "Cannot change the content of the pact for Foo version 1.0.0 and provider Bar") ||
			!strings.Contains(string(res.Raw), `changed: interaction \"a request for things\"`) {
			t.Fatalf("409 body: %s", res.Raw)
		}

		// Merging adds interactions without touching the existing ones.
		extra := pactJSON("Foo", "Bar", interaction("another request", 200))
		mergeBody := publishBody("Foo", "1.0.0", "main", extra)
		mergeBody["contracts"].([]any)[0].(map[string]any)["onConflict"] = "merge"
		res = h.must(200, http.MethodPost, "/contracts/publish", mergeBody)
		if !contains(texts(res.JSON["notices"]), "Pact successfully merged for Foo version 1.0.0 and provider Bar.") {
			t.Fatalf("merge notices: %v", res.JSON["notices"])
		}
		doc = h.must(200, http.MethodGet, "/pacts/provider/Bar/consumer/Foo/version/1.0.0", nil)
		if n := len(get(doc.JSON, "interactions").([]any)); n != 2 {
			t.Fatalf("merged pact has %d interactions, want 2", n)
		}
		// A merge that changes an existing interaction is a conflict.
		mergeBody = publishBody("Foo", "1.0.0", "main", changed)
		mergeBody["contracts"].([]any)[0].(map[string]any)["onConflict"] = "merge"
		h.must(409, http.MethodPost, "/contracts/publish", mergeBody)

		// The same content from another consumer version is stored once: same SHA.
		h.must(200, http.MethodPost, "/contracts/publish", publishBody("Foo", "1.0.1", "main", pact))
		doc2 := h.must(200, http.MethodGet, "/pacts/provider/Bar/consumer/Foo/version/1.0.1", nil)
		if got := get(doc2.JSON, "_links", "pb:pact-version", "name"); got != sha {
			t.Fatalf("identical content got SHA %v, want %v", got, sha)
		}
		bySHA := h.must(200, http.MethodGet, "/pacts/provider/Bar/consumer/Foo/pact-version/"+sha, nil)
		if get(bySHA.JSON, "consumer", "name") != "Foo" {
			t.Fatalf("pact by SHA: %s", bySHA.Raw)
		}
		latest := h.must(200, http.MethodGet, "/pacts/provider/Bar/consumer/Foo/latest", nil)
		if get(latest.JSON, "_links", "pb:consumer-version", "name") != "1.0.1" {
			t.Fatalf("latest pact is of version %v, want 1.0.1", get(latest.JSON, "_links", "pb:consumer-version", "name"))
		}
		tagged := h.must(200, http.MethodGet, "/pacts/provider/Bar/consumer/Foo/latest/prod", nil)
		if get(tagged.JSON, "_links", "pb:consumer-version", "name") != "1.0.0" {
			t.Fatal("latest prod pact must be of 1.0.0, the only version tagged prod")
		}
		h.must(404, http.MethodGet, "/pacts/provider/Bar/consumer/Foo/latest/nope", nil)

		version := h.must(200, http.MethodGet, "/pacticipants/Foo/versions/1.0.0", nil)
		if get(version.JSON, "buildUrl") != "https://ci.example.com/1" || get(version.JSON, "_embedded", "branchVersions", 0, "name") != "main" {
			t.Fatalf("version: %s", version.Raw)
		}
		foo := h.must(200, http.MethodGet, "/pacticipants/Foo", nil)
		if get(foo.JSON, "mainBranch") != "main" {
			t.Fatal("the first version on main must make main the main branch")
		}
	})
}

func TestPactSpecificationVersionsServedIntact(t *testing.T) {
	v4 := map[string]any{
		"consumer": map[string]any{"name": "Foo"}, "provider": map[string]any{"name": "Bar"},
		"interactions": []any{
			map[string]any{"type": "Synchronous/HTTP", "description": "get a thing", "key": "k1", "pending": false,
				"request":  map[string]any{"method": "GET", "path": "/thing"},
				"response": map[string]any{"status": 200, "body": map[string]any{"content": map[string]any{"id": 1.5e300}, "contentType": "application/json", "encoded": false}}},
			map[string]any{"type": "Asynchronous/Messages", "description": "a thing happened", "key": "k2",
				"contents": map[string]any{"content": map[string]any{"id": 12345678901234567890.0}, "contentType": "application/json"},
				"metadata": map[string]any{"topic": "things"}},
		},
		"metadata": map[string]any{"pactSpecification": map[string]any{"version": "4.0"}},
	}
	v3messages := map[string]any{
		"consumer": map[string]any{"name": "Foo"}, "provider": map[string]any{"name": "Queue"},
		"messages": []any{map[string]any{"description": "an event", "contents": map[string]any{"a": "b"}, "providerStates": []any{map[string]any{"name": "s", "params": map[string]any{"x": 1}}}}},
		"metadata": map[string]any{"pactSpecification": map[string]any{"version": "3.0.0"}},
	}
	v2 := map[string]any{
		"consumer": map[string]any{"name": "Foo"}, "provider": map[string]any{"name": "Old"},
		"interactions": []any{map[string]any{"description": "old style", "providerState": "legacy state",
			"request": map[string]any{"method": "GET", "path": "/old"}, "response": map[string]any{"status": 204}}},
		"metadata": map[string]any{"pactSpecificationVersion": "2.0.0"},
	}
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		h.must(200, http.MethodPost, "/contracts/publish", publishBody("Foo", "7", "main", v4, v3messages, v2))
		for _, tc := range []struct {
			provider string
			key      string
			want     map[string]any
		}{{"Bar", "interactions", v4}, {"Queue", "messages", v3messages}, {"Old", "interactions", v2}} {
			doc := h.must(200, http.MethodGet, "/pacts/provider/"+tc.provider+"/consumer/Foo/version/7", nil)
			got := get(doc.JSON, tc.key).([]any)
			want := tc.want[tc.key].([]any)
			if len(got) != len(want) {
				t.Fatalf("%s: %d %s, want %d", tc.provider, len(got), tc.key, len(want))
			}
			for i := range want {
				g := got[i].(map[string]any)
				delete(g, "_id")
				if !sameJSON(g, want[i]) {
					t.Fatalf("%s %s[%d] changed:\n got %v\nwant %v", tc.provider, tc.key, i, g, want[i])
				}
			}
			if !sameJSON(doc.JSON["metadata"], tc.want["metadata"]) {
				t.Fatalf("%s metadata changed: %v", tc.provider, doc.JSON["metadata"])
			}
		}
		states := h.must(200, http.MethodGet, "/pacts/provider/Queue/provider-states", nil)
		if get(states.JSON, "providerStates", 0, "name") != "s" || get(states.JSON, "providerStates", 0, "consumers", 0) != "Foo" {
			t.Fatalf("provider states: %s", states.Raw)
		}
		states = h.must(200, http.MethodGet, "/pacts/provider/Old/provider-states", nil)
		if get(states.JSON, "providerStates", 0, "name") != "legacy state" {
			t.Fatalf("V2 provider states: %s", states.Raw)
		}
	})
}

func TestLegacyPutPact(t *testing.T) {
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		pact := pactJSON("Foo", "Bar", interaction("a request for things", 200))
		path := "/pacts/provider/Bar/consumer/Foo/version/2.0.0"
		h.must(201, http.MethodPut, path, pact)
		h.must(200, http.MethodPut, path, pact)
		h.must(409, http.MethodPut, path, pactJSON("Foo", "Bar", interaction("a request for things", 500)))
		h.must(200, http.MethodPatch, path, pactJSON("Foo", "Bar", interaction("more", 200)))
		doc := h.must(200, http.MethodGet, path, nil)
		if n := len(get(doc.JSON, "interactions").([]any)); n != 2 {
			t.Fatalf("PATCH merged to %d interactions, want 2", n)
		}
		res := h.must(400, http.MethodPut, "/pacts/provider/Baz/consumer/Foo/version/2.0.0", pact)
		if !strings.Contains(string(res.Raw), "does not match the provider name") {
			t.Fatalf("mismatched names: %s", res.Raw)
		}
		h.must(400, http.MethodPut, path, "{not json")
		h.must(415, http.MethodPut, path, pact, "Content-Type", "application/xml")
		h.must(204, http.MethodDelete, path, nil)
		h.must(404, http.MethodGet, path, nil)
	})
}

func texts(notices any) []string {
	var out []string
	for _, n := range notices.([]any) {
		out = append(out, n.(map[string]any)["text"].(string))
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
