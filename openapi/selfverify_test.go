package openapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/openapi"
)

const selfVerifyDoc = `openapi: 3.0.3
info: {title: things, version: "1"}
servers:
  - url: https://api.example.com/v1
paths:
  /things/{id}:
    get:
      operationId: getThing
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer, example: 7}}
        - {name: X-Tenant, in: header, required: true, schema: {type: string}, examples: {acme: {value: acme}}}
      responses:
        "200":
          description: a thing
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
  /things:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/NewThing'}
      responses:
        "201":
          description: created
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
  /search:
    get:
      parameters:
        - {name: q, in: query, required: true, schema: {type: string}}
      responses:
        "200": {description: results}
  /wrong-type:
    get:
      responses:
        "200":
          description: a thing
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
  /undeclared-status:
    get:
      responses:
        "200": {description: ok}
  /server-error:
    get:
      responses:
        "200": {description: ok}
        "500": {description: failed}
  /bad-example:
    put:
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [n], properties: {n: {type: integer}}}
            example: {n: "seven"}
      responses:
        "204": {description: done}
components:
  schemas:
    NewThing:
      type: object
      required: [name]
      properties:
        id: {type: integer, readOnly: true}
        name: {type: string, example: lamp}
        tags: {type: array, items: {type: string, example: red}}
    Thing:
      type: object
      required: [id, name]
      properties:
        id: {type: integer}
        name: {type: string}
`

// thingsProvider serves the document's API under /v1, with deliberate faults.
func thingsProvider(t *testing.T) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		send := func(status int, body any) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(body)
		}
		switch r.Method + " " + r.URL.Path {
		case "GET /v1/things/7":
			if r.Header.Get("X-Tenant") != "acme" {
				send(400, map[string]any{"error": "tenant"})
				return
			}
			send(200, map[string]any{"id": 7, "name": "lamp"})
		case "POST /v1/things":
			var body map[string]any
			_ = json.NewDecoder(r.Body).Decode(&body)
			if body["name"] != "lamp" || body["tags"].([]any)[0] != "red" || body["id"] != nil {
				t.Errorf("POST /things sent %v", body)
			}
			send(201, map[string]any{"id": 8, "name": "lamp"})
		case "GET /v1/wrong-type":
			send(200, map[string]any{"id": "eight", "name": "lamp"})
		case "GET /v1/undeclared-status":
			send(404, map[string]any{"error": "not found"})
		case "GET /v1/server-error":
			send(500, map[string]any{"error": "boom"})
		default:
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			send(404, nil)
		}
	})
}

func TestSelfVerify(t *testing.T) {
	doc, err := openapi.Load([]byte(selfVerifyDoc))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(thingsProvider(t))
	defer srv.Close()
	rep, err := openapi.SelfVerify(context.Background(), doc, openapi.SelfVerifyOptions{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ outcome, problem string }{
		"PUT /bad-example":       {openapi.OutcomeFailed, `the document's own example request is not valid: request body doesn't match schema: Error at "/n": value must be an integer`},
		"GET /search":            {openapi.OutcomeSkipped, "no example for the required query parameter q"},
		"GET /server-error":      {openapi.OutcomeFailed, "the provider answered 500 to the document's own example"},
		"POST /things":           {openapi.OutcomePassed, ""},
		"GET /things/{id}":       {openapi.OutcomePassed, ""},
		"GET /undeclared-status": {openapi.OutcomeFailed, "status is not supported"},
		"GET /wrong-type":        {openapi.OutcomeFailed, `response body doesn't match schema #/components/schemas/Thing: Error at "/id": value must be an integer`},
	}
	if len(rep.Operations) != len(want) {
		t.Fatalf("%d operations, want %d: %+v", len(rep.Operations), len(want), rep.Operations)
	}
	for _, op := range rep.Operations {
		w := want[op.Method+" "+op.Path]
		if op.Outcome != w.outcome || !strings.Contains(strings.Join(op.Problems, "\n"), w.problem) {
			t.Errorf("%s %s: %s %q, want %s %q", op.Method, op.Path, op.Outcome, op.Problems, w.outcome, w.problem)
		}
	}
	if rep.Success || rep.Passed != 2 || rep.Failed != 4 || rep.Skipped != 1 {
		t.Fatalf("passed %d, failed %d, skipped %d, success %v", rep.Passed, rep.Failed, rep.Skipped, rep.Success)
	}
	if got := rep.Operations[4].Request; got != "GET /things/7" {
		t.Errorf("request = %q", got)
	}
}

func TestSelfVerifyPasses(t *testing.T) {
	doc, err := openapi.Load([]byte(`{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/ping": {"get":
		{"responses": {"200": {"description": "pong", "content": {"text/plain": {"schema": {"type": "string"}}}}}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "pong")
	}))
	defer srv.Close()
	rep, err := openapi.SelfVerify(context.Background(), doc, openapi.SelfVerifyOptions{BaseURL: srv.URL + "/"})
	if err != nil || !rep.Success || rep.Passed != 1 {
		t.Fatalf("report %+v, error %v", rep, err)
	}
}

func TestSelfVerifyUnreachableProvider(t *testing.T) {
	doc, err := openapi.Load([]byte(selfVerifyDoc))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = openapi.SelfVerify(context.Background(), doc, openapi.SelfVerifyOptions{BaseURL: "http://" + addr})
	if !errors.Is(err, openapi.ErrProviderUnreachable) {
		t.Fatalf("error %v, want ErrProviderUnreachable", err)
	}
	if _, err := openapi.SelfVerify(context.Background(), doc, openapi.SelfVerifyOptions{BaseURL: "ftp://x"}); err == nil {
		t.Fatal("an ftp URL was accepted")
	}
}
