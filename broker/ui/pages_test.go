package ui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/broker/api"
	"github.com/treaty-dev/treaty/broker/demo"
	"github.com/treaty-dev/treaty/broker/store"
	"github.com/treaty-dev/treaty/broker/store/storetest"
	"github.com/treaty-dev/treaty/gates"
	"github.com/treaty-dev/treaty/pipelines"
)

// browserAccept is what Chromium sends for a page.
const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

// demoBroker is the demo's broker behind the real router, on every available database.
func demoBroker(t *testing.T, fn func(t *testing.T, st *store.Store, srv http.Handler)) {
	t.Helper()
	for _, b := range storetest.Open(t, storetest.Options{}) {
		t.Run(b.Name, func(t *testing.T) {
			if err := demo.Load(context.Background(), b.Store); err != nil {
				t.Fatal(err)
			}
			fn(t, b.Store, api.New(b.Store, nil, api.Config{}))
		})
	}
}

type page struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, srv http.Handler, path string, headers ...string) page {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Accept", browserAccept)
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("GET %s: status %d:\n%s", path, rec.Code, rec.Body.String())
	}
	return page{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

// q builds a /matrix-style query string in order.
func q(pairs ...string) string {
	var parts []string
	for i := 0; i+1 < len(pairs); i += 2 {
		parts = append(parts, url.QueryEscape(pairs[i])+"="+url.QueryEscape(pairs[i+1]))
	}
	return "?" + strings.Join(parts, "&")
}

func TestPages(t *testing.T) {
	long := strings.Repeat("x", 300)
	demoBroker(t, func(t *testing.T, st *store.Store, srv http.Handler) {
		for _, tc := range []struct {
			path    string
			status  int
			want    []string // in the body
			notWant []string
		}{
			// The overview, with its filters.
			{"/ui", 200, []string{"<title>Overview · Treaty</title>", `data-consumer="order-service" data-provider="payment-service"`, "p3bad00", "a3f9c21", "Showing 1–2 of 2 integrations"}, nil},
			{"/ui/", 200, []string{"Overview"}, nil},
			{"/ui?status=failed", 200, []string{`data-provider="payment-service"`}, []string{`data-provider="user-service"`}},
			{"/ui?status=success&q=USER", 200, []string{`data-provider="user-service"`}, []string{`data-provider="payment-service"`}},
			{"/ui?status=unverified", 200, []string{"No integration matches these filters."}, nil},
			{"/ui?environment=production", 200, []string{"Showing 1–2 of 2"}, nil},
			{"/ui?q=nothing-like-this", 200, []string{"No integration matches these filters."}, nil},
			{"/ui?page=7", 200, []string{"Back to the first page"}, nil},
			{"/ui?status=sideways", 400, []string{"status must be one of success, failed, unverified"}, nil},
			{"/ui?page=0", 400, []string{"page must be a whole number"}, nil},
			{"/ui?page=abc", 400, []string{"page must be a whole number"}, nil},
			{"/ui?q=" + long, 400, []string{"q is 300 characters long"}, nil},
			{"/ui?q=a&q=b", 400, []string{"q is given 2 times"}, nil},
			{"/ui?q=%zz", 400, []string{"malformed"}, nil},
			{"/ui?environment=mars", 404, []string{"There is no environment named &#34;mars&#34;."}, nil},
			{"/ui?" + strings.Repeat("a=b&", 3000), 414, []string{"Address too long"}, nil},

			{"/ui/network", 200, []string{`<svg`, `class="edge failed"`, `class="edge success"`, `data-name="order-service"`}, nil},
			{"/ui/network?pacticipant=user-service", 200, []string{`data-provider="user-service"`}, []string{`data-provider="payment-service"`}},
			{"/ui/network?pacticipant=nobody", 404, []string{"Pacticipant &#34;nobody&#34; not found."}, nil},
			{"/ui/network?pacticipant=" + long, 400, []string{"pacticipant is 300 characters long"}, nil},

			// The matrix takes /matrix's options.
			{"/ui/matrix", 200, []string{"Show matrix"}, []string{"Summary"}},
			{"/ui/matrix" + q("q[][pacticipant]", "order-service", "q[][pacticipant]", "payment-service"), 200,
				[]string{`data-consumer-version="a3f9c21" data-provider-version="p3bad00" data-result="failed"`,
					`data-consumer-version="a3f9c21" data-provider-version="p1c0ffe" data-result="success"`,
					`<span class="env-tag">production</span>`, "Showing 6 of 6 rows"}, []string{`data-provider="user-service"`}},
			{"/ui/matrix" + q("q[][pacticipant]", "payment-service", "q[][version]", "p2d00d5", "latestby", "cvpv", "limit", "1"), 200,
				[]string{"Showing 1 of 2 rows", `class="views"`}, nil},
			{"/ui/matrix" + q("q[][pacticipant]", "payment-service", "q[][version]", "", "q[][pacticipant]", "", "q[][version]", ""), 200, []string{"Matrix of payment-service"}, nil},
			{"/ui/matrix" + q("q[][pacticipant]", "order-service", "q[][environment]", "production"), 200, []string{"Matrix of order-service"}, nil},
			{"/ui/matrix" + q("q[][pacticipant]", "order-service", "q[][pacticipant]", "payment-service", "recent", "1"), 200,
				[]string{"Showing 3 of 3 rows", `data-consumer-version="b71e0d4" data-provider-version="p3bad00" data-result="failed"`,
					"q%5B%5D%5Bversion%5D=b71e0d4"}, []string{`data-consumer-version="a3f9c21"`}},
			{"/ui/matrix" + q("q[][pacticipant]", "payment-service", "q[][pacticipant]", "order-service", "recent", "20"), 200,
				[]string{"Showing 6 of 6 rows", `data-consumer-version="a3f9c21" data-provider-version="p3bad00" data-result="failed"`}, nil},
			{"/ui/matrix" + q("q[][pacticipant]", "order-service", "q[][pacticipant]", "payment-service", "recent", "0"), 400, []string{"recent must be a whole number from 1 to 100"}, nil},
			{"/ui/matrix" + q("q[][pacticipant]", "order-service", "q[][pacticipant]", "payment-service", "recent", "many"), 400, []string{"recent must be a whole number from 1 to 100"}, nil},
			{"/ui/matrix" + q("q[][pacticipant]", "order-service", "recent", "5"), 400, []string{"recent narrows the matrix of an integration"}, nil},
			{"/ui/matrix" + q("q[][pacticipant]", "nobody"), 404, []string{"There is no pacticipant named &#34;nobody&#34;."}, nil},
			{"/ui/matrix" + q("q[][pacticipant]", "order-service", "environment", "mars"), 404, []string{"There is no environment named &#34;mars&#34;."}, nil},
			{"/ui/matrix" + q("q[][pacticipant]", "order-service", "q[][latest]", "maybe"), 400, []string{"latest must be true or false"}, nil},
			{"/ui/matrix" + q("q[][pacticipant]", "order-service", "latestby", "newest"), 400, []string{"latestby must be one of cvp, cvpv or cp"}, nil},
			{"/ui/matrix" + q("q[][pacticipant]", "order-service", "limit", "0"), 400, []string{"limit must be a whole number of at least 1"}, nil},
			{"/ui/matrix" + q("q[][pacticipant]", "order-service", "limit", "5000"), 400, []string{"limit must be at most 1000"}, nil},
			{"/ui/matrix" + q("q[][pacticipant]", long), 400, []string{"pacticipant: must be at most 255 characters"}, nil},
			{"/ui/matrix" + q("q[][version]", "1"), 400, []string{"Please specify the pacticipant name"}, nil},
			{"/ui/matrix?limit=%zz", 400, []string{"malformed"}, nil},

			// Can I deploy?
			{"/ui/can-i-deploy", 200, []string{`name="pacticipant"`, `<option value="production">`}, []string{"verdict"}},
			{"/ui/can-i-deploy" + q("pacticipant", "payment-service", "version", "p3bad00", "environment", "production"), 200,
				[]string{"No: payment-service p3bad00 cannot be deployed to production", "version of order-service currently in production (a3f9c21)",
					`data-consumer-version="a3f9c21" data-provider-version="p3bad00"`}, nil},
			{"/ui/can-i-deploy" + q("pacticipant", "payment-service", "version", "p2d00d5", "environment", "production"), 200,
				[]string{"Yes: payment-service p2d00d5 can be deployed to production", "All required verification results are published and successful"}, nil},
			{"/ui/can-i-deploy" + q("pacticipant", "payment-service", "version", "p9nope", "environment", "production"), 200,
				[]string{"No: payment-service p9nope cannot be deployed", "No pacts or verifications have been published for version p9nope of payment-service"}, nil},
			{"/ui/can-i-deploy" + q("pacticipant", "payment-service", "version", "p3bad00", "environment", "production", "ignore[]", "order-service"), 200,
				[]string{"Yes: payment-service p3bad00 can be deployed", "[IGNORED]"}, nil},
			{"/ui/can-i-deploy" + q("pacticipant", "payment-service", "environment", "production"), 400, []string{"Give the version to deploy."}, nil},
			{"/ui/can-i-deploy" + q("pacticipant", "payment-service", "version", "p2d00d5", "environment", "production", "to", "prod"), 400, []string{"but not both"}, nil},
			{"/ui/can-i-deploy" + q("pacticipant", "nobody", "version", "1", "environment", "production"), 404, []string{"There is no pacticipant named &#34;nobody&#34;."}, nil},
			{"/ui/can-i-deploy" + q("pacticipant", "payment-service", "version", "1", "environment", "mars"), 404, []string{"There is no environment named &#34;mars&#34;."}, nil},
			{"/ui/can-i-deploy" + q("pacticipant", "payment-service", "version", long, "environment", "production"), 400, []string{"version is 300 characters long"}, nil},

			// Contracts.
			{"/ui/contracts/order-service/payment-service", 200, []string{"a charge for an order", "Given <strong>card tok_visa is valid</strong>",
				`<span class="method">POST</span> /charge`, "$.transaction_id", "(the latest pact)", "No earlier version of this pact has other content"}, nil},
			{"/ui/contracts/order-service/payment-service/versions/a3f9c21", 200, []string{"see the latest", "b71e0d4"}, nil},
			{"/ui/contracts/order-service/payment-service/versions/b71e0d4?against=a3f9c21", 200, []string{"no interaction changed"}, nil},
			{"/ui/contracts/order-service/payment-service?against=nope", 404, []string{"Pact between &#34;order-service&#34; and &#34;payment-service&#34; for consumer version &#34;nope&#34; not found."}, nil},
			{"/ui/contracts/order-service/payment-service/versions/nope", 404, []string{"not found"}, nil},
			{"/ui/contracts/nobody/payment-service", 404, []string{"Pacticipant &#34;nobody&#34; not found."}, nil},
			{"/ui/contracts/payment-service/order-service", 404, []string{"not found"}, nil},
			{"/ui/contracts/order-service/" + long, 400, []string{"provider: must be at most 255 characters"}, nil},
			{"/ui/contracts/order-service", 404, []string{"There is no page at /ui/contracts/order-service."}, nil},

			// Verifications.
			{"/ui/verifications/abc", 400, []string{"is not a verification number"}, nil},
			{"/ui/verifications/0", 400, []string{"is not a verification number"}, nil},
			{"/ui/verifications/99999999999999999999999", 400, []string{"is not a verification number"}, nil},
			{"/ui/verifications/424242", 404, []string{"Verification result 424242 not found."}, nil},

			// Environments.
			{"/ui/environments", 200, []string{`<tr data-pacticipant="payment-service">`, "deployed to", "Platform team"}, nil},
			{"/ui/environments/production", 200, []string{`data-environment="production"`, "p1c0ffe", "On-call"}, []string{"p2d00d5"}},
			{"/ui/environments/mars", 404, []string{"There is no environment named &#34;mars&#34;."}, nil},
			{"/ui/environments?page=-1", 400, []string{"page must be a whole number"}, nil},
			{"/ui/environments?page=3", 200, []string{"No more events."}, nil},
			{"/ui/environments/" + long, 400, []string{"environment: must be at most 255 characters"}, nil},

			// Releases.
			{"/ui/releases", 200, []string{"No gate decisions recorded yet"}, nil},
			{"/ui/releases?result=perhaps", 400, []string{"result must be one of allow, deny, pending"}, nil},
			{"/ui/releases?pacticipant=nobody", 404, []string{"not found"}, nil},
			{"/ui/releases/payment-service/p9nope", 404, []string{"not found"}, nil},

			{"/ui/nowhere", 404, []string{"There is no page at /ui/nowhere."}, nil},
			{"/ui/contracts/a/b/c/d/e/f", 404, []string{"There is no page"}, nil},
			{"/ui/static/nothing.js", 404, []string{"There is no file nothing.js."}, nil},
		} {
			t.Run(tc.path[:min(len(tc.path), 80)], func(t *testing.T) {
				p := get(t, srv, tc.path)
				if p.status != tc.status {
					t.Fatalf("status %d, want %d:\n%s", p.status, tc.status, p.body)
				}
				if ct := p.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
					t.Errorf("content type %q", ct)
				}
				if !strings.Contains(p.body, "</html>") {
					t.Errorf("not a whole page:\n%s", p.body)
				}
				for _, slip := range []string{"<no value>", "%!", "map["} {
					if strings.Contains(p.body, slip) {
						t.Errorf("the page shows %q", slip)
					}
				}
				for _, w := range tc.want {
					if !strings.Contains(p.body, w) {
						t.Errorf("body lacks %q:\n%s", w, p.body)
					}
				}
				for _, w := range tc.notWant {
					if strings.Contains(p.body, w) {
						t.Errorf("body has %q", w)
					}
				}
			})
		}
	})
}

