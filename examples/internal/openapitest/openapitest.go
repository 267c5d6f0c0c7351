// Package openapitest holds an example service to its OpenAPI document: tests send their
// requests through Doc.Serve, and every response the handler produces must validate against
// the document, so code and document cannot drift apart unnoticed.
package openapitest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// Doc is a loaded and validated OpenAPI document.
type Doc struct {
	router routers.Router
}

// Load reads the document at path, validates it and fails the test if it is not valid.
func Load(t testing.TB, path string) *Doc {
	t.Helper()
	ctx := context.Background()
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("%s is not a valid OpenAPI document: %v", path, err)
	}
	// The servers say where the service runs by default; tests serve it in-process, on
	// whatever host httptest picks, so routes are matched on the path alone.
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("route %s: %v", path, err)
	}
	return &Doc{router: router}
}

// Serve sends req to h and fails the test unless the response validates against the document.
func (d *Doc) Serve(t testing.TB, h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if err := d.Check(req, rec); err != nil {
		t.Errorf("%s %s → %d %s\ndoes not match the OpenAPI document: %v", req.Method, req.URL.Path, rec.Code, rec.Body, err)
	}
	return rec
}

// Check validates a recorded response to req against the document: its status must be
// documented for the operation, and its headers and body must match the schema.
func (d *Doc) Check(req *http.Request, rec *httptest.ResponseRecorder) error {
	route, params, err := d.router.FindRoute(req)
	if err != nil {
		return fmt.Errorf("no operation for %s %s: %w", req.Method, req.URL.Path, err)
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    req,
			PathParams: params,
			Route:      route,
		},
		Status:  rec.Code,
		Header:  rec.Header(),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	input.SetBodyBytes(bytes.Clone(rec.Body.Bytes()))
	return openapi3filter.ValidateResponse(req.Context(), input)
}
