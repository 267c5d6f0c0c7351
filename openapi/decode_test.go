package openapi

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// checkDecodeSpec holds decodeSpec to kin-openapi's reading of the same document: when
// decodeSpec reads a tree, the result is the one json.Unmarshal gives, unexported fields
// included. It reports whether decodeSpec read the tree.
func checkDecodeSpec(t *testing.T, data []byte) bool {
	t.Helper()
	tree, err := parseTree(data)
	if err != nil {
		return false
	}
	root, isObj := tree.(map[string]any)
	if !isObj || checkTree(tree) != nil {
		return false
	}
	canonical, err := json.Marshal(tree)
	if err != nil {
		return false
	}
	fast, ok := decodeSpec(root)
	want := &openapi3.T{}
	kinErr := json.Unmarshal(canonical, want)
	switch {
	case ok && kinErr != nil:
		t.Errorf("decodeSpec read a document kin-openapi refuses (%v):\n%s", kinErr, data)
	case ok && !reflect.DeepEqual(fast, want):
		t.Errorf("decodeSpec differs from kin-openapi at %s\nfrom %.300s", firstDifference(reflect.ValueOf(fast), reflect.ValueOf(want), "T"), data)
	}
	return ok
}

// firstDifference names where two values DeepEqual finds different first differ.
func firstDifference(a, b reflect.Value, at string) string {
	if a.IsValid() != b.IsValid() || a.IsValid() && a.Type() != b.Type() {
		return at + ": " + a.String() + " vs " + b.String()
	}
	if !a.IsValid() {
		return ""
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() != b.IsNil() {
			return fmt.Sprintf("%s: nil %v vs %v", at, a.IsNil(), b.IsNil())
		}
		if a.IsNil() {
			return ""
		}
		return firstDifference(a.Elem(), b.Elem(), at)
	case reflect.Struct:
		for i := range a.NumField() {
			if d := firstDifference(a.Field(i), b.Field(i), at+"."+a.Type().Field(i).Name); d != "" {
				return d
			}
		}
		return ""
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return fmt.Sprintf("%s: map nil %v len %d vs nil %v len %d", at, a.IsNil(), a.Len(), b.IsNil(), b.Len())
		}
		for _, k := range a.MapKeys() {
			if d := firstDifference(a.MapIndex(k), b.MapIndex(k), fmt.Sprintf("%s[%v]", at, k)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return fmt.Sprintf("%s: slice nil %v len %d vs nil %v len %d", at, a.IsNil(), a.Len(), b.IsNil(), b.Len())
		}
		for i := range a.Len() {
			if d := firstDifference(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", at, i)); d != "" {
				return d
			}
		}
		return ""
	}
	if fmt.Sprint(a) != fmt.Sprint(b) {
		return fmt.Sprintf("%s: %v vs %v", at, a, b)
	}
	return ""
}

