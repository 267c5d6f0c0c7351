package ui_test

import (
	"context"
	"encoding/base64"
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

// inventoryAPI is inventory-service's OpenAPI document: the stock of an item, and
// reservations.
const inventoryAPI = `openapi: 3.0.3
info: {title: Inventory, version: "2.1", description: Stock and reservations across the warehouses.}
paths:
  /stock/{sku}:
    parameters:
      - {name: sku, in: path, required: true, schema: {type: string, pattern: "^[A-Z0-9-]+$"}}
    get:
      summary: Stock of one item
      operationId: getStock
      parameters:
        - {name: warehouse, in: query, description: only this warehouse, schema: {type: string, enum: [north, south]}}
      responses:
        "200":
          description: the stock
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Stock"}
        "404": {description: no such item}
  /reservations:
    post:
      summary: Reserve items for an order
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [sku, quantity]
              properties:
                sku: {type: string}
                quantity: {type: integer, minimum: 1}
      responses:
        "201":
          description: reserved
          content:
            application/json:
              schema:
                type: object
                properties:
                  reservation_id: {type: string, format: uuid}
components:
  schemas:
    Stock:
      type: object
      required: [sku, quantity]
      properties:
        sku: {type: string}
        quantity: {type: integer}
        locations:
          type: array
          items: {type: object, properties: {warehouse: {type: string}, shelf: {type: string}}}
`

// stockInteraction is a request for SKU-1's stock answered with the given quantity.
func stockInteraction(quantity any) map[string]any {
	return map[string]any{
		"description":   "the stock of SKU-1",
		"providerState": "SKU-1 is in stock",
		"request":       map[string]any{"method": "GET", "path": "/stock/SKU-1"},
		"response": map[string]any{"status": 200, "headers": map[string]any{"Content-Type": "application/json"},
			"body": map[string]any{"sku": "SKU-1", "quantity": quantity}},
	}
}

// publishBidirectional seeds bi-directional contract testing through the store's publish
// methods: inventory-service publishes its OpenAPI document as version i1f00d (with a passing
// self-verification) and i2beef (without one); checkout-web c1 expects what the document
// says, warehouse-app w1 expects the quantity as a string and asks for a path the document
// does not have.
func publishBidirectional(t testing.TB, st broker.Store) {
	t.Helper()
	ctx := context.Background()
	pact := func(consumer string, interactions ...any) []byte {
		data, err := json.Marshal(map[string]any{"consumer": map[string]any{"name": consumer}, "provider": map[string]any{"name": "inventory-service"},
			"interactions": interactions, "metadata": map[string]any{"pactSpecification": map[string]any{"version": "3.0.0"}}})
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	reserve := map[string]any{
		"description": "a reservation of two SKU-1",
		"request": map[string]any{"method": "POST", "path": "/reservations", "headers": map[string]any{"Content-Type": "application/json"},
			"body": map[string]any{"sku": "SKU-1", "quantity": 2}},
		"response": map[string]any{"status": 201, "headers": map[string]any{"Content-Type": "application/json"},
			"body": map[string]any{"reservation_id": "3f1c2b8e-7d4a-4c55-9a3e-2b1d6f0c9e21"}},
	}
	shelves := map[string]any{
		"description": "the shelves of the north warehouse",
		"request":     map[string]any{"method": "GET", "path": "/warehouses/north/shelves"},
		"response":    map[string]any{"status": 200, "headers": map[string]any{"Content-Type": "application/json"}, "body": []any{"A1"}},
	}
	for _, p := range []struct {
		consumer, version string
		content           []byte
	}{
		{"checkout-web", "c1", pact("checkout-web", stockInteraction(3), reserve)},
		{"warehouse-app", "w1", pact("warehouse-app", stockInteraction("3"), shelves)},
	} {
		if _, err := st.Publish(ctx, broker.PublishRequest{Pacticipant: p.consumer, Version: p.version, Branch: "main",
			Contracts: []broker.ContractToPublish{{Consumer: p.consumer, Provider: "inventory-service", Content: p.content}}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		version string
		self    *broker.SelfVerification
	}{
		{"i1f00d", &broker.SelfVerification{Success: true, Content: base64.StdEncoding.EncodeToString([]byte("12 passing, 0 failing")),
			ContentType: "text/plain", Format: "text", Verifier: "dredd", VerifierVersion: "14.1.0"}},
		{"i2beef", nil},
	} {
		res, err := st.PublishProviderContract(ctx, broker.ProviderContractRequest{Provider: "inventory-service", Version: c.version, Branch: "main",
			Content: []byte(inventoryAPI), ContentType: "application/yaml", Specification: broker.SpecificationOAS, SelfVerification: c.self})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Comparisons) != 2 {
			t.Fatalf("inventory-service %s was compared with %d pacts, want 2: %+v", c.version, len(res.Comparisons), res.Comparisons)
		}
	}
}

// TestBidirectionalPages reads bi-directional results through the router: the matrix's
// cells link to the comparison (not to a verification of the same number), the comparison
// shows its findings and the self-verification, and the provider contract's page draws the
// document by operation with each finding in the operation it concerns.
func TestBidirectionalPages(t *testing.T) {
	demoBroker(t, func(t *testing.T, st *store.Store, srv http.Handler) {
		publishBidirectional(t, st)
		const message = "Response body is incompatible with the response body schema in the spec file: expected integer at $.quantity, got string &#34;3&#34;"

		// The matrix says which cells are bi-directional and links each to its comparison.
		m := get(t, srv, "/ui/matrix"+q("q[][pacticipant]", "warehouse-app", "q[][pacticipant]", "inventory-service"))
		incompatible := cellLink(t, m.body, "w1", "i1f00d", "failed", "Incompatible (OpenAPI)")
		if !strings.HasPrefix(incompatible, "/ui/provider-contracts/inventory-service/i1f00d/comparisons/") || !strings.HasSuffix(incompatible, "?consumer-version=w1") {
			t.Fatalf("the incompatible cell links to %s", incompatible)
		}
		notSelfVerified := cellLink(t, m.body, "w1", "i2beef", "failed", "Incompatible (OpenAPI)")
		if !strings.HasPrefix(notSelfVerified, "/ui/provider-contracts/inventory-service/i2beef/comparisons/") {
			t.Errorf("the cell of i2beef links to %s", notSelfVerified)
		}
		for _, w := range []string{`<a class="contract-link" href="/ui/provider-contracts/inventory-service/i1f00d">OpenAPI`,
			`<td data-label="Result" data-kind="bidirectional"><a href="` + incompatible + `"`} {
			if !strings.Contains(m.body, w) {
				t.Errorf("the matrix lacks %q:\n%s", w, m.body)
			}
		}
		if strings.Contains(m.body, "/ui/verifications/") {
			t.Error("a bi-directional result links to a verification")
		}
		m = get(t, srv, "/ui/matrix"+q("q[][pacticipant]", "checkout-web", "q[][pacticipant]", "inventory-service"))
		compatible := cellLink(t, m.body, "c1", "i1f00d", "success", "Compatible (OpenAPI)")
		cellLink(t, m.body, "c1", "i2beef", "failed", "Not self-verified (OpenAPI)")

		// The comparison: the provider contract, the findings by interaction, the
		// self-verification.
		for _, tc := range []struct {
			path    string
			want    []string
			notWant []string
		}{
			{incompatible, []string{"Comparison", "Incompatible (OpenAPI)", "the pact is not compatible with the OpenAPI document",
				`href="/ui/provider-contracts/inventory-service/i1f00d">OpenAPI document of inventory-service`,
				`href="/ui/contracts/warehouse-app/inventory-service/versions/w1">warehouse-app <span class="version">w1</span>`,
				"2 findings in 2 interactions", message, "<code>response.body.incompatible</code>",
				"[root].interactions[0].response.body.quantity", "[root].components.schemas.Stock.properties.quantity.type",
				`href="/ui/contracts/warehouse-app/inventory-service/versions/w1#i-`, `>the stock of SKU-1</a>`, "Given <strong>SKU-1 is in stock</strong>",
				`href="/ui/provider-contracts/inventory-service/i1f00d#op-get-stock-sku-`, "<code>GET /stock/{sku}</code>",
				"request.path-or-method.unknown", "Path or method not defined in spec file: GET /warehouses/north/shelves",
				"Passed", "dredd 14.1.0", "12 passing, 0 failing", "treaty-openapi/1",
				"/contracts/provider/inventory-service/version/i1f00d/consumer/warehouse-app/pact-version/"}, nil},
			{notSelfVerified, []string{"Incompatible (OpenAPI)", "None published", "No self-verification results were published for this document", message}, []string{"dredd"}},
			{compatible, []string{"Compatible (OpenAPI)", "whose self-verification succeeded", "The comparator found nothing to report"}, []string{"Findings about"}},
		} {
			p := get(t, srv, tc.path)
			checkPage(t, p, 200, tc.want, tc.notWant)
		}

		// The document by operation, each finding in the operation it is about.
		p := get(t, srv, "/ui/provider-contracts/inventory-service/i1f00d")
		checkPage(t, p, 200, []string{"OpenAPI document of", "Inventory <span class=\"version\">2.1</span> · OpenAPI 3.0.3 · 2 operations",
			"Stock and reservations across the warehouses.", "see the latest", "branch main", "dredd 14.1.0",
			`<span class="method">GET</span> <code>/stock/{sku}</code> <span class="op-summary">Stock of one item</span>`, "operationId getStock",
			`<code class="prop">warehouse</code>`, "only this warehouse", "one of &#34;north&#34;, &#34;south&#34;", `<code class="prop">sku</code>`, "pattern ^[A-Z0-9-]&#43;$",
			`<span class="schema-ref" title="component schema">Stock</span>`, `<code class="prop">locations</code>`, "array of object", `<code class="prop">shelf</code>`,
			`data-status="200"`, `data-status="404"`, "no such item", "Reserve items for an order", "Request body <span class=\"req\">required</span>",
			"minimum 1", `<code class="prop">reservation_id</code>`, "string (uuid)",
			`<tr data-consumer="checkout-web">`, `<tr data-consumer="warehouse-app">`, "1 compatible", "<strong>1 incompatible</strong>",
			"Findings outside the document's operations", "Path or method not defined in spec file: GET /warehouses/north/shelves"}, nil)
		// The operations are in path order: POST /reservations, then GET /stock/{sku}.
		reservations := strings.Index(p.body, `data-path="/reservations"`)
		stock := strings.Index(p.body, `data-path="/stock/{sku}"`)
		if reservations < 0 || stock < reservations {
			t.Fatalf("operations at %d and %d", reservations, stock)
		}
		if strings.Contains(p.body[reservations:stock], "finding-") {
			t.Error("POST /reservations shows findings")
		}
		if op := p.body[stock:]; !strings.Contains(op, message) ||
			!strings.Contains(op, `warehouse-app <span class="version">w1</span>: <a href="/ui/contracts/warehouse-app/inventory-service/versions/w1#i-`) {
			t.Error("the finding is not next to the interaction it concerns, in GET /stock/{sku}")
		}
		latest := get(t, srv, "/ui/provider-contracts/inventory-service")
		checkPage(t, latest, 200, []string{"(the latest document)", `<span class="version">i2beef</span>`, "None published"}, nil)

		// The pact's page lists its comparisons, and shows the newest one's findings next to
		// the interactions they concern.
		pact := get(t, srv, "/ui/contracts/warehouse-app/inventory-service")
		checkPage(t, pact, 200, []string{"Comparisons with OpenAPI documents", `<a href="/ui/provider-contracts/inventory-service/i2beef/comparisons/`,
			"Incompatible", "2 errors, 0 warnings", "<dt>OpenAPI comparison</dt>"}, nil)
		stockIt := strings.Index(pact.body, `<h3 id="i-`)
		shelvesIt := strings.Index(pact.body[stockIt+1:], `<h3 id="i-`) + stockIt + 1
		if stockIt < 0 || shelvesIt <= stockIt {
			t.Fatal("the pact's page lacks its interactions")
		}
		if first := pact.body[stockIt:shelvesIt]; !strings.Contains(first, "the stock of SKU-1") || !strings.Contains(first, message) ||
			!strings.Contains(first, `Against the <a href="/ui/provider-contracts/inventory-service/i2beef">OpenAPI document of inventory-service`) {
			t.Errorf("the first interaction lacks its finding:\n%s", first)
		}
		if second := pact.body[shelvesIt:]; !strings.Contains(second, "Path or method not defined in spec file: GET /warehouses/north/shelves") {
			t.Errorf("the second interaction lacks its finding")
		}
		if clean := get(t, srv, "/ui/contracts/checkout-web/inventory-service"); strings.Contains(clean.body, "findings-table") {
			t.Error("a compatible pact's interactions show findings")
		}

		id := incompatible[strings.LastIndex(incompatible, "/")+1 : strings.Index(incompatible, "?")]
		for _, tc := range []struct {
			path   string
			status int
			want   string
		}{
			{"/ui/provider-contracts/nobody", 404, "Pacticipant &#34;nobody&#34; not found."},
			{"/ui/provider-contracts/payment-service", 404, "Provider contract of &#34;payment-service&#34; not found."},
			{"/ui/provider-contracts/inventory-service/nope", 404, "Provider contract for version &#34;nope&#34; of &#34;inventory-service&#34; not found."},
			{"/ui/provider-contracts/" + strings.Repeat("x", 300), 400, "provider: must be at most 255 characters"},
			{"/ui/provider-contracts/inventory-service/i1f00d/comparisons/abc", 400, "is not a comparison number"},
			{"/ui/provider-contracts/inventory-service/i1f00d/comparisons/0", 400, "is not a comparison number"},
			{"/ui/provider-contracts/inventory-service/i1f00d/comparisons/424242", 404, "Comparison 424242 with the provider contract of &#34;inventory-service&#34; version &#34;i1f00d&#34; not found."},
			{"/ui/provider-contracts/payment-service/p1c0ffe/comparisons/" + id, 404, "Provider contract for version &#34;p1c0ffe&#34; of &#34;payment-service&#34; not found."},
			{"/ui/provider-contracts/inventory-service/i1f00d/comparisons/" + id + "?consumer-version=nope", 404, "Version nope of warehouse-app has no pact with inventory-service"},
			{"/ui/provider-contracts/inventory-service/i1f00d/comparisons/" + id + "?consumer-version=a&consumer-version=b", 400, "consumer-version is given 2 times"},
			{"/ui/provider-contracts/inventory-service/i1f00d/comparisons", 404, "There is no page"},
		} {
			checkPage(t, get(t, srv, tc.path), tc.status, []string{tc.want}, nil)
		}
	})
}

// cellLink is where the matrix's grid cell of a consumer and a provider version links, after
// checking the cell is bi-directional with the given result and words.
func cellLink(t *testing.T, body, consumerVersion, providerVersion, result, text string) string {
	t.Helper()
	marker := `data-consumer-version="` + consumerVersion + `" data-provider-version="` + providerVersion + `" data-result="` + result +
		`" data-kind="bidirectional"><a href="`
	i := strings.Index(body, marker)
	if i < 0 {
		t.Fatalf("no bi-directional %s cell for %s × %s:\n%s", result, consumerVersion, providerVersion, body)
	}
	rest := body[i+len(marker):]
	href := rest[:strings.Index(rest, `"`)]
	cell := rest[:strings.Index(rest, "</td>")]
	if !strings.Contains(cell, "</span> "+text+"</span>") {
		t.Errorf("the cell of %s × %s says %s, want %q", consumerVersion, providerVersion, cell, text)
	}
	return href
}

// checkPage checks a whole page's status and what it says (locations read without the
// places they may wrap), and that nothing slipped out of a template unrendered.
func checkPage(t *testing.T, p page, status int, want, notWant []string) {
	t.Helper()
	p.body = strings.ReplaceAll(p.body, "<wbr>", "")
	if p.status != status {
		t.Fatalf("status %d, want %d:\n%s", p.status, status, p.body)
	}
	if !strings.Contains(p.body, "</html>") {
		t.Errorf("not a whole page:\n%s", p.body)
	}
	for _, slip := range []string{"<no value>", "%!", "map["} {
		if strings.Contains(p.body, slip) {
			t.Errorf("the page shows %q", slip)
		}
	}
	for _, w := range want {
		if !strings.Contains(p.body, w) {
			t.Errorf("the page lacks %q:\n%s", w, p.body)
		}
	}
	for _, w := range notWant {
		if strings.Contains(p.body, w) {
			t.Errorf("the page has %q", w)
		}
	}
}
