package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/broker/api"
	"github.com/treaty-dev/treaty/broker/store/storetest"
	"github.com/treaty-dev/treaty/gates"
)

// clock is the fake clock of the gate tests: the store and the gates read it, the test moves it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// eachGateBackend is eachBackend on the fake clock.
func eachGateBackend(t *testing.T, cfg api.Config, fn func(t *testing.T, h *harness, clk *clock)) {
	t.Helper()
	clk := newClock()
	cfg.Gates.Now = clk.Now
	for _, b := range storetest.Open(t, storetest.Options{Now: clk.Now}) {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, &harness{t: t, srv: api.New(b.Store, nil, cfg), store: b.Store}, clk)
		})
	}
}

var (
	digest1 = "sha256:" + strings.Repeat("1f", 32)
	digest2 = "sha256:" + strings.Repeat("2e", 32)
)

// gateWorld creates staging, production and order-service.
func gateWorld(h *harness) {
	h.must(201, http.MethodPost, "/environments", map[string]any{"name": "staging", "production": false})
	h.must(201, http.MethodPost, "/environments", map[string]any{"name": "production", "production": true})
	h.must(201, http.MethodPost, "/pacticipants", map[string]any{"name": "order-service", "repositoryUrl": "https://github.com/shop/order-service"})
}

func (h *harness) check(want gates.Verdict, body map[string]any) response {
	h.t.Helper()
	res := h.must(201, http.MethodPost, "/gates/check", body)
	if got := res.JSON["decision"].(map[string]any)["result"]; got != string(want) {
		h.t.Fatalf("check %v: %v, want %s\n%s", body, got, want, res.Raw)
	}
	return res
}

func (h *harness) result(version, name, status string, extra ...any) {
	h.t.Helper()
	body := map[string]any{"name": name, "status": status}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i].(string)] = extra[i+1]
	}
	h.must(201, http.MethodPost, "/candidates/order-service/"+version+"/results", body)
}

func gateNamed(res response, name string) map[string]any {
	for _, g := range res.JSON["decision"].(map[string]any)["gates"].([]any) {
		if g := g.(map[string]any); g["name"] == name {
			return g
		}
	}
	return nil
}

const trivyCritical = `{"SchemaVersion": 2, "Results": [{"Target": "app", "Vulnerabilities": [{"VulnerabilityID": "CVE-2026-1", "Severity": "CRITICAL"}]}]}`

