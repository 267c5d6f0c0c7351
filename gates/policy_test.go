package gates

import (
	"errors"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/broker"
)

func TestDefaultPolicyRoundTrips(t *testing.T) {
	p := DefaultPolicy()
	if p.Publish == nil || p.Environments["staging"] == nil || p.Environments["production"] == nil {
		t.Fatalf("the default policy lacks a rule: %s", p.Canonical())
	}
	back, err := ParsePolicy(p.Canonical())
	if err != nil {
		t.Fatalf("the canonical form does not parse: %v\n%s", err, p.Canonical())
	}
	if string(back.Canonical()) != string(p.Canonical()) || back.Digest() != p.Digest() {
		t.Fatalf("round trip changed the policy:\n%s\n%s", p.Canonical(), back.Canonical())
	}
	if got := p.ContractEnvironments(Promote, "production"); len(got) != 1 || got[0] != "production" {
		t.Fatalf("contract environments: %v", got)
	}
	names := p.EnvironmentNames()
	if names["staging"] == "" || names["production"] == "" || len(names) != 2 {
		t.Fatalf("environment names: %v", names)
	}
}

func TestParsePolicyErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want map[string]string // field → a substring of its message
	}{
		{name: "not YAML", doc: "publish: [gates", want: map[string]string{"policy": "line 1"}},
		{name: "empty", doc: "", want: map[string]string{"policy": "is empty"}},
		{name: "no rules", doc: "description: nothing", want: map[string]string{"policy": "has no rules"}},
		{name: "unknown top-level field", doc: "publsh: {gates: []}\nenvironments: {staging: {gates: []}}",
			want: map[string]string{"publsh": "line 1: unknown field; a policy takes description, publish, environments"}},
		{name: "unknown gate type", doc: "environments:\n  production:\n    gates:\n      - type: magic\n",
			want: map[string]string{"environments.production.gates.0.type": `line 4: unknown gate type "magic": use one of approval, artifact, cel, contract, freeze, results, soak, upstream, window`}},
		{name: "a gate without a type", doc: "environments:\n  production:\n    gates:\n      - require: [build]\n",
			want: map[string]string{"environments.production.gates.0.type": "is missing"}},
		{name: "a field its gate does not take", doc: "publish:\n  gates:\n    - type: results\n      require: [build]\n      min: 2\n",
			want: map[string]string{"publish.gates.0.min": "line 5: unknown field; publish.gates.0 takes name, type, require, environment, thresholds"}},
		{name: "a misspelt severity", doc: "publish:\n  gates:\n    - type: results\n      require: [security-scan]\n      thresholds: {critcal: 0}\n",
			want: map[string]string{"publish.gates.0.thresholds.critcal": "unknown field"}},
		{name: "wrong kinds", doc: "environments:\n  production:\n    gates:\n      - type: approval\n        min: two\n      - type: soak\n        environment: staging\n        duration: forever\n",
			want: map[string]string{"environments.production.gates.0.min": `must be a whole number, not "two"`, "environments.production.gates.1.duration": `"forever" is not a duration`}},
		{name: "missing required fields", doc: "environments:\n  production:\n    gates:\n      - type: upstream\n      - type: results\n",
			want: map[string]string{"environments.production.gates.0.environment": "is missing", "environments.production.gates.0.require": "is missing",
				"environments.production.gates.1.require": "is missing"}},
		{name: "approvals on publish", doc: "publish:\n  gates:\n    - type: approval\n",
			want: map[string]string{"publish.gates.0": "approvals are given for an environment"}},
		{name: "upstream of itself", doc: "environments:\n  staging:\n    gates:\n      - {type: upstream, environment: staging, require: [smoke-tests]}\n",
			want: map[string]string{"environments.staging.gates.0.environment": "is the rule's own environment"}},
		{name: "a contract gate on publish names its environment", doc: "publish:\n  gates:\n    - type: contract\n",
			want: map[string]string{"publish.gates.0.environment": "is missing"}},
		{name: "two gates with one name", doc: "publish:\n  gates:\n    - {type: results, require: [build]}\n    - {type: results, require: [unit-tests]}\n",
			want: map[string]string{"publish.gates.1.name": `another gate of this rule is named "results"`}},
		{name: "bad windows", doc: "environments:\n  production:\n    gates:\n      - type: window\n        timezone: Mars/Olympus\n        allow:\n          - {days: [someday], from: \"9am\"}\n          - {days: [mon], start: 2026-01-01T00:00:00Z, end: 2026-01-02T00:00:00Z}\n        deny:\n          - {start: 2026-01-02T00:00:00Z, end: 2026-01-01T00:00:00Z}\n",
			want: map[string]string{"environments.production.gates.0.timezone": `"Mars/Olympus" is not a time zone`,
				"environments.production.gates.0.allow.0.days.0": `"someday" is not a day`, "environments.production.gates.0.allow.0.from": `"9am" is not a time of day`,
				"environments.production.gates.0.allow.1": "not both", "environments.production.gates.0.deny.0.end": "must be after start"}},
		{name: "a window gate without windows", doc: "environments:\n  production:\n    gates:\n      - type: window\n",
			want: map[string]string{"environments.production.gates.0": "gives no windows"}},
		{name: "a CEL syntax error, with its position", doc: "publish:\n  gates:\n    - type: cel\n      expression: 'results[\"build\"].passed &&'\n",
			want: map[string]string{"publish.gates.0.expression": "line 4: CEL error at line 1, column 27: Syntax error"}},
		{name: "an undeclared CEL name, with its position", doc: "publish:\n  gates:\n    - type: cel\n      expression: |\n        candidate.author != \"\" &&\n          reslts.size() > 0\n",
			want: map[string]string{"publish.gates.0.expression": "CEL error at line 2, column 3: undeclared reference to 'reslts'"}},
		{name: "a CEL field that does not exist", doc: "publish:\n  gates:\n    - type: cel\n      expression: candidate.branch == 'main'\n",
			want: map[string]string{"publish.gates.0.expression": "CEL error at line 1, column 10: undefined field 'branch'"}},
		{name: "a CEL expression that is not a bool", doc: "publish:\n  gates:\n    - type: cel\n      expression: candidate.version\n",
			want: map[string]string{"publish.gates.0.expression": "the expression is a string, and must be a bool"}},
		{name: "a bad environment name", doc: "environments:\n  \"pre prod\":\n    gates: []\n",
			want: map[string]string{"environments.pre prod": "is not an environment name"}},
		{name: "gates must be listed", doc: "environments:\n  staging: {}\n",
			want: map[string]string{"environments.staging.gates": "is missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePolicy([]byte(tt.doc))
			var ve *broker.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want a validation error, got %v", err)
			}
			if !errors.Is(err, broker.ErrInvalid) {
				t.Fatalf("not in the error vocabulary: %v", err)
			}
			for field, want := range tt.want {
				msgs := strings.Join(ve.Fields[field], " | ")
				if !strings.Contains(msgs, want) {
					t.Errorf("%s: %q does not contain %q\nall: %v", field, msgs, want, ve.Fields)
				}
			}
		})
	}
}

