package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/broker/api"
	"github.com/treaty-dev/treaty/broker/webhooks"
)

// loopbackWebhooks lets webhooks reach a local receiver, as --webhook-scheme-allowlist
// http,https --webhook-host-allowlist 127.0.0.1 would.
func loopbackWebhooks() api.Config {
	policy := webhooks.Policy{Schemes: []string{"http", "https"}, Hosts: []string{"127.0.0.1"}}
	return api.Config{Webhooks: api.WebhookConfig{Sender: webhooks.NewSender(policy, webhooks.SenderOptions{Timeout: 2 * time.Second})}}
}

// The body create-webhook sends (captured from the pact CLI).
func cliWebhook(url string) map[string]any {
	return map[string]any{"description": "trigger build",
		"events": []any{map[string]any{"name": "provider_verification_published"}, map[string]any{"name": "contract_requiring_verification_published"}},
		"request": map[string]any{"body": map[string]any{"pact": "${pactbroker.pactUrl}"}, "headers": map[string]any{"Content-Type": "application/json"},
			"method": "POST", "password": "secret", "url": url, "username": "ci"}}
}

func TestWebhookCRUD(t *testing.T) {
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		h.must(201, http.MethodPut, "/pacticipants/Foo/versions/1", map[string]any{})
		h.must(201, http.MethodPut, "/pacticipants/Bar/versions/1", map[string]any{})
		created := h.must(201, http.MethodPost, "/webhooks/provider/Bar/consumer/Foo", cliWebhook("https://ci.example.org/build"))
		id := created.JSON["uuid"].(string)
		if created.Header.Get("Location") != "http://broker.test/webhooks/"+id {
			t.Fatalf("Location = %q", created.Header.Get("Location"))
		}
		for path, want := range map[string]any{
			"consumer.name":                "Foo",
			"provider.name":                "Bar",
			"request.password":             "**********",
			"request.username":             "ci",
			"request.body.pact":            "${pactbroker.pactUrl}",
			"events.1.name":                "contract_requiring_verification_published",
			"enabled":                      true,
			"_links.pb:execute.href":       "http://broker.test/webhooks/" + id + "/execute",
			"_links.pb:pact-webhooks.href": "http://broker.test/pacts/provider/Bar/consumer/Foo/webhooks",
		} {
			if got := dig(created.JSON, path); got != want {
				t.Fatalf("%s = %v, want %v: %s", path, got, want, created.Raw)
			}
		}
		stored, err := h.store.Webhook(context.Background(), id)
		if err != nil || stored.Request.Password != "secret" {
			t.Fatalf("the password is stored as given: %v %q", err, stored.Request.Password)
		}

		// create-or-update-webhook: PUT with a UUID creates (201), then updates (200).
		uuid := "696c5f93-1b7f-44bc-8d03-59440fcaa9a0"
		put := map[string]any{"events": []any{map[string]any{"name": "contract_content_changed"}, map[string]any{"name": "contract_published"}},
			"request": map[string]any{"body": map[string]any{"a": 1}, "headers": map[string]any{}, "method": "POST", "url": "https://ci.example.org/build"}}
		h.must(201, http.MethodPut, "/webhooks/"+uuid, put)
		put["description"] = "renamed"
		updated := h.must(200, http.MethodPut, "/webhooks/"+uuid, put)
		if updated.JSON["description"] != "renamed" || updated.JSON["consumer"] != nil {
			t.Fatalf("update: %s", updated.Raw)
		}

		// A client that writes back what it read keeps the stored password.
		read := h.must(200, http.MethodGet, "/webhooks/"+id, nil)
		body := map[string]any{"description": "again", "events": read.JSON["events"], "request": read.JSON["request"],
			"consumer": read.JSON["consumer"], "provider": read.JSON["provider"]}
		h.must(200, http.MethodPut, "/webhooks/"+id, body)
		if stored, _ := h.store.Webhook(context.Background(), id); stored.Request.Password != "secret" || stored.Description != "again" {
			t.Fatalf("after writing back the redacted password: %q %q", stored.Request.Password, stored.Description)
		}

		global := h.must(201, http.MethodPost, "/webhooks", map[string]any{"request": map[string]any{"method": "POST", "url": "https://ci.example.org/all"}})
		if dig(global.JSON, "events.0.name") != "contract_content_changed" || global.JSON["description"] != "POST ci.example.org" {
			t.Fatalf("defaults: %s", global.Raw)
		}
		list := h.must(200, http.MethodGet, "/webhooks", nil)
		if n := len(get(list.JSON, "_links", "pb:webhooks").([]any)); n != 3 {
			t.Fatalf("%d webhooks listed, want 3: %s", n, list.Raw)
		}
		forPact := h.must(200, http.MethodGet, "/pacts/provider/Bar/consumer/Foo/webhooks", nil)
		if n := len(get(forPact.JSON, "_embedded", "webhooks").([]any)); n != 3 {
			t.Fatalf("%d webhooks apply to Foo→Bar, want 3 (the pair's and two global)", n)
		}
		h.must(404, http.MethodGet, "/pacts/provider/Nope/consumer/Foo/webhooks", nil)

		h.must(204, http.MethodDelete, "/webhooks/"+id, nil)
		h.must(404, http.MethodGet, "/webhooks/"+id, nil)
		h.must(404, http.MethodDelete, "/webhooks/"+id, nil)
		h.must(404, http.MethodPost, "/webhooks/"+id+"/execute", map[string]any{})
	})
}

