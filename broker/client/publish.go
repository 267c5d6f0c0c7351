package client

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
)

// What to do when a consumer version already has a pact with a provider.
const (
	OnConflictOverwrite = "overwrite"
	OnConflictMerge     = "merge"
)

// PublishRequest publishes the pacts of one consumer version, with the version's branch, tags
// and build URL.
type PublishRequest struct {
	Pacticipant string // the consumer
	Version     string
	Branch      string
	BuildURL    string
	Tags        []string
	Contracts   []Contract
}

// Contract is one pact to publish.
type Contract struct {
	Consumer   string
	Provider   string
	Content    []byte // the pact file, sent as it is
	OnConflict string // OnConflictOverwrite (when empty) or OnConflictMerge
}

// PublishResult is the broker's answer to a publication; its notices tell the person what
// happened and what to do next.
type PublishResult struct {
	Resource
	Notices []Notice `json:"notices"`
}

// The body of POST /contracts/publish.
type publishBody struct {
	PacticipantName          string            `json:"pacticipantName"`
	PacticipantVersionNumber string            `json:"pacticipantVersionNumber"`
	Branch                   string            `json:"branch,omitempty"`
	BuildURL                 string            `json:"buildUrl,omitempty"`
	Tags                     []string          `json:"tags,omitempty"`
	Contracts                []publishContract `json:"contracts"`
}

type publishContract struct {
	ConsumerName  string `json:"consumerName"`
	ProviderName  string `json:"providerName"`
	Content       string `json:"content"`
	ContentType   string `json:"contentType"`
	Specification string `json:"specification"`
	OnConflict    string `json:"onConflict"`
}

// Publish publishes pacts with POST /contracts/publish.
func (c *Client) Publish(ctx context.Context, req PublishRequest) (*PublishResult, error) {
	body := publishBody{
		PacticipantName:          req.Pacticipant,
		PacticipantVersionNumber: req.Version,
		Branch:                   req.Branch,
		BuildURL:                 req.BuildURL,
		Tags:                     req.Tags,
		Contracts:                make([]publishContract, 0, len(req.Contracts)),
	}
	for _, ct := range req.Contracts {
		onConflict := ct.OnConflict
		if onConflict == "" {
			onConflict = OnConflictOverwrite
		}
		body.Contracts = append(body.Contracts, publishContract{
			ConsumerName:  ct.Consumer,
			ProviderName:  ct.Provider,
			Content:       base64.StdEncoding.EncodeToString(ct.Content),
			ContentType:   "application/json",
			Specification: "pact",
			OnConflict:    onConflict,
		})
	}
	var res PublishResult
	if err := c.do(ctx, http.MethodPost, c.endpoint("contracts", "publish"), body, &res); err != nil {
		return nil, fmt.Errorf("publish pacts of %s version %s: %w", req.Pacticipant, req.Version, err)
	}
	return &res, nil
}