// TestIndexNegotiation: browsers get the overview at /, every API client keeps getting HAL.
func TestIndexNegotiation(t *testing.T) {
	demoBroker(t, func(t *testing.T, _ *store.Store, srv http.Handler) {
		for _, tc := range []struct {
			accept string
			html   bool
		}{
			{browserAccept, true},
			{"text/html", true},
			{"", false},
			{"*/*", false},
			{"application/hal+json", false},
			{"application/hal+json, application/json, */*; q=0.01", false},
			{"application/json", false},
			{"text/html, application/json", false},
		} {
			p := get(t, srv, "/", "Accept", tc.accept)
			if p.status != 200 {
				t.Fatalf("Accept %q: status %d", tc.accept, p.status)
			}
			if vary := p.header.Get("Vary"); vary != "Accept" {
				t.Errorf("Accept %q: Vary %q", tc.accept, vary)
			}
			isHTML := strings.HasPrefix(p.header.Get("Content-Type"), "text/html")
			if isHTML != tc.html {
				t.Errorf("Accept %q: content type %q", tc.accept, p.header.Get("Content-Type"))
			}
			if !tc.html {
				var doc map[string]any
				if err := json.Unmarshal([]byte(p.body), &doc); err != nil || doc["_links"] == nil {
					t.Errorf("Accept %q: not the HAL index: %.200s", tc.accept, p.body)
				}
			} else if !strings.Contains(p.body, "p3bad00") {
				t.Errorf("Accept %q: not the overview", tc.accept)
			}
		}
	})
}

