package gates

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// approval: at least min distinct people approved the candidate for the target environment.
// The author's approvals never count, approvals given for another digest do not count, and
// one rejection denies. With approvers, only those people count; with expiresAfter, old
// approvals lapse.
//
//	gates:
//	  - type: approval
//	    min: 2
//	    approvers: [alice, bob, carol]
//	    expiresAfter: 3d
func init() {
	register("approval", []string{"min", "approvers", "expiresAfter"}, func(s *GateSpec, c *compileContext) Gate {
		if c.publish() {
			c.failField("", "approvals are given for an environment, and publishing has none: put the approval gate in an environment's rule")
		}
		if _, set := c.nodes["min"]; !set {
			s.Min = 1
		}
		if s.Min < 1 || s.Min > 100 {
			c.failField("min", "must be between 1 and 100")
		}
		if len(s.Approvers) > 0 && s.Min > len(s.Approvers) {
			c.failField("min", "asks for %d approvals but only %d approvers are listed", s.Min, len(s.Approvers))
		}
		if s.ExpiresAfter < 0 {
			c.failField("expiresAfter", "cannot be negative")
		}
		return approvalGate{min: s.Min, approvers: s.Approvers, expiresAfter: time.Duration(s.ExpiresAfter)}
	})
}

type approvalGate struct {
	min          int
	approvers    []string
	expiresAfter time.Duration
}

func (g approvalGate) Evaluate(e *Evaluation) GateResult {
	var valid []string
	var ignored []string
	var nextExpiry *time.Time
	seen := map[string]bool{}
	for _, r := range e.Reviews {
		if r.Environment != e.Target {
			continue
		}
		if r.Decision == Reject {
			reason := fmt.Sprintf("rejected by %s at %s", r.By, e.at(r.At))
			if r.Comment != "" {
				reason += ": " + r.Comment
			}
			return deny("nobody: one rejection denies; build a new version", "%s", reason)
		}
		key := strings.ToLower(strings.TrimSpace(r.By))
		switch {
		case e.Candidate.Author != "" && samePerson(r.By, e.Candidate.Author):
			ignored = append(ignored, r.By+" (the author)")
			continue
		case len(g.approvers) > 0 && !containsFold(g.approvers, r.By):
			ignored = append(ignored, r.By+" (not an approver)")
			continue
		case r.Digest != e.Digest:
			ignored = append(ignored, r.By+" (approved another digest)")
			continue
		case g.expiresAfter > 0 && !e.Now.Before(r.At.Add(g.expiresAfter)):
			ignored = append(ignored, r.By+" (expired)")
			continue
		case seen[key]:
			continue
		}
		seen[key] = true
		valid = append(valid, r.By)
		if g.expiresAfter > 0 {
			exp := r.At.Add(g.expiresAfter)
			if nextExpiry == nil || exp.Before(*nextExpiry) {
				nextExpiry = &exp
			}
		}
	}
	sort.Strings(valid)
	note := ""
	if len(ignored) > 0 {
		note = "; not counted: " + strings.Join(ignored, ", ")
	}
	if len(valid) >= g.min {
		return allow("approved by %s%s", strings.Join(valid, ", "), note)
	}
	who := "someone"
	if len(g.approvers) > 0 {
		who = "one of " + strings.Join(g.approvers, ", ")
	}
	if e.Candidate.Author != "" {
		who += " other than the author " + e.Candidate.Author
	}
	missing := g.min - len(valid)
	have := "no approvals"
	if len(valid) > 0 {
		have = "approved by " + strings.Join(valid, ", ")
	}
	return pending(nil, fmt.Sprintf("%d more approval(s) from %s: treaty approve --pacticipant %s --version %s --environment %s --by NAME",
		missing, who, e.Candidate.Pacticipant, e.Candidate.Version, e.Target),
		"%d of %d approvals for %s (%s)%s", len(valid), g.min, e.Target, have, note)
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if samePerson(x, s) {
			return true
		}
	}
	return false
}
