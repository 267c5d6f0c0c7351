package gates

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The fake clock: every evaluation happens at t0 unless a case moves it.
var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) // a Thursday

var (
	digestA = "sha256:" + strings.Repeat("a", 64)
	digestB = "sha256:" + strings.Repeat("b", 64)
)

func mustPolicy(t *testing.T, doc string) *Policy {
	t.Helper()
	p, err := ParsePolicy([]byte(doc))
	if err != nil {
		t.Fatalf("parse policy: %v\n%s", err, doc)
	}
	return p
}

type mod func(*Input)

// input is a candidate (order-service a3f9c21, by dana) on its way to env ("" for publish).
func input(env string, production bool, mods ...mod) *Input {
	in := &Input{Transition: Publish, Candidate: Candidate{Pacticipant: "order-service", Version: "a3f9c21", Author: "dana",
		Artifacts: []Artifact{}, CreatedAt: t0.Add(-24 * time.Hour)}, Facts: []Fact{}, Reviews: []Review{},
		Deployments: []Deployment{}, Holds: []Hold{}, Deployed: []string{}, Contracts: map[string]ContractAnswer{}, Now: t0}
	if env != "" {
		in.Environment = &Environment{Name: env, Production: production}
		in.Transition = TransitionTo(production)
	}
	for _, m := range mods {
		m(in)
	}
	return in
}

func at(d time.Duration) time.Time { return t0.Add(d) }

func fact(name, env string, status Status, when time.Duration, digest string) mod {
	return func(in *Input) {
		in.Facts = append(in.Facts, Fact{ID: int64(len(in.Facts) + 1), Name: name, Environment: env, Status: status,
			Digest: digest, RecordedAt: at(when)})
	}
}

func passed(names ...string) mod {
	return func(in *Input) {
		for _, n := range names {
			fact(n, "", Passed, -time.Hour, "")(in)
		}
	}
}

func scan(status Status, counts *SeverityCounts) mod {
	return func(in *Input) {
		in.Facts = append(in.Facts, Fact{ID: int64(len(in.Facts) + 1), Name: "security-scan", Status: status, Counts: counts, RecordedAt: at(-time.Hour)})
	}
}

func artifact(digest string) mod {
	return func(in *Input) {
		in.Candidate.Artifacts = append(in.Candidate.Artifacts, Artifact{Name: "registry.example/order-service", Tag: "a3f9c21", Digest: digest, RecordedAt: at(-2 * time.Hour)})
	}
}

func contract(env string, deployable *bool, reason, errText string) mod {
	return func(in *Input) {
		in.Contracts[env] = ContractAnswer{Deployable: deployable, Reason: reason, Error: errText}
	}
}

func review(env, decision, by, digest string, when time.Duration) mod {
	return func(in *Input) {
		in.Reviews = append(in.Reviews, Review{ID: int64(len(in.Reviews) + 1), Environment: env, Decision: decision, By: by, Digest: digest, At: at(when)})
	}
}

func deployed(env string, from time.Duration, until *time.Duration) mod {
	return func(in *Input) {
		d := Deployment{Environment: env, DeployedAt: at(from)}
		if until != nil {
			u := at(*until)
			d.UndeployedAt = &u
		}
		in.Deployments = append(in.Deployments, d)
	}
}

func now(t time.Time) mod { return func(in *Input) { in.Now = t } }

func dur(d time.Duration) *time.Duration { return &d }

var (
	yes = func() *bool { b := true; return &b }()
	no  = func() *bool { b := false; return &b }()
)

// cleanPublish is everything the default publish rule needs.
var cleanPublish = []mod{passed("build", "unit-tests", "contract-tests"), scan(Passed, &SeverityCounts{Medium: 2})}

// verifiedInStaging is everything the default production rule needs but the approval.
var verifiedInStaging = []mod{artifact(digestA), fact("smoke-tests", "staging", Passed, -90*time.Minute, digestA),
	fact("e2e-tests", "staging", Passed, -80*time.Minute, digestA), contract("production", yes, "All required verification results are published and successful", "")}

func with(base []mod, more ...mod) []mod { return append(append([]mod{}, base...), more...) }

