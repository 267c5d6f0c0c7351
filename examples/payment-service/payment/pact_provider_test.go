package payment_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/broker/store"
	"github.com/treaty-dev/treaty/broker/store/storetest"
	"github.com/treaty-dev/treaty/examples/internal/brokertest"
	"github.com/treaty-dev/treaty/examples/payment-service/payment"
	"github.com/treaty-dev/treaty/verifier"
)

// cardStates are the provider states order-service's pacts name, set up on the server's card
// store directly: the Go way, with no state change endpoint involved.
func cardStates(cards *payment.Cards) verifier.StateHandlers {
	card := func(token string, status payment.CardStatus) verifier.StateHandler {
		return func(setup bool, _ verifier.ProviderState) (verifier.ProviderStateResponse, error) {
			if setup {
				cards.Set(token, status)
			} else {
				cards.Reset()
			}
			return nil, nil
		}
	}
	return verifier.StateHandlers{
		"card tok_visa is valid":      card("tok_visa", payment.CardValid),
		"card tok_expired is expired": card("tok_expired", payment.CardExpired),
	}
}

func startProvider(t *testing.T, opts payment.Options) (*payment.Server, *httptest.Server) {
	t.Helper()
	srv, err := payment.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return srv, hs
}

var mainBranch = []json.RawMessage{json.RawMessage(`{"mainBranch":true}`)}

// TestPactsFromBroker is payment-service's pipeline: verify the pacts the broker selects
// (order-service's main branch), publish the results, and ask can-i-deploy. Then a careless
// release that renames transaction_id fails, and can-i-deploy says no.
func TestPactsFromBroker(t *testing.T) {
	storetest.Run(t, storetest.Options{}, func(t *testing.T, s *store.Store) {
		b := brokertest.Start(t, s)
		b.PublishConsumerPacts(t, "c1")
		if m := b.CanDeployTogether(t, "c1", "payment-service"); brokertest.Deployable(m) == "yes" || m.Summary.Unknown != 1 {
			t.Fatalf("before any verification can-i-deploy says %s (%+v), want not yes, 1 unknown", brokertest.Deployable(m), m.Summary)
		}

		srv, hs := startProvider(t, payment.Options{})
		verifier.VerifyProvider(t, verifier.Options{
			Provider: "payment-service", ProviderBaseURL: hs.URL,
			BrokerURL: b.URL, Selectors: mainBranch,
			Publish: true, ProviderVersion: "p1", ProviderBranch: "main",
		}, cardStates(srv.Cards()))
		if t.Failed() {
			t.FailNow()
		}
		m := b.CanDeployTogether(t, "c1", "payment-service")
		if got := brokertest.Deployable(m); got != "yes" || m.Summary.Success != 1 {
			t.Fatalf("after p1 verified: can-i-deploy says %s (%+v), want yes from 1 verified pact", got, m.Summary)
		}

		// The careless release, verified by the engine `treaty verify` uses, through the
		// service's own state change endpoint.
		_, careless := startProvider(t, payment.Options{Breaking: true})
		rep, err := verifier.Verify(context.Background(), verifier.Options{
			Provider: "payment-service", ProviderBaseURL: careless.URL, StateChangeURL: careless.URL + "/_pact/provider_states",
			BrokerURL: b.URL, Selectors: mainBranch,
			Publish: true, ProviderVersion: "p2", ProviderBranch: "main",
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ok, failed, pending := rep.Counts(); rep.Success || ok != 0 || failed != 2 || pending != 0 {
			t.Fatalf("careless release: success=%v ok=%d failed=%d pending=%d, want 2 failures", rep.Success, ok, failed, pending)
		}
		var text strings.Builder
		rep.WriteText(&text)
		if !strings.Contains(text.String(), "Actual map is missing the following keys: transaction_id") {
			t.Errorf("the report does not name the renamed field:\n%s", text.String())
		}
		m = b.CanDeployTogether(t, "c1", "payment-service")
		if got := brokertest.Deployable(m); got != "no" || m.Summary.Failed != 1 || m.Summary.Reason == "" {
			t.Fatalf("after p2 failed: can-i-deploy says %s (%+v), want no with a reason", got, m.Summary)
		}
		t.Logf("can-i-deploy order-service c1 with payment-service p2: %s", m.Summary.Reason)
	})
}