func TestStaticAssets(t *testing.T) {
	demoBroker(t, func(t *testing.T, _ *store.Store, srv http.Handler) {
		home := get(t, srv, "/ui")
		i := strings.Index(home.body, "/ui/static/treaty.css?v=")
		if i < 0 {
			t.Fatal("no stylesheet link")
		}
		href := home.body[i : i+strings.Index(home.body[i:], `"`)]
		css := get(t, srv, href)
		if css.status != 200 || css.header.Get("Content-Type") != "text/css; charset=utf-8" || !strings.Contains(css.header.Get("Cache-Control"), "immutable") {
			t.Fatalf("%s: %d %v", href, css.status, css.header)
		}
		again := get(t, srv, href, "If-None-Match", css.header.Get("ETag"))
		if again.status != http.StatusNotModified {
			t.Errorf("revalidation: %d", again.status)
		}
		if csp := home.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("CSP %q", csp)
		}
	})
}

// TestContractDiff publishes a changed pact and reads what changed.
func TestContractDiff(t *testing.T) {
	demoBroker(t, func(t *testing.T, st *store.Store, srv http.Handler) {
		publishChangedPact(t, st)
		p := get(t, srv, "/ui/contracts/order-service/payment-service")
		if p.status != 200 {
			t.Fatalf("status %d", p.status)
		}
		for _, w := range []string{
			"c9e8f7a", "the previous version with other content,", `href="/ui/contracts/order-service/payment-service/versions/b71e0d4"`,
			`<span class="change-kind change-added">added</span> <a href="#i-`, "a refund for an order",
			`<span class="change-kind change-changed">changed</span>`, "a charge for an order",
			"$.response.body.transaction_id", "$.response.body.payment_id", `<span class="tag">changed</span>`,
		} {
			if !strings.Contains(p.body, w) {
				t.Errorf("contract page lacks %q", w)
			}
		}
		// The removed interaction links to the older version that has it.
		old := get(t, srv, "/ui/contracts/order-service/payment-service/versions/b71e0d4?against=c9e8f7a")
		if !strings.Contains(old.body, `<span class="change-kind change-removed">removed</span> <a href="/ui/contracts/order-service/payment-service/versions/c9e8f7a#i-`) {
			t.Errorf("reverse diff lacks the removed interaction:\n%s", old.body)
		}
	})
}