// dig reads a dotted path ("events.0.name") from decoded JSON.
func dig(v any, path string) any {
	var keys []any
	for _, k := range strings.Split(path, ".") {
		if n, err := json.Number(k).Int64(); err == nil {
			keys = append(keys, int(n))
		} else {
			keys = append(keys, k)
		}
	}
	return get(v, keys...)
}

func TestWebhookValidation(t *testing.T) {
	valid := func(mutate func(b map[string]any, r map[string]any)) map[string]any {
		r := map[string]any{"method": "POST", "url": "https://ci.example.org/build"}
		b := map[string]any{"events": []any{map[string]any{"name": "contract_published"}}, "request": r}
		mutate(b, r)
		return b
	}
	cases := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		want   string
	}{
		{"unknown event", "POST", "/webhooks", valid(func(b, _ map[string]any) { b["events"] = []any{map[string]any{"name": "contract_deleted"}} }), 400,
			`"events":{"0":["name \"contract_deleted\" must be one of contract_published, contract_content_changed`},
		{"no events", "POST", "/webhooks", valid(func(b, _ map[string]any) { b["events"] = []any{} }), 400, "must contain at least one event"},
		{"no request", "POST", "/webhooks", valid(func(b, _ map[string]any) { delete(b, "request") }), 400, `"request":["is missing"]`},
		{"GET not allowed", "POST", "/webhooks", valid(func(_, r map[string]any) { r["method"] = "GET" }), 400, `"method":["must be POST`},
		{"http not allowed", "POST", "/webhooks", valid(func(_, r map[string]any) { r["url"] = "http://ci.example.org/" }), 400, "scheme must be https"},
		{"loopback", "POST", "/webhooks", valid(func(_, r map[string]any) { r["url"] = "https://127.0.0.1:9292/pacticipants" }), 400, "not a public address"},
		{"private network", "POST", "/webhooks", valid(func(_, r map[string]any) { r["url"] = "https://10.0.0.8/" }), 400, "not a public address"},
		{"cloud metadata", "POST", "/webhooks", valid(func(_, r map[string]any) { r["url"] = "https://169.254.169.254/latest/meta-data/" }), 400, "not a public address"},
		{"IPv6 loopback", "POST", "/webhooks", valid(func(_, r map[string]any) { r["url"] = "https://[::1]/" }), 400, "not a public address"},
		{"localhost", "POST", "/webhooks", valid(func(_, r map[string]any) { r["url"] = "https://localhost/" }), 400, "loopback name"},
		{"parameter in the host", "POST", "/webhooks", valid(func(_, r map[string]any) { r["url"] = "https://${pactbroker.consumerName}.example.org/" }), 400,
			"cannot have a template parameter in the host"},
		{"not a URL", "POST", "/webhooks", valid(func(_, r map[string]any) { r["url"] = "ci build" }), 400, "Invalid URL 'ci build'"},
		{"unknown consumer in the body", "POST", "/webhooks", valid(func(b, _ map[string]any) { b["consumer"] = map[string]any{"name": "Nope"} }), 400,
			`"consumer":{"name":["does not match an existing pacticipant"]}`},
		{"consumer label", "POST", "/webhooks", valid(func(b, _ map[string]any) { b["consumer"] = map[string]any{"label": "team-a"} }), 400, "no pacticipant labels"},
		{"headers not an object", "POST", "/webhooks", valid(func(_, r map[string]any) { r["headers"] = []any{"a"} }), 400, "must be an object"},
		{"short uuid", "PUT", "/webhooks/abc", valid(func(map[string]any, map[string]any) {}), 400, "must be 16 or more characters"},
		{"unknown consumer in the path", "POST", "/webhooks/provider/Bar/consumer/Nope", valid(func(map[string]any, map[string]any) {}), 404, `Pacticipant \"Nope\" not found`},
		{"unknown provider in the path", "POST", "/webhooks/provider/Nope", valid(func(map[string]any, map[string]any) {}), 404, "not found"},
		{"unknown consumer alone", "POST", "/webhooks/consumer/Nope", valid(func(map[string]any, map[string]any) {}), 404, "not found"},
		{"bad JSON", "POST", "/webhooks", `{"request": `, 400, "is not valid JSON"},
	}
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		h.must(201, http.MethodPut, "/pacticipants/Bar/versions/1", map[string]any{})
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				h.t = t
				res := h.must(tc.status, tc.method, tc.path, tc.body)
				if !strings.Contains(string(res.Raw), tc.want) {
					t.Fatalf("body %s lacks %q", res.Raw, tc.want)
				}
			})
		}
		h.t = t
		if list := h.must(200, http.MethodGet, "/webhooks", nil); len(get(list.JSON, "_embedded", "webhooks").([]any)) != 0 {
			t.Fatal("a refused webhook was saved")
		}
	})
}