type evalCase struct {
	name   string
	policy string // "" for the default policy
	in     *Input
	want   Verdict
	gates  map[string]Verdict // the gates checked, by name
	reason []string           // substrings of the gates' reasons and unblocks
	next   *time.Time         // the decision's next check (only checked when set)
}

func runCases(t *testing.T, cases []evalCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultPolicy()
			if tc.policy != "" {
				p = mustPolicy(t, tc.policy)
			}
			d := Evaluate(p, tc.in)
			dump, _ := json.MarshalIndent(d, "", "  ")
			if d.Result != tc.want {
				t.Fatalf("result %s, want %s\n%s", d.Result, tc.want, dump)
			}
			byName := map[string]GateResult{}
			var text strings.Builder
			for _, g := range d.Gates {
				byName[g.Name] = g
				text.WriteString(g.Reason + "\n" + g.Unblock + "\n")
			}
			for name, want := range tc.gates {
				if g, ok := byName[name]; !ok || g.Result != want {
					t.Errorf("gate %s: %s, want %s\n%s", name, g.Result, want, dump)
				}
			}
			for _, s := range tc.reason {
				if !strings.Contains(text.String(), s) {
					t.Errorf("no gate says %q\n%s", s, dump)
				}
			}
			if tc.next != nil && (d.NextCheck == nil || !d.NextCheck.Equal(*tc.next)) {
				t.Errorf("next check %v, want %v", d.NextCheck, *tc.next)
			}
			if d.Result != Pending && d.NextCheck != nil {
				t.Errorf("a %s decision has a next check", d.Result)
			}
			if d.Result == Pending && d.NextCheck == nil {
				t.Errorf("a pending decision has no next check")
			}
			// Every decision replays: the same policy and the input as logged give it again.
			data, _ := json.Marshal(tc.in)
			var back Input
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatal(err)
			}
			a, _ := Canonical(d)
			b, _ := Canonical(Evaluate(p, &back))
			if string(a) != string(b) {
				t.Errorf("replay differs:\n%s\n%s", a, b)
			}
		})
	}
}

