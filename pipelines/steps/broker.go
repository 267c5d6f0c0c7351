package steps

import (
	"context"
	"errors"
	"fmt"

	"github.com/treaty-dev/treaty/broker/client"
	"github.com/treaty-dev/treaty/gates"
	"github.com/treaty-dev/treaty/pipelines"
)

// Broker is the runner's view of a broker, over its HTTP client.
type Broker struct {
	*client.Client
}

var _ pipelines.Broker = Broker{}

// EnsureCandidate makes the pacticipant and its version on the branch known. A version on
// a branch creates the pacticipant too; without a branch the pacticipant is created first
// (another run may do the same at once).
func (b Broker) EnsureCandidate(ctx context.Context, service, version, branch string) error {
	if branch == "" {
		if _, err := b.Pacticipant(ctx, service); errors.Is(err, client.ErrNotFound) {
			if _, _, err := b.CreateOrUpdatePacticipant(ctx, client.PacticipantRequest{Name: service}); err != nil {
				if _, again := b.Pacticipant(ctx, service); again != nil {
					return err
				}
			}
		} else if err != nil {
			return err
		}
	}
	return b.AddVersionToBranch(ctx, service, version, branch)
}

// Candidate is the candidate with its artifacts.
func (b Broker) Candidate(ctx context.Context, service, version string) (gates.Candidate, error) {
	c, err := b.GetCandidate(ctx, service, version)
	if err != nil {
		return gates.Candidate{}, err
	}
	return c.Candidate, nil
}

// RecordResult records a step's result.
func (b Broker) RecordResult(ctx context.Context, service, version string, f pipelines.FactRequest) error {
	_, _, err := b.Client.RecordResult(ctx, service, version, client.ResultRequest{Name: f.Name, Status: string(f.Status),
		Environment: f.Environment, URL: f.URL, RecordedBy: f.RecordedBy, Details: f.Details, Counts: f.Counts})
	return err
}

// CheckGate asks for a decision.
func (b Broker) CheckGate(ctx context.Context, req gates.CheckRequest) (gates.Entry, error) {
	e, _, err := b.Client.CheckGate(ctx, req)
	if err != nil {
		return gates.Entry{}, err
	}
	return *e, nil
}

// RecordDeployment records the version as deployed to the environment.
func (b Broker) RecordDeployment(ctx context.Context, service, version, environment string) error {
	_, err := b.Client.RecordDeployment(ctx, service, version, environment, "")
	return err
}

// RecordUndeployment records that nothing of the service runs in the environment.
func (b Broker) RecordUndeployment(ctx context.Context, service, environment string) error {
	_, err := b.Client.RecordUndeployment(ctx, service, environment, "")
	if errors.Is(err, client.ErrNotFound) {
		return nil
	}
	return err
}

// Reject rejects the candidate for the environment.
func (b Broker) Reject(ctx context.Context, service, version, environment, by, comment string) error {
	_, _, err := b.Review(ctx, service, version, gates.Reject, client.ReviewRequest{Environment: environment, By: by, Comment: comment})
	if err != nil {
		return fmt.Errorf("reject %s %s for %s: %w", service, version, environment, err)
	}
	return nil
}
