package gates

import "fmt"

// upstream: the candidate's current digest passed the named results in an upstream
// environment. A pass recorded for another digest (or before the digest was known) does not
// count, and a newer failure revokes an older pass.
//
//	gates:
//	  - type: upstream
//	    environment: staging
//	    require: [smoke-tests, e2e-tests]
func init() {
	register("upstream", []string{"environment", "require"}, func(s *GateSpec, c *compileContext) Gate {
		checkEnvironmentName(s, c, true)
		checkRequire(s, c)
		if s.Environment != "" && s.Environment == c.environment {
			c.failField("environment", "is the rule's own environment: name the one upstream of it")
		}
		return upstreamGate{env: s.Environment, require: s.Require}
	})
}

type upstreamGate struct {
	env     string
	require []string
}

func (g upstreamGate) Evaluate(e *Evaluation) GateResult {
	if e.Digest == "" {
		return deny("CI: treaty record-artifact --image REF@sha256:DIGEST",
			"the candidate has no digest, so nothing verified in %s can vouch for it", g.env)
	}
	parts := make([]GateResult, 0, len(g.require))
	for _, name := range g.require {
		f, revoked := latestFact(e.Facts, name, g.env)
		hint := "CI: run " + name + " against " + ShortDigest(e.Digest) + " in " + g.env + " and " + e.recordHint(name, g.env)
		switch {
		case f == nil:
			parts = append(parts, pending(nil, hint, "no %s result in %s yet", name, g.env))
		case f.Status == Failed:
			reason := fmt.Sprintf("%s failed in %s at %s", name, g.env, e.at(f.RecordedAt))
			if revoked != nil {
				reason += fmt.Sprintf(" (revoking the pass at %s)", e.at(revoked.RecordedAt))
			}
			parts = append(parts, deny("the team: fix it, redeploy to "+g.env+" and record a passing "+name, "%s", reason))
		case f.Digest != e.Digest:
			what := "no digest"
			if f.Digest != "" {
				what = "digest " + ShortDigest(f.Digest)
			}
			parts = append(parts, pending(nil, hint, "%s passed in %s for %s, not for this candidate's %s", name, g.env, what, ShortDigest(e.Digest)))
		default:
			parts = append(parts, allow("%s passed in %s for %s", name, g.env, ShortDigest(e.Digest)))
		}
	}
	return summarise(parts)
}