func TestDecodeSpec(t *testing.T) {
	var files []string
	for _, pattern := range []string{"corpus/*/openapi.*", "diff/*.yaml", "bench/openapi.json"} {
		m, _ := filepath.Glob(filepath.Join("testdata", pattern))
		files = append(files, m...)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var probe map[string]any
		_ = json.Unmarshal(data, &probe)
		if !checkDecodeSpec(t, data) && probe["swagger"] == nil {
			t.Errorf("%s: decodeSpec did not read it", file)
		}
	}
	for _, c := range []struct {
		name string
		doc  string
		read bool // decodeSpec reads it (else kin-openapi does)
	}{
		{"everything 3.0", `
openapi: 3.0.3
info: {title: t, version: "1", x-a: 1, contact: {name: n, url: "http://x", email: a@b.c}, license: {name: MIT}, termsOfService: tos}
servers: [{url: "https://{h}/v1", description: d, variables: {h: {default: x, enum: [x, y]}}}]
tags: [{name: a, description: d, externalDocs: {url: "http://x"}}]
externalDocs: {url: "http://x", description: d}
security: [{k: []}, {o: [read, write]}]
x-top: {a: [1, 2.5, null, true, "s"]}
paths:
  x-paths: 1
  /a/{id}:
    summary: s
    parameters:
      - {name: id, in: path, required: true, schema: {type: integer, format: int64, minimum: 1, maximum: 9007199254740991}}
      - $ref: '#/components/parameters/P'
    get:
      tags: [a]
      operationId: getA
      deprecated: true
      security: []
      servers: [{url: /x}]
      externalDocs: {url: "http://x"}
      parameters:
        - {name: q, in: query, style: form, explode: false, allowEmptyValue: true, allowReserved: true, deprecated: true, example: 3, schema: {type: array, items: {type: string, enum: [a, b]}, minItems: 0, maxItems: 3, uniqueItems: true}}
        - {name: h, in: header, content: {text/plain: {schema: {type: string}}}, examples: {e: {value: x, summary: s}}}
      requestBody:
        description: d
        required: true
        content:
          multipart/form-data:
            schema: {type: object, properties: {f: {type: string, format: binary}}}
            encoding: {f: {contentType: image/png, style: form, explode: true, allowReserved: false, headers: {X-E: {schema: {type: integer}}}}}
      responses:
        x-r: y
        "200":
          description: ok
          headers: {X-Rate: {description: d, required: true, schema: {type: integer}}, X-Ref: {$ref: '#/components/headers/H'}}
          content:
            application/json:
              schema: {$ref: '#/components/schemas/S'}
              example: {a: 1}
              examples: {one: {$ref: '#/components/examples/E'}}
          links: {l: {operationId: getA, parameters: {id: $response.body#/id}, requestBody: {a: 1}, description: d, server: {url: /y}}}
        "4XX": {$ref: '#/components/responses/R'}
        default: {description: err}
      callbacks:
        cb:
          '{$request.body#/url}':
            post: {responses: {"200": {description: ok}}}
components:
  schemas:
    S:
      type: object
      nullable: true
      required: [a]
      title: t
      description: d
      readOnly: false
      writeOnly: false
      deprecated: false
      default: {a: 1}
      xml: {name: s, namespace: "http://x", prefix: p, attribute: false, wrapped: true}
      externalDocs: {url: "http://x"}
      discriminator: {propertyName: k, mapping: {a: '#/components/schemas/A'}}
      minProperties: 1
      maxProperties: 10
      properties:
        a: {type: number, multipleOf: 0.5, exclusiveMinimum: true, minimum: 0, x-p: true}
        b: {type: string, minLength: 1, maxLength: 5, pattern: '^[a-z]+$'}
        c: {allOf: [{$ref: '#/components/schemas/A'}], oneOf: [{type: string}], anyOf: [{type: integer}], not: {type: boolean}}
      additionalProperties: {type: string}
    A: {type: object, additionalProperties: false, properties: {k: {type: string}}}
    B: {type: object, additionalProperties: true}
    C: {type: object, additionalProperties: {}}
    D: {}
  parameters: {P: {name: p, in: query, schema: {type: string}}}
  headers: {H: {schema: {type: string}}}
  examples: {E: {summary: s, description: d, value: [1], externalValue: "http://x"}}
  requestBodies: {RB: {content: {application/json: {schema: {type: object}}}}}
  responses: {R: {description: r, content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}}
  securitySchemes:
    k: {type: apiKey, name: X-Key, in: header, description: d}
    b: {type: http, scheme: bearer, bearerFormat: JWT}
    o: {type: oauth2, flows: {implicit: {authorizationUrl: "http://x", scopes: {read: r}}, password: {tokenUrl: "http://x", refreshUrl: "http://y", scopes: {}}, clientCredentials: {tokenUrl: "http://x", scopes: {}}, authorizationCode: {authorizationUrl: "http://x", tokenUrl: "http://y", scopes: {write: w}}}}
    i: {type: openIdConnect, openIdConnectUrl: "http://x"}
  links: {L: {operationRef: '#/paths/~1a~1{id}/get'}}
  callbacks: {C: {'{$url}': {get: {responses: {"200": {description: ok}}}}}}
`, true},
		{"everything 3.1", `
openapi: 3.1.0
jsonSchemaDialect: https://spec.openapis.org/oas/3.1/dialect/base
info: {title: t, version: "1", summary: s, license: {name: MIT, identifier: MIT}}
webhooks: {w: {post: {requestBody: {content: {application/json: {schema: {type: object}}}}, responses: {"200": {description: ok}}}}}
paths: {}
components:
  schemas:
    S:
      $id: s
      $schema: https://json-schema.org/draft/2020-12/schema
      $comment: c
      $anchor: a
      $defs: {d: {type: [string, "null"]}}
      type: [object, "null"]
      const: {a: 1}
      examples: [1, "a"]
      prefixItems: [{type: string}, true]
      contains: {type: integer}
      minContains: 1
      maxContains: 3
      patternProperties: {'^x': {type: string}}
      dependentSchemas: {a: {required: [b]}}
      dependentRequired: {a: [b, c]}
      propertyNames: {maxLength: 3}
      unevaluatedItems: false
      unevaluatedProperties: {type: string}
      if: {properties: {a: {const: 1}}}
      then: false
      else: true
      exclusiveMaximum: 10
      exclusiveMinimum: 0.5
      contentMediaType: text/plain
      contentEncoding: base64
      contentSchema: {type: string}
      items: false
`, true},
		{"a $ref with siblings", `{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{},"components":{"schemas":{"A":{"type":"string"},"B":{"$ref":"#/components/schemas/A","description":"d"}}}}`, false},
		{"a key in another case", `{"openapi":"3.0.0","info":{"title":"t","version":"1","Description":"d"},"paths":{}}`, false},
		{"a $REF", `{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{},"components":{"schemas":{"A":{"$REF":"#/x"}}}}`, false},
		{"null", `{"openapi":"3.0.0","info":{"title":"t","version":"1","description":null},"paths":{}}`, false},
		{"null in an any", `{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{},"components":{"schemas":{"A":{"default":null,"enum":[null,1],"x-n":null}}}}`, true},
		{"responses null", `{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{"responses":null}}}}`, false},
		{"a wrong type", `{"openapi":"3.0.0","info":{"title":"t","version":1},"paths":{}}`, false},
		{"a negative length", `{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{},"components":{"schemas":{"A":{"minLength":-1}}}}`, false},
		{"a fractional length", `{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{},"components":{"schemas":{"A":{"maxLength":1.5}}}}`, false},
		{"a huge length", `{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{},"components":{"schemas":{"A":{"maxLength":1e300}}}}`, false},
		{"a non-ASCII key", "{\"openapi\":\"3.0.0\",\"info\":{\"title\":\"t\",\"version\":\"1\",\"ſummary\":\"s\"},\"paths\":{}}", false},
		{"YAML integers", "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: {type: integer, minimum: 3, maximum: 12345678901234567, minLength: 2, default: 7, enum: [1, 2], x-big: 12345678901234567890}\n", false},
		{"YAML small integers", "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: {type: integer, minimum: 3, minLength: 2, default: 7, enum: [1, 2], x-e: {a: [1, 2]}}\n", true},
		{"a boolean types", `{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{},"components":{"schemas":{"A":{"type":true}}}}`, false},
		{"a schema that is a string", `{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{},"components":{"schemas":{"A":"x"}}}`, false},
		{"an empty $ref", `{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{},"components":{"schemas":{"A":{"$ref":""}}}}`, false},
		{"an unknown key", `{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{"description":"ok"}},"foo":[1]}}}}`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := checkDecodeSpec(t, []byte(c.doc)); got != c.read {
				t.Errorf("decodeSpec read it: %v, want %v", got, c.read)
			}
		})
	}
}