func TestParseImage(t *testing.T) {
	digest := "sha256:" + strings.Repeat("0123456789abcdef", 4)
	tests := []struct {
		ref              string
		name, tag, dgst  string
		wantErrSubstring string
	}{
		{ref: "order-service:a3f9c21@" + digest, name: "order-service", tag: "a3f9c21", dgst: digest},
		{ref: "registry.example:5000/shop/order-service@" + digest, name: "registry.example:5000/shop/order-service", dgst: digest},
		{ref: "registry.example:5000/order-service:1.2", name: "registry.example:5000/order-service", tag: "1.2"},
		{ref: "order-service@sha256:abc", wantErrSubstring: "64 lower-case hex digits"},
		{ref: "Order Service:1", wantErrSubstring: "is not an image reference"},
		{ref: "order-service:bad/tag", wantErrSubstring: "is not an image reference"},
		{ref: "", wantErrSubstring: "is not an image reference"},
	}
	for _, tt := range tests {
		a, err := ParseImage("image", tt.ref)
		if tt.wantErrSubstring != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErrSubstring) {
				t.Errorf("%q: error %v, want %q", tt.ref, err, tt.wantErrSubstring)
			}
			continue
		}
		if err != nil || a.Name != tt.name || a.Tag != tt.tag || a.Digest != tt.dgst {
			t.Errorf("%q: %+v %v", tt.ref, a, err)
		}
		if a.Ref() != tt.ref {
			t.Errorf("%q: Ref() = %q", tt.ref, a.Ref())
		}
	}
}

func TestCandidateDigestAndMerge(t *testing.T) {
	a := Artifact{Name: "r/a", Digest: digestA}
	b := Artifact{Name: "r/b", Digest: digestB}
	if (Candidate{}).Digest() != "" || (Candidate{Artifacts: []Artifact{{Name: "r/a"}}}).Digest() != "" {
		t.Fatal("a candidate without digests has no digest")
	}
	if (Candidate{Artifacts: []Artifact{a}}).Digest() != digestA {
		t.Fatal("one artifact: its digest")
	}
	ab, ba := (Candidate{Artifacts: []Artifact{a, b}}).Digest(), (Candidate{Artifacts: []Artifact{b, a}}).Digest()
	if ab != ba || ab == digestA || !digestPattern.MatchString(ab) {
		t.Fatalf("several artifacts: one digest over the set, whatever the order: %s %s", ab, ba)
	}
	if _, changed, err := MergeArtifact([]Artifact{a}, a); err != nil || changed {
		t.Fatalf("the same artifact again: %v %v", changed, err)
	}
	if m, changed, err := MergeArtifact([]Artifact{{Name: "r/a", Tag: "1"}}, a); err != nil || !changed || m.Digest != digestA || m.Tag != "1" {
		t.Fatalf("adding the digest: %+v %v %v", m, changed, err)
	}
	if _, _, err := MergeArtifact([]Artifact{a}, Artifact{Name: "r/a", Digest: digestB}); !errors.Is(err, broker.ErrConflict) {
		t.Fatalf("changing a digest must conflict: %v", err)
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add(DefaultPolicyYAML())
	f.Add([]byte("publish: {gates: [{type: cel, expression: 'now > candidate.createdAt'}]}"))
	f.Add([]byte("environments: {p: {gates: [{type: window, allow: [{days: [mon], from: '09:00', to: '17:00'}]}]}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(data)
		if err != nil {
			if !errors.Is(err, broker.ErrInvalid) {
				t.Fatalf("an error outside the vocabulary: %v", err)
			}
			return
		}
		// What parses evaluates, and its canonical form parses to the same policy.
		Evaluate(p, input("p", true))
		Evaluate(p, input("", false))
		back, err := ParsePolicy(p.Canonical())
		if err != nil || back.Digest() != p.Digest() {
			t.Fatalf("canonical form: %v\n%s", err, p.Canonical())
		}
	})
}