// publishChangedPact publishes order-service c9e8f7a: transaction_id renamed to payment_id,
// and a refund added.
func publishChangedPact(t testing.TB, st broker.Store) {
	t.Helper()
	ctx := context.Background()
	pact, err := st.Pact(ctx, broker.PactQuery{Consumer: "order-service", Provider: "payment-service", Latest: true})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(pact.Content, &doc); err != nil {
		t.Fatal(err)
	}
	interactions := doc["interactions"].([]any)
	first := interactions[0].(map[string]any)
	body := first["response"].(map[string]any)["body"].(map[string]any)
	body["payment_id"] = body["transaction_id"]
	delete(body, "transaction_id")
	doc["interactions"] = append(interactions, map[string]any{
		"description":    "a refund for an order",
		"providerStates": []any{map[string]any{"name": "order o-1001 was charged", "params": map[string]any{"order": "o-1001"}}},
		"request":        map[string]any{"method": "POST", "path": "/refunds", "query": map[string]any{"reason": []any{"damaged"}}, "body": map[string]any{"order_id": "o-1001"}},
		"response": map[string]any{"status": 201, "body": map[string]any{"refund_id": "r-1"},
			"matchingRules": map[string]any{"body": map[string]any{"$.refund_id": map[string]any{"matchers": []any{map[string]any{"match": "regex", "regex": "r-\\d+"}}}}}},
	})
	content, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Publish(ctx, broker.PublishRequest{Pacticipant: "order-service", Version: "c9e8f7a", Branch: "feat/refunds",
		Contracts: []broker.ContractToPublish{{Consumer: "order-service", Provider: "payment-service", Content: content}}}); err != nil {
		t.Fatal(err)
	}
}

