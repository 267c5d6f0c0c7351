package openapi

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var generate = flag.Bool("generate", false, "rewrite testdata/bench/{openapi,pact}.json")

// benchDocument is a document like the one of the reference's measurement: 300 paths, 452
// schemas (a base, 300 resources built on it with allOf, 151 item types), each path with a
// GET and a POST.
func benchDocument() map[string]any {
	paths := map[string]any{}
	schemas := map[string]any{
		"Base": map[string]any{"type": "object", "required": []any{"id"}, "properties": map[string]any{
			"id": map[string]any{"type": "integer"}, "createdAt": map[string]any{"type": "string", "format": "date-time"}}},
	}
	for i := 0; i <= 150; i++ {
		schemas[fmt.Sprintf("Item%d", i)] = map[string]any{"type": "object", "properties": map[string]any{
			"sku":  map[string]any{"type": "string", "pattern": "^[A-Z]{3}-[0-9]+$"},
			"qty":  map[string]any{"type": "integer", "minimum": 1},
			"tags": map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": []any{"a", "b", "c"}}},
		}}
	}
	for i := 0; i < 300; i++ {
		name := fmt.Sprintf("Resource%d", i)
		ref := "#/components/schemas/" + name
		schemas[name] = map[string]any{"allOf": []any{
			map[string]any{"$ref": "#/components/schemas/Base"},
			map[string]any{"type": "object", "properties": map[string]any{
				"name":   map[string]any{"type": "string", "maxLength": 50},
				"status": map[string]any{"type": "string", "enum": []any{"active", "inactive"}},
				"items":  map[string]any{"type": "array", "items": map[string]any{"$ref": fmt.Sprintf("#/components/schemas/Item%d", i/2)}},
			}},
		}}
		json200 := map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": ref}}}
		paths[fmt.Sprintf("/resources%d/{id}", i)] = map[string]any{
			"parameters": []any{map[string]any{"name": "id", "in": "path", "required": true, "schema": map[string]any{"type": "integer"}}},
			"get": map[string]any{
				"parameters": []any{map[string]any{"name": "expand", "in": "query", "schema": map[string]any{"type": "boolean"}}},
				"responses": map[string]any{
					"200": map[string]any{"description": "ok", "content": json200},
					"404": map[string]any{"description": "not found"},
				},
			},
			"put": map[string]any{
				"requestBody": map[string]any{"required": true, "content": json200},
				"responses":   map[string]any{"200": map[string]any{"description": "ok", "content": json200}},
			},
		}
	}
	return map[string]any{
		"openapi":    "3.0.3",
		"info":       map[string]any{"title": "bench", "version": "1.0.0"},
		"paths":      paths,
		"components": map[string]any{"schemas": schemas},
	}
}

// benchPact has one GET interaction per path of benchDocument, every one compatible.
func benchPact() map[string]any {
	var interactions []any
	for i := 0; i < 300; i++ {
		interactions = append(interactions, map[string]any{
			"description": fmt.Sprintf("get resource %d", i),
			"request":     map[string]any{"method": "GET", "path": fmt.Sprintf("/resources%d/%d", i, i+1), "query": "expand=true", "headers": map[string]any{"Accept": "application/json"}},
			"response": map[string]any{"status": 200, "headers": map[string]any{"Content-Type": "application/json"}, "body": map[string]any{
				"id": i + 1, "name": "thing", "status": "active", "createdAt": "2024-01-31T12:00:00Z",
				"items": []any{map[string]any{"sku": "ABC-1", "qty": 2, "tags": []any{"a", "b"}}, map[string]any{"sku": "XYZ-22", "qty": 1}},
			}},
		})
	}
	return map[string]any{
		"consumer": map[string]any{"name": "bench-consumer"}, "provider": map[string]any{"name": "bench-provider"},
		"interactions": interactions, "metadata": map[string]any{"pactSpecification": map[string]any{"version": "2.0.0"}},
	}
}

func benchFiles(b testing.TB) (docData, pactData []byte) {
	dir := filepath.Join("testdata", "bench")
	if *generate {
		for name, v := range map[string]any{"openapi.json": benchDocument(), "pact.json": benchPact()} {
			data, err := json.MarshalIndent(v, "", " ")
			if err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	var err error
	if docData, err = os.ReadFile(filepath.Join(dir, "openapi.json")); err != nil {
		b.Fatal(err)
	}
	if pactData, err = os.ReadFile(filepath.Join(dir, "pact.json")); err != nil {
		b.Fatal(err)
	}
	return docData, pactData
}

// TestBenchInputs checks the benchmark's inputs are what they claim: compatible, and as big.
func TestBenchInputs(t *testing.T) {
	docData, pactData := benchFiles(t)
	doc, err := Load(docData)
	if err != nil {
		t.Fatal(err)
	}
	pact, err := ParsePact(pactData)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(doc.OpenAPI().Paths.Map()); n != 300 {
		t.Errorf("%d paths", n)
	}
	if n := len(doc.OpenAPI().Components.Schemas); n != 452 {
		t.Errorf("%d schemas", n)
	}
	if res := Compare(pact, doc, DefaultProfile); len(res.Findings) != 0 || pact.HTTPInteractions() != 300 {
		t.Errorf("%d interactions, findings: %+v", pact.HTTPInteractions(), res.Findings)
	}
}

// BenchmarkCompare compares the 300-interaction pact with the 300-path document: cold
// (loading the document and parsing the pact each time) and warm (one loaded document,
// compared again and again, as the broker compares many pacts with one provider contract).
// testdata/bench/run.sh times the same against the reference comparator, cold in a new
// process each time.
func BenchmarkCompare(b *testing.B) {
	docData, pactData := benchFiles(b)
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			doc, err := Load(docData)
			if err != nil {
				b.Fatal(err)
			}
			pact, err := ParsePact(pactData)
			if err != nil {
				b.Fatal(err)
			}
			Compare(pact, doc, DefaultProfile)
		}
	})
	b.Run("warm", func(b *testing.B) {
		doc, err := Load(docData)
		if err != nil {
			b.Fatal(err)
		}
		pact, err := ParsePact(pactData)
		if err != nil {
			b.Fatal(err)
		}
		Compare(pact, doc, DefaultProfile)
		for b.Loop() {
			Compare(pact, doc, DefaultProfile)
		}
	})
}
