// Package deploy holds the deployers: the one interface the pipeline runner drives to put a
// candidate into an environment, watch it, and take it back out.
package deploy

import (
	"context"
	"time"
)

// Request asks for one service's candidate to run in one environment.
type Request struct {
	Service     string // the pacticipant
	Environment string
	Version     string // the pacticipant version, the commit id
	Image       string // REF@sha256:DIGEST; the same digest moves through every environment
	// Why names the gate decision that allowed it and its reason, for commit messages and logs.
	Why    string
	Author string // who or what asked (the pipeline run)
}

// Plan is what Apply will do, computed without changing anything.
type Plan struct {
	Request Request
	// Previous is the version running there now ("" when none): what a rollback returns to.
	Previous string
	// PreviousImage is the image the environment runs (or declares) now, "" when none. Apply
	// changes only what still names it: a value someone else changed since the plan is a
	// conflict (ConflictError), never overwritten.
	PreviousImage string
	// Changes describes the edit for people (e.g. the manifest lines that will change).
	Changes []string
	// NoOp is true when the environment already runs the request's image.
	NoOp bool
}

// Deployment is a change that was applied.
type Deployment struct {
	Request  Request
	Previous string
	// PreviousImage is the image Previous ran: what Rollback puts back.
	PreviousImage string
	// Ref identifies the change where the deployer made it: a commit hash, process ids, …
	Ref       string
	AppliedAt time.Time
}

// Health is a deployment's state as its deployer sees it.
type Health string

// Health states.
const (
	Progressing Health = "progressing"
	Healthy     Health = "healthy"
	Degraded    Health = "degraded"
	Unknown     Health = "unknown"
)

// Status is a deployment's current health.
type Status struct {
	Health  Health
	Message string
}

// Deployer puts candidates into environments. Implementations must be safe for concurrent
// use: pipelines of different services run at once.
type Deployer interface {
	Plan(ctx context.Context, req Request) (Plan, error)
	Apply(ctx context.Context, plan Plan) (Deployment, error)
	Status(ctx context.Context, d Deployment) (Status, error)
	// Rollback returns the environment to d.Previous with a new change (never by rewriting
	// history), and says why.
	Rollback(ctx context.Context, d Deployment, reason string) (Deployment, error)
}
