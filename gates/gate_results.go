package gates

import (
	"fmt"
	"strings"
)

// results: named results must have passed, the latest of each counting (a newer failure
// revokes an older success); with thresholds, their severity counts must stay within them.
//
//	gates:
//	  - type: results
//	    require: [security-scan]
//	    thresholds: {critical: 0, high: 0}
//	    environment: staging   # results recorded in an environment; none by default
func init() {
	register("results", []string{"require", "environment", "thresholds"}, func(s *GateSpec, c *compileContext) Gate {
		checkRequire(s, c)
		checkEnvironmentName(s, c, false)
		return resultsGate{require: s.Require, env: s.Environment, thresholds: s.Thresholds}
	})
}

func checkRequire(s *GateSpec, c *compileContext) {
	if len(s.Require) == 0 {
		c.failField("require", "is missing: name the results required, such as [build, unit-tests]")
	}
	for i, name := range s.Require {
		if !namePattern.MatchString(name) {
			c.failField(fmt.Sprintf("require.%d", i), "%q is not a result name: lower-case letters, digits and dashes", name)
		}
	}
}

func checkEnvironmentName(s *GateSpec, c *compileContext, required bool) {
	switch {
	case s.Environment == "" && required:
		c.failField("environment", "is missing: name the environment")
	case s.Environment != "" && (strings.ContainsAny(s.Environment, " \t\r\n") || len(s.Environment) > 255):
		c.failField("environment", "%q is not an environment name", s.Environment)
	}
}

type resultsGate struct {
	require    []string
	env        string
	thresholds map[string]int
}

func (g resultsGate) Evaluate(e *Evaluation) GateResult {
	parts := make([]GateResult, 0, len(g.require))
	for _, name := range g.require {
		parts = append(parts, g.one(e, name))
	}
	return summarise(parts)
}

func (g resultsGate) one(e *Evaluation, name string) GateResult {
	where := ""
	if g.env != "" {
		where = " in " + g.env
	}
	f, revoked := latestFact(e.Facts, name, g.env)
	switch {
	case f == nil:
		return pending(nil, "CI: "+e.recordHint(name, g.env), "no %s result%s yet", name, where)
	case f.Status == Failed:
		reason := fmt.Sprintf("%s failed%s at %s", name, where, e.at(f.RecordedAt))
		if revoked != nil {
			reason += fmt.Sprintf(" (revoking the pass at %s)", e.at(revoked.RecordedAt))
		}
		return deny("the team: fix it and record a newer passing result ("+e.recordHint(name, g.env)+")", "%s", reason)
	}
	if len(g.thresholds) == 0 {
		return allow("%s passed%s", name, where)
	}
	if f.Counts == nil {
		return deny("CI: record "+name+" with the scanner's report (--details FILE) so its counts by severity are known",
			"%s passed%s but has no counts by severity to hold against the thresholds", name, where)
	}
	var over []string
	for _, sev := range Severities {
		if max, ok := g.thresholds[sev]; ok && f.Counts.Get(sev) > max {
			over = append(over, fmt.Sprintf("%d %s (at most %d)", f.Counts.Get(sev), sev, max))
		}
	}
	if len(over) > 0 {
		return deny("the team: fix or upgrade the vulnerable dependencies and record a new "+name,
			"%s%s found %s", name, where, strings.Join(over, ", "))
	}
	return allow("%s passed%s within the thresholds (%s)", name, where, f.Counts)
}

// summarise folds the results of a gate's parts into one: the worst verdict, and the reasons
// and unblocks of every part that does not allow, the denying ones first (or of every part,
// when all allow).
func summarise(parts []GateResult) GateResult {
	v, next := worst(parts)
	var reasons, unblocks []string
	for _, want := range []Verdict{Deny, Pending, Allow} {
		if want == Allow && v != Allow {
			break
		}
		for _, p := range parts {
			if p.Result != want {
				continue
			}
			reasons = append(reasons, p.Reason)
			if p.Unblock != "" && !contains(unblocks, p.Unblock) {
				unblocks = append(unblocks, p.Unblock)
			}
		}
	}
	return GateResult{Result: v, Reason: strings.Join(reasons, "; "), Unblock: strings.Join(unblocks, "; "), NextCheck: next}
}