// The host allow-list opens the internal hosts it names, and only those.
func TestWebhookHostAllowList(t *testing.T) {
	body := func(url string) map[string]any {
		return map[string]any{"events": []any{map[string]any{"name": "contract_published"}}, "request": map[string]any{"method": "POST", "url": url}}
	}
	eachBackend(t, loopbackWebhooks(), func(t *testing.T, h *harness) {
		h.must(201, http.MethodPost, "/webhooks", body("http://127.0.0.1:8080/hook"))
		res := h.must(400, http.MethodPost, "/webhooks", body("http://10.0.0.8/hook"))
		if !strings.Contains(string(res.Raw), "add it to the broker's --webhook-host-allowlist") {
			t.Fatalf("the refusal says how to allow the host: %s", res.Raw)
		}
	})
}

// triggered lists the events of the webhooks a pact of consumer version v triggered.
func (h *harness) triggered(consumer, version, provider string) []string {
	h.t.Helper()
	res := h.must(200, http.MethodGet, "/pacts/provider/"+esc(provider)+"/consumer/"+esc(consumer)+"/version/"+esc(version)+"/triggered-webhooks", nil)
	var out []string
	for _, t := range get(res.JSON, "_embedded", "triggeredWebhooks").([]any) {
		e := get(t, "eventName").(string)
		if pv, ok := get(t, "providerVersionNumber").(string); ok && e == broker.EventContractRequiringVerificationPublished {
			e += ":" + pv
		}
		out = append([]string{e}, out...) // oldest first
	}
	return out
}

func hook(events ...string) map[string]any {
	list := make([]any, len(events))
	for i, e := range events {
		list[i] = map[string]any{"name": e}
	}
	return map[string]any{"description": "ci build", "events": list, "request": map[string]any{"method": "POST", "url": "https://ci.example.org/build"}}
}

