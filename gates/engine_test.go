package gates

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/broker"
)

// memStore keeps the decision log and the policy in memory; the rest of Store is not needed
// by the engine and panics if called.
type memStore struct {
	Store
	inputs   map[string]Input // by "pacticipant/version/environment"
	policies []PolicyVersion
	log      []SealedEntry
}

func (m *memStore) GateInput(_ context.Context, p, v, env string) (Input, error) {
	in, ok := m.inputs[p+"/"+v+"/"+env]
	if !ok {
		return Input{}, broker.NotFound("version %q of %q", v, p)
	}
	return in, nil
}

func (m *memStore) CurrentPolicy(context.Context) (PolicyVersion, error) {
	if len(m.policies) == 0 {
		return DefaultPolicyVersion(), nil
	}
	return m.policies[len(m.policies)-1], nil
}

func (m *memStore) PolicyVersion(_ context.Context, n int) (PolicyVersion, error) {
	if n == 0 {
		return DefaultPolicyVersion(), nil
	}
	if n > len(m.policies) {
		return PolicyVersion{}, broker.NotFound("policy version %d", n)
	}
	return m.policies[n-1], nil
}

func (m *memStore) AppendDecision(_ context.Context, e Entry) (Entry, error) {
	prev := GenesisHash
	if len(m.log) > 0 {
		prev = m.log[len(m.log)-1].Hash
	}
	e.ID = int64(len(m.log) + 1)
	body, err := e.Seal(prev)
	if err != nil {
		return e, err
	}
	m.log = append(m.log, SealedEntry{ID: e.ID, Body: body, Hash: e.Hash, PrevHash: prev, Pacticipant: e.Pacticipant,
		Version: e.Version, Environment: e.Environment, Transition: string(e.Transition), Result: string(e.Decision.Result)})
	return e, nil
}

func (m *memStore) Decision(_ context.Context, id int64) (Entry, error) {
	if id < 1 || id > int64(len(m.log)) {
		return Entry{}, broker.NotFound("decision %d", id)
	}
	return m.log[id-1].Entry()
}