func TestEvaluateDefaultPolicy(t *testing.T) {
	recheck := t0.Add(RecheckAfter)
	runCases(t, []evalCase{
		{name: "publish: nothing recorded yet is pending, never allowed", in: input("", false), want: Pending,
			gates: map[string]Verdict{"checks": Pending, "security": Pending}, next: &recheck,
			reason: []string{"no build result yet", "treaty record-result --pacticipant order-service --version a3f9c21 --name build --status passed"}},
		{name: "publish: all passed and a clean scan", in: input("", false, cleanPublish...), want: Allow,
			gates:  map[string]Verdict{"checks": Allow, "security": Allow},
			reason: []string{"security-scan passed within the thresholds (2 medium)"}},
		{name: "publish: a failed unit test denies", in: input("", false, with(cleanPublish, fact("unit-tests", "", Failed, -time.Minute, ""))...), want: Deny,
			gates: map[string]Verdict{"checks": Deny, "security": Allow}, reason: []string{"unit-tests failed at 2026-11-26T09:59:00Z"}},
		{name: "publish: a newer failure revokes an older success",
			in:   input("", false, passed("build", "contract-tests"), fact("unit-tests", "", Passed, -2*time.Hour, ""), fact("unit-tests", "", Failed, -time.Hour, ""), scan(Passed, &SeverityCounts{})),
			want: Deny, reason: []string{"unit-tests failed at 2026-11-26T09:00:00Z (revoking the pass at 2026-11-26T08:00:00Z)"}},
		{name: "publish: a newer success after a failure counts",
			in:   input("", false, passed("build", "contract-tests"), fact("unit-tests", "", Failed, -2*time.Hour, ""), fact("unit-tests", "", Passed, -time.Hour, ""), scan(Passed, &SeverityCounts{})),
			want: Allow},
		{name: "publish: a critical vulnerability denies", in: input("", false, passed("build", "unit-tests", "contract-tests"), scan(Passed, &SeverityCounts{Critical: 1, High: 2, Low: 9})),
			want: Deny, gates: map[string]Verdict{"security": Deny}, reason: []string{"security-scan found 1 critical (at most 0), 2 high (at most 0)"}},
		{name: "publish: findings of unknown severity deny", in: input("", false, passed("build", "unit-tests", "contract-tests"), scan(Passed, &SeverityCounts{Unknown: 1})),
			want: Deny, reason: []string{"1 unknown (at most 0)"}},
		{name: "publish: a scan without counts fails closed", in: input("", false, passed("build", "unit-tests", "contract-tests"), scan(Passed, nil)),
			want: Deny, reason: []string{"has no counts by severity"}},
		{name: "publish: results recorded in an environment do not count for publish",
			in:   input("", false, fact("build", "staging", Passed, -time.Hour, ""), passed("unit-tests", "contract-tests"), scan(Passed, &SeverityCounts{})),
			want: Pending, reason: []string{"no build result yet"}},

		{name: "staging: no artifact yet is pending", in: input("staging", false, contract("staging", yes, "ok", "")), want: Pending,
			gates: map[string]Verdict{"artifact": Pending, "contract": Allow, "hold": Allow, "rejection": Allow}, reason: []string{"no artifact is recorded yet", "treaty record-artifact"}},
		{name: "staging: an artifact without a digest is not published", in: input("staging", false, artifact(""), contract("staging", yes, "ok", "")), want: Pending,
			reason: []string{"registry.example/order-service:a3f9c21 is recorded without a digest"}},
		{name: "staging: published and compatible", in: input("staging", false, artifact(digestA), contract("staging", yes, "There are no missing dependencies", "")), want: Allow,
			reason: []string{"published: registry.example/order-service@sha256:aaaaaaaaaaaa", "can-i-deploy to staging says yes: There are no missing dependencies"}},
		{name: "staging: can-i-deploy unknown is pending, never allow", in: input("staging", false, artifact(digestA), contract("staging", nil, "Missing 1 verification result", "")), want: Pending,
			gates: map[string]Verdict{"contract": Pending}, reason: []string{"can-i-deploy to staging is unknown: Missing 1 verification result"}},
		{name: "staging: can-i-deploy no denies", in: input("staging", false, artifact(digestA), contract("staging", no, "The verification for order-service a3f9c21 by payment-service p2 failed", "")), want: Deny,
			reason: []string{"can-i-deploy to staging says no: The verification"}},
		{name: "staging: an unreachable broker fails closed", in: input("staging", false, artifact(digestA), contract("staging", nil, "", "connection refused")), want: Pending,
			reason: []string{"could not ask can-i-deploy to staging: connection refused"}},
		{name: "staging: a question never asked fails closed", in: input("staging", false, artifact(digestA)), want: Pending,
			reason: []string{"can-i-deploy to staging was not answered"}},

		{name: "production: verified in staging, compatible and approved", in: input("production", true, with(verifiedInStaging, review("production", Approve, "alice", digestA, -time.Minute))...), want: Allow,
			gates:  map[string]Verdict{"digest": Allow, "verified-in-staging": Allow, "contract": Allow, "approval": Allow},
			reason: []string{"smoke-tests passed in staging for sha256:aaaaaaaaaaaa", "approved by alice"}},
		{name: "production: waiting for the approval", in: input("production", true, verifiedInStaging...), want: Pending,
			gates:  map[string]Verdict{"approval": Pending},
			reason: []string{"0 of 1 approvals for production (no approvals)", "1 more approval(s) from someone other than the author dana: treaty approve --pacticipant order-service --version a3f9c21 --environment production --by NAME"}},
		{name: "production: tests of another digest do not vouch for this one",
			in: input("production", true, artifact(digestA), fact("smoke-tests", "staging", Passed, -time.Hour, digestB), fact("e2e-tests", "staging", Passed, -time.Hour, digestA),
				contract("production", yes, "", ""), review("production", Approve, "alice", digestA, 0)),
			want: Pending, gates: map[string]Verdict{"verified-in-staging": Pending}, reason: []string{"smoke-tests passed in staging for digest sha256:bbbbbbbbbbbb, not for this candidate's sha256:aaaaaaaaaaaa"}},
		{name: "production: a failed e2e run in staging denies", in: input("production", true, with(verifiedInStaging, fact("e2e-tests", "staging", Failed, -time.Minute, digestA), review("production", Approve, "alice", digestA, 0))...),
			want: Deny, gates: map[string]Verdict{"verified-in-staging": Deny}, reason: []string{"e2e-tests failed in staging at 2026-11-26T09:59:00Z (revoking the pass at 2026-11-26T08:40:00Z)"}},
		{name: "production: without a digest nothing goes past the first environment",
			in:   input("production", true, artifact(""), fact("smoke-tests", "staging", Passed, -time.Hour, ""), fact("e2e-tests", "staging", Passed, -time.Hour, ""), contract("production", yes, "", "")),
			want: Deny, gates: map[string]Verdict{"digest": Deny, "verified-in-staging": Deny}, reason: []string{"promotion past the first environment requires one"}},
		{name: "an environment without a rule is closed", in: input("qa", false, artifact(digestA)), want: Deny,
			gates: map[string]Verdict{"policy": Deny}, reason: []string{"the policy has no rule for environment qa"}},
	})
}