// Events are recorded, with a pending delivery per subscribed webhook, in the transaction of
// the change that caused them.
func TestWebhookEvents(t *testing.T) {
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		h.must(201, http.MethodPut, "/pacticipants/Bar/versions/0", map[string]any{})
		h.must(201, http.MethodPost, "/webhooks", hook(broker.EventContractPublished, broker.EventContractContentChanged))
		h.must(201, http.MethodPost, "/webhooks/provider/Bar", hook(broker.EventContractRequiringVerificationPublished))
		disabled := hook(broker.EventContractPublished)
		disabled["enabled"] = false
		h.must(201, http.MethodPost, "/webhooks", disabled)
		h.must(201, http.MethodPut, "/pacticipants/Other/versions/1", map[string]any{})
		other := h.must(201, http.MethodPost, "/webhooks/consumer/Other", hook(broker.EventContractPublished)).JSON["uuid"].(string)

		res := h.must(200, http.MethodPost, "/contracts/publish", publishBody("Foo", "1", "main", pactJSON("Foo", "Bar", interaction("request 1", 200))))
		notices := strings.Join(texts(res.JSON["notices"]), "\n")
		if !strings.Contains(notices, "  Webhook \"ci build\" triggered for event contract_published.\n    View logs at http://broker.test/triggered-webhooks/") ||
			!strings.Contains(notices, "triggered for event contract_content_changed.") {
			t.Fatalf("publish notices: %s", notices)
		}

		steps := []struct {
			name    string
			act     func()
			version string
			want    string
		}{
			{"first publication: published and changed; Bar has no main branch or deployments", func() {}, "1",
				"contract_published contract_content_changed"},
			{"republished unchanged", func() { h.publishPact("Foo", "1", "Bar", 1, "main") }, "1",
				"contract_published contract_content_changed contract_published"},
			{"a new version with the same content", func() { h.publishPact("Foo", "2", "Bar", 1, "main") }, "2", "contract_published"},
			{"a new version with new content", func() { h.publishPact("Foo", "3", "Bar", 3, "main") }, "3",
				"contract_published contract_content_changed"},
			{"Bar's main branch head and deployed version must verify", func() {
				h.must(201, http.MethodPut, "/pacticipants/Bar/branches/main/versions/10", map[string]any{})
				h.deploy("Bar", "9", "production", "")
				h.release("Bar", "9", "test")
				h.publishPact("Foo", "4", "Bar", 4, "main")
			}, "4", "contract_published contract_content_changed contract_requiring_verification_published:10 contract_requiring_verification_published:9"},
			{"content verified by Bar's main head requires only the deployed version", func() {
				h.verify("Foo", "4", "Bar", "10", true)
				h.publishPact("Foo", "5", "Bar", 4, "main")
			}, "5", "contract_published contract_requiring_verification_published:9"},
			{"the legacy PUT publishes too", func() {
				h.must(201, http.MethodPut, "/pacts/provider/Bar/consumer/Foo/version/6", pactJSON("Foo", "Bar", interaction("request 6", 200)))
			}, "6", "contract_published contract_content_changed contract_requiring_verification_published:10 contract_requiring_verification_published:9"},
		}
		for _, step := range steps {
			t.Run(step.name, func(t *testing.T) {
				h.t = t
				step.act()
				if got := strings.Join(h.triggered("Foo", step.version, "Bar"), " "); got != step.want {
					t.Fatalf("events of Foo %s: %q, want %q", step.version, got, step.want)
				}
			})
		}
		h.t = t
		if n := len(get(h.must(200, http.MethodGet, "/webhooks/"+other+"/triggered-webhooks", nil).JSON, "_embedded", "triggeredWebhooks").([]any)); n != 0 {
			t.Fatalf("a webhook of consumer Other was triggered %d times by Foo's pacts", n)
		}
		res = h.must(200, http.MethodGet, "/pacts/provider/Bar/consumer/Foo/version/4/triggered-webhooks", nil)
		for _, tw := range get(res.JSON, "_embedded", "triggeredWebhooks").([]any) {
			if get(tw, "status") != "not_run" || get(tw, "nextAttemptAt") == nil || get(tw, "_links", "pb:logs", "href") == nil {
				t.Fatalf("a new delivery is due and not run: %v", tw)
			}
		}
		facts, err := h.store.TriggeredWebhooks(context.Background(), broker.TriggeredWebhookQuery{Consumer: "Foo", Provider: "Bar", ConsumerVersion: "4"})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range facts {
			if f.Event.Name == broker.EventContractRequiringVerificationPublished && f.Event.ProviderVersion == "9" &&
				strings.Join(f.Event.ProviderVersionDescriptions, ", ") != "deployed in production, released in test" {
				t.Fatalf("descriptions of Bar 9: %v", f.Event.ProviderVersionDescriptions)
			}
			if f.Event.ProviderVersion == "10" && f.Event.ProviderVersionBranch != "main" {
				t.Fatalf("Bar 10 is on main: %+v", f.Event)
			}
		}
	})
}

