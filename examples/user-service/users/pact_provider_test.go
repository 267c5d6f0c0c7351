package users_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/broker/store"
	"github.com/treaty-dev/treaty/broker/store/storetest"
	"github.com/treaty-dev/treaty/examples/internal/brokertest"
	"github.com/treaty-dev/treaty/examples/user-service/users"
	"github.com/treaty-dev/treaty/verifier"
)

// userStates are the provider states order-service's pacts name, set up on the server's user
// store directly. The pact passes the id as a parameter, as a number.
func userStates(s *users.Store) verifier.StateHandlers {
	return verifier.StateHandlers{
		"user 42 exists": func(setup bool, st verifier.ProviderState) (verifier.ProviderStateResponse, error) {
			if !setup {
				s.Reset()
				return nil, nil
			}
			id, ok := st.Parameters["id"].(float64)
			if !ok {
				return nil, fmt.Errorf("state %q: params.id is %v, want a number", st.Name, st.Parameters["id"])
			}
			s.Ensure(int64(id))
			return nil, nil
		},
	}
}

// renaming stands for a careless user-service release: the real server, with one field of
// its JSON responses renamed.
func renaming(h http.Handler, from, to string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err == nil {
			if v, ok := body[from]; ok {
				delete(body, from)
				body[to] = v
			}
			rec.Body = &bytes.Buffer{}
			_ = json.NewEncoder(rec.Body).Encode(body)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

var mainBranch = []json.RawMessage{json.RawMessage(`{"mainBranch":true}`)}

// TestPactsFromBroker is user-service's pipeline: verify the pacts the broker selects
// (order-service's main branch), publish the results, and ask can-i-deploy. Then a release
// that renames email fails, and can-i-deploy says no.
func TestPactsFromBroker(t *testing.T) {
	storetest.Run(t, storetest.Options{}, func(t *testing.T, s *store.Store) {
		b := brokertest.Start(t, s)
		b.PublishConsumerPacts(t, "c1")

		srv := users.New(nil)
		// Provider states come from Go: user 42 is not in the store until the state says so.
		srv.Store().Delete(42)
		hs := httptest.NewServer(srv)
		t.Cleanup(hs.Close)
		verifier.VerifyProvider(t, verifier.Options{
			Provider: "user-service", ProviderBaseURL: hs.URL,
			BrokerURL: b.URL, Selectors: mainBranch,
			Publish: true, ProviderVersion: "u1", ProviderBranch: "main",
		}, userStates(srv.Store()))
		if t.Failed() {
			t.FailNow()
		}
		m := b.CanDeployTogether(t, "c1", "user-service")
		if got := brokertest.Deployable(m); got != "yes" || m.Summary.Success != 1 {
			t.Fatalf("after u1 verified: can-i-deploy says %s (%+v), want yes from 1 verified pact", got, m.Summary)
		}

		careless := httptest.NewServer(renaming(users.New(nil), "email", "email_address"))
		t.Cleanup(careless.Close)
		rep, err := verifier.Verify(context.Background(), verifier.Options{
			Provider: "user-service", ProviderBaseURL: careless.URL, StateChangeURL: careless.URL + "/_pact/provider_states",
			BrokerURL: b.URL, Selectors: mainBranch,
			Publish: true, ProviderVersion: "u2", ProviderBranch: "main",
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ok, failed, _ := rep.Counts(); rep.Success || ok != 0 || failed != 1 {
			t.Fatalf("careless release: success=%v ok=%d failed=%d, want 1 failure", rep.Success, ok, failed)
		}
		var text strings.Builder
		rep.WriteText(&text)
		if !strings.Contains(text.String(), "Actual map is missing the following keys: email") {
			t.Errorf("the report does not name the renamed field:\n%s", text.String())
		}
		m = b.CanDeployTogether(t, "c1", "user-service")
		if got := brokertest.Deployable(m); got != "no" || m.Summary.Failed != 1 {
			t.Fatalf("after u2 failed: can-i-deploy says %s (%+v), want no", got, m.Summary)
		}
	})
}
