package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// SelfVerificationResults is what a provider says of its own tests against its contract, as
// PactFlow's API takes it. Content is the test report, sent base64-encoded.
type SelfVerificationResults struct {
	Success         bool   `json:"success"`
	Content         []byte `json:"-"`
	ContentType     string `json:"contentType,omitempty"`
	Format          string `json:"format,omitempty"`
	Verifier        string `json:"verifier,omitempty"`
	VerifierVersion string `json:"verifierVersion,omitempty"`
}

// MarshalJSON sends Content base64-encoded, and leaves it out when empty.
func (r SelfVerificationResults) MarshalJSON() ([]byte, error) {
	type plain SelfVerificationResults
	out := struct {
		plain
		Content string `json:"content,omitempty"`
	}{plain: plain(r)}
	if len(r.Content) > 0 {
		out.Content = base64.StdEncoding.EncodeToString(r.Content)
	}
	return json.Marshal(out)
}

// ProviderContractRequest publishes a provider version's OpenAPI document, with the version's
// branch, tags and build URL.
type ProviderContractRequest struct {
	Provider    string
	Version     string
	Branch      string
	Tags        []string
	BuildURL    string
	Content     []byte // the document, sent as it is
	ContentType string // application/yaml or application/json
	// SelfVerification is nil when there are no results to send.
	SelfVerification *SelfVerificationResults
}

type providerContractBody struct {
	PacticipantVersionNumber string               `json:"pacticipantVersionNumber"`
	Branch                   string               `json:"branch,omitempty"`
	Tags                     []string             `json:"tags,omitempty"`
	BuildURL                 string               `json:"buildUrl,omitempty"`
	Contract                 providerContractWire `json:"contract"`
}

type providerContractWire struct {
	Content                 string                   `json:"content"`
	ContentType             string                   `json:"contentType"`
	Specification           string                   `json:"specification"`
	SelfVerificationResults *SelfVerificationResults `json:"selfVerificationResults,omitempty"`
}

// ProviderContract is a provider version's contract as the broker holds it.
type ProviderContract struct {
	Resource
	Content                 string         `json:"content"`
	ContentType             string         `json:"contentType"`
	Specification           string         `json:"specification"`
	SHA                     string         `json:"sha"`
	SelfVerificationResults map[string]any `json:"selfVerificationResults,omitempty"`
	// Notices come with the answer to a publication.
	Notices []Notice `json:"notices,omitempty"`
}

// PublishProviderContract publishes a provider contract where the index's
// pf:publish-provider-contract relation says, as the pact CLI does.
func (c *Client) PublishProviderContract(ctx context.Context, req ProviderContractRequest) (*ProviderContract, error) {
	ix, err := c.Index(ctx)
	if err != nil {
		return nil, fmt.Errorf("publish provider contract of %s version %s: %w", req.Provider, req.Version, err)
	}
	link, ok := ix.Links.Get("pf:publish-provider-contract")
	if !ok {
		return nil, fmt.Errorf("publish provider contract of %s version %s: the broker at %s does not take provider contracts (no pf:publish-provider-contract relation)",
			req.Provider, req.Version, c.base)
	}
	body := providerContractBody{
		PacticipantVersionNumber: req.Version,
		Branch:                   req.Branch,
		Tags:                     req.Tags,
		BuildURL:                 req.BuildURL,
		Contract: providerContractWire{
			Content:                 base64.StdEncoding.EncodeToString(req.Content),
			ContentType:             req.ContentType,
			Specification:           "oas",
			SelfVerificationResults: req.SelfVerification,
		},
	}
	href := strings.ReplaceAll(link.Href, "{provider}", url.PathEscape(req.Provider))
	var out ProviderContract
	if err := c.do(ctx, http.MethodPost, href, body, &out); err != nil {
		return nil, fmt.Errorf("publish provider contract of %s version %s: %w", req.Provider, req.Version, err)
	}
	return &out, nil
}

// ProviderContract fetches a provider version's contract; version "" means the latest
// version that has one.
func (c *Client) ProviderContract(ctx context.Context, provider, version string) (*ProviderContract, error) {
	href := c.endpoint("contracts", "bi-directional", "provider", provider, "version", version, "provider-contract")
	if version == "" {
		href = c.endpoint("contracts", "bi-directional", "provider", provider, "latest", "provider-contract")
	}
	var out ProviderContract
	if err := c.get(ctx, href, &out); err != nil {
		return nil, fmt.Errorf("get the provider contract of %s: %w", provider, err)
	}
	return &out, nil
}

// Pact is a pact the broker holds, as JSON.
type Pact struct {
	Name    string // "Pact between order-service (1) and payment-service"
	Content json.RawMessage
}

// DeployedOrReleasedPacts are the pacts of a provider's consumers at the versions currently
// deployed or released in any environment: what a provider must keep working. They are the
// ones the broker selects for verification with {"deployedOrReleased": true}.
func (c *Client) DeployedOrReleasedPacts(ctx context.Context, provider string) ([]Pact, error) {
	var list struct {
		Embedded struct {
			Pacts []struct {
				Links Links `json:"_links"`
			} `json:"pacts"`
		} `json:"_embedded"`
	}
	body := map[string]any{"consumerVersionSelectors": []map[string]any{{"deployedOrReleased": true}}}
	href := c.endpoint("pacts", "provider", provider, "for-verification")
	if err := c.do(ctx, http.MethodPost, href, body, &list); err != nil {
		return nil, fmt.Errorf("find the deployed and released pacts of %s: %w", provider, err)
	}
	var out []Pact
	for _, p := range list.Embedded.Pacts {
		self, ok := p.Links.Get("self")
		if !ok {
			continue
		}
		var content json.RawMessage
		if err := c.get(ctx, self.Href, &content); err != nil {
			return nil, fmt.Errorf("get the pact %s: %w", self.Href, err)
		}
		out = append(out, Pact{Name: self.Name, Content: content})
	}
	return out, nil
}
