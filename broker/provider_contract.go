package broker

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Provider contracts: bi-directional contract testing. A provider that does not run the
// consumers' pacts publishes, per version, the OpenAPI document it serves (its provider
// contract) with the outcome of its own tests against that document (its self-verification).
// The broker compares every consumer pact with the document; a pact is then as good as
// verified by that provider version when it is compatible with the document and the
// document's self-verification succeeded.

// SpecificationOAS is the only provider contract specification Treaty reads: OpenAPI (3.0,
// 3.1, or Swagger 2.0).
const SpecificationOAS = "oas"

// The kinds of matrix verification.
const (
	// VerificationPact is a result the provider published after replaying the pact.
	VerificationPact = "pact"
	// VerificationBidirectional is the broker's comparison of the pact with the provider
	// version's OpenAPI document, together with the document's self-verification.
	VerificationBidirectional = "bidirectional"
)

// SelfVerification is what a provider says of its own tests against its contract. It is
// stored as sent: Raw is the JSON object the provider published; the fields are read from it.
type SelfVerification struct {
	Success         bool
	Content         string // base64 of the test report, as sent
	ContentType     string
	Format          string
	Verifier        string
	VerifierVersion string
	Raw             json.RawMessage
}

// ProviderContract is the contract a provider version published.
type ProviderContract struct {
	Provider        string
	ProviderVersion string
	// SHA identifies the document's content (the same document in YAML or in JSON is one).
	SHA           string
	Content       []byte // the document as first published with this content
	ContentType   string
	Specification string
	// SelfVerification is nil when the provider published no results.
	SelfVerification *SelfVerification
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// ProviderContractRequest publishes a provider version's contract, with the version's branch,
// tags and build URL, as one transaction.
type ProviderContractRequest struct {
	Provider         string
	Version          string
	Branch           string
	Tags             []string
	BuildURL         string
	Content          []byte
	ContentType      string
	Specification    string
	SelfVerification *SelfVerification
}

// Validate checks everything that can be checked without reading the document. Fields are
// named as in PactFlow's request body; the contract's own fields are reported under
// "contract", as the pact CLI prints one level of field names.
func (r *ProviderContractRequest) Validate() error {
	v := &ValidationError{}
	checkName(v, "provider", r.Provider)
	checkName(v, "pacticipantVersionNumber", r.Version)
	if r.Branch != "" {
		checkName(v, "branch", r.Branch)
	}
	for i, t := range r.Tags {
		checkName(v, fmt.Sprintf("tags.%d", i), t)
	}
	if r.BuildURL != "" {
		if u, err := url.Parse(r.BuildURL); err != nil || u.Scheme == "" || u.Host == "" || strings.ContainsAny(r.BuildURL, "\r\n") {
			v.Add("buildUrl", "must be an absolute URL")
		} else if len(r.BuildURL) > MaxFieldLength {
			v.Add("buildUrl", "must be at most %d characters", MaxFieldLength)
		}
	}
	if !strings.EqualFold(r.Specification, SpecificationOAS) {
		v.Add("contract", "specification must be %q (got %q)", SpecificationOAS, r.Specification)
	}
	if len(r.Content) == 0 {
		v.Add("contract", "content is missing")
	}
	if len(r.ContentType) > MaxNameLength || strings.ContainsAny(r.ContentType, "\r\n") {
		v.Add("contract", "contentType must be one line of at most %d characters", MaxNameLength)
	}
	return v.Err()
}

// ProviderContractResult is what publishing a provider contract did.
type ProviderContractResult struct {
	Contract       ProviderContract
	Version        Version
	VersionCreated bool
	// Created is true for the version's first contract; false for the same content again,
	// whose self-verification, when sent, replaces the one stored.
	Created bool
	// Warnings say what is wrong with the document without making it unusable.
	Warnings []string
	// Comparisons are the pacts that matter (those of consumer versions deployed or released,
	// and the latest of each consumer's main branch) compared with the document.
	Comparisons []Comparison
}

// Comparison is the broker's judgement of one pact content against one provider contract
// content. It is computed once per (pact content, contract content, profile) and shared by
// every consumer version and provider version that published those contents.
type Comparison struct {
	ID       int64
	Consumer string
	Provider string
	// ConsumerVersion is the latest consumer version that published the pact content, and
	// ProviderVersion the provider version asked about.
	ConsumerVersion string
	ProviderVersion string
	PactSHA         string
	ContractSHA     string
	// Profile names the comparator and the switches it judged with.
	Profile    string
	Compatible bool
	Errors     int
	Warnings   int
	// Summary says in one line why the pact is not compatible (empty when it is).
	Summary string
	// Results is the comparator's report: {"results": [findings…], "notices": […]}.
	Results   json.RawMessage
	CreatedAt time.Time
}

// ComparisonQuery selects comparisons with a provider version's contract: of every pact that
// matters (zero consumer fields), of one consumer version's pact, or of one pact content.
type ComparisonQuery struct {
	Provider        string
	ProviderVersion string
	Consumer        string
	ConsumerVersion string
	PactSHA         string
}

// ProviderContracts is the store's side of bi-directional contract testing.
type ProviderContracts interface {
	// PublishProviderContract stores a provider version's contract. A version's contract
	// content cannot change (ConflictError), but publishing the same content again replaces
	// its self-verification.
	PublishProviderContract(ctx context.Context, req ProviderContractRequest) (ProviderContractResult, error)
	// ProviderContract is a provider version's contract, or with number "" that of the latest
	// version that has one.
	ProviderContract(ctx context.Context, provider, number string) (ProviderContract, error)
	// ContractComparisons compares pacts with a provider version's contract, computing (and
	// storing) what was never compared.
	ContractComparisons(ctx context.Context, q ComparisonQuery) ([]Comparison, error)
}