func TestGatesFromBuildToProduction(t *testing.T) {
	eachGateBackend(t, api.Config{}, func(t *testing.T, h *harness, clk *clock) {
		gateWorld(h)
		publish := map[string]any{"pacticipant": "order-service", "version": "a3f9c21", "transition": "publish"}
		toStaging := map[string]any{"pacticipant": "order-service", "version": "a3f9c21", "environment": "staging"}
		toProduction := map[string]any{"pacticipant": "order-service", "version": "a3f9c21", "environment": "production"}

		created := h.must(201, http.MethodPost, "/candidates/order-service/a3f9c21/artifacts",
			map[string]any{"image": "registry.example/order-service:a3f9c21@" + digest1, "author": "dana", "buildUrl": "https://ci.example/1"})
		if get(created.JSON, "candidate", "digest") != digest1 || get(created.JSON, "candidate", "author") != "dana" {
			t.Fatalf("candidate: %s", created.Raw)
		}

		// The default policy: nothing recorded yet is pending (the next check named), never allowed.
		res := h.check(gates.Pending, publish)
		if get(res.JSON, "decision", "nextCheck") != clk.Now().Add(gates.RecheckAfter).Format(time.RFC3339) || get(res.JSON, "policyVersion") != float64(0) {
			t.Fatalf("pending: %s", res.Raw)
		}
		h.result("a3f9c21", "build", "passed")
		h.result("a3f9c21", "unit-tests", "failed")
		h.result("a3f9c21", "contract-tests", "passed")
		h.result("a3f9c21", "security-scan", "passed", "details", trivyCritical)
		res = h.check(gates.Deny, publish)
		if g := gateNamed(res, "security"); !strings.Contains(g["reason"].(string), "1 critical (at most 0)") {
			t.Fatalf("security gate: %v", g)
		}
		clk.Advance(time.Minute)
		h.result("a3f9c21", "unit-tests", "passed")
		h.result("a3f9c21", "security-scan", "passed", "details", `{"SchemaVersion": 2, "Results": [{"Target": "app"}]}`)
		h.check(gates.Allow, publish)

		// Staging: the artifact is published and can-i-deploy answers (no pacts: nothing missing).
		res = h.check(gates.Allow, toStaging)
		if get(res.JSON, "transition") != "deploy" {
			t.Fatalf("staging is a deploy: %s", res.Raw)
		}
		h.must(201, http.MethodPost, "/pacticipants/order-service/versions/a3f9c21/deployed-versions/environment/"+envUUID(h, "staging"), map[string]any{})

		// Production: tests in staging for this digest, then an approval by someone else.
		res = h.check(gates.Pending, toProduction)
		if get(res.JSON, "transition") != "promote" || gateNamed(res, "verified-in-staging")["result"] != "pending" {
			t.Fatalf("production: %s", res.Raw)
		}
		h.result("a3f9c21", "smoke-tests", "passed", "environment", "staging")
		h.result("a3f9c21", "e2e-tests", "failed", "environment", "staging")
		h.check(gates.Deny, toProduction)
		h.result("a3f9c21", "e2e-tests", "passed", "environment", "staging")
		res = h.check(gates.Pending, toProduction)
		if g := gateNamed(res, "approval"); g["result"] != "pending" || !strings.Contains(g["unblock"].(string), "other than the author dana") {
			t.Fatalf("approval: %v", g)
		}
		self := h.must(400, http.MethodPost, "/candidates/order-service/a3f9c21/approvals", map[string]any{"environment": "production", "by": "Dana"})
		if msg := fmt.Sprint(get(self.JSON, "errors", "by")); !strings.Contains(msg, "Dana is the author of this candidate and cannot approve it") {
			t.Fatalf("self-approval: %s", self.Raw)
		}
		h.must(201, http.MethodPost, "/candidates/order-service/a3f9c21/approvals", map[string]any{"environment": "production", "by": "alice", "comment": "ship it"})
		final := h.check(gates.Allow, toProduction)
		id := int64(get(final.JSON, "id").(float64))
		if final.Header.Get("Location") != fmt.Sprintf("http://broker.test/gates/decisions/%d", id) {
			t.Fatalf("Location: %q", final.Header.Get("Location"))
		}

		// The log: every check, chained; queryable, explainable, exportable, verifiable.
		list := h.must(200, http.MethodGet, "/gates/decisions?environment=production&limit=2", nil)
		if n := len(list.JSON["decisions"].([]any)); n != 2 || get(list.JSON, "decisions", 0, "id") != float64(id) || get(list.JSON, "decisions", 0, "result") != "allow" {
			t.Fatalf("decisions: %s", list.Raw)
		}
		denied := h.must(200, http.MethodGet, "/gates/decisions?result=deny", nil)
		if n := len(denied.JSON["decisions"].([]any)); n != 2 {
			t.Fatalf("denied decisions: %s", denied.Raw)
		}
		x := h.must(200, http.MethodGet, fmt.Sprintf("/gates/decisions/%d/explain", id), nil)
		if x.JSON["matches"] != true || get(x.JSON, "replay", "result") != "allow" {
			t.Fatalf("explain: %s", x.Raw)
		}
		export := h.jsonl("/gates/decisions", "Accept", "application/x-ndjson")
		if r := gates.VerifyLines(export); !r.OK || r.Entries != id {
			t.Fatalf("the export does not verify: %+v", r)
		}
		if v := h.must(200, http.MethodGet, "/gates/decisions/verify", nil); v.JSON["ok"] != true || v.JSON["entries"] != float64(id) {
			t.Fatalf("verify: %s", v.Raw)
		}
		one := h.must(200, http.MethodGet, fmt.Sprintf("/gates/decisions/%d", id), nil)
		if get(one.JSON, "input", "candidate", "version") != "a3f9c21" || get(one.JSON, "hash") == nil {
			t.Fatalf("decision: %s", one.Raw)
		}
		cand := h.must(200, http.MethodGet, "/candidates/order-service/a3f9c21", nil)
		if n := len(cand.JSON["results"].([]any)); n != 9 || len(cand.JSON["reviews"].([]any)) != 1 {
			t.Fatalf("candidate: %s", cand.Raw)
		}

		// Tampering with the stored log is detected, whether the body or a query column.
		db, err := h.store.DB()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`UPDATE gate_decisions SET body = replace(body, '"result":"deny"', '"result":"allow"') WHERE id = 2`); err != nil {
			t.Fatal(err)
		}
		v := h.must(200, http.MethodGet, "/gates/decisions/verify", nil)
		if v.JSON["ok"] != false || v.JSON["brokenAt"] != float64(2) || !strings.Contains(v.JSON["problem"].(string), "content was changed") {
			t.Fatalf("tampered body: %s", v.Raw)
		}
		tampered := h.jsonl("/gates/decisions?format=jsonl")
		if r := gates.VerifyLines(tampered); r.OK || r.BrokenAt != 2 {
			t.Fatalf("a tampered export verifies: %+v", r)
		}
	})
}

