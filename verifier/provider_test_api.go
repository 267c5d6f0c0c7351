package verifier

import (
	"encoding/json"
	"testing"

	"github.com/pact-foundation/pact-go/v2/models"
	"github.com/pact-foundation/pact-go/v2/provider"
)

// ProviderState is the state an interaction expects, with its parameters.
type ProviderState = models.ProviderState

// ProviderStateResponse is what a state handler returns: values offered to the interaction
// (nil when it offers none).
type ProviderStateResponse = models.ProviderStateResponse

// StateHandler sets up (setup true) or tears down a provider state before or after an
// interaction; what it returns is offered to the interaction as values.
type StateHandler = models.StateHandler

// StateHandlers map provider state names to their handlers.
type StateHandlers = models.StateHandlers

// VerifyProvider verifies a Go provider from its own tests with pact-go, so provider states
// can be set up by Go functions in the test process:
//
//	verifier.VerifyProvider(t, verifier.Options{
//		Provider: "payment-service", ProviderBaseURL: srv.URL,
//		BrokerURL: brokerURL, Selectors: …, Publish: true, ProviderVersion: sha,
//	}, verifier.StateHandlers{"card tok_visa is valid": …})
//
// A failed verification fails the test.
func VerifyProvider(t *testing.T, opts Options, handlers StateHandlers) {
	t.Helper()
	if err := opts.Validate(); err != nil {
		t.Fatalf("verifier options: %v", err)
	}
	req := provider.VerifyRequest{
		Provider:                   opts.Provider,
		ProviderBaseURL:            opts.ProviderBaseURL,
		BrokerURL:                  opts.BrokerURL,
		BrokerToken:                opts.BrokerToken,
		BrokerUsername:             opts.BrokerUsername,
		BrokerPassword:             opts.BrokerPassword,
		PactFiles:                  opts.PactFiles,
		PactURLs:                   opts.PactURLs,
		FilterConsumers:            opts.ConsumerFilters,
		EnablePending:              opts.EnablePending,
		IncludeWIPPactsSince:       opts.IncludeWIPPactsSince,
		PublishVerificationResults: opts.Publish,
		ProviderVersion:            opts.ProviderVersion,
		ProviderBranch:             opts.ProviderBranch,
		ProviderTags:               opts.ProviderTags,
		BuildURL:                   opts.BuildURL,
		ProviderStatesSetupURL:     opts.StateChangeURL,
		StateHandlers:              withStateParams(handlers),
		RequestTimeout:             opts.RequestTimeout,
		DisableColoredOutput:       true,
	}
	for _, raw := range opts.Selectors {
		sel := provider.UntypedConsumerVersionSelector{}
		if err := json.Unmarshal(raw, &sel); err != nil {
			t.Fatalf("consumer version selector %s: %v", raw, err)
		}
		req.ConsumerVersionSelectors = append(req.ConsumerVersionSelectors, &sel)
	}
	if err := provider.NewVerifier().VerifyProvider(t, req); err != nil {
		t.Errorf("pact verification of %s failed: %v", opts.Provider, err)
	}
}

// withStateParams hands each handler the state's parameters as the consumer wrote them. The
// engine sends {"state", "params", "action"}; pact-go passes the handler everything but state
// and action, so the parameters would arrive nested under "params".
func withStateParams(handlers StateHandlers) StateHandlers {
	out := make(StateHandlers, len(handlers))
	for name, h := range handlers {
		out[name] = func(setup bool, s ProviderState) (ProviderStateResponse, error) {
			if nested, ok := s.Parameters["params"].(map[string]any); ok && len(s.Parameters) == 1 {
				s.Parameters = nested
			}
			return h(setup, s)
		}
	}
	return out
}