const approvalPolicy = `
environments:
  production:
    gates:
      - type: approval
        min: 2
        expiresAfter: 3d
  staging:
    gates:
      - type: approval
        approvers: [alice, bob]
`

func TestEvaluateApprovals(t *testing.T) {
	p := func(mods ...mod) *Input {
		return input("production", true, append([]mod{artifact(digestA)}, mods...)...)
	}
	runCases(t, []evalCase{
		{name: "two distinct approvers allow", policy: approvalPolicy, in: p(review("production", Approve, "alice", digestA, -time.Hour), review("production", Approve, "bob", digestA, -time.Minute)),
			want: Allow, reason: []string{"approved by alice, bob"}},
		{name: "the same approver twice is one approval", policy: approvalPolicy, in: p(review("production", Approve, "alice", digestA, -time.Hour), review("production", Approve, "Alice", digestA, -time.Minute)),
			want: Pending, reason: []string{"1 of 2 approvals for production (approved by alice)"}},
		{name: "the author's approval does not count", policy: approvalPolicy, in: p(review("production", Approve, "Dana", digestA, -time.Hour), review("production", Approve, "bob", digestA, -time.Minute)),
			want: Pending, reason: []string{"not counted: Dana (the author)"}},
		{name: "one rejection denies whatever the approvals", policy: approvalPolicy,
			in:   p(review("production", Approve, "alice", digestA, -time.Hour), review("production", Approve, "bob", digestA, -time.Hour), review("production", Reject, "carol", digestA, -time.Minute)),
			want: Deny, gates: map[string]Verdict{"approval": Deny, "rejection": Deny}, reason: []string{"rejected by carol", "nobody: one rejection denies"}},
		{name: "an approval for another digest is not bound to this candidate", policy: approvalPolicy,
			in:   p(review("production", Approve, "alice", "", -3*time.Hour), review("production", Approve, "bob", digestA, -time.Minute)),
			want: Pending, reason: []string{"alice (approved another digest)"}},
		{name: "approvals expire", policy: approvalPolicy,
			in:   p(review("production", Approve, "alice", digestA, -72*time.Hour), review("production", Approve, "bob", digestA, -time.Minute)),
			want: Pending, reason: []string{"alice (expired)"}},
		{name: "approvals for another environment do not count", policy: approvalPolicy,
			in:   p(review("staging", Approve, "alice", digestA, -time.Hour), review("production", Approve, "bob", digestA, -time.Minute)),
			want: Pending},
		{name: "only listed approvers count", policy: approvalPolicy,
			in:   input("staging", false, artifact(digestA), review("staging", Approve, "mallory", digestA, -time.Minute)),
			want: Pending, reason: []string{"mallory (not an approver)", "from one of alice, bob other than the author dana"}},
		{name: "a listed approver allows", policy: approvalPolicy,
			in:   input("staging", false, artifact(digestA), review("staging", Approve, "bob", digestA, -time.Minute)),
			want: Allow},
	})
}