// TestVerificationMismatches shows each verifier's mismatches: the demo's (pact-ruby's
// attribute/identifier shape) and pact_verifier's expected and actual values.
func TestVerificationMismatches(t *testing.T) {
	demoBroker(t, func(t *testing.T, st *store.Store, srv http.Handler) {
		ctx := context.Background()
		failed := findVerification(t, srv, "p3bad00")
		p := get(t, srv, failed)
		for _, w := range []string{"Verification", "Failed", "a charge for an order", "$.transaction_id",
			"Actual map is missing the following keys: transaction_id", "1 interaction verified, <strong>1 failed</strong>",
			`href="/ui/contracts/order-service/payment-service/versions/b71e0d4#i-`, "branch main", "https://ci.example.com/payment-service/p3bad00"} {
			if !strings.Contains(p.body, w) {
				t.Errorf("verification page lacks %q", w)
			}
		}

		pact, err := st.Pact(ctx, broker.PactQuery{Consumer: "order-service", Provider: "user-service", Latest: true})
		if err != nil {
			t.Fatal(err)
		}
		doc, err := broker.ParsePact(pact.Content)
		if err != nil {
			t.Fatal(err)
		}
		id := broker.InteractionID(doc.Interactions()[0])
		success := false
		results := `[{"interactionId":"` + id + `","success":false,"mismatches":[
			{"type":"StatusMismatch","expected":200,"actual":500,"mismatch":"expected 200 but was 500"},
			{"type":"BodyMismatch","path":"$.email","expected":"\"ada@example.com\"","actual":"null","mismatch":"Expected 'ada@example.com' (String) but received null"}]}]`
		v, err := st.PublishVerification(ctx, broker.VerificationRequest{Consumer: "order-service", Provider: "user-service", SHA: pact.SHA,
			ProviderVersion: "u0broken", Success: &success, TestResults: json.RawMessage(results),
			VerifiedBy: json.RawMessage(`{"implementation":"pact_verifier","version":"1.2.3","clientLanguage":{"name":"pact-go","version":"2.4.2"}}`)})
		if err != nil {
			t.Fatal(err)
		}
		p = get(t, srv, "/ui/verifications/"+strconv.FormatInt(v.ID, 10))
		for _, w := range []string{"expected 200 but was 500", "$.email", "&#34;ada@example.com&#34;", "<td data-label=\"Where\">status</td>",
			"pact_verifier 1.2.3 (pact-go 2.4.2)", "#i-" + id} {
			if !strings.Contains(p.body, w) {
				t.Errorf("verification page lacks %q:\n%s", w, p.body)
			}
		}
	})
}

