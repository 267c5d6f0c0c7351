package gates

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/treaty-dev/treaty/broker"
)

// Store is what the gates remember: candidates and their facts, reviews, holds, the policy's
// versions, the decision log and who waits for decisions. Every method takes a context, every
// write is one transaction, errors are broker's vocabulary (an unknown candidate is
// broker.ErrNotFound). broker/store implements it on the broker's database.
type Store interface {
	// Candidate is a pacticipant version with its artifacts.
	Candidate(ctx context.Context, pacticipant, version string) (Candidate, error)
	// RecordArtifact records an artifact of a candidate, creating the version of an existing
	// pacticipant when needed.
	RecordArtifact(ctx context.Context, req ArtifactRequest) (Candidate, error)
	// RecordFact records a result against a known candidate, stamped with its digest.
	RecordFact(ctx context.Context, pacticipant, version string, f Fact) (Fact, error)
	Facts(ctx context.Context, pacticipant, version string) ([]Fact, error)
	// RecordReview records an approval or a rejection of a known candidate for an
	// environment; the author's approvals are refused.
	RecordReview(ctx context.Context, pacticipant, version string, r Review) (Review, error)
	Reviews(ctx context.Context, pacticipant, version string) ([]Review, error)

	PlaceHold(ctx context.Context, h Hold) (h2 Hold, created bool, err error)
	// ReleaseHold lifts the hold on an environment (for one pacticipant, or "" for all).
	ReleaseHold(ctx context.Context, environment, pacticipant, by string) (Hold, error)
	// Holds lists the holds in force, on one environment or ("") on all.
	Holds(ctx context.Context, environment string) ([]Hold, error)

	// GateInput gathers in one read what a check needs, but the time and can-i-deploy's
	// answers: the candidate, its facts, reviews and deployments, and for a target
	// environment ("" for publish) the environment, its holds and what runs there.
	GateInput(ctx context.Context, pacticipant, version, environment string) (Input, error)

	// ApplyPolicy stores a new version of the policy, unless it equals the current one.
	ApplyPolicy(ctx context.Context, pv PolicyVersion) (applied PolicyVersion, created bool, err error)
	// CurrentPolicy is the latest applied version, or DefaultPolicyVersion.
	CurrentPolicy(ctx context.Context) (PolicyVersion, error)
	PolicyVersion(ctx context.Context, version int) (PolicyVersion, error)
	// PolicyVersions lists every applied version, newest first.
	PolicyVersions(ctx context.Context) ([]PolicyVersion, error)

	// AppendDecision numbers, links, seals and stores a decision at the end of the log.
	AppendDecision(ctx context.Context, e Entry) (Entry, error)
	Decision(ctx context.Context, id int64) (Entry, error)
	// Decisions lists entries as the query selects, newest first.
	Decisions(ctx context.Context, q DecisionQuery) ([]SealedEntry, error)
	// WalkDecisions calls fn with every entry from the first, in order.
	WalkDecisions(ctx context.Context, fn func(SealedEntry) error) error

	// AddWait registers someone waiting for a decision; a wait with the same kind and key
	// is the same wait.
	AddWait(ctx context.Context, w Wait) (w2 Wait, created bool, err error)
	// ClaimWaits takes up to limit due waits of a kind for lease: no one else gets them
	// until they are updated or the lease runs out.
	ClaimWaits(ctx context.Context, kind string, limit int, lease time.Duration) ([]Wait, error)
	// UpdateWait records the outcome of a claimed wait.
	UpdateWait(ctx context.Context, w Wait) error
}

// ArtifactRequest records an artifact, and what is known of the build, for a candidate.
type ArtifactRequest struct {
	Pacticipant string
	Version     string
	Artifact    Artifact
	Author      string
	BuildURL    string
}

// DecisionQuery selects decisions; zero fields select everything.
type DecisionQuery struct {
	Pacticipant string
	Version     string
	Environment string
	Result      Verdict
	// AfterID skips the entries up to and including it; Limit bounds the list (0: 100).
	AfterID int64
	Limit   int
}

// Wait is someone waiting for a decision on a candidate, such as a GitHub deployment held by
// a protection rule. Recording a fact about the candidate makes its waits due at once.
type Wait struct {
	ID          int64           `json:"id"`
	Kind        string          `json:"kind"`
	Key         string          `json:"key"`
	Pacticipant string          `json:"pacticipant"`
	Version     string          `json:"version"`
	Environment string          `json:"environment"`
	Payload     json.RawMessage `json:"payload"`
	// State is waiting until the waiter is answered (or gives up).
	State        string     `json:"state"`
	Attempts     int        `json:"attempts"`
	NextCheck    *time.Time `json:"nextCheck,omitempty"`
	LastDecision int64      `json:"lastDecision,omitempty"`
	Message      string     `json:"message,omitempty"`
	CreatedAt    time.Time  `json:"createdAt"`
}

// Wait states.
const (
	WaitWaiting  = "waiting"
	WaitAnswered = "answered"
	WaitFailed   = "failed"
)

// ContractChecker answers can-i-deploy for a candidate and an environment.
type ContractChecker interface {
	CanIDeploy(ctx context.Context, pacticipant, version, environment string) ContractAnswer
}

// MatrixContracts answers with the broker's compatibility matrix, as GET /can-i-deploy does.
type MatrixContracts struct{ Data broker.MatrixData }

