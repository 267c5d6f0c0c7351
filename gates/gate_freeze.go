package gates

import "time"

// freeze: the switch that stops the line. While active, nothing passes; with until, it lifts
// itself then (and the decision is pending until that time).
//
//	gates:
//	  - type: freeze
//	    active: true
//	    reason: incident 4711
//	    until: 2026-12-01T08:00:00Z
func init() {
	register("freeze", []string{"active", "reason", "until"}, func(s *GateSpec, c *compileContext) Gate {
		if s.Active == nil {
			t := true
			s.Active = &t
		}
		g := freezeGate{active: *s.Active, reason: s.Reason}
		if s.Until != nil {
			u := s.Until.UTC()
			g.until = &u
		}
		return g
	})
}

type freezeGate struct {
	active bool
	reason string
	until  *time.Time
}

func (g freezeGate) Evaluate(e *Evaluation) GateResult {
	if !g.active {
		return allow("not frozen")
	}
	why := "frozen"
	if g.reason != "" {
		why += ": " + g.reason
	}
	if g.until != nil {
		if !e.Now.Before(*g.until) {
			return allow("the freeze ended at %s", e.at(*g.until))
		}
		until := *g.until
		return pending(&until, "time: the freeze lifts at "+e.at(until)+", or the policy's owners lift it sooner (treaty gate apply)",
			"%s until %s", why, e.at(until))
	}
	return deny("the policy's owners: lift the freeze (set active: false and treaty gate apply)", "%s", why)
}
