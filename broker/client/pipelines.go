package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/pipelines"
)

// Pipeline runs and deploy locks: Treaty's own JSON under /pipelines. The client implements
// pipelines.Store, so the runner records its runs the same way in process and over HTTP.

var _ pipelines.Store = (*Client)(nil)

// CreateRun records the start of a run: POST /pipelines/runs.
func (c *Client) CreateRun(ctx context.Context, r pipelines.Run) (pipelines.Run, error) {
	var out pipelines.Run
	if err := c.do(ctx, http.MethodPost, c.endpoint("pipelines", "runs"), r, &out); err != nil {
		return pipelines.Run{}, fmt.Errorf("record the run of %s %s: %w", r.Service, r.Version, err)
	}
	return out, nil
}

// UpdateRun records a run's progress or outcome: PATCH /pipelines/runs/{id}.
func (c *Client) UpdateRun(ctx context.Context, r pipelines.Run) (pipelines.Run, error) {
	var out pipelines.Run
	body := r
	body.Steps = nil
	if err := c.do(ctx, http.MethodPatch, c.endpoint("pipelines", "runs", strconv.FormatInt(r.ID, 10)), body, &out); err != nil {
		return pipelines.Run{}, fmt.Errorf("update run %d: %w", r.ID, err)
	}
	return out, nil
}

// RecordStep adds or updates a step of a run: PUT /pipelines/runs/{id}/steps.
func (c *Client) RecordStep(ctx context.Context, runID int64, s pipelines.StepRun) (pipelines.StepRun, error) {
	var out pipelines.StepRun
	if err := c.do(ctx, http.MethodPut, c.endpoint("pipelines", "runs", strconv.FormatInt(runID, 10), "steps"), s, &out); err != nil {
		return pipelines.StepRun{}, fmt.Errorf("record step %s/%s of run %d: %w", s.Stage, s.Name, runID, err)
	}
	return out, nil
}

// Run fetches one run with its steps: GET /pipelines/runs/{id}.
func (c *Client) Run(ctx context.Context, id int64) (pipelines.Run, error) {
	var out pipelines.Run
	if err := c.get(ctx, c.endpoint("pipelines", "runs", strconv.FormatInt(id, 10)), &out); err != nil {
		return pipelines.Run{}, fmt.Errorf("get run %d: %w", id, err)
	}
	return out, nil
}

// Runs lists runs, newest first: GET /pipelines/runs.
func (c *Client) Runs(ctx context.Context, q pipelines.RunQuery) ([]pipelines.Run, error) {
	v := url.Values{}
	if q.Service != "" {
		v.Set("service", q.Service)
	}
	if q.Status != "" {
		v.Set("status", string(q.Status))
	}
	if q.BeforeID > 0 {
		v.Set("before", strconv.FormatInt(q.BeforeID, 10))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	href := c.endpoint("pipelines", "runs")
	if len(v) > 0 {
		href += "?" + v.Encode()
	}
	var out struct {
		Runs []pipelines.Run `json:"runs"`
	}
	if err := c.get(ctx, href, &out); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out.Runs, nil
}

// AcquireLock takes or renews the deploy lease on (service, environment):
// PUT /pipelines/locks/{service}/{environment}. A lease someone else holds is a
// *broker.ConflictError (errors.Is broker.ErrConflict).
func (c *Client) AcquireLock(ctx context.Context, service, environment, holder string, ttl time.Duration) (pipelines.Lock, error) {
	var out pipelines.Lock
	body := map[string]string{"holder": holder, "ttl": ttl.String()}
	err := c.do(ctx, http.MethodPut, c.endpoint("pipelines", "locks", service, environment), body, &out)
	var be *Error
	if errors.As(err, &be) && be.Status == http.StatusConflict {
		return out, &broker.ConflictError{Field: "holder", Message: be.Detail()}
	}
	if err != nil {
		return out, fmt.Errorf("lock %s in %s: %w", service, environment, err)
	}
	return out, nil
}

// ReleaseLock gives a lease up: DELETE /pipelines/locks/{service}/{environment}?holder=….
func (c *Client) ReleaseLock(ctx context.Context, service, environment, holder string) error {
	href := c.endpoint("pipelines", "locks", service, environment) + "?holder=" + url.QueryEscape(holder)
	if err := c.do(ctx, http.MethodDelete, href, nil, nil); err != nil {
		return fmt.Errorf("release the lock on %s in %s: %w", service, environment, err)
	}
	return nil
}

// Locks lists the leases in force: GET /pipelines/locks.
func (c *Client) Locks(ctx context.Context) ([]pipelines.Lock, error) {
	var out struct {
		Locks []pipelines.Lock `json:"locks"`
	}
	if err := c.get(ctx, c.endpoint("pipelines", "locks"), &out); err != nil {
		return nil, fmt.Errorf("list the deploy locks: %w", err)
	}
	return out.Locks, nil
}

// AddVersionToBranch creates a version of a pacticipant (and the pacticipant) on a branch,
// as the Pact CLI's create-version-tag does for branches:
// PUT /pacticipants/{p}/branches/{b}/versions/{v}. Without a branch the version alone is
// created: PUT /pacticipants/{p}/versions/{v}.
func (c *Client) AddVersionToBranch(ctx context.Context, pacticipant, version, branch string) error {
	href := c.endpoint("pacticipants", pacticipant, "versions", version)
	if branch != "" {
		href = c.endpoint("pacticipants", pacticipant, "branches", branch, "versions", version)
	}
	if err := c.do(ctx, http.MethodPut, href, struct{}{}, nil); err != nil {
		return fmt.Errorf("create version %s of %s: %w", version, pacticipant, err)
	}
	return nil
}

// GetCandidate fetches a candidate with its artifacts and digest: GET /candidates/{p}/{v}.
func (c *Client) GetCandidate(ctx context.Context, pacticipant, version string) (*Candidate, error) {
	var out struct {
		Candidate json.RawMessage `json:"candidate"`
	}
	if err := c.get(ctx, c.endpoint("candidates", pacticipant, version), &out); err != nil {
		return nil, fmt.Errorf("get candidate %s %s: %w", pacticipant, version, err)
	}
	cand := &Candidate{Raw: out.Candidate}
	if err := json.Unmarshal(out.Candidate, cand); err != nil {
		return nil, fmt.Errorf("decode the candidate: %w", err)
	}
	return cand, nil
}
