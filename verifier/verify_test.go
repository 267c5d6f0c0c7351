package verifier_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/treaty-dev/treaty/verifier"
)

// paymentProvider is a small payment-service; breaking renames transaction_id, as the
// careless release does.
type paymentProvider struct {
	mu        sync.Mutex
	breaking  bool
	failState bool
	states    []string
}

func (p *paymentProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.URL.Path == "/_pact/provider_states" {
		var body struct {
			State  string `json:"state"`
			Action string `json:"action"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		p.states = append(p.states, body.Action+" "+body.State)
		if p.failState {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	var req struct {
		CardToken string `json:"card_token"`
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	key := "transaction_id"
	if p.breaking {
		key = "txn_id"
	}
	w.Header().Set("Content-Type", "application/json")
	if req.CardToken == "tok_expired" {
		w.WriteHeader(http.StatusPaymentRequired)
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "declined", key: "txn-9"})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"status": "approved", key: "txn-7"})
}

func startProvider(t *testing.T, p *paymentProvider) *httptest.Server {
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv
}

func TestVerifyPactFile(t *testing.T) {
	cases := []struct {
		name        string
		provider    *paymentProvider
		wantSuccess bool
		wantStatus  []string
		wantText    []string
	}{
		{"a compatible provider", &paymentProvider{}, true, []string{"ok", "ok"},
			[]string{"ok       a charge for an order (given card tok_visa is valid)", "2 of 2 interactions verified"}},
		{"a provider that renamed a field", &paymentProvider{breaking: true}, false, []string{"failed", "failed"},
			[]string{"FAILED   a charge for an order", "body at $: Actual map is missing the following keys: transaction_id", "2 of 2 interactions FAILED"}},
		{"a failing state change endpoint", &paymentProvider{failState: true}, false, []string{"failed", "failed"},
			[]string{"One or more of the setup state change handlers has failed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startProvider(t, tc.provider)
			rep, err := verifier.Verify(context.Background(), verifier.Options{
				Provider: "payment-service", ProviderBaseURL: srv.URL, StateChangeURL: srv.URL + "/_pact/provider_states",
				PactFiles: []string{"testdata/order-service-payment-service.json"},
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Success != tc.wantSuccess {
				t.Fatalf("success = %v, want %v", rep.Success, tc.wantSuccess)
			}
			var statuses []string
			for _, i := range rep.Interactions {
				statuses = append(statuses, i.Status)
				if i.Consumer != "order-service" || len(i.States) != 1 {
					t.Errorf("interaction %q: consumer %q, states %v", i.Description, i.Consumer, i.States)
				}
			}
			if strings.Join(statuses, ",") != strings.Join(tc.wantStatus, ",") {
				t.Fatalf("statuses = %v, want %v", statuses, tc.wantStatus)
			}
			var text bytes.Buffer
			rep.WriteText(&text)
			for _, want := range tc.wantText {
				if !strings.Contains(text.String(), want) {
					t.Errorf("text report lacks %q:\n%s", want, text.String())
				}
			}
			tc.provider.mu.Lock()
			calls := len(tc.provider.states)
			tc.provider.mu.Unlock()
			if !tc.provider.failState && calls == 0 {
				t.Error("the state change endpoint was never called")
			}
		})
	}
}

func TestVerifyReports(t *testing.T) {
	srv := startProvider(t, &paymentProvider{breaking: true})
	rep, err := verifier.Verify(context.Background(), verifier.Options{Provider: "payment-service", ProviderBaseURL: srv.URL,
		PactFiles: []string{"testdata/order-service-payment-service.json"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var junit bytes.Buffer
	if err := rep.WriteJUnit(&junit); err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(junit.Bytes(), &suites); err != nil {
		t.Fatalf("JUnit report is not XML: %v\n%s", err, junit.String())
	}
	if suites.Tests != 2 || suites.Failures != 2 || suites.Suites[0].Name != "order-service → payment-service" ||
		suites.Suites[0].Cases[0].Failure == nil || !strings.Contains(suites.Suites[0].Cases[0].Failure.Message, "transaction_id") {
		t.Fatalf("JUnit report: %s", junit.String())
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Success bool           `json:"success"`
		Summary map[string]int `json:"summary"`
		Items   []struct {
			Mismatches []verifier.Mismatch `json:"mismatches"`
		} `json:"interactions"`
	}
	if err := json.Unmarshal(js.Bytes(), &parsed); err != nil {
		t.Fatal(err)
	}
	if parsed.Success || parsed.Summary["failed"] != 2 || parsed.Items[0].Mismatches[0].Path != "$" {
		t.Fatalf("JSON report: %s", js.String())
	}
}

func TestVerifyBadInput(t *testing.T) {
	srv := startProvider(t, &paymentProvider{})
	closed := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr
	}()
	file := []string{"testdata/order-service-payment-service.json"}
	cases := []struct {
		name  string
		opts  verifier.Options
		check func(error) bool
		want  string
	}{
		{"unreachable provider", verifier.Options{Provider: "payment-service", ProviderBaseURL: closed, PactFiles: file},
			func(err error) bool {
				var u *verifier.UnreachableError
				return errors.As(err, &u) && u.What == "provider"
			}, "the provider at " + closed + " cannot be reached"},
		{"unreachable broker", verifier.Options{Provider: "payment-service", ProviderBaseURL: srv.URL, BrokerURL: closed},
			func(err error) bool {
				var u *verifier.UnreachableError
				return errors.As(err, &u) && u.What == "broker"
			}, "the broker at " + closed + " cannot be reached"},
		{"malformed pact file", verifier.Options{Provider: "payment-service", ProviderBaseURL: srv.URL, PactFiles: []string{"testdata/malformed.json"}},
			func(err error) bool { var p *verifier.PactFileError; return errors.As(err, &p) }, "pact file testdata/malformed.json: pact content is not valid JSON"},
		{"missing pact file", verifier.Options{Provider: "payment-service", ProviderBaseURL: srv.URL, PactFiles: []string{"testdata/nope.json"}},
			func(err error) bool { var p *verifier.PactFileError; return errors.As(err, &p) }, "no such file"},
		{"pact of another provider", verifier.Options{Provider: "user-service", ProviderBaseURL: srv.URL, PactFiles: file},
			func(err error) bool { var p *verifier.PactFileError; return errors.As(err, &p) }, `it is a pact with provider "payment-service", not "user-service"`},
		{"pact without interactions", verifier.Options{Provider: "user-service", ProviderBaseURL: srv.URL, PactFiles: []string{"testdata/empty.json"}},
			func(err error) bool { var p *verifier.PactFileError; return errors.As(err, &p) }, "it has no interactions"},
		{"no provider name", verifier.Options{ProviderBaseURL: srv.URL, PactFiles: file},
			func(err error) bool { var u *verifier.UsageError; return errors.As(err, &u) }, "--provider is required"},
		{"not a URL", verifier.Options{Provider: "payment-service", ProviderBaseURL: "localhost:80", PactFiles: file},
			func(err error) bool { var u *verifier.UsageError; return errors.As(err, &u) }, "is not an http(s) URL"},
		{"publishing without a version", verifier.Options{Provider: "payment-service", ProviderBaseURL: srv.URL, BrokerURL: srv.URL, Publish: true},
			func(err error) bool { var u *verifier.UsageError; return errors.As(err, &u) }, "--publish needs --provider-version"},
		{"selectors with files", verifier.Options{Provider: "payment-service", ProviderBaseURL: srv.URL, PactFiles: file, Selectors: []json.RawMessage{json.RawMessage(`{"mainBranch":true}`)}},
			func(err error) bool { var u *verifier.UsageError; return errors.As(err, &u) }, "need pacts from a broker"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verifier.Verify(context.Background(), tc.opts, nil)
			if err == nil || !tc.check(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v (%T), want one mentioning %q", err, err, tc.want)
			}
		})
	}
}

func TestConcurrentVerificationsRestoreStdout(t *testing.T) {
	var before syscall.Stat_t
	if err := syscall.Fstat(1, &before); err != nil {
		t.Fatal(err)
	}
	srv := startProvider(t, &paymentProvider{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := verifier.Verify(context.Background(), verifier.Options{Provider: "payment-service", ProviderBaseURL: srv.URL,
				PactFiles: []string{"testdata/order-service-payment-service.json"}}, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// The engine's printing is silenced while verifications run; afterwards descriptor 1 must
	// be the process's real standard output again.
	var after syscall.Stat_t
	if err := syscall.Fstat(1, &after); err != nil {
		t.Fatal(err)
	}
	if before.Dev != after.Dev || before.Ino != after.Ino {
		t.Fatal("standard output was left redirected after concurrent verifications")
	}
}
