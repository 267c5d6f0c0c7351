package verifier_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/broker/api"
	"github.com/treaty-dev/treaty/broker/store"
	"github.com/treaty-dev/treaty/broker/store/storetest"
	"github.com/treaty-dev/treaty/verifier"
)

// startBroker runs a real broker on loopback with the payment pact published by
// order-service version c1 on main.
func startBroker(t *testing.T, s *store.Store) string {
	t.Helper()
	srv := httptest.NewServer(api.New(s, nil, api.Config{}))
	t.Cleanup(srv.Close)
	pact, err := os.ReadFile("testdata/order-service-payment-service.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(context.Background(), broker.PublishRequest{Pacticipant: "order-service", Version: "c1", Branch: "main",
		Contracts: []broker.ContractToPublish{{Consumer: "order-service", Provider: "payment-service", Content: pact}}}); err != nil {
		t.Fatal(err)
	}
	return srv.URL
}

func canIDeploy(t *testing.T, s *store.Store, pacticipant, version string) *bool {
	t.Helper()
	res, err := broker.Matrix(context.Background(), s, broker.MatrixQuery{
		Selectors: []broker.Selector{{Pacticipant: pacticipant, Version: version}}, Latest: true, LatestBy: broker.LatestByCVP})
	if err != nil {
		t.Fatal(err)
	}
	return res.Deployable
}

func TestVerifyFromBrokerAndPublish(t *testing.T) {
	storetest.Run(t, storetest.Options{}, func(t *testing.T, s *store.Store) {
		brokerURL := startBroker(t, s)
		good := startProvider(t, &paymentProvider{})
		bad := startProvider(t, &paymentProvider{breaking: true})
		run := func(base, version string, pending bool) *verifier.Report {
			t.Helper()
			rep, err := verifier.Verify(context.Background(), verifier.Options{
				Provider: "payment-service", ProviderBaseURL: base, StateChangeURL: base + "/_pact/provider_states",
				BrokerURL: brokerURL, Selectors: []json.RawMessage{json.RawMessage(`{"mainBranch":true}`)},
				EnablePending: pending, Publish: true, ProviderVersion: version, ProviderBranch: "main",
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return rep
		}

		// A new pact is pending: its failure is reported, published, and does not fail the run.
		rep := run(bad.URL, "p0", true)
		ok, failed, pending := rep.Counts()
		if !rep.Success || ok != 0 || failed != 0 || pending != 2 {
			t.Fatalf("pending failures: success=%v ok=%d failed=%d pending=%d", rep.Success, ok, failed, pending)
		}
		if d := canIDeploy(t, s, "order-service", "c1"); d == nil || *d {
			t.Fatal("a failed verification, pending or not, must block can-i-deploy")
		}

		rep = run(good.URL, "p1", true)
		if !rep.Success {
			t.Fatal("the good provider verifies")
		}
		if d := canIDeploy(t, s, "order-service", "c1"); d == nil || !*d {
			t.Fatalf("after a published success the consumer can deploy against the latest provider: %v", d)
		}
		v, err := s.Verification(context.Background(), "order-service", "payment-service", mustSHA(t, s), 0)
		if err != nil || !v.Success || v.ProviderVersion != "p1" || len(v.ProviderBranches) > 0 && v.ProviderBranches[0] != "main" {
			t.Fatalf("published verification: %+v %v", v, err)
		}

		// Now that main verified it, the pact is no longer pending: a breaking release fails the run.
		rep = run(bad.URL, "p2", true)
		if rep.Success {
			t.Fatal("a verified pact that now fails must fail the run")
		}
		if d := canIDeploy(t, s, "order-service", "c1"); d == nil || *d {
			t.Fatal("the latest provider version p2 failed: not deployable")
		}
	})
}

func TestVerifyUnknownProvider(t *testing.T) {
	storetest.Run(t, storetest.Options{}, func(t *testing.T, s *store.Store) {
		brokerURL := startBroker(t, s)
		srv := startProvider(t, &paymentProvider{})
		_, err := verifier.Verify(context.Background(), verifier.Options{Provider: "nobody", ProviderBaseURL: srv.URL, BrokerURL: brokerURL}, nil)
		if _, ok := err.(*verifier.UnknownProviderError); !ok {
			t.Fatalf("error = %v (%T), want UnknownProviderError", err, err)
		}
	})
}

func TestVerifyWIPPacts(t *testing.T) {
	storetest.Run(t, storetest.Options{}, func(t *testing.T, s *store.Store) {
		brokerURL := startBroker(t, s)
		bad := startProvider(t, &paymentProvider{breaking: true})
		since := time.Now().Add(-24 * time.Hour)
		rep, err := verifier.Verify(context.Background(), verifier.Options{
			Provider: "payment-service", ProviderBaseURL: bad.URL, BrokerURL: brokerURL,
			Selectors:     []json.RawMessage{json.RawMessage(`{"branch":"release"}`)},
			EnablePending: true, IncludeWIPPactsSince: &since, ProviderBranch: "main",
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, failed, pending := rep.Counts()
		if !rep.Success || failed != 0 || pending != 2 {
			t.Fatalf("the main pact comes in as WIP, pending: success=%v failed=%d pending=%d", rep.Success, failed, pending)
		}
	})
}

func mustSHA(t *testing.T, s *store.Store) string {
	p, err := s.Pact(context.Background(), broker.PactQuery{Consumer: "order-service", Provider: "payment-service", Version: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	return p.SHA
}