// findVerification follows the overview's link to a provider version's verification.
func findVerification(t *testing.T, srv http.Handler, providerVersion string) string {
	t.Helper()
	p := get(t, srv, "/ui/matrix"+q("q[][pacticipant]", "order-service", "q[][pacticipant]", "payment-service"))
	marker := `data-provider-version="` + providerVersion + `" data-result="failed"><a href="`
	i := strings.Index(p.body, marker)
	if i < 0 {
		t.Fatalf("no failed cell for %s", providerVersion)
	}
	rest := p.body[i+len(marker):]
	return rest[:strings.Index(rest, `"`)]
}

// TestEnvironmentHistory records a rollback and an undeployment and reads the timeline.
func TestEnvironmentHistory(t *testing.T) {
	demoBroker(t, func(t *testing.T, st *store.Store, srv http.Handler) {
		ctx := context.Background()
		envs, err := st.Environments(ctx, "staging")
		if err != nil || len(envs) != 1 {
			t.Fatal(envs, err)
		}
		staging := envs[0].UUID
		for _, v := range []string{"p3bad00", "p2d00d5"} { // deploy the bad one, then roll back
			if _, err := st.RecordDeployment(ctx, "payment-service", v, staging, nil); err != nil {
				t.Fatal(err)
			}
		}
		current, err := st.CurrentlyDeployed(ctx, staging, broker.DeploymentFilter{Pacticipant: "user-service"})
		if err != nil || len(current) != 1 {
			t.Fatal(current, err)
		}
		if _, err := st.RecordUndeployment(ctx, current[0].UUID); err != nil {
			t.Fatal(err)
		}
		p := get(t, srv, "/ui/environments/staging")
		for _, w := range []string{"rolled back in", "replacing <span class=\"version\">p3bad00</span>", "deployed to", "replacing <span class=\"version\">p2d00d5</span>", "undeployed from"} {
			if !strings.Contains(p.body, w) {
				t.Errorf("staging history lacks %q:\n%s", w, p.body)
			}
		}
		if strings.Contains(p.body, `<tr data-pacticipant="user-service">`) {
			t.Error("user-service is still shown as running in staging")
		}
	})
}

