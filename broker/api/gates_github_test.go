package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/broker/api"
	"github.com/treaty-dev/treaty/gates"
	"github.com/treaty-dev/treaty/gates/github"
)

// fakeGitHub plays GitHub's side: it sends protection rule webhooks to Treaty, signed, and
// receives the callbacks on its deployment_callback_url.
type fakeGitHub struct {
	t      *testing.T
	api    *httptest.Server
	treaty string // Treaty's base URL
	secret string

	mu        sync.Mutex
	callbacks []callback
	arrived   chan struct{}
}

type callback struct {
	Path          string
	Authorization string
	Environment   string `json:"environment_name"`
	State         string `json:"state"`
	Comment       string `json:"comment"`
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	g := &fakeGitHub{t: t, secret: "It's a Secret to Everybody", arrived: make(chan struct{}, 100)}
	g.api = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var cb callback
		if err := json.NewDecoder(r.Body).Decode(&cb); err != nil || r.Method != http.MethodPost ||
			r.Header.Get("Accept") != "application/vnd.github+json" || r.Header.Get("X-GitHub-Api-Version") == "" {
			w.WriteHeader(http.StatusUnprocessableEntity)
			return
		}
		cb.Path, cb.Authorization = r.URL.Path, r.Header.Get("Authorization")
		g.mu.Lock()
		g.callbacks = append(g.callbacks, cb)
		g.mu.Unlock()
		g.arrived <- struct{}{}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(g.api.Close)
	return g
}

func (g *fakeGitHub) config() *github.Config {
	return &github.Config{Secret: g.secret, Token: "ghs_installation_token", APIURL: g.api.URL,
		Repositories: map[string]string{"shop/payments": "payment-service"}}
}

// request sends a deployment_protection_rule delivery for a workflow run and returns
// Treaty's status and answer.
func (g *fakeGitHub) request(run int, repo, env, sha string, sign string) (int, map[string]any) {
	g.t.Helper()
	payload := map[string]any{
		"action": "requested", "environment": env, "event": "push", "ref": "refs/heads/main", "sha": sha,
		"deployment_callback_url": g.api.URL + "/repos/" + repo + "/actions/runs/" + itoa(run) + "/deployment_protection_rule",
		"repository":              map[string]any{"full_name": repo, "name": repo[strings.IndexByte(repo, '/')+1:], "html_url": "https://github.com/" + repo},
		"deployment":              map[string]any{"sha": sha, "creator": map[string]any{"login": "dana"}},
		"installation":            map[string]any{"id": 7},
	}
	body, _ := json.Marshal(payload)
	return g.send("deployment_protection_rule", body, sign)
}

func (g *fakeGitHub) send(event string, body []byte, sign string) (int, map[string]any) {
	g.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.treaty+"/gates/github", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	if sign == "" {
		sign = github.Sign(g.secret, body)
	}
	req.Header.Set("X-Hub-Signature-256", sign)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return resp.StatusCode, out
}

