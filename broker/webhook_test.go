package broker_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/broker"
)

func TestWebhookRender(t *testing.T) {
	ev := broker.WebhookEvent{Name: broker.EventProviderVerificationPublished, Consumer: "Foo App", Provider: "Bar",
		ConsumerVersion: "1.0.0", ConsumerVersionTags: []string{"prod", "dev"}, PactSHA: "abc", ProviderVersion: "2",
		ProviderVersionBranch: "feat/x", VerificationID: 7, VerificationSuccess: true}
	params := ev.WebhookParams("https://broker.example/")
	cases := []struct {
		name     string
		request  broker.WebhookRequest
		wantURL  string
		wantBody string
	}{
		{"URL values are query-escaped",
			broker.WebhookRequest{Method: "post", URL: "https://ci.example/build?c=${pactbroker.consumerName}&b=${pactbroker.providerVersionBranch}"},
			"https://ci.example/build?c=Foo+App&b=feat%2Fx", ""},
		{"JSON body: substituted inside strings, numbers kept",
			broker.WebhookRequest{Method: "POST", URL: "https://ci.example/", Body: json.RawMessage(`{"state":"${pactbroker.githubVerificationStatus}","n":1.50,"${pactbroker.providerName}":["${pactbroker.consumerVersionTags}"]}`)},
			"https://ci.example/", `{"Bar":["prod, dev"],"n":1.50,"state":"success"}`},
		{"a value cannot break the JSON document",
			broker.WebhookRequest{Method: "POST", URL: "https://ci.example/", Body: json.RawMessage(`{"c":"${pactbroker.consumerName}\"}"}`)},
			"https://ci.example/", `{"c":"Foo App\"}"}`},
		{"string body: text as is",
			broker.WebhookRequest{Method: "POST", URL: "https://ci.example/", Body: json.RawMessage(`"verified ${pactbroker.consumerName} ${pactbroker.unknown}"`)},
			"https://ci.example/", "verified Foo App ${pactbroker.unknown}"},
		{"verification result URL",
			broker.WebhookRequest{Method: "POST", URL: "https://ci.example/", Body: json.RawMessage(`"${pactbroker.verificationResultUrl}"`)},
			"https://ci.example/", "https://broker.example/pacts/provider/Bar/consumer/Foo%20App/pact-version/abc/verification-results/7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.request.Render(params)
			if err != nil {
				t.Fatal(err)
			}
			if got.URL != tc.wantURL || string(got.Body) != tc.wantBody || got.Method != "POST" {
				t.Fatalf("got %s %s %s\nwant %s %s", got.Method, got.URL, got.Body, tc.wantURL, tc.wantBody)
			}
		})
	}
	if !strings.HasPrefix(params["pactUrl"], "https://broker.example/pacts/provider/Bar/consumer/Foo%20App/pact-version/abc/metadata/") {
		t.Fatalf("pactUrl = %s", params["pactUrl"])
	}
	if pending := (broker.WebhookEvent{}).WebhookParams("x"); pending["bitbucketVerificationStatus"] != "INPROGRESS" {
		t.Fatalf("an event without a verification is pending: %v", pending)
	}
}

func TestWebhookValidate(t *testing.T) {
	valid := func() broker.Webhook {
		return broker.Webhook{Events: []string{broker.EventContractPublished}, Request: broker.WebhookRequest{Method: "POST", URL: "https://ci.example/x"}}
	}
	cases := []struct {
		name   string
		mutate func(w *broker.Webhook)
		field  string
	}{
		{"no events", func(w *broker.Webhook) { w.Events = nil }, "events"},
		{"unknown event", func(w *broker.Webhook) { w.Events = []string{"contract_deleted"} }, "events.0"},
		{"short uuid", func(w *broker.Webhook) { w.UUID = "abc" }, "uuid"},
		{"uuid with a slash", func(w *broker.Webhook) { w.UUID = "abcdefghijklmnop/q" }, "uuid"},
		{"relative URL", func(w *broker.Webhook) { w.Request.URL = "/build" }, "request.url"},
		{"parameter in the host", func(w *broker.Webhook) { w.Request.URL = "https://${pactbroker.consumerName}.example/" }, "request.url"},
		{"method not a token", func(w *broker.Webhook) { w.Request.Method = "PO ST" }, "request.method"},
		{"header value over two lines", func(w *broker.Webhook) { w.Request.Headers = map[string]string{"X": "a\nb"} }, "request.headers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := valid()
			tc.mutate(&w)
			err := w.Validate()
			ve, ok := err.(*broker.ValidationError)
			if !ok || len(ve.Fields[tc.field]) == 0 {
				t.Fatalf("want an error on %s, got %v", tc.field, err)
			}
		})
	}
	w := valid()
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestWebhookRedact(t *testing.T) {
	r := broker.WebhookRequest{Password: "secret", Headers: map[string]string{"Authorization": "Bearer x", "X-Token": "${pactbroker.providerName}", "Accept": "a"}}
	red := r.Redact()
	if red.Password != broker.Redacted || red.Headers["Authorization"] != broker.Redacted || red.Headers["Accept"] != "a" ||
		red.Headers["X-Token"] != "${pactbroker.providerName}" {
		t.Fatalf("redacted: %+v", red)
	}
	if r.Password != "secret" || r.Headers["Authorization"] != "Bearer x" {
		t.Fatal("Redact must not change the original")
	}
	back := red.KeepSecrets(r)
	if back.Password != "secret" || back.Headers["Authorization"] != "Bearer x" {
		t.Fatalf("written back redacted, the secrets must be kept: %+v", back)
	}
}
