package broker

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// Verification is a provider version's verdict on a pact's content. It belongs to the
// content, not to a consumer version: every consumer version that published the same
// content is verified by it at once.
type Verification struct {
	ID              int64 // also its number in URLs
	Consumer        string
	Provider        string
	ProviderVersion string
	PactSHA         string
	Success         bool
	BuildURL        string
	TestResults     json.RawMessage
	VerifiedBy      json.RawMessage
	WIP             bool // verified while included as a work-in-progress pact
	Pending         bool // the pact was pending for the provider when verified
	ExecutionDate   time.Time
	CreatedAt       time.Time
	// ConsumerVersion is the latest consumer version that published the verified content.
	ConsumerVersion string
	// ProviderBranches and ProviderTags describe the provider version.
	ProviderBranches []string
	ProviderTags     []string
}

// VerificationRequest publishes a verification result for the pact content identified by
// (Consumer, Provider, SHA).
type VerificationRequest struct {
	Consumer        string
	Provider        string
	SHA             string
	ProviderVersion string
	Success         *bool
	BuildURL        string
	TestResults     json.RawMessage
	VerifiedBy      json.RawMessage
	WIP             bool
	Pending         bool
}

// Validate checks a verification before it is stored.
func (r *VerificationRequest) Validate() error {
	v := &ValidationError{}
	if r.Success == nil {
		v.Add("success", "is missing (true or false)")
	}
	checkName(v, "providerApplicationVersion", r.ProviderVersion)
	if r.BuildURL != "" {
		if u, err := url.Parse(r.BuildURL); err != nil || u.Scheme == "" || u.Host == "" || strings.ContainsAny(r.BuildURL, "\r\n") {
			v.Add("buildUrl", "must be an absolute URL")
		}
	}
	return v.Err()
}
