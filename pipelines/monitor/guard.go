package monitor

import (
	"context"
	"fmt"
	"slices"

	"github.com/treaty-dev/treaty/pipelines/deploy"
)

// Guard watches a deployment and rolls it back, through the deployer that applied it, when
// the analysis says so: a GitOps deployment is rolled back by a new commit, a local one by a
// rolling update to the previous binary.
type Guard struct {
	Monitor  *Monitor
	Deployer deploy.Deployer
	// RollBackOn are the outcomes that roll back; default Failed alone, leaving an
	// Inconclusive watch to a person (Argo Rollouts pauses on it).
	RollBackOn []Outcome
}

// Verdict is a watch's result and what was done about it.
type Verdict struct {
	Result Result
	// Rollback is the rollback's deployment when there was one.
	Rollback *deploy.Deployment
}

// Watch runs the analysis over the deployment and rolls it back when the outcome calls for
// it. It returns an error when the watch could not run to its end (an invalid analysis, ctx
// done), in which case nothing is rolled back, or when the rollback itself failed.
func (g *Guard) Watch(ctx context.Context, d deploy.Deployment, a Analysis) (Verdict, error) {
	res, err := g.Monitor.Run(ctx, a)
	v := Verdict{Result: res}
	if err != nil {
		return v, fmt.Errorf("watch %s %s in %s: %w", d.Request.Service, d.Request.Version, d.Request.Environment, err)
	}
	on := g.RollBackOn
	if len(on) == 0 {
		on = []Outcome{Failed}
	}
	if !slices.Contains(on, res.Outcome) {
		return v, nil
	}
	back, err := g.Deployer.Rollback(ctx, d, fmt.Sprintf("%s %s in %s: %s", d.Request.Service, d.Request.Version, d.Request.Environment, res.Reason))
	if err != nil {
		return v, fmt.Errorf("watch %s %s in %s: %s, and the rollback failed: %w", d.Request.Service, d.Request.Version, d.Request.Environment, res.Reason, err)
	}
	v.Rollback = &back
	return v, nil
}