func TestEvaluateHoldsAndRejections(t *testing.T) {
	open := "environments: {staging: {gates: []}, production: {gates: []}}"
	hold := func(in *Input) {
		in.Holds = append(in.Holds, Hold{ID: 1, Environment: "staging", By: "olga", Reason: "incident 4711", At: at(-time.Hour)})
	}
	runCases(t, []evalCase{
		{name: "an empty rule allows", policy: open, in: input("staging", false), want: Allow},
		{name: "a held environment refuses other versions", policy: open, in: input("staging", false, hold, func(in *Input) { in.Deployed = []string{"9f00d1e"} }),
			want: Deny, gates: map[string]Verdict{"hold": Deny},
			reason: []string{"staging is held by olga since 2026-11-26T09:00:00Z: incident 4711 (it stays on 9f00d1e)", "treaty gate release --environment staging"}},
		{name: "a held environment keeps its current version", policy: open, in: input("staging", false, hold, func(in *Input) { in.Deployed = []string{"a3f9c21"} }),
			want: Allow, reason: []string{"on the version deployed there, which is this one"}},
		{name: "a pacticipant's hold names it", policy: open,
			in: input("staging", false, func(in *Input) {
				in.Holds = []Hold{{Environment: "staging", Pacticipant: "order-service", By: "olga", At: t0}}
			}),
			want: Deny, reason: []string{"order-service in staging is held by olga", "--pacticipant order-service"}},
		{name: "a rejected candidate never goes there, whatever the policy", policy: open,
			in:   input("production", true, artifact(digestA), review("production", Reject, "olga", digestA, -time.Minute)),
			want: Deny, gates: map[string]Verdict{"rejection": Deny}, reason: []string{"rejected for production by olga"}},
		{name: "a rejection for another environment does not apply", policy: open,
			in:   input("staging", false, review("production", Reject, "olga", digestA, -time.Minute)),
			want: Allow},
	})
}

func TestEvaluateSoak(t *testing.T) {
	policy := `
environments:
  production:
    gates:
      - type: soak
        environment: staging
        duration: 2h
`
	p := func(mods ...mod) *Input {
		return input("production", true, append([]mod{artifact(digestA)}, mods...)...)
	}
	done := t0.Add(time.Hour)
	runCases(t, []evalCase{
		{name: "soaking: re-check at the exact moment it completes", policy: policy, in: p(deployed("staging", -time.Hour, nil)),
			want: Pending, next: &done, reason: []string{"1h of 2h left", "the soak completes at 2026-11-26T11:00:00Z"}},
		{name: "a nanosecond before, still soaking", policy: policy, in: p(deployed("staging", -time.Hour, nil), now(done.Add(-time.Nanosecond))),
			want: Pending, next: &done},
		{name: "at the exact moment, soaked", policy: policy, in: p(deployed("staging", -time.Hour, nil), now(done)),
			want: Allow, reason: []string{"soaked 2h in staging"}},
		{name: "a completed stay counts", policy: policy, in: p(deployed("staging", -5*time.Hour, dur(-2*time.Hour)), deployed("staging", -time.Minute, nil)),
			want: Allow, reason: []string{"soaked 3h in staging"}},
		{name: "never deployed upstream", policy: policy, in: p(deployed("qa", -5*time.Hour, nil)),
			want: Pending, reason: []string{"not deployed to staging yet"}},
		{name: "left before the soak completed", policy: policy, in: p(deployed("staging", -time.Hour, dur(-30*time.Minute))),
			want: Deny, reason: []string{"left staging after 30m, short of the 2h soak"}},
	})
}

