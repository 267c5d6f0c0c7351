// Package clienttest is a stand-in broker for tests of the client and of the commands built
// on it: an httptest server answering the Pact Broker API with canned HAL shaped like the
// reference broker's (see fixtures/), recording every request it receives.
//
// It knows the pacticipants Foo and Bar, Foo's version 1.0.0, and the environments
// production and test; its matrix says Foo 1.0.0 can be deployed. Tests change an answer
// with Respond, or give a series of answers with RespondInTurn.
package clienttest

import (
	"embed"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Base is the base URL written in the fixtures' links; the broker replaces it with its own.
const Base = "http://broker.example"

// UUIDs of the canned environments.
const (
	ProductionUUID = "cb632df3-0a0d-4227-aac3-60114dd36479"
	TestUUID       = "16926ef3-590f-4e3f-838e-719717aa88c9"
)

//go:embed fixtures/*.json
var fixtures embed.FS

// Fixture returns the text of a canned answer, such as "publish-conflict.json".
func Fixture(name string) string {
	data, err := fixtures.ReadFile("fixtures/" + name)
	if err != nil {
		panic("clienttest: no fixture " + name)
	}
	return string(data)
}

// Response is a canned answer: a status and a JSON body (none when empty).
type Response struct {
	Status int
	Body   string
}

// Request is a request the broker received.
type Request struct {
	Method string
	Path   string // escaped, as sent: /pacticipants/feat%2Fx
	Query  string
	Header http.Header
	Body   string
}

// Route is the request's method and path, with the query when there is one: "GET /environments".
func (r Request) Route() string {
	route := r.Method + " " + r.Path
	if r.Query != "" {
		route += "?" + r.Query
	}
	return route
}

// Broker is the stand-in broker.
type Broker struct {
	*httptest.Server

	mu       sync.Mutex
	routes   map[string]Response
	turns    map[string][]Response // answers still to give, before routes' answer
	requests []Request
}

// NewBroker starts a broker that is closed when the test ends.
func NewBroker(t testing.TB) *Broker {
	b := &Broker{routes: defaultRoutes(), turns: map[string][]Response{}}
	b.Server = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.Close)
	return b
}

// Respond sets the answer to route, "METHOD /escaped/path" without the query.
func (b *Broker) Respond(route string, status int, body string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.routes[route] = Response{Status: status, Body: body}
	delete(b.turns, route)
}

// RespondInTurn gives the answers to route one request after the other; the last answers
// every request after it. A poll that must see an answer change uses it.
func (b *Broker) RespondInTurn(route string, answers ...Response) {
	if len(answers) == 0 {
		panic("clienttest: RespondInTurn needs an answer")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.routes[route] = answers[len(answers)-1]
	b.turns[route] = append([]Response(nil), answers[:len(answers)-1]...)
}

// Requests returns the requests received so far, in order.
func (b *Broker) Requests() []Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Request(nil), b.requests...)
}

// Routes returns the route of each request received so far, in order.
func (b *Broker) Routes() []string {
	var routes []string
	for _, r := range b.Requests() {
		routes = append(routes, r.Route())
	}
	return routes
}

func (b *Broker) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := Request{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(body)}
	b.mu.Lock()
	b.requests = append(b.requests, req)
	route := r.Method + " " + req.Path
	resp, ok := b.routes[route]
	if turns := b.turns[route]; len(turns) > 0 {
		resp, ok = turns[0], true
		b.turns[route] = turns[1:]
	}
	b.mu.Unlock()
	if !ok {
		resp = Response{Status: http.StatusNotFound, Body: `{"error": "No resource found at ` + req.Path + `"}`}
	}
	if resp.Body != "" {
		w.Header().Set("Content-Type", "application/hal+json;charset=utf-8")
	}
	w.WriteHeader(resp.Status)
	io.WriteString(w, strings.ReplaceAll(resp.Body, Base, b.URL))
}

func defaultRoutes() map[string]Response {
	ok := func(fixture string) Response { return Response{http.StatusOK, Fixture(fixture)} }
	created := func(fixture string) Response { return Response{http.StatusCreated, Fixture(fixture)} }
	const foo = "/pacticipants/Foo/versions/1.0.0"
	return map[string]Response{
		"GET /":                               ok("index.json"),
		"POST /contracts/publish":             ok("publish.json"),
		"GET /environments":                   ok("environments.json"),
		"POST /environments":                  created("environment-staging.json"),
		"GET /environments/" + ProductionUUID: ok("environment-production.json"),
		"GET /environments/" + TestUUID:       ok("environment-test.json"),
		"PUT /environments/" + TestUUID:       ok("environment-test.json"),
		"DELETE /environments/" + TestUUID:    {Status: http.StatusNoContent},
		"GET /pacticipants":                   ok("pacticipants.json"),
		"POST /pacticipants":                  created("pacticipant-foo.json"),
		"GET /pacticipants/Foo":               ok("pacticipant-foo.json"),
		"PATCH /pacticipants/Foo":             ok("pacticipant-foo.json"),
		"GET " + foo:                          ok("version-foo-1.0.0.json"),
		"POST " + foo + "/deployed-versions/environment/" + ProductionUUID:               created("deployed-version.json"),
		"POST " + foo + "/released-versions/environment/" + ProductionUUID:               created("released-version.json"),
		"GET /environments/" + TestUUID + "/deployed-versions/currently-deployed":        ok("currently-deployed-test.json"),
		"PATCH /deployed-versions/ff3adecf-cfc5-4653-a4e3-f1861092f8e0":                  ok("deployed-version-undeployed.json"),
		"PATCH /deployed-versions/0b3adecf-cfc5-4653-a4e3-f1861092f8e1":                  ok("deployed-version-blue-undeployed.json"),
		"GET /environments/" + ProductionUUID + "/released-versions/currently-supported": ok("currently-supported-production.json"),
		// Nothing is deployed to production or released to test.
		"GET /environments/" + ProductionUUID + "/deployed-versions/currently-deployed": ok("currently-deployed-none.json"),
		"GET /environments/" + TestUUID + "/released-versions/currently-supported":      ok("currently-supported-none.json"),
		"PATCH /released-versions/aa3adecf-cfc5-4653-a4e3-f1861092f8e0":                 ok("released-version-support-ended.json"),
		"GET /matrix": ok("matrix-deployable.json"),
	}
}