// jsonl gets the decision log's export, which is JSON lines rather than one JSON object.
func (h *harness) jsonl(path string, headers ...string) []byte {
	h.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.srv.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/x-ndjson" {
		h.t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Header().Get("Content-Type"))
	}
	return rec.Body.Bytes()
}

func envUUID(h *harness, name string) string {
	h.t.Helper()
	res := h.must(200, http.MethodGet, "/environments?name="+name, nil)
	return get(res.JSON, "_embedded", "environments", 0, "uuid").(string)
}

func TestGatesSoakWithTheFakeClock(t *testing.T) {
	eachGateBackend(t, api.Config{}, func(t *testing.T, h *harness, clk *clock) {
		gateWorld(h)
		h.must(201, http.MethodPut, "/gates/policy", map[string]any{"document": "environments:\n  production:\n    gates:\n      - {type: soak, environment: staging, duration: 1h}\n"})
		h.must(201, http.MethodPost, "/candidates/order-service/v1/artifacts", map[string]any{"image": "order-service@" + digest1})
		toProduction := map[string]any{"pacticipant": "order-service", "version": "v1", "environment": "production"}
		h.check(gates.Pending, toProduction)
		deployedAt := clk.Now()
		h.must(201, http.MethodPost, "/pacticipants/order-service/versions/v1/deployed-versions/environment/"+envUUID(h, "staging"), map[string]any{})
		clk.Advance(30 * time.Minute)
		res := h.check(gates.Pending, toProduction)
		if got := get(res.JSON, "decision", "nextCheck"); got != deployedAt.Add(time.Hour).Format(time.RFC3339) {
			t.Fatalf("the next check is when the soak completes: %v\n%s", got, res.Raw)
		}
		clk.Advance(30*time.Minute - time.Microsecond)
		h.check(gates.Pending, toProduction)
		clk.Advance(time.Microsecond)
		h.check(gates.Allow, toProduction)
	})
}