// TestReleases reads gate decisions and pipeline runs as the gate engine and the pipelines
// record them.
func TestReleases(t *testing.T) {
	demoBroker(t, func(t *testing.T, st *store.Store, srv http.Handler) {
		ctx := context.Background()
		engine := &gates.Engine{Store: st, Contracts: gates.MatrixContracts{Data: st}, Now: time.Now}
		if _, err := engine.Check(ctx, gates.CheckRequest{Pacticipant: "payment-service", Version: "p3bad00", Environment: "production", Source: "test"}); err != nil {
			t.Fatal(err)
		}
		run := recordRun(t, st)
		p := get(t, srv, "/ui/releases")
		for _, w := range []string{`data-result="deny"`, "payment-service <span class=\"version\">p3bad00</span>", "to <a href=\"/ui/environments/production\">production</a>",
			"<details open>", "contract", `data-run="` + strconv.FormatInt(run.ID, 10) + `"`, "rolled-back"} {
			if !strings.Contains(p.body, w) {
				t.Errorf("releases lack %q:\n%s", w, p.body)
			}
		}
		p = get(t, srv, "/ui/releases?result=allow")
		if !strings.Contains(p.body, "No gate decision matches these filters.") {
			t.Errorf("allowed decisions: %s", p.body)
		}
		p = get(t, srv, "/ui/releases/payment-service/p3bad00")
		for _, w := range []string{"Release candidate payment-service", "unit-tests", "passed", `data-result="deny"`, "#" + strconv.FormatInt(run.ID, 10)} {
			if !strings.Contains(p.body, w) {
				t.Errorf("the candidate page lacks %q:\n%s", w, p.body)
			}
		}
		p = get(t, srv, "/ui/runs/"+strconv.FormatInt(run.ID, 10))
		for _, w := range []string{"Pipeline run", "rolled-back", "production · deploy", "error rate 12% over 5%", "End of the output", "helm upgrade"} {
			if !strings.Contains(p.body, w) {
				t.Errorf("the run page lacks %q:\n%s", w, p.body)
			}
		}
		for path, status := range map[string]int{"/ui/runs/abc": 400, "/ui/runs/0": 400, "/ui/runs/424242": 404} {
			if got := get(t, srv, path); got.status != status || !strings.Contains(got.body, "</html>") {
				t.Errorf("%s: status %d, want %d", path, got.status, status)
			}
		}
	})
}

// recordRun records a pipeline run of payment-service p3bad00 that rolled back in production,
// and a passing unit-test result for the candidate.
func recordRun(t testing.TB, st *store.Store) pipelines.Run {
	t.Helper()
	ctx := context.Background()
	if _, err := st.RecordFact(ctx, "payment-service", "p3bad00", gates.Fact{Name: "unit-tests", Status: gates.Passed, RecordedBy: "ci"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-3 * time.Minute)
	run, err := st.CreateRun(ctx, pipelines.Run{Service: "payment-service", Version: "p3bad00", Branch: "main", Status: pipelines.Running,
		Stage: pipelines.StageBuild, Author: "dev@example.com", StartedAt: start})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []pipelines.StepRun{
		{Stage: pipelines.StageBuild, Name: "build", Uses: "run", Status: pipelines.Succeeded, StartedAt: start, DurationMillis: 41_000},
		{Stage: pipelines.StageProduction, Name: "deploy", Uses: "deploy", Environment: "production", Status: pipelines.RolledBack,
			Message: "error rate 12% over 5%", LogTail: "helm upgrade payment-service …\nrollback to p1c0ffe", StartedAt: start.Add(time.Minute), DurationMillis: 95_000},
	} {
		if _, err := st.RecordStep(ctx, run.ID, s); err != nil {
			t.Fatal(err)
		}
	}
	run.Status, run.Stage, run.Message = pipelines.RolledBack, pipelines.StageProduction, "rolled back: error rate 12% over 5%"
	end := time.Now()
	run.FinishedAt = &end
	if run, err = st.UpdateRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	return run
}
