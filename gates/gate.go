package gates

import (
	"fmt"
	"time"
)

// Verdict is the outcome of a gate, and of a decision.
type Verdict string

const (
	// Allow: the gate is satisfied.
	Allow Verdict = "allow"
	// Deny: something is wrong or missing that someone must act on; it will not pass by
	// itself.
	Deny Verdict = "deny"
	// Pending: not yet, but nothing is wrong: a fact still to come, a soak or a window still
	// to pass, an answer still unknown. It never means allow.
	Pending Verdict = "pending"
)

// GateResult is one gate's verdict, why, and who or what can unblock it.
type GateResult struct {
	Name    string  `json:"name"`
	Type    string  `json:"type"`
	Result  Verdict `json:"result"`
	Reason  string  `json:"reason"`
	Unblock string  `json:"unblock,omitempty"`
	// NextCheck is when a pending gate may change by itself (a soak ends, a window opens).
	NextCheck *time.Time `json:"nextCheck,omitempty"`
	// Implicit gates apply whatever the policy says: holds, rejections and, past the first
	// environment, the digest.
	Implicit bool `json:"implicit,omitempty"`
}

// Gate is one compiled gate of a policy. Evaluate is pure: everything it may look at is in the
// evaluation, including the time.
type Gate interface {
	Evaluate(e *Evaluation) GateResult
}

// gateType is an entry of the registry: the fields a gate of the type takes beyond name and
// type, and how to check them and compile the gate.
type gateType struct {
	fields  []string
	compile func(s *GateSpec, c *compileContext) Gate
}

// registry holds the gate types by name; each gate_*.go file registers its own.
var registry = map[string]gateType{}

func register(name string, fields []string, compile func(s *GateSpec, c *compileContext) Gate) {
	if _, dup := registry[name]; dup {
		panic("gate type registered twice: " + name)
	}
	registry[name] = gateType{fields: fields, compile: compile}
}

// verdicts build gate results.
func allow(reason string, args ...any) GateResult {
	return GateResult{Result: Allow, Reason: fmt.Sprintf(reason, args...)}
}

func deny(unblock, reason string, args ...any) GateResult {
	return GateResult{Result: Deny, Reason: fmt.Sprintf(reason, args...), Unblock: unblock}
}

func pending(next *time.Time, unblock, reason string, args ...any) GateResult {
	return GateResult{Result: Pending, Reason: fmt.Sprintf(reason, args...), Unblock: unblock, NextCheck: next}
}

// worst combines the verdicts of parts of one gate, or of gates: deny beats pending beats
// allow, and the earliest next check of the pending parts is kept.
func worst(results []GateResult) (Verdict, *time.Time) {
	v := Allow
	var next *time.Time
	for _, r := range results {
		switch r.Result {
		case Deny:
			v = Deny
		case Pending:
			if v != Deny {
				v = Pending
			}
			if r.NextCheck != nil && (next == nil || r.NextCheck.Before(*next)) {
				t := *r.NextCheck
				next = &t
			}
		case Allow:
		default:
			v = Deny // an unknown verdict is never an allow
		}
	}
	if v != Pending {
		next = nil
	}
	return v, next
}