func TestEvaluateWindowsAndFreeze(t *testing.T) {
	windows := `
environments:
  production:
    gates:
      - type: window
        timezone: Europe/Berlin
        allow:
          - {name: office hours, days: [mon, tue, wed, thu, fri], from: "09:00", to: "17:00"}
        deny:
          - {name: year-end, start: 2026-12-20T00:00:00+01:00, end: 2027-01-04T00:00:00+01:00}
          - {name: friday afternoon, days: [fri], from: "12:00", to: "17:00"}
`
	frozen := func(extra string) string {
		return "environments:\n  production:\n    gates:\n      - type: approval\n      - {type: freeze, reason: incident 4711" + extra + "}\n"
	}
	saturday := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	monday9 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC) // 09:00 in Berlin (UTC+1)
	fridayNoon := time.Date(2026, 11, 27, 11, 30, 0, 0, time.UTC)
	christmas := time.Date(2026, 12, 22, 10, 0, 0, 0, time.UTC)
	newYear := time.Date(2027, 1, 4, 8, 0, 0, 0, time.UTC) // Monday 4 January, 09:00 Berlin
	until := t0.Add(2 * time.Hour)
	p := func(mods ...mod) *Input {
		return input("production", true, append([]mod{artifact(digestA)}, mods...)...)
	}
	runCases(t, []evalCase{
		{name: "inside the allow window", policy: windows, in: p(), want: Allow, reason: []string{"open until 2026-11-26T16:00:00Z"}},
		{name: "outside: pending until the next opening", policy: windows, in: p(now(saturday)), want: Pending, next: &monday9,
			reason: []string{"closed, outside every allow window; the next opening is 2026-11-30T08:00:00Z"}},
		{name: "deny beats allow", policy: windows, in: p(now(fridayNoon)), want: Pending,
			reason: []string{"inside the friday afternoon window (deny)"}},
		{name: "a year-end freeze window reports the first opening after it", policy: windows, in: p(now(christmas)), want: Pending, next: &newYear,
			reason: []string{"inside the year-end window (deny)"}},
		{name: "the freeze switch denies, and deny beats pending", policy: frozen(""), in: p(), want: Deny,
			gates: map[string]Verdict{"approval": Pending, "freeze": Deny}, reason: []string{"frozen: incident 4711", "lift the freeze"}},
		{name: "a freeze with an end is pending until then", policy: frozen(", until: 2026-11-26T12:00:00Z"), in: p(review("production", Approve, "alice", digestA, 0)),
			want: Pending, next: &until, reason: []string{"frozen: incident 4711 until 2026-11-26T12:00:00Z"}},
		{name: "an ended freeze allows", policy: frozen(", until: 2026-11-26T12:00:00Z"), in: p(review("production", Approve, "alice", digestA, 0), now(until)),
			want: Allow},
		{name: "a freeze switched off allows", policy: frozen(", active: false"), in: p(review("production", Approve, "alice", digestA, 0)),
			want: Allow, reason: []string{"not frozen"}},
	})
}

func TestEvaluateCEL(t *testing.T) {
	policy := func(expr, message string) string {
		return "publish:\n  gates:\n    - type: cel\n      expression: '" + expr + "'\n      message: " + message + "\n"
	}
	runCases(t, []evalCase{
		{name: "true allows", policy: policy(`"build" in results && results["build"].passed && candidate.author != ""`, "a known author and a build"),
			in: input("", false, passed("build")), want: Allow, reason: []string{"a known author and a build holds"}},
		{name: "false denies with the message", policy: policy(`results["build"].passed && environment.transition == "promote"`, "only promotions"),
			in: input("", false, passed("build")), want: Deny, reason: []string{"only promotions (results[\"build\"].passed"}},
		{name: "an evaluation error fails closed", policy: policy(`results["build"].passed`, "a build"),
			in: input("", false), want: Deny, reason: []string{"could not evaluate", "no such key"}},
		{name: "counts, approvals and times are there", policy: policy(`environmentResults["staging"]["smoke-tests"].critical == 0 && now - candidate.createdAt > duration("1h") && size(approvals) == 0`, "x"),
			in: input("", false, fact("smoke-tests", "staging", Passed, -time.Hour, "")), want: Allow},
	})
}

func TestDenyBeatsPendingBeatsAllow(t *testing.T) {
	results := []GateResult{{Result: Allow}, {Result: Pending, NextCheck: &t0}, {Result: Allow}}
	if v, next := worst(results); v != Pending || next == nil || !next.Equal(t0) {
		t.Fatalf("worst = %s %v", v, next)
	}
	results = append(results, GateResult{Result: Deny})
	if v, next := worst(results); v != Deny || next != nil {
		t.Fatalf("worst = %s %v", v, next)
	}
	if v, _ := worst([]GateResult{{Result: "maybe"}}); v != Deny {
		t.Fatalf("an unknown verdict must deny, got %s", v)
	}
	if v, _ := worst(nil); v != Allow {
		t.Fatalf("no gates: %s", v)
	}
}