func (g *fakeGitHub) calls() []callback {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]callback(nil), g.callbacks...)
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestGitHubProtectionRule(t *testing.T) {
	gh := newFakeGitHub(t)
	var nudge func()
	var mu sync.Mutex
	cfg := api.Config{Gates: api.GatesConfig{GitHub: gh.config(), Notify: func() {
		mu.Lock()
		defer mu.Unlock()
		if nudge != nil {
			nudge()
		}
	}}}
	eachGateBackend(t, cfg, func(t *testing.T, h *harness, clk *clock) {
		gh.mu.Lock()
		gh.callbacks = nil
		gh.mu.Unlock()
		treaty := httptest.NewServer(h.srv)
		defer treaty.Close()
		gh.treaty = treaty.URL
		gateWorld(h)
		h.must(201, http.MethodPost, "/pacticipants", map[string]any{"name": "payment-service"})
		waiter := github.NewWaiter(github.Options{Config: *gh.config(), Store: h.store, Now: clk.Now, BaseURL: "https://treaty.example",
			Engine: &gates.Engine{Store: h.store, Contracts: gates.MatrixContracts{Data: h.store}, Now: clk.Now}, PollInterval: time.Hour})
		ctx := context.Background()
		lastCallback := func(want int) callback {
			t.Helper()
			calls := gh.calls()
			if len(calls) != want {
				t.Fatalf("%d callbacks, want %d: %+v", len(calls), want, calls)
			}
			if want == 0 {
				return callback{}
			}
			return calls[want-1]
		}

		// Deliveries that are not GitHub's, or are not requests, change nothing.
		if status, _ := gh.request(1, "shop/order-service", "staging", "a3f9c21", "sha256=00"); status != 401 {
			t.Fatalf("a bad signature: %d", status)
		}
		if status, _ := gh.send("ping", []byte(`{"zen": "Keep it logically awesome."}`), ""); status != 200 {
			t.Fatalf("ping: %d", status)
		}
		if status, out := gh.send("push", []byte(`{}`), ""); status != 202 || !strings.Contains(out["message"].(string), "ignored") {
			t.Fatalf("push: %d %v", status, out)
		}
		bad, _ := json.Marshal(map[string]any{"action": "requested", "environment": "staging", "sha": "a3f9c21",
			"deployment_callback_url": "https://evil.example/repos/x/y/actions/runs/1/deployment_protection_rule", "repository": map[string]any{"full_name": "shop/order-service"}})
		if status, out := gh.send("deployment_protection_rule", bad, ""); status != 400 || !strings.Contains(get(out, "errors", "deployment_callback_url").([]any)[0].(string), "not on the configured GitHub API") {
			t.Fatalf("a callback URL elsewhere: %d %v", status, out)
		}

		// A commit Treaty does not know yet: the request waits.
		status, out := gh.request(1, "shop/order-service", "staging", "a3f9c21", "")
		if status != 202 || out["pacticipant"] != "order-service" || out["environment"] != "staging" || out["queued"] != true {
			t.Fatalf("request: %d %v", status, out)
		}
		waiter.RunOnce(ctx)
		lastCallback(0)
		if status, out := gh.request(1, "shop/order-service", "staging", "a3f9c21", ""); status != 202 || out["queued"] != false {
			t.Fatalf("a redelivery is the same request: %d %v", status, out)
		}
		// Recording the artifact makes it due: staging allows, and GitHub hears approved.
		h.must(201, http.MethodPost, "/candidates/order-service/a3f9c21/artifacts", map[string]any{"image": "order-service@" + digest1, "author": "dana"})
		waiter.RunOnce(ctx)
		cb := lastCallback(1)
		if cb.State != "approved" || cb.Environment != "staging" || cb.Authorization != "Bearer ghs_installation_token" ||
			cb.Path != "/repos/shop/order-service/actions/runs/1/deployment_protection_rule" || !strings.Contains(cb.Comment, "ALLOW") ||
			!strings.Contains(cb.Comment, "https://treaty.example/gates/decisions/") {
			t.Fatalf("callback: %+v", cb)
		}
		waiter.RunOnce(ctx)
		lastCallback(1) // answered once

		// Production is pending (no tests in staging, no approval): GitHub keeps waiting, even
		// when the clock moves on; a rejection then denies, and GitHub hears rejected.
		gh.request(2, "shop/order-service", "production", "a3f9c21", "")
		waiter.RunOnce(ctx)
		clk.Advance(gates.RecheckAfter)
		waiter.RunOnce(ctx)
		lastCallback(1)
		h.must(201, http.MethodPost, "/candidates/order-service/a3f9c21/rejections", map[string]any{"environment": "production", "by": "olga", "comment": "corrupts orders"})
		waiter.RunOnce(ctx)
		cb = lastCallback(2)
		if cb.State != "rejected" || cb.Environment != "production" || !strings.Contains(cb.Comment, "rejected for production by olga") {
			t.Fatalf("callback: %+v", cb)
		}

		// A repository nobody maps is rejected, saying how to map it; a configured mapping works.
		gh.request(3, "shop/unknown", "staging", "a3f9c21", "")
		waiter.RunOnce(ctx)
		if cb := lastCallback(3); cb.State != "rejected" || !strings.Contains(cb.Comment, "no pacticipant is known for the repository shop/unknown") {
			t.Fatalf("callback: %+v", cb)
		}
		if _, out := gh.request(4, "shop/payments", "qa", "p1", ""); out["pacticipant"] != "payment-service" || !strings.Contains(out["reject"].(string), "no environment is named qa") {
			t.Fatalf("mapped repository, unknown environment: %v", out)
		}
		waiter.RunOnce(ctx)
		lastCallback(4)

		// The waiter's loop: a pending request is answered as soon as the approval arrives.
		h.must(201, http.MethodPost, "/candidates/order-service/b4e0d32/artifacts", map[string]any{"image": "order-service@" + digest2, "author": "dana"})
		for _, name := range []string{"smoke-tests", "e2e-tests"} {
			h.must(201, http.MethodPost, "/candidates/order-service/b4e0d32/results", map[string]any{"name": name, "status": "passed", "environment": "staging"})
		}
		runCtx, stop := context.WithCancel(ctx)
		mu.Lock()
		nudge = waiter.Nudge
		mu.Unlock()
		go waiter.Run(runCtx)
		gh.request(5, "shop/order-service", "production", "b4e0d32", "")
		time.Sleep(50 * time.Millisecond)
		lastCallback(4)
		h.must(201, http.MethodPost, "/candidates/order-service/b4e0d32/approvals", map[string]any{"environment": "production", "by": "alice"})
		deadline := time.After(10 * time.Second)
		for len(gh.calls()) < 5 {
			select {
			case <-gh.arrived:
			case <-deadline:
				t.Fatal("no callback after the approval")
			}
		}
		stop()
		waiter.Wait()
		mu.Lock()
		nudge = nil
		mu.Unlock()
		if cb := lastCallback(5); cb.State != "approved" || cb.Environment != "production" {
			t.Fatalf("callback: %+v", cb)
		}
		// Every answer came from a logged decision made for GitHub.
		list := h.must(200, http.MethodGet, "/gates/decisions?pacticipant=order-service&version=b4e0d32", nil)
		if get(list.JSON, "decisions", 0, "source") != "github" || get(list.JSON, "decisions", 0, "result") != "allow" {
			t.Fatalf("decisions: %s", list.Raw)
		}
	})
}
