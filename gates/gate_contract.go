package gates

import "strings"

// contract: can-i-deploy says the candidate works with what runs in the environment (the
// target, unless environment names another). Unknown is pending, never allow; a broker that
// cannot be asked is pending too.
//
//	gates:
//	  - type: contract
func init() {
	register("contract", []string{"environment"}, func(s *GateSpec, c *compileContext) Gate {
		checkEnvironmentName(s, c, c.publish())
		return contractGate{env: s.Environment}
	})
}

type contractGate struct{ env string }

func (g contractGate) Evaluate(e *Evaluation) GateResult {
	env := g.env
	if env == "" {
		env = e.Target
	}
	ans, asked := e.Contracts[env]
	reason := strings.ReplaceAll(strings.TrimSpace(ans.Reason), "\n", " ")
	switch {
	case !asked:
		return pending(nil, "the broker: can-i-deploy was not asked", "can-i-deploy to %s was not answered", env)
	case ans.Error != "":
		return pending(nil, "the broker's operators: make can-i-deploy answer", "could not ask can-i-deploy to %s: %s", env, ans.Error)
	case ans.Deployable == nil:
		return pending(nil, "provider builds: verify the pacts and publish the results (treaty can-i-deploy shows which)",
			"can-i-deploy to %s is unknown: %s", env, orNone(reason))
	case !*ans.Deployable:
		return deny("the teams of the failing integrations: fix them and publish new verification results (treaty can-i-deploy shows which)",
			"can-i-deploy to %s says no: %s", env, orNone(reason))
	}
	return allow("can-i-deploy to %s says yes: %s", env, orNone(reason))
}

func orNone(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}