func (m MatrixContracts) CanIDeploy(ctx context.Context, pacticipant, version, environment string) ContractAnswer {
	res, err := broker.Matrix(ctx, m.Data, broker.MatrixQuery{
		Selectors:   []broker.Selector{{Pacticipant: pacticipant, Version: version}},
		Environment: environment, LatestBy: broker.LatestByCVPV,
	})
	if err != nil {
		return ContractAnswer{Error: err.Error()}
	}
	return ContractAnswer{Deployable: res.Deployable, Reason: res.Reason()}
}

// Engine runs checks: it gathers the input, asks can-i-deploy where the policy needs it,
// evaluates, and appends the decision to the log.
type Engine struct {
	Store     Store
	Contracts ContractChecker
	Now       func() time.Time
}

// CheckRequest asks whether a candidate may publish (Transition publish) or go to an
// environment (Environment; the transition is then a deploy, or a promote for production).
type CheckRequest struct {
	Pacticipant string     `json:"pacticipant"`
	Version     string     `json:"version"`
	Environment string     `json:"environment,omitempty"`
	Transition  Transition `json:"transition,omitempty"`
	// Source says who asked: cli, api, github, pipeline…
	Source string `json:"source,omitempty"`
}

// Validate checks the request's shape.
func (r CheckRequest) Validate() error {
	v := &broker.ValidationError{}
	if err := broker.CheckName("pacticipant", r.Pacticipant); err != nil {
		v.Add("pacticipant", "cannot be blank")
	}
	if err := broker.CheckVersionNumber("version", r.Version); err != nil {
		v.Add("version", "cannot be blank")
	}
	switch r.Transition {
	case Publish:
		if r.Environment != "" {
			v.Add("environment", "publishing has no environment: ask for publish or for an environment, not both")
		}
	case Deploy, Promote, "":
		if r.Environment == "" {
			v.Add("environment", "is missing: name the environment, or ask for the publish transition")
		}
	default:
		v.Add("transition", "%q is not publish, deploy or promote", r.Transition)
	}
	if len(r.Source) > broker.MaxNameLength {
		v.Add("source", "must be at most %d characters", broker.MaxNameLength)
	}
	return v.Err()
}

// Check decides and records the decision.
func (g *Engine) Check(ctx context.Context, req CheckRequest) (Entry, error) {
	if err := req.Validate(); err != nil {
		return Entry{}, err
	}
	env := req.Environment
	in, err := g.Store.GateInput(ctx, req.Pacticipant, req.Version, env)
	if err != nil {
		return Entry{}, err
	}
	if in.Environment != nil {
		in.Transition = TransitionTo(in.Environment.Production)
		if req.Transition != "" && req.Transition != in.Transition {
			kind := "not a production environment"
			if in.Environment.Production {
				kind = "a production environment"
			}
			return Entry{}, broker.Invalid("transition", "%s is %s, so going there is a %s, not a %s", env, kind, in.Transition, req.Transition)
		}
	} else {
		in.Transition = Publish
	}
	pv, err := g.Store.CurrentPolicy(ctx)
	if err != nil {
		return Entry{}, fmt.Errorf("read the policy: %w", err)
	}
	in.Contracts = map[string]ContractAnswer{}
	for _, e := range pv.Policy.ContractEnvironments(in.Transition, env) {
		in.Contracts[e] = g.Contracts.CanIDeploy(ctx, req.Pacticipant, req.Version, e)
	}
	in.Now = g.now()
	decision := Evaluate(pv.Policy, &in)
	entry := Entry{
		Time: in.Now, Source: req.Source, Pacticipant: req.Pacticipant, Version: req.Version, Digest: in.Candidate.Digest(),
		Transition: in.Transition, Environment: env, PolicyVersion: pv.Version, PolicyDigest: pv.Digest,
		Decision: decision, Input: in,
	}
	return g.Store.AppendDecision(ctx, entry)
}

func (g *Engine) now() time.Time {
	if g.Now == nil {
		return time.Now().UTC()
	}
	return g.Now().UTC()
}

// Explanation replays a logged decision: its input evaluated again under the policy version
// it was made with. Matches says whether the replay gives the logged decision.
type Explanation struct {
	Entry   Entry         `json:"decision"`
	Policy  PolicyVersion `json:"policy"`
	Replay  Decision      `json:"replay"`
	Matches bool          `json:"matches"`
	// Note explains a replay that cannot be faithful (the policy's content changed).
	Note string `json:"note,omitempty"`
}

// Explain replays the decision with the given ID.
func (g *Engine) Explain(ctx context.Context, id int64) (Explanation, error) {
	entry, err := g.Store.Decision(ctx, id)
	if err != nil {
		return Explanation{}, err
	}
	pv, err := g.Store.PolicyVersion(ctx, entry.PolicyVersion)
	if err != nil {
		return Explanation{}, fmt.Errorf("policy version %d of decision %d: %w", entry.PolicyVersion, id, err)
	}
	x := Explanation{Entry: entry, Policy: pv}
	if pv.Digest != entry.PolicyDigest {
		x.Note = fmt.Sprintf("policy version %d is now %s but the decision was made under %s", pv.Version, pv.Digest, entry.PolicyDigest)
	}
	in := entry.Input
	x.Replay = Evaluate(pv.Policy, &in)
	a, err1 := Canonical(x.Replay)
	b, err2 := Canonical(entry.Decision)
	x.Matches = err1 == nil && err2 == nil && bytes.Equal(a, b)
	return x, nil
}

// VerifyLog checks the whole decision log.
func VerifyLog(ctx context.Context, s Store) (ChainReport, error) {
	v := NewChainVerifier()
	err := s.WalkDecisions(ctx, func(e SealedEntry) error {
		v.Add(e)
		return nil
	})
	return v.Report(), err
}