// A publication that fails leaves no event and no delivery behind.
func TestFailedPublicationTriggersNothing(t *testing.T) {
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		created := h.must(201, http.MethodPost, "/webhooks", hook(broker.EventContractPublished))
		id := created.JSON["uuid"].(string)
		h.publishPact("Foo", "1", "Bar", 1, "")
		// Two pacts, the second a refused change of Foo 1's pact with Baz... first publish it.
		h.publishPact("Foo", "1", "Baz", 1, "")
		body := publishBody("Foo", "1", "", pactJSON("Foo", "Qux", interaction("request 1", 200)), pactJSON("Foo", "Baz", interaction("changed", 200)))
		h.must(409, http.MethodPost, "/contracts/publish", body)
		list := h.must(200, http.MethodGet, "/webhooks/"+id+"/triggered-webhooks", nil)
		if n := len(get(list.JSON, "_embedded", "triggeredWebhooks").([]any)); n != 2 {
			t.Fatalf("%d deliveries, want 2: the refused publication must trigger nothing", n)
		}
		h.must(404, http.MethodGet, "/pacticipants/Qux", nil)
	})
}

// receiver is a local HTTP endpoint that records what it receives.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []received
}

type received struct {
	Path  string
	Query string
	User  string
	Pass  string
	Body  map[string]any
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		data, _ := io.ReadAll(req.Body)
		rec := received{Path: req.URL.Path, Query: req.URL.RawQuery}
		rec.User, rec.Pass, _ = req.BasicAuth()
		_ = json.Unmarshal(data, &rec.Body)
		r.mu.Lock()
		r.requests = append(r.requests, rec)
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"queued":true}`))
	}))
	t.Cleanup(r.Close)
	return r
}

// waitFor returns the first request whose body's event is event, waiting for it.
func (r *receiver) waitFor(t *testing.T, event string) received {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for _, rec := range r.requests {
			if rec.Body["event"] == event {
				r.mu.Unlock()
				return rec
			}
		}
		r.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("the receiver got no %s request", event)
	return received{}
}

// A local receiver gets the rendered request when a pact is published and when it is
// verified, sent by the delivery worker; the logs are readable over the API.
func TestWebhookDelivery(t *testing.T) {
	eachBackend(t, loopbackWebhooks(), func(t *testing.T, h *harness) {
		r := newReceiver(t)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		sender := webhooks.NewSender(webhooks.Policy{Schemes: []string{"http"}, Hosts: []string{"127.0.0.1"}}, webhooks.SenderOptions{Timeout: 2 * time.Second})
		worker := webhooks.NewWorker(h.store, webhooks.Options{BaseURL: "http://broker.test", Sender: sender, PollInterval: 5 * time.Millisecond})
		go func() {
			defer close(done)
			worker.Run(ctx)
		}()
		defer func() { cancel(); <-done }()

		h.must(201, http.MethodPost, "/webhooks", map[string]any{
			"description": "status",
			"events":      []any{map[string]any{"name": "contract_published"}, map[string]any{"name": "provider_verification_published"}},
			"request": map[string]any{"method": "POST", "url": r.URL + "/hooks/${pactbroker.providerName}?c=${pactbroker.consumerName}",
				"username": "ci", "password": "${pactbroker.consumerVersionNumber}-pw",
				"headers": map[string]any{"Content-Type": "application/json", "Authorization": "Bearer s3cret"},
				"body": map[string]any{"event": "${pactbroker.eventName}", "pact": "${pactbroker.pactUrl}", "status": "${pactbroker.githubVerificationStatus}",
					"result": "${pactbroker.verificationResultUrl}", "provider": "${pactbroker.providerVersionNumber}", "branch": "${pactbroker.consumerVersionBranch}", "n": 1}}})

		res := h.must(200, http.MethodPost, "/contracts/publish", publishBody("Foo App", "1", "main", pactJSON("Foo App", "Bar", interaction("request 1", 200))))
		published := r.waitFor(t, "contract_published")
		if published.Path != "/hooks/Bar" || published.Query != "c=Foo+App" || published.User != "ci" || published.Pass != "1-pw" ||
			published.Body["status"] != "pending" || published.Body["branch"] != "main" || published.Body["n"] != 1.0 {
			t.Fatalf("published request: %+v", published)
		}
		pactURL := published.Body["pact"].(string)
		if !strings.HasPrefix(pactURL, "http://broker.test/pacts/provider/Bar/consumer/Foo%20App/pact-version/") {
			t.Fatalf("pactUrl = %s", pactURL)
		}
		// The verifier follows pactUrl, verifies and publishes its result.
		doc := h.must(200, http.MethodGet, strings.TrimPrefix(pactURL, "http://broker.test"), nil)
		h.verifyAt(get(doc.JSON, "_links", "pb:publish-verification-results", "href").(string), "7", true)
		verified := r.waitFor(t, "provider_verification_published")
		if verified.Body["status"] != "success" || verified.Body["provider"] != "7" ||
			!strings.HasSuffix(verified.Body["result"].(string), "/verification-results/1") {
			t.Fatalf("verification request: %+v", verified.Body)
		}

		// The logs of the publication's delivery, from the notice's link.
		var logsURL string
		for _, n := range texts(res.JSON["notices"]) {
			if _, after, ok := strings.Cut(n, "View logs at "); ok {
				logsURL = strings.TrimPrefix(after, "http://broker.test")
			}
		}
		var logs response
		deadline := time.Now().Add(5 * time.Second)
		for logs = h.must(200, http.MethodGet, logsURL, nil); logs.JSON["status"] != "success" && time.Now().Before(deadline); logs = h.must(200, http.MethodGet, logsURL, nil) {
			time.Sleep(5 * time.Millisecond)
		}
		for path, want := range map[string]any{
			"status":                            "success",
			"attemptsMade":                      1.0,
			"eventName":                         "contract_published",
			"executions.0.success":              true,
			"executions.0.response.status":      200.0,
			"executions.0.response.body.queued": true,
			"executions.0.request.headers.authorization": "**********",
			"executions.0.request.body.event":            "contract_published",
		} {
			if got := dig(logs.JSON, path); got != want {
				t.Fatalf("logs %s = %v, want %v: %s", path, got, want, logs.Raw)
			}
		}
		if strings.Contains(string(logs.Raw), "s3cret") || strings.Contains(string(logs.Raw), "1-pw") {
			t.Fatalf("the logs show a secret: %s", logs.Raw)
		}

		// The verification response links to what it triggered.
		v := h.must(200, http.MethodGet, "/pacts/provider/Bar/consumer/Foo%20App/pact-version/"+shaOf(pactURL)+"/verification-results/1", nil)
		tw := h.must(200, http.MethodGet, strings.TrimPrefix(get(v.JSON, "_links", "pb:triggered-webhooks", "href").(string), "http://broker.test"), nil)
		if get(tw.JSON, "_embedded", "triggeredWebhooks", 0, "eventName") != "provider_verification_published" {
			t.Fatalf("verification's triggered webhooks: %s", tw.Raw)
		}

		// test-webhook: executes now with the latest pact as example data.
		id := get(h.must(200, http.MethodGet, "/webhooks", nil).JSON, "_embedded", "webhooks", 0, "uuid").(string)
		exec := h.must(200, http.MethodPost, "/webhooks/"+id+"/execute", map[string]any{})
		if exec.JSON["success"] != true || dig(exec.JSON, "response.status") != 200.0 || dig(exec.JSON, "_links.try-again.href") == nil ||
			dig(exec.JSON, "request.body.event") != "test" || !strings.Contains(exec.JSON["logs"].(string), "Webhook execution succeeded") {
			t.Fatalf("execute: %s", exec.Raw)
		}
		if got := r.waitFor(t, "test"); got.Body["provider"] != "7" || got.Body["status"] != "success" {
			t.Fatalf("the test execution uses the latest pact and verification: %+v", got.Body)
		}
	})
}

// A test execution is checked against the policy at send time too.
func TestWebhookExecuteRefusesAnInternalAddress(t *testing.T) {
	eachBackend(t, loopbackWebhooks(), func(t *testing.T, h *harness) {
		r := newReceiver(t)
		created := h.must(201, http.MethodPost, "/webhooks", map[string]any{"events": []any{map[string]any{"name": "contract_published"}},
			"request": map[string]any{"method": "POST", "url": r.URL + "/x"}})
		// The same store served by a broker with the default policy.
		strict := &harness{t: t, srv: api.New(h.store, nil, api.Config{}), store: h.store}
		exec := strict.must(200, http.MethodPost, "/webhooks/"+created.JSON["uuid"].(string)+"/execute", map[string]any{})
		if exec.JSON["success"] != false || !strings.Contains(dig(exec.JSON, "error.message").(string), "scheme must be https") {
			t.Fatalf("execute under the default policy: %s", exec.Raw)
		}
		if len(r.requests) != 0 {
			t.Fatal("the refused request was sent")
		}
	})
}
