package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/treaty-dev/treaty/gates"
)

// The release gates' API: Treaty's own JSON (not HAL) under /candidates and /gates. The
// types are the gates package's, which is what the broker sends.

// Candidate is a candidate as the broker knows it, with its digest.
type Candidate struct {
	gates.Candidate
	Digest string          `json:"digest,omitempty"`
	Raw    json.RawMessage `json:"-"`
}

// ArtifactRequest records an image built from a candidate.
type ArtifactRequest struct {
	Image    string `json:"image"`
	Author   string `json:"author,omitempty"`
	BuildURL string `json:"buildUrl,omitempty"`
}

// RecordArtifact records an artifact of a pacticipant version, creating the version when
// needed: POST /candidates/{p}/{v}/artifacts.
func (c *Client) RecordArtifact(ctx context.Context, pacticipant, version string, req ArtifactRequest) (*Candidate, error) {
	var out struct {
		Candidate json.RawMessage `json:"candidate"`
	}
	if err := c.do(ctx, http.MethodPost, c.endpoint("candidates", pacticipant, version, "artifacts"), req, &out); err != nil {
		return nil, fmt.Errorf("record artifact %s of %s %s: %w", req.Image, pacticipant, version, err)
	}
	cand := &Candidate{Raw: out.Candidate}
	if err := json.Unmarshal(out.Candidate, cand); err != nil {
		return nil, fmt.Errorf("decode the candidate: %w", err)
	}
	return cand, nil
}

// ResultRequest records a result. Details is a scanner's report (SARIF or JSON) from which
// the broker reads the counts by severity.
type ResultRequest struct {
	Name        string                `json:"name"`
	Status      string                `json:"status"`
	Environment string                `json:"environment,omitempty"`
	URL         string                `json:"url,omitempty"`
	RecordedBy  string                `json:"recordedBy,omitempty"`
	Details     string                `json:"details,omitempty"`
	Counts      *gates.SeverityCounts `json:"counts,omitempty"`
}

// RecordResult records a result against a candidate: POST /candidates/{p}/{v}/results.
func (c *Client) RecordResult(ctx context.Context, pacticipant, version string, req ResultRequest) (*gates.Fact, json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodPost, c.endpoint("candidates", pacticipant, version, "results"), req, &raw); err != nil {
		return nil, nil, fmt.Errorf("record %s of %s %s: %w", req.Name, pacticipant, version, err)
	}
	var f gates.Fact
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, nil, fmt.Errorf("decode the result: %w", err)
	}
	return &f, raw, nil
}

// ReviewRequest approves or rejects a candidate for an environment.
type ReviewRequest struct {
	Environment string `json:"environment"`
	By          string `json:"by"`
	Comment     string `json:"comment,omitempty"`
}

// Review records an approval (decision gates.Approve) or a rejection (gates.Reject).
func (c *Client) Review(ctx context.Context, pacticipant, version, decision string, req ReviewRequest) (*gates.Review, json.RawMessage, error) {
	path := "approvals"
	if decision == gates.Reject {
		path = "rejections"
	}
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodPost, c.endpoint("candidates", pacticipant, version, path), req, &raw); err != nil {
		return nil, nil, fmt.Errorf("%s %s %s for %s: %w", decision, pacticipant, version, req.Environment, err)
	}
	var r gates.Review
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, nil, fmt.Errorf("decode the review: %w", err)
	}
	return &r, raw, nil
}

// CheckGate asks for a decision, which the broker logs: POST /gates/check.
func (c *Client) CheckGate(ctx context.Context, req gates.CheckRequest) (*gates.Entry, json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodPost, c.endpoint("gates", "check"), req, &raw); err != nil {
		return nil, nil, fmt.Errorf("check the gate: %w", err)
	}
	var e gates.Entry
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, nil, fmt.Errorf("decode the decision: %w", err)
	}
	return &e, raw, nil
}

// PolicyRequest applies a policy: its text (YAML or JSON), so the broker's errors name its
// lines.
type PolicyRequest struct {
	Document  string `json:"document"`
	AppliedBy string `json:"appliedBy,omitempty"`
	Comment   string `json:"comment,omitempty"`
}

// ApplyPolicy stores a new version of the policy (or none, when it equals the current one):
// PUT /gates/policy.
func (c *Client) ApplyPolicy(ctx context.Context, req PolicyRequest) (*gates.PolicyVersion, json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodPut, c.endpoint("gates", "policy"), req, &raw); err != nil {
		return nil, nil, fmt.Errorf("apply the policy: %w", err)
	}
	return decodePolicy(raw)
}

// Policy is the policy in force (version 0 is the built-in default), or with version > 0 that
// version: GET /gates/policy, /gates/policy/versions/{n}.
func (c *Client) Policy(ctx context.Context, version int) (*gates.PolicyVersion, json.RawMessage, error) {
	href := c.endpoint("gates", "policy")
	if version > 0 {
		href = c.endpoint("gates", "policy", "versions", strconv.Itoa(version))
	}
	var raw json.RawMessage
	if err := c.get(ctx, href, &raw); err != nil {
		return nil, nil, fmt.Errorf("get the policy: %w", err)
	}
	return decodePolicy(raw)
}

