package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Pacticipant is an application taking part in contracts: a consumer, a provider, or both.
type Pacticipant struct {
	Resource
	Name                string    `json:"name"`
	DisplayName         string    `json:"displayName,omitempty"`
	MainBranch          string    `json:"mainBranch,omitempty"`
	RepositoryURL       string    `json:"repositoryUrl,omitempty"`
	RepositoryName      string    `json:"repositoryName,omitempty"`
	RepositoryNamespace string    `json:"repositoryNamespace,omitempty"`
	CreatedAt           time.Time `json:"createdAt,omitzero"`
	UpdatedAt           time.Time `json:"updatedAt,omitzero"`
	Embedded            struct {
		LatestVersion *VersionRef `json:"latestVersion,omitempty"`
	} `json:"_embedded"`
}

// PacticipantRequest is the writable part of a pacticipant. Empty fields are left as they are
// when updating.
type PacticipantRequest struct {
	Name          string `json:"name"`
	DisplayName   string `json:"displayName,omitempty"`
	MainBranch    string `json:"mainBranch,omitempty"`
	RepositoryURL string `json:"repositoryUrl,omitempty"`
}

// PacticipantList is the answer to GET /pacticipants.
type PacticipantList struct {
	Resource
	Pacticipants []Pacticipant
}

// PacticipantRef names a pacticipant inside another resource.
type PacticipantRef struct {
	Name string `json:"name"`
}

// VersionRef names a version inside another resource.
type VersionRef struct {
	Number string `json:"number"`
}

// Version is one version of a pacticipant. Its links include pb:record-deployment and
// pb:record-release, one per environment, named after the environment.
type Version struct {
	Resource
	Number    string    `json:"number"`
	BuildURL  string    `json:"buildUrl,omitempty"`
	CreatedAt time.Time `json:"createdAt,omitzero"`
	Embedded  struct {
		BranchVersions []BranchVersion `json:"branchVersions,omitempty"`
		Tags           []Tag           `json:"tags,omitempty"`
	} `json:"_embedded"`
}

// BranchVersion says a version is on a branch, and whether it is the branch's latest.
type BranchVersion struct {
	Name   string `json:"name"`
	Latest bool   `json:"latest"`
}

// Tag is a (legacy) label on a version.
type Tag struct {
	Name string `json:"name"`
}

// Pacticipant fetches a pacticipant by name.
func (c *Client) Pacticipant(ctx context.Context, name string) (*Pacticipant, error) {
	var p Pacticipant
	if err := c.get(ctx, c.endpoint("pacticipants", name), &p); err != nil {
		return nil, fmt.Errorf("get pacticipant %s: %w", name, err)
	}
	return &p, nil
}

// Pacticipants lists every pacticipant.
func (c *Client) Pacticipants(ctx context.Context) (*PacticipantList, error) {
	var wire struct {
		Resource
		Embedded struct {
			Pacticipants []json.RawMessage `json:"pacticipants"`
		} `json:"_embedded"`
		// The deprecated top-level copy, which older brokers send alone.
		Pacticipants []json.RawMessage `json:"pacticipants"`
	}
	if err := c.get(ctx, c.endpoint("pacticipants"), &wire); err != nil {
		return nil, fmt.Errorf("list pacticipants: %w", err)
	}
	raws := wire.Embedded.Pacticipants
	if raws == nil {
		raws = wire.Pacticipants
	}
	list, err := decodeItems[Pacticipant](raws)
	if err != nil {
		return nil, fmt.Errorf("list pacticipants: decode the broker's answer: %w", err)
	}
	return &PacticipantList{Resource: wire.Resource, Pacticipants: list}, nil
}

// CreateOrUpdatePacticipant creates the pacticipant, or updates the fields req sets when it
// exists already (a merge patch). created says which.
func (c *Client) CreateOrUpdatePacticipant(ctx context.Context, req PacticipantRequest) (p *Pacticipant, created bool, err error) {
	_, err = c.Pacticipant(ctx, req.Name)
	var out Pacticipant
	switch {
	case err == nil:
		err = c.do(ctx, http.MethodPatch, c.endpoint("pacticipants", req.Name), req, &out)
	case errors.Is(err, ErrNotFound):
		created = true
		err = c.do(ctx, http.MethodPost, c.endpoint("pacticipants"), req, &out)
	}
	if err != nil {
		return nil, false, fmt.Errorf("create or update pacticipant %s: %w", req.Name, err)
	}
	return &out, created, nil
}

// Version fetches a version of a pacticipant.
func (c *Client) Version(ctx context.Context, pacticipant, version string) (*Version, error) {
	var v Version
	if err := c.get(ctx, c.endpoint("pacticipants", pacticipant, "versions", version), &v); err != nil {
		return nil, fmt.Errorf("get version %s of %s: %w", version, pacticipant, err)
	}
	return &v, nil
}
