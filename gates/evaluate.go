package gates

import (
	"fmt"
	"strings"
	"time"
)

// RecheckAfter is when a pending decision that waits for an event rather than a time (a fact
// to be recorded, an answer to become known) is looked at again by those who wait for it.
const RecheckAfter = 30 * time.Second

// Environment is the target of a deployment or a promotion.
type Environment struct {
	Name       string `json:"name"`
	Production bool   `json:"production"`
}

// ContractAnswer is can-i-deploy's answer for the candidate and an environment: deployable
// true, false or unknown (nil), or an error when the question could not be asked.
type ContractAnswer struct {
	Deployable *bool  `json:"deployable"`
	Reason     string `json:"reason,omitempty"`
	Error      string `json:"error,omitempty"`
}

// Input is everything one evaluation may look at, time included. It is stored with each
// decision, so that a decision can be replayed and explained.
type Input struct {
	Transition Transition `json:"transition"`
	// Environment is the target; nil for publish.
	Environment *Environment `json:"environment,omitempty"`
	Candidate   Candidate    `json:"candidate"`
	// Facts, reviews and deployments of the candidate, oldest first.
	Facts       []Fact       `json:"facts"`
	Reviews     []Review     `json:"reviews"`
	Deployments []Deployment `json:"deployments"`
	// Holds on the target environment that concern the candidate's pacticipant.
	Holds []Hold `json:"holds"`
	// Deployed are the versions of the pacticipant currently deployed in the target.
	Deployed []string `json:"deployed"`
	// Contracts are can-i-deploy's answers, by environment, for the contract gates.
	Contracts map[string]ContractAnswer `json:"contracts,omitempty"`
	Now       time.Time                 `json:"now"`
}

// Decision is the verdict on a transition: every gate's result, and the combination. Deny
// beats pending beats allow. A pending decision says when to look again.
type Decision struct {
	Result    Verdict      `json:"result"`
	Reason    string       `json:"reason"`
	NextCheck *time.Time   `json:"nextCheck,omitempty"`
	Gates     []GateResult `json:"gates"`
}

// Evaluation is one evaluation in progress: the input, and what follows from it.
type Evaluation struct {
	*Input
	// Target is the environment's name, "" for publish.
	Target string
	// Digest is the candidate's digest, "" while it has none.
	Digest string
}

// Evaluate applies the policy to the input. It is pure: the same policy and input always give
// the same decision, which is what makes a logged decision replayable.
func Evaluate(p *Policy, in *Input) Decision {
	e := &Evaluation{Input: in, Digest: in.Candidate.Digest()}
	if in.Environment != nil {
		e.Target = in.Environment.Name
	}
	var results []GateResult
	run := func(name, typ string, g Gate, implicit bool) {
		r := g.Evaluate(e)
		r.Name, r.Type, r.Implicit = name, typ, implicit
		if r.NextCheck != nil {
			t := r.NextCheck.UTC()
			r.NextCheck = &t
		}
		results = append(results, r)
	}
	rule := p.Rule(in.Transition, e.Target)
	if in.Transition != Publish {
		run("rejection", "rejection", rejectionGate{}, true)
		run("hold", "hold", holdGate{}, true)
		if in.Transition == Promote || (rule != nil && rule.needsDigest()) {
			run("digest", "digest", digestGate{}, true)
		}
	}
	if rule == nil {
		where := "publishing"
		if in.Transition != Publish {
			where = "environment " + e.Target
		}
		results = append(results, GateResult{Name: "policy", Type: "policy", Result: Deny, Implicit: true,
			Reason:  fmt.Sprintf("the policy has no rule for %s, so nothing is allowed there", where),
			Unblock: "the policy's owners: add a rule for it (treaty gate apply)"})
	} else {
		for _, s := range rule.Gates {
			if s.gate == nil {
				results = append(results, GateResult{Name: s.Name, Type: s.Type, Result: Deny,
					Reason: "the gate was not compiled", Unblock: "the policy's owners: apply the policy again"})
				continue
			}
			run(s.Name, s.Type, s.gate, false)
		}
	}
	return combine(results, in.Now)
}

func combine(results []GateResult, now time.Time) Decision {
	v, next := worst(results)
	d := Decision{Result: v, Gates: results}
	var names []string
	for _, r := range results {
		if r.Result == v {
			names = append(names, r.Name)
		}
	}
	switch v {
	case Allow:
		d.Reason = fmt.Sprintf("all %d gates allow", len(results))
	case Deny:
		d.Reason = "denied by " + strings.Join(names, ", ")
	case Pending:
		d.Reason = "waiting for " + strings.Join(names, ", ")
		if next == nil {
			t := now.Add(RecheckAfter).UTC()
			next = &t
		}
		d.NextCheck = next
	}
	return d
}

// needsDigest: a rule that looks upstream is past the first environment, where the same
// digest must move on.
func (r *Rule) needsDigest() bool {
	for _, g := range r.Gates {
		if g.Type == "upstream" || g.Type == "soak" {
			return true
		}
	}
	return false
}

// recordHint is the command that records a missing or failed result.
func (e *Evaluation) recordHint(name, env string) string {
	cmd := fmt.Sprintf("treaty record-result --pacticipant %s --version %s --name %s --status passed", e.Candidate.Pacticipant, e.Candidate.Version, name)
	if env != "" {
		cmd += " --environment " + env
	}
	return cmd
}

// ago describes a time in the past relative to now.
func (e *Evaluation) at(t time.Time) string { return t.UTC().Format(time.RFC3339) }