func TestGatesHoldsAndRejections(t *testing.T) {
	eachGateBackend(t, api.Config{}, func(t *testing.T, h *harness, clk *clock) {
		gateWorld(h)
		h.must(201, http.MethodPut, "/gates/policy", map[string]any{"document": "environments: {staging: {gates: []}, production: {gates: []}}", "appliedBy": "olga"})
		for _, v := range []string{"v1", "v2"} {
			h.must(201, http.MethodPost, "/candidates/order-service/"+v+"/artifacts", map[string]any{"image": "order-service:" + v})
		}
		h.must(201, http.MethodPost, "/pacticipants/order-service/versions/v1/deployed-versions/environment/"+envUUID(h, "staging"), map[string]any{})
		v2 := map[string]any{"pacticipant": "order-service", "version": "v2", "environment": "staging"}
		v1 := map[string]any{"pacticipant": "order-service", "version": "v1", "environment": "staging"}
		h.check(gates.Allow, v2)

		hold := h.must(201, http.MethodPost, "/gates/holds", map[string]any{"environment": "staging", "by": "olga", "reason": "incident 4711"})
		if hold.JSON["by"] != "olga" || hold.JSON["environment"] != "staging" {
			t.Fatalf("hold: %s", hold.Raw)
		}
		h.must(200, http.MethodPost, "/gates/holds", map[string]any{"environment": "staging", "by": "igor"}) // already held
		res := h.check(gates.Deny, v2)
		if g := gateNamed(res, "hold"); !strings.Contains(g["reason"].(string), "staging is held by olga") || !strings.Contains(g["unblock"].(string), "treaty gate release --environment staging") {
			t.Fatalf("hold gate: %v", g)
		}
		h.check(gates.Allow, v1) // the version it is held on
		if l := h.must(200, http.MethodGet, "/gates/holds?environment=staging", nil); len(l.JSON["holds"].([]any)) != 1 {
			t.Fatalf("holds: %s", l.Raw)
		}
		h.must(200, http.MethodPost, "/gates/holds/release", map[string]any{"environment": "staging", "by": "olga"})
		h.must(404, http.MethodPost, "/gates/holds/release", map[string]any{"environment": "staging", "by": "olga"})
		h.check(gates.Allow, v2)

		// A rejection is final: v2 never goes to production, and cannot be approved there.
		h.must(201, http.MethodPost, "/candidates/order-service/v2/rejections", map[string]any{"environment": "production", "by": "olga", "comment": "corrupts orders"})
		res = h.check(gates.Deny, map[string]any{"pacticipant": "order-service", "version": "v2", "environment": "production"})
		if g := gateNamed(res, "rejection"); !strings.Contains(g["reason"].(string), "rejected for production by olga") {
			t.Fatalf("rejection: %v", g)
		}
		h.must(409, http.MethodPost, "/candidates/order-service/v2/approvals", map[string]any{"environment": "production", "by": "alice"})
		h.check(gates.Allow, v2) // staging is another environment
	})
}

func TestGatesPolicyHistory(t *testing.T) {
	eachGateBackend(t, api.Config{}, func(t *testing.T, h *harness, clk *clock) {
		gateWorld(h)
		def := h.must(200, http.MethodGet, "/gates/policy", nil)
		if def.JSON["version"] != float64(0) || get(def.JSON, "policy", "environments", "production") == nil {
			t.Fatalf("the default policy is in force: %s", def.Raw)
		}
		if d := h.must(200, http.MethodGet, "/gates/policy/default", nil); !strings.Contains(d.JSON["document"].(string), "publish:") {
			t.Fatalf("default document: %s", d.Raw)
		}
		h.must(201, http.MethodPost, "/candidates/order-service/v1/artifacts", map[string]any{"image": "order-service@" + digest1})
		check := map[string]any{"pacticipant": "order-service", "version": "v1", "environment": "staging"}

		v1 := h.must(201, http.MethodPut, "/gates/policy", map[string]any{"document": "environments: {staging: {gates: [{type: freeze, reason: release train}]}}", "appliedBy": "olga", "comment": "freeze"})
		if v1.JSON["version"] != float64(1) || v1.JSON["appliedBy"] != "olga" {
			t.Fatalf("v1: %s", v1.Raw)
		}
		underV1 := h.check(gates.Deny, check)
		again := h.must(200, http.MethodPut, "/gates/policy", map[string]any{"policy": get(v1.JSON, "policy")})
		if again.JSON["version"] != float64(1) {
			t.Fatalf("the same policy again is no new version: %s", again.Raw)
		}
		h.must(201, http.MethodPut, "/gates/policy?appliedBy=olga", "environments:\n  staging:\n    gates:\n      - {type: freeze, active: false}\n", "Content-Type", "application/yaml")
		h.check(gates.Allow, check)
		versions := h.must(200, http.MethodGet, "/gates/policy/versions", nil)
		if n := len(versions.JSON["versions"].([]any)); n != 2 || get(versions.JSON, "versions", 0, "version") != float64(2) {
			t.Fatalf("history: %s", versions.Raw)
		}
		if old := h.must(200, http.MethodGet, "/gates/policy/versions/1", nil); get(old.JSON, "comment") != "freeze" {
			t.Fatalf("version 1: %s", old.Raw)
		}
		h.must(404, http.MethodGet, "/gates/policy/versions/9", nil)
		x := h.must(200, http.MethodGet, fmt.Sprintf("/gates/decisions/%v/explain", underV1.JSON["id"]), nil)
		if x.JSON["matches"] != true || get(x.JSON, "policy", "version") != float64(1) || get(x.JSON, "replay", "result") != "deny" {
			t.Fatalf("a decision replays under its own policy version: %s", x.Raw)
		}
	})
}

