package gates

import (
	"time"
)

// soak: the candidate has run in an upstream environment for a while: its longest completed
// stay there, or its current one, lasts at least the duration. While it soaks the gate is
// pending until the exact moment the soak completes.
//
//	gates:
//	  - type: soak
//	    environment: staging
//	    duration: 2h
func init() {
	register("soak", []string{"environment", "duration"}, func(s *GateSpec, c *compileContext) Gate {
		checkEnvironmentName(s, c, true)
		if s.Environment != "" && s.Environment == c.environment {
			c.failField("environment", "is the rule's own environment: a candidate soaks upstream")
		}
		if s.Duration <= 0 {
			c.failField("duration", "is missing: how long the candidate must run in %s, such as 2h", orWord(s.Environment, "the environment"))
		}
		return soakGate{env: s.Environment, duration: time.Duration(s.Duration)}
	})
}

func orWord(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

type soakGate struct {
	env      string
	duration time.Duration
}

func (g soakGate) Evaluate(e *Evaluation) GateResult {
	var longest time.Duration
	var current *Deployment
	stays := 0
	for i, d := range e.Deployments {
		if d.Environment != g.env {
			continue
		}
		stays++
		if d.UndeployedAt == nil {
			if current == nil || d.DeployedAt.Before(current.DeployedAt) {
				current = &e.Deployments[i]
			}
			continue
		}
		longest = max(longest, d.UndeployedAt.Sub(d.DeployedAt))
	}
	if longest >= g.duration {
		return allow("soaked %s in %s (%s required)", formatDuration(longest.Round(time.Second)), g.env, formatDuration(g.duration))
	}
	if current != nil {
		done := current.DeployedAt.Add(g.duration)
		if !e.Now.Before(done) {
			return allow("soaked %s in %s (%s required)", formatDuration(e.Now.Sub(current.DeployedAt).Round(time.Second)), g.env, formatDuration(g.duration))
		}
		return pending(&done, "time: the soak completes at "+e.at(done),
			"soaking in %s since %s: %s of %s left", g.env, e.at(current.DeployedAt), formatDuration(done.Sub(e.Now).Round(time.Second)), formatDuration(g.duration))
	}
	if stays == 0 {
		return pending(nil, "the pipeline: deploy the candidate to "+g.env+" (and record the deployment)", "not deployed to %s yet", g.env)
	}
	return deny("the pipeline: deploy it to "+g.env+" again and let it soak",
		"left %s after %s, short of the %s soak", g.env, formatDuration(longest.Round(time.Second)), formatDuration(g.duration))
}