func (m *memStore) WalkDecisions(_ context.Context, fn func(SealedEntry) error) error {
	for _, e := range m.log {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

type fakeContracts map[string]ContractAnswer

func (f fakeContracts) CanIDeploy(_ context.Context, p, v, env string) ContractAnswer {
	if a, ok := f[env]; ok {
		return a
	}
	return ContractAnswer{Error: "no such environment"}
}

// fakeClock is a clock the test moves.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time          { return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func TestEngineChecksLogsAndReplays(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: t0}
	staging := *input("staging", false, artifact(digestA))
	staging.Contracts, staging.Now = nil, time.Time{}
	store := &memStore{inputs: map[string]Input{"order-service/a3f9c21/staging": staging,
		"order-service/a3f9c21/": *input("", false, cleanPublish...)}}
	engine := &Engine{Store: store, Contracts: fakeContracts{"staging": {Deployable: yes, Reason: "ok"}}, Now: clock.Now}

	first, err := engine.Check(ctx, CheckRequest{Pacticipant: "order-service", Version: "a3f9c21", Environment: "staging", Source: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	if first.ID != 1 || first.PrevHash != GenesisHash || first.Decision.Result != Allow || first.Transition != Deploy ||
		first.PolicyVersion != 0 || first.PolicyDigest != DefaultPolicy().Digest() || !first.Time.Equal(t0) {
		t.Fatalf("first decision: %+v", first)
	}
	if first.Input.Contracts["staging"].Reason != "ok" {
		t.Fatalf("the contract answer is part of the logged input: %+v", first.Input.Contracts)
	}

	// A policy version that closes staging: the next decision names it and denies.
	p := mustPolicy(t, "environments: {staging: {gates: [{type: freeze, reason: release train}]}}")
	store.policies = append(store.policies, PolicyVersion{Version: 1, Policy: p, Digest: p.Digest(), AppliedAt: t0})
	clock.Advance(time.Minute)
	second, err := engine.Check(ctx, CheckRequest{Pacticipant: "order-service", Version: "a3f9c21", Environment: "staging"})
	if err != nil {
		t.Fatal(err)
	}
	if second.ID != 2 || second.PrevHash != first.Hash || second.Decision.Result != Deny || second.PolicyVersion != 1 || !second.Time.Equal(t0.Add(time.Minute)) {
		t.Fatalf("second decision: %+v", second.Decision)
	}
	third, err := engine.Check(ctx, CheckRequest{Pacticipant: "order-service", Version: "a3f9c21", Transition: Publish})
	if err != nil || third.Transition != Publish || third.Decision.Result != Deny {
		t.Fatalf("publish under a policy without a publish rule: %+v %v", third.Decision, err)
	}

	// Each decision replays to itself under the version it was made with.
	for _, id := range []int64{1, 2, 3} {
		x, err := engine.Explain(ctx, id)
		if err != nil || !x.Matches || x.Note != "" {
			t.Fatalf("explain %d: matches=%v note=%q err=%v", id, x.Matches, x.Note, err)
		}
	}
	if report, err := VerifyLog(ctx, store); err != nil || !report.OK || report.Entries != 3 || report.Head != third.Hash {
		t.Fatalf("verify: %+v %v", report, err)
	}

	// Requests the engine refuses before looking anything up.
	for _, tc := range []struct {
		req  CheckRequest
		want string
	}{
		{CheckRequest{Version: "1", Environment: "staging"}, "pacticipant"},
		{CheckRequest{Pacticipant: "p", Version: "1"}, "environment"},
		{CheckRequest{Pacticipant: "p", Version: "1", Transition: Publish, Environment: "staging"}, "environment"},
		{CheckRequest{Pacticipant: "p", Version: "1", Transition: "ship"}, "transition"},
		{CheckRequest{Pacticipant: "order-service", Version: "a3f9c21", Environment: "staging", Transition: Promote}, "transition"},
	} {
		_, err := engine.Check(ctx, tc.req)
		var ve *broker.ValidationError
		if !errors.As(err, &ve) || ve.Fields[tc.want] == nil {
			t.Errorf("%+v: want an error on %s, got %v", tc.req, tc.want, err)
		}
	}
	if _, err := engine.Check(ctx, CheckRequest{Pacticipant: "order-service", Version: "nope", Environment: "staging"}); !errors.Is(err, broker.ErrNotFound) {
		t.Errorf("an unknown candidate: %v", err)
	}
	if len(store.log) != 3 {
		t.Errorf("refused checks must not be logged: %d entries", len(store.log))
	}
}

func TestDecisionLogDetectsTampering(t *testing.T) {
	ctx := context.Background()
	build := func() *memStore {
		s := &memStore{}
		for i, result := range []Verdict{Deny, Pending, Allow} {
			e := Entry{Time: t0.Add(time.Duration(i) * time.Minute), Pacticipant: "order-service", Version: "a3f9c21",
				Transition: Deploy, Environment: "staging", Decision: Decision{Result: result, Reason: string(result), Gates: []GateResult{}},
				Input: *input("staging", false)}
			if _, err := s.AppendDecision(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		return s
	}
	var export bytes.Buffer
	for _, e := range build().log {
		line, err := e.Line()
		if err != nil {
			t.Fatal(err)
		}
		export.Write(append(line, '\n'))
	}
	if r := VerifyLines(export.Bytes()); !r.OK || r.Entries != 3 {
		t.Fatalf("the export verifies: %+v", r)
	}
	tampered := bytes.Replace(export.Bytes(), []byte(`"result":"deny"`), []byte(`"result":"allow"`), 1)
	if r := VerifyLines(tampered); r.OK || r.BrokenAt != 1 {
		t.Fatalf("an edited export line: %+v", r)
	}
	lines := bytes.SplitAfter(export.Bytes(), []byte("\n"))
	if r := VerifyLines(append(append([]byte{}, lines[0]...), lines[2]...)); r.OK || r.BrokenAt != 3 || !strings.Contains(r.Problem, "entry 2 is missing") {
		t.Fatalf("a removed export line: %+v", r)
	}

	tests := []struct {
		name   string
		tamper func(s *memStore)
		at     int64
		want   string
	}{
		{name: "intact", tamper: func(*memStore) {}},
		{name: "a body edited", tamper: func(s *memStore) {
			s.log[1].Body = bytes.Replace(s.log[1].Body, []byte(`"result":"pending"`), []byte(`"result":"allow"`), 1)
		}, at: 2, want: "content was changed"},
		{name: "a body re-hashed after editing breaks the next link", tamper: func(s *memStore) {
			s.log[0].Body = bytes.Replace(s.log[0].Body, []byte(`"result":"deny"`), []byte(`"result":"allow"`), 1)
			s.log[0].Result = "allow"
			s.log[0].Hash = hashOf(s.log[0].Body)
		}, at: 2, want: "links to"},
		{name: "a query column edited", tamper: func(s *memStore) { s.log[2].Result = "deny" }, at: 3, want: "query columns"},
		{name: "an entry removed", tamper: func(s *memStore) { s.log = append(s.log[:1], s.log[2:]...) }, at: 3, want: "entry 2 is missing"},
		{name: "entries swapped", tamper: func(s *memStore) { s.log[1], s.log[2] = s.log[2], s.log[1] }, at: 3, want: "entry 2 is missing"},
		{name: "reformatted", tamper: func(s *memStore) { s.log[0].Body = append([]byte(" "), s.log[0].Body...) }, at: 1, want: "canonical"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := build()
			tt.tamper(s)
			r, err := VerifyLog(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if !r.OK || r.Entries != 3 {
					t.Fatalf("%+v", r)
				}
				return
			}
			if r.OK || r.BrokenAt != tt.at || !strings.Contains(r.Problem, tt.want) {
				t.Fatalf("want a break at %d (%q), got %+v", tt.at, tt.want, r)
			}
		})
	}
}