// PolicyVersions lists the applied versions, newest first.
func (c *Client) PolicyVersions(ctx context.Context) ([]gates.PolicyVersion, json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.get(ctx, c.endpoint("gates", "policy", "versions"), &raw); err != nil {
		return nil, nil, fmt.Errorf("list the policy's versions: %w", err)
	}
	var out struct {
		Versions []gates.PolicyVersion `json:"versions"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, nil, fmt.Errorf("decode the policy's versions: %w", err)
	}
	return out.Versions, raw, nil
}

func decodePolicy(raw json.RawMessage) (*gates.PolicyVersion, json.RawMessage, error) {
	var pv gates.PolicyVersion
	if err := json.Unmarshal(raw, &pv); err != nil {
		return nil, nil, fmt.Errorf("decode the policy: %w", err)
	}
	return &pv, raw, nil
}

// DecisionSummary is a decision as the log lists it.
type DecisionSummary struct {
	ID            int64            `json:"id"`
	Time          time.Time        `json:"time"`
	Source        string           `json:"source,omitempty"`
	Pacticipant   string           `json:"pacticipant"`
	Version       string           `json:"version"`
	Digest        string           `json:"digest,omitempty"`
	Transition    gates.Transition `json:"transition"`
	Environment   string           `json:"environment,omitempty"`
	PolicyVersion int              `json:"policyVersion"`
	Result        gates.Verdict    `json:"result"`
	Reason        string           `json:"reason"`
	NextCheck     *time.Time       `json:"nextCheck,omitempty"`
	Hash          string           `json:"hash"`
}

// DecisionQuery filters the log; zero fields filter nothing.
type DecisionQuery struct {
	Pacticipant string
	Version     string
	Environment string
	Result      string
	Limit       int
}

// Decisions lists decisions, newest first: GET /gates/decisions.
func (c *Client) Decisions(ctx context.Context, q DecisionQuery) ([]DecisionSummary, json.RawMessage, error) {
	v := url.Values{}
	for k, val := range map[string]string{"pacticipant": q.Pacticipant, "version": q.Version, "environment": q.Environment, "result": q.Result} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	href := c.endpoint("gates", "decisions")
	if len(v) > 0 {
		href += "?" + v.Encode()
	}
	var raw json.RawMessage
	if err := c.get(ctx, href, &raw); err != nil {
		return nil, nil, fmt.Errorf("list decisions: %w", err)
	}
	var out struct {
		Decisions []DecisionSummary `json:"decisions"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, nil, fmt.Errorf("decode the decisions: %w", err)
	}
	return out.Decisions, raw, nil
}

// ExportDecisions is the whole log as JSON lines, oldest first, each with its hash.
func (c *Client) ExportDecisions(ctx context.Context) ([]byte, error) {
	data, err := c.getRaw(ctx, c.endpoint("gates", "decisions")+"?format=jsonl", "application/x-ndjson")
	if err != nil {
		return nil, fmt.Errorf("export the decision log: %w", err)
	}
	return data, nil
}

// VerifyDecisions asks the broker to verify the log's chain: GET /gates/decisions/verify.
func (c *Client) VerifyDecisions(ctx context.Context) (*gates.ChainReport, error) {
	var r gates.ChainReport
	if err := c.get(ctx, c.endpoint("gates", "decisions", "verify"), &r); err != nil {
		return nil, fmt.Errorf("verify the decision log: %w", err)
	}
	return &r, nil
}

// ExplainDecision replays a decision: GET /gates/decisions/{id}/explain.
func (c *Client) ExplainDecision(ctx context.Context, id int64) (*gates.Explanation, json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.get(ctx, c.endpoint("gates", "decisions", strconv.FormatInt(id, 10), "explain"), &raw); err != nil {
		return nil, nil, fmt.Errorf("explain decision %d: %w", id, err)
	}
	var x gates.Explanation
	if err := json.Unmarshal(raw, &x); err != nil {
		return nil, nil, fmt.Errorf("decode the explanation: %w", err)
	}
	return &x, raw, nil
}

// HoldRequest holds an environment (for one pacticipant, or all), or releases it.
type HoldRequest struct {
	Environment string `json:"environment"`
	Pacticipant string `json:"pacticipant,omitempty"`
	By          string `json:"by"`
	Reason      string `json:"reason,omitempty"`
}

// Hold holds an environment on the versions deployed there: POST /gates/holds.
func (c *Client) Hold(ctx context.Context, req HoldRequest) (*gates.Hold, error) {
	var h gates.Hold
	if err := c.do(ctx, http.MethodPost, c.endpoint("gates", "holds"), req, &h); err != nil {
		return nil, fmt.Errorf("hold %s: %w", req.Environment, err)
	}
	return &h, nil
}

// Release lifts a hold: POST /gates/holds/release.
func (c *Client) Release(ctx context.Context, req HoldRequest) (*gates.Hold, error) {
	var h gates.Hold
	if err := c.do(ctx, http.MethodPost, c.endpoint("gates", "holds", "release"), req, &h); err != nil {
		return nil, fmt.Errorf("release %s: %w", req.Environment, err)
	}
	return &h, nil
}

// getRaw gets a body that is not one JSON document.
func (c *Client) getRaw(ctx context.Context, href, accept string) ([]byte, error) {
	u, err := c.resolve(href)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.userAgent)
	switch {
	case c.token != "":
		req.Header.Set("Authorization", "Bearer "+c.token)
	case c.basicAuth:
		req.SetBasicAuth(c.username, c.password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("cannot reach the broker at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read the broker's answer to GET %s: %w", u.Path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, parseError(resp.StatusCode, data)
	}
	return data, nil
}
