package storebench

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strings"
)

// PactContent is the pact a consumer holds with a provider at one point of its history. The
// serial numbers the content: the same serial always gives the same document (so the same
// SHA), and another serial a different one, as a consumer's expectations change a little at
// a time: an interaction added, a field expected.
func PactContent(consumer, provider string, serial int) []byte {
	h := fnv.New32a()
	h.Write([]byte(consumer + "→" + provider))
	seed := int(h.Sum32() % 1000)
	resource := resourceOf(provider)
	one := strings.TrimSuffix(resource, "s")
	n := 2 + seed%5 + min(serial/4, 6)
	interactions := make([]any, n)
	for k := range n {
		id := 1000 + seed + k
		fields := map[string]any{"id": fmt.Sprintf("%s-%d", one, id), "status": "ACTIVE", "createdAt": "2024-05-01T10:00:00"}
		rules := map[string]any{
			"$.id":        matchers(map[string]any{"match": "type"}),
			"$.createdAt": matchers(map[string]any{"match": "timestamp", "format": "yyyy-MM-dd'T'HH:mm:ss"}),
		}
		// The expectation that changes with the serial: one field per content generation.
		if k == serial%n {
			fields[fmt.Sprintf("attribute%d", serial)] = "expected"
			rules[fmt.Sprintf("$.attribute%d", serial)] = matchers(map[string]any{"match": "type"})
		}
		var request, response map[string]any
		var description, state string
		switch k % 4 {
		case 0:
			description = fmt.Sprintf("a request for %s %d", one, id)
			state = fmt.Sprintf("%s %d exists", one, id)
			request = map[string]any{"method": "GET", "path": fmt.Sprintf("/api/v1/%s/%d", resource, id),
				"headers": map[string]any{"Accept": "application/json"}}
			response = map[string]any{"status": 200, "headers": map[string]any{"Content-Type": "application/json"},
				"body": fields, "matchingRules": map[string]any{"body": rules}}
		case 1:
			description = fmt.Sprintf("a search for %s, page %d", resource, k)
			state = fmt.Sprintf("several %s exist", resource)
			request = map[string]any{"method": "GET", "path": "/api/v1/" + resource,
				"query":   map[string]any{"page": []any{fmt.Sprint(k)}, "size": []any{"20"}},
				"headers": map[string]any{"Accept": "application/json"}}
			response = map[string]any{"status": 200, "headers": map[string]any{"Content-Type": "application/json"},
				"body": map[string]any{"items": []any{fields}, "page": k, "total": 42},
				"matchingRules": map[string]any{"body": map[string]any{
					"$.items": matchers(map[string]any{"match": "type", "min": 1}), "$.total": matchers(map[string]any{"match": "integer"})}}}
		case 2:
			description = fmt.Sprintf("a request to create %s %d", one, id)
			state = "the caller is authorised"
			request = map[string]any{"method": "POST", "path": "/api/v1/" + resource,
				"headers": map[string]any{"Content-Type": "application/json", "Authorization": "Bearer token"},
				"body":    map[string]any{"name": fmt.Sprintf("new %s", one), "reference": fmt.Sprintf("ref-%d", id)},
				"matchingRules": map[string]any{"header": map[string]any{
					"Authorization": matchers(map[string]any{"match": "regex", "regex": "Bearer .+"})}}}
			response = map[string]any{"status": 201, "headers": map[string]any{"Content-Type": "application/json", "Location": fmt.Sprintf("/api/v1/%s/%d", resource, id)},
				"body": fields, "matchingRules": map[string]any{"body": rules}}
		default:
			description = fmt.Sprintf("a request for %s %d that does not exist", one, id)
			state = fmt.Sprintf("%s %d does not exist", one, id)
			request = map[string]any{"method": "GET", "path": fmt.Sprintf("/api/v1/%s/%d", resource, id),
				"headers": map[string]any{"Accept": "application/json"}}
			response = map[string]any{"status": 404, "headers": map[string]any{"Content-Type": "application/problem+json"},
				"body": map[string]any{"title": "Not Found", "status": 404}}
		}
		interactions[k] = map[string]any{"description": description,
			"providerStates": []any{map[string]any{"name": state, "params": map[string]any{"id": id}}},
			"request":        request, "response": response}
	}
	doc := map[string]any{"consumer": map[string]any{"name": consumer}, "provider": map[string]any{"name": provider},
		"interactions": interactions,
		"metadata": map[string]any{"pactSpecification": map[string]any{"version": "3.0.0"},
			"pactRust": map[string]any{"ffi": "0.4.22", "models": "1.2.3"}}}
	data, err := json.Marshal(doc)
	if err != nil {
		panic(err) // maps of strings and numbers always marshal
	}
	return data
}

func matchers(m map[string]any) map[string]any {
	return map[string]any{"matchers": []any{m}, "combine": "AND"}
}

// resourceOf is the REST resource a provider serves: orders for orders-service.
func resourceOf(provider string) string {
	name, _, _ := strings.Cut(provider, "-")
	return name
}