// Bad input gets a 400 (or 404, 409) that says what is wrong, and changes nothing.
func TestGatesBadInput(t *testing.T) {
	eachGateBackend(t, api.Config{}, func(t *testing.T, h *harness, clk *clock) {
		gateWorld(h)
		h.must(201, http.MethodPost, "/candidates/order-service/v1/artifacts", map[string]any{"image": "order-service:v1@" + digest1, "author": "dana"})
		tests := []struct {
			name         string
			method, path string
			body         any
			status       int
			field        string // a key of errors
			want         string // in the body
		}{
			{"malformed policy YAML", "PUT", "/gates/policy", map[string]any{"document": "publish: [gates"}, 400, "policy", "line 1"},
			{"unknown gate type", "PUT", "/gates/policy", map[string]any{"document": "environments:\n  production:\n    gates:\n      - type: magic\n"}, 400,
				"environments", `line 4: unknown gate type \"magic\"`},
			{"CEL that does not compile", "PUT", "/gates/policy", map[string]any{"document": "publish:\n  gates:\n    - type: cel\n      expression: results.build.passed &&\n"}, 400,
				"publish", "CEL error at line 1, column"},
			{"an environment that does not exist", "PUT", "/gates/policy", map[string]any{"document": "environments: {prod: {gates: []}}"}, 400,
				"environments", `no environment is named \"prod\"`},
			{"no policy at all", "PUT", "/gates/policy", map[string]any{"appliedBy": "x"}, 400, "policy", "is missing"},
			{"bad JSON", "PUT", "/gates/policy", `{"document": `, 400, "body", "not valid JSON"},
			{"a fact for an unknown candidate", "POST", "/candidates/order-service/nope/results", map[string]any{"name": "build", "status": "passed"}, 404, "", "Candidate order-service nope not found"},
			{"a fact for an unknown pacticipant", "POST", "/candidates/ghost/v1/results", map[string]any{"name": "build", "status": "passed"}, 404, "", "Candidate ghost v1 not found"},
			{"a fact with a bad status", "POST", "/candidates/order-service/v1/results", map[string]any{"name": "build", "status": "green"}, 400, "status", `\"green\" is not passed or failed`},
			{"a fact without a name", "POST", "/candidates/order-service/v1/results", map[string]any{"status": "passed"}, 400, "name", "cannot be blank"},
			{"a fact in an unknown environment", "POST", "/candidates/order-service/v1/results", map[string]any{"name": "smoke-tests", "status": "passed", "environment": "qa"}, 400,
				"environment", `no environment is named \"qa\"`},
			{"a scan report Treaty cannot read", "POST", "/candidates/order-service/v1/results", map[string]any{"name": "security-scan", "status": "passed", "details": map[string]any{"tests": 3}}, 400,
				"details", "not a SARIF log"},
			{"an approval by the author", "POST", "/candidates/order-service/v1/approvals", map[string]any{"environment": "production", "by": "dana"}, 400,
				"by", "dana is the author of this candidate and cannot approve it"},
			{"an approval without a name", "POST", "/candidates/order-service/v1/approvals", map[string]any{"environment": "production"}, 400, "by", "cannot be blank"},
			{"an approval for an unknown candidate", "POST", "/candidates/order-service/v9/approvals", map[string]any{"environment": "production", "by": "alice"}, 404, "", "Candidate order-service v9 not found"},
			{"another digest for a recorded image", "POST", "/candidates/order-service/v1/artifacts", map[string]any{"image": "order-service:v1@" + digest2}, 409, "image", "a different image is a different build"},
			{"a bad image reference", "POST", "/candidates/order-service/v1/artifacts", map[string]any{"image": "order-service@md5:abc"}, 400, "image", "sha256"},
			{"an artifact of an unknown pacticipant", "POST", "/candidates/ghost/v1/artifacts", map[string]any{"image": "ghost:v1"}, 404, "", "Pacticipant \\\"ghost\\\" not found"},
			{"a check of an unknown candidate", "POST", "/gates/check", map[string]any{"pacticipant": "order-service", "version": "v9", "environment": "staging"}, 404, "", "Candidate order-service v9 not found"},
			{"a check of an unknown environment", "POST", "/gates/check", map[string]any{"pacticipant": "order-service", "version": "v1", "environment": "qa"}, 404, "", `Environment \"qa\" not found`},
			{"a check of nothing", "POST", "/gates/check", map[string]any{"pacticipant": "order-service", "version": "v1"}, 400, "environment", "is missing"},
			{"a hold by nobody", "POST", "/gates/holds", map[string]any{"environment": "staging"}, 400, "by", "cannot be blank"},
			{"a hold of an unknown environment", "POST", "/gates/holds", map[string]any{"environment": "qa", "by": "olga"}, 400, "environment", "no environment"},
			{"an unknown decision", "GET", "/gates/decisions/99", nil, 404, "", "Decision 99 not found"},
			{"a bad result filter", "GET", "/gates/decisions?result=maybe", nil, 400, "result", "is not allow, deny or pending"},
			{"GitHub's webhook when not configured", "POST", "/gates/github", map[string]any{}, 404, "", "GitHub adapter"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := h.do(tt.method, tt.path, tt.body)
				if res.Status != tt.status || !strings.Contains(string(res.Raw), tt.want) {
					t.Fatalf("%d %s, want %d with %q", res.Status, res.Raw, tt.status, tt.want)
				}
				if tt.field != "" {
					if errs, ok := res.JSON["errors"].(map[string]any); !ok || errs[tt.field] == nil {
						t.Fatalf("no errors.%s: %s", tt.field, res.Raw)
					}
				}
			})
		}
		// Nothing was half-applied: the default policy is in force, the candidate is as it was
		// and has no facts, reviews or decisions.
		if p := h.must(200, http.MethodGet, "/gates/policy", nil); p.JSON["version"] != float64(0) {
			t.Fatalf("a policy was applied: %s", p.Raw)
		}
		cand := h.must(200, http.MethodGet, "/candidates/order-service/v1", nil)
		if get(cand.JSON, "candidate", "digest") != digest1 || len(cand.JSON["results"].([]any)) != 0 || len(cand.JSON["reviews"].([]any)) != 0 {
			t.Fatalf("the candidate changed: %s", cand.Raw)
		}
		if l := h.must(200, http.MethodGet, "/gates/decisions", nil); len(l.JSON["decisions"].([]any)) != 0 {
			t.Fatalf("a refused check was logged: %s", l.Raw)
		}
		if h.store.Ping(context.Background()) != nil {
			t.Fatal(errors.New("store down"))
		}
	})
}
