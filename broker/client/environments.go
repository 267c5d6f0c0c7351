package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Environment is a place versions are deployed to or released in.
type Environment struct {
	Resource
	UUID        string    `json:"uuid"`
	Name        string    `json:"name"`
	DisplayName string    `json:"displayName,omitempty"`
	Production  bool      `json:"production"`
	Contacts    []Contact `json:"contacts,omitempty"`
	CreatedAt   time.Time `json:"createdAt,omitzero"`
	UpdatedAt   time.Time `json:"updatedAt,omitzero"`
}

// Contact is a person or team responsible for an environment; the Pact CLI puts an
// "emailAddress" in its details.
type Contact struct {
	Name    string         `json:"name"`
	Details map[string]any `json:"details,omitempty"`
}

// EnvironmentRequest is the writable part of an environment, to create or replace one.
type EnvironmentRequest struct {
	Name        string    `json:"name"`
	DisplayName string    `json:"displayName,omitempty"`
	Production  bool      `json:"production"`
	Contacts    []Contact `json:"contacts,omitempty"`
}

// EnvironmentList is the answer to GET /environments.
type EnvironmentList struct {
	Resource
	Environments []Environment
}

// CreateEnvironment creates an environment with POST /environments.
func (c *Client) CreateEnvironment(ctx context.Context, req EnvironmentRequest) (*Environment, error) {
	var env Environment
	if err := c.do(ctx, http.MethodPost, c.endpoint("environments"), req, &env); err != nil {
		return nil, fmt.Errorf("create environment %s: %w", req.Name, err)
	}
	return &env, nil
}

// Environments lists every environment.
func (c *Client) Environments(ctx context.Context) (*EnvironmentList, error) {
	var wire struct {
		Resource
		Embedded struct {
			Environments []json.RawMessage `json:"environments"`
		} `json:"_embedded"`
	}
	if err := c.get(ctx, c.endpoint("environments"), &wire); err != nil {
		return nil, fmt.Errorf("list environments: %w", err)
	}
	envs, err := decodeItems[Environment](wire.Embedded.Environments)
	if err != nil {
		return nil, fmt.Errorf("list environments: decode the broker's answer: %w", err)
	}
	return &EnvironmentList{Resource: wire.Resource, Environments: envs}, nil
}

// Environment fetches an environment by UUID.
func (c *Client) Environment(ctx context.Context, uuid string) (*Environment, error) {
	var env Environment
	if err := c.get(ctx, c.endpoint("environments", uuid), &env); err != nil {
		return nil, fmt.Errorf("get environment %s: %w", uuid, err)
	}
	return &env, nil
}

// EnvironmentByName finds an environment by its name; an unknown name is ErrNotFound.
func (c *Client) EnvironmentByName(ctx context.Context, name string) (*Environment, error) {
	list, err := c.Environments(ctx)
	if err != nil {
		return nil, err
	}
	for i := range list.Environments {
		if list.Environments[i].Name == name {
			return &list.Environments[i], nil
		}
	}
	return nil, notFound("environment %q does not exist", name)
}

// UpdateEnvironment replaces an environment with PUT /environments/{uuid}. The broker
// replaces the whole document, so req must carry every field, not just the changed ones.
func (c *Client) UpdateEnvironment(ctx context.Context, uuid string, req EnvironmentRequest) (*Environment, error) {
	var env Environment
	if err := c.do(ctx, http.MethodPut, c.endpoint("environments", uuid), req, &env); err != nil {
		return nil, fmt.Errorf("update environment %s: %w", uuid, err)
	}
	return &env, nil
}

// DeleteEnvironment deletes an environment.
func (c *Client) DeleteEnvironment(ctx context.Context, uuid string) error {
	if err := c.do(ctx, http.MethodDelete, c.endpoint("environments", uuid), nil, nil); err != nil {
		return fmt.Errorf("delete environment %s: %w", uuid, err)
	}
	return nil
}
