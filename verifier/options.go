package verifier

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Options describe one verification run.
type Options struct {
	Provider        string
	ProviderBaseURL string // where the running provider answers

	// Pacts from a broker: the ones it selects for this provider.
	BrokerURL      string
	BrokerToken    string
	BrokerUsername string
	BrokerPassword string
	// Selectors are consumer version selectors as JSON objects, e.g. {"mainBranch":true}.
	Selectors            []json.RawMessage
	EnablePending        bool
	IncludeWIPPactsSince *time.Time

	// Pacts given directly; then no broker is needed (unless publishing).
	PactFiles []string
	PactURLs  []string

	// StateChangeURL receives the provider state set-up (and tear-down) requests.
	StateChangeURL string
	// ConsumerFilters verifies only these consumers' pacts.
	ConsumerFilters []string

	Publish         bool
	ProviderVersion string
	ProviderBranch  string
	ProviderTags    []string
	BuildURL        string

	// RequestTimeout bounds each request to the provider (default 10s).
	RequestTimeout time.Duration
}

// Validate checks the options before anything is contacted.
func (o *Options) Validate() error {
	var problems []string
	if strings.TrimSpace(o.Provider) == "" {
		problems = append(problems, "--provider is required")
	}
	if o.ProviderBaseURL == "" {
		problems = append(problems, "--provider-base-url is required")
	} else if u, err := url.Parse(o.ProviderBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		problems = append(problems, fmt.Sprintf("--provider-base-url %q is not an http(s) URL", o.ProviderBaseURL))
	}
	if o.BrokerURL == "" && len(o.PactFiles) == 0 && len(o.PactURLs) == 0 {
		problems = append(problems, "give a broker (--broker-base-url) or pacts (--pact-file, --pact-url)")
	}
	if o.Publish {
		if o.ProviderVersion == "" {
			problems = append(problems, "--publish needs --provider-version")
		}
		if o.BrokerURL == "" && len(o.PactURLs) == 0 {
			problems = append(problems, "--publish needs pacts from a broker")
		}
	}
	if (o.EnablePending || o.IncludeWIPPactsSince != nil || len(o.Selectors) > 0) && (o.BrokerURL == "" || len(o.PactFiles)+len(o.PactURLs) > 0) {
		problems = append(problems, "selectors, pending and WIP pacts need pacts from a broker, not files or URLs")
	}
	if o.IncludeWIPPactsSince != nil && o.ProviderBranch == "" && len(o.ProviderTags) == 0 {
		problems = append(problems, "--include-wip-pacts-since needs --provider-branch (or provider tags)")
	}
	for i, s := range o.Selectors {
		var m map[string]any
		if err := json.Unmarshal(s, &m); err != nil {
			problems = append(problems, fmt.Sprintf("consumer version selector %d is not a JSON object: %v", i+1, err))
		}
	}
	if len(problems) > 0 {
		return &UsageError{Problems: problems}
	}
	return nil
}

// UsageError lists what is wrong with the options.
type UsageError struct{ Problems []string }

func (e *UsageError) Error() string { return strings.Join(e.Problems, "; ") }
