package gates

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/treaty-dev/treaty/broker"
)

// Transition is what a check asks permission for.
type Transition string

const (
	// Publish is pushing a candidate's artifacts: its builds and tests must have passed.
	Publish Transition = "publish"
	// Deploy is deploying to an environment that is not a production one.
	Deploy Transition = "deploy"
	// Promote is deploying to a production environment.
	Promote Transition = "promote"
)

// TransitionTo is the transition into an environment: a promotion for a production one, a
// deployment otherwise.
func TransitionTo(production bool) Transition {
	if production {
		return Promote
	}
	return Deploy
}

// Policy says what each transition requires: a rule for publishing and one per environment.
// A transition without a rule is denied: a policy that forgets an environment never opens it.
type Policy struct {
	Description  string           `json:"description,omitempty"`
	Publish      *Rule            `json:"publish,omitempty"`
	Environments map[string]*Rule `json:"environments,omitempty"`
}

// Rule is the gates of one transition; all must allow.
type Rule struct {
	Description string      `json:"description,omitempty"`
	Gates       []*GateSpec `json:"gates"`
}

// GateSpec configures one gate. Which fields apply depends on the type; the registry in
// gate.go lists them.
type GateSpec struct {
	Name string `json:"name"`
	Type string `json:"type"`

	Require       []string       `json:"require,omitempty"`
	Environment   string         `json:"environment,omitempty"`
	Thresholds    map[string]int `json:"thresholds,omitempty"`
	RequireDigest *bool          `json:"requireDigest,omitempty"`
	Duration      Duration       `json:"duration,omitempty"`
	Min           int            `json:"min,omitempty"`
	Approvers     []string       `json:"approvers,omitempty"`
	ExpiresAfter  Duration       `json:"expiresAfter,omitempty"`
	Timezone      string         `json:"timezone,omitempty"`
	Allow         []Window       `json:"allow,omitempty"`
	Deny          []Window       `json:"deny,omitempty"`
	Active        *bool          `json:"active,omitempty"`
	Reason        string         `json:"reason,omitempty"`
	Until         *time.Time     `json:"until,omitempty"`
	Expression    string         `json:"expression,omitempty"`
	Message       string         `json:"message,omitempty"`

	gate Gate
}

// Window is a span of time: either recurring (on days of the week, from a time of day to
// another, in the gate's time zone) or absolute (from start to end).
type Window struct {
	Name  string     `json:"name,omitempty"`
	Days  []string   `json:"days,omitempty"`
	From  string     `json:"from,omitempty"`
	To    string     `json:"to,omitempty"`
	Start *time.Time `json:"start,omitempty"`
	End   *time.Time `json:"end,omitempty"`
}

// Duration is a time.Duration written as "90m", "2h" or "3d".
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(formatDuration(time.Duration(d)))
}

func formatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}

// ParseDuration reads a Go duration, or a whole number of days such as "3d".
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err == nil && n >= 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 30m, 2h or 3d", s)
	}
	return d, nil
}

//go:embed default-policy.yaml
var defaultPolicyYAML []byte

// DefaultPolicyYAML is the seed's policy, as a file to start from.
func DefaultPolicyYAML() []byte { return bytes.Clone(defaultPolicyYAML) }

// DefaultPolicy is the policy in force until one is applied: publish needs a build, unit and
// contract tests and a clean security scan; staging needs a published artifact and
// can-i-deploy; production needs the same digest's smoke and end-to-end tests passed in
// staging, can-i-deploy and an approval.
func DefaultPolicy() *Policy {
	p, err := ParsePolicy(defaultPolicyYAML)
	if err != nil {
		panic("the default policy is invalid: " + err.Error())
	}
	return p
}

// Rule is the rule of a transition, or nil when the policy has none.
func (p *Policy) Rule(t Transition, environment string) *Rule {
	if t == Publish {
		return p.Publish
	}
	return p.Environments[environment]
}

// ContractEnvironments are the environments whose can-i-deploy answer the rule of a
// transition needs, so the engine can ask before evaluating.
func (p *Policy) ContractEnvironments(t Transition, environment string) []string {
	r := p.Rule(t, environment)
	if r == nil {
		return nil
	}
	var out []string
	for _, g := range r.Gates {
		if g.Type == "contract" {
			env := g.Environment
			if env == "" {
				env = environment
			}
			if !contains(out, env) {
				out = append(out, env)
			}
		}
	}
	return out
}

// EnvironmentNames are the environments the policy names, as rules or in gates, each with the
// field that names it first.
func (p *Policy) EnvironmentNames() map[string]string {
	out := map[string]string{}
	for _, name := range sortedKeys(p.Environments) {
		out[name] = "environments." + name
	}
	add := func(field, env string) {
		if _, ok := out[env]; env != "" && !ok {
			out[env] = field
		}
	}
	if p.Publish != nil {
		for i, g := range p.Publish.Gates {
			add(fmt.Sprintf("publish.gates.%d.environment", i), g.Environment)
		}
	}
	for _, name := range sortedKeys(p.Environments) {
		for i, g := range p.Environments[name].Gates {
			add(fmt.Sprintf("environments.%s.gates.%d.environment", name, i), g.Environment)
		}
	}
	return out
}

// Canonical is the policy's JSON with sorted keys: what is stored, and what its digest is of.
func (p *Policy) Canonical() []byte {
	data, err := Canonical(p)
	if err != nil {
		panic(err) // a Policy always encodes
	}
	return data
}

// Digest identifies the policy's content.
func (p *Policy) Digest() string {
	sum := sha256.Sum256(p.Canonical())
	return "sha256:" + hex.EncodeToString(sum[:])
}

// PolicyVersion is a policy as applied: every apply is a new version, and decisions name the
// version they were made under. Version 0 is the built-in default, in force until a policy is
// applied.
type PolicyVersion struct {
	Version   int       `json:"version"`
	Policy    *Policy   `json:"policy"`
	Digest    string    `json:"digest"`
	AppliedBy string    `json:"appliedBy,omitempty"`
	Comment   string    `json:"comment,omitempty"`
	AppliedAt time.Time `json:"appliedAt"`
}

// DefaultPolicyVersion is version 0.
func DefaultPolicyVersion() PolicyVersion {
	p := DefaultPolicy()
	return PolicyVersion{Version: 0, Policy: p, Digest: p.Digest(), Comment: "the built-in default policy"}
}

var namePattern = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*$`)

// ParsePolicy reads a policy from YAML or JSON and checks it: every gate type known, every
// field of the right kind and used by its gate, every CEL expression compiled and
// type-checked. Problems are reported together, per field, with their line.
func ParsePolicy(data []byte) (*Policy, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, broker.Invalid("policy", "%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	r := &reader{errs: &broker.ValidationError{}}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, broker.Invalid("policy", "is empty")
	}
	p := r.policy(doc.Content[0])
	if err := r.errs.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// reader turns a YAML document into a Policy, collecting problems.
type reader struct {
	errs *broker.ValidationError
}

func (r *reader) fail(field string, n *yaml.Node, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if n != nil && n.Line > 0 {
		msg = fmt.Sprintf("line %d: %s", n.Line, msg)
	}
	if field == "" {
		field = "policy"
	}
	r.errs.Add(field, "%s", msg)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// mapping reads a mapping's keys in order, refusing any key not in allowed.
func (r *reader) mapping(path string, n *yaml.Node, allowed ...string) ([]string, map[string]*yaml.Node) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		r.fail(path, n, "must be a mapping of %s", describeKeys(allowed))
		return nil, nil
	}
	var keys []string
	values := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if _, dup := values[k.Value]; dup {
			r.fail(join(path, k.Value), k, "appears twice")
			continue
		}
		if allowed != nil && !contains(allowed, k.Value) {
			r.fail(join(path, k.Value), k, "unknown field; %s takes %s", orPolicy(path), describeKeys(allowed))
			continue
		}
		keys = append(keys, k.Value)
		values[k.Value] = v
	}
	return keys, values
}

func orPolicy(path string) string {
	if path == "" {
		return "a policy"
	}
	return path
}

func describeKeys(keys []string) string {
	if keys == nil {
		return "names"
	}
	return strings.Join(keys, ", ")
}

func (r *reader) policy(n *yaml.Node) *Policy {
	p := &Policy{}
	_, f := r.mapping("", n, "description", "publish", "environments")
	if f == nil {
		return p
	}
	p.Description = r.str("description", f["description"])
	if pub := f["publish"]; pub != nil {
		p.Publish = r.rule("publish", pub, Publish, "")
	}
	if envs := f["environments"]; envs != nil {
		names, rules := r.mapping("environments", envs)
		p.Environments = map[string]*Rule{}
		for _, name := range names {
			field := "environments." + name
			if err := broker.CheckName(field, name); err != nil || strings.ContainsAny(name, " \t") {
				r.fail(field, rules[name], "%q is not an environment name", name)
				continue
			}
			p.Environments[name] = r.rule(field, rules[name], "", name)
		}
	}
	if p.Publish == nil && len(p.Environments) == 0 {
		r.fail("policy", n, "has no rules: give publish, environments or both")
	}
	return p
}

// rule reads the gates of one transition: publish (env "") or into environment env.
func (r *reader) rule(path string, n *yaml.Node, t Transition, env string) *Rule {
	rule := &Rule{Gates: []*GateSpec{}}
	_, f := r.mapping(path, n, "description", "gates")
	if f == nil {
		return rule
	}
	rule.Description = r.str(join(path, "description"), f["description"])
	gates := f["gates"]
	if gates == nil {
		r.fail(join(path, "gates"), n, "is missing: list the gates, or give an empty list to require nothing")
		return rule
	}
	list := resolve(gates)
	if list.Kind != yaml.SequenceNode {
		r.fail(join(path, "gates"), list, "must be a list of gates")
		return rule
	}
	names := map[string]bool{}
	for i, g := range list.Content {
		field := fmt.Sprintf("%s.gates.%d", path, i)
		spec := r.gate(field, g, t, env)
		if spec == nil {
			continue
		}
		if names[spec.Name] {
			r.fail(field+".name", g, "another gate of this rule is named %q: give each a name of its own", spec.Name)
		}
		names[spec.Name] = true
		rule.Gates = append(rule.Gates, spec)
	}
	return rule
}

// gate reads one gate: its type picks the fields it takes, then the type checks them and
// compiles the gate.
func (r *reader) gate(path string, n *yaml.Node, t Transition, env string) *GateSpec {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		r.fail(path, n, "must be a mapping with a type")
		return nil
	}
	var typeNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "type" {
			typeNode = resolve(n.Content[i+1])
		}
	}
	if typeNode == nil {
		r.fail(path+".type", n, "is missing: one of %s", strings.Join(GateTypes(), ", "))
		return nil
	}
	gt, ok := registry[typeNode.Value]
	if !ok {
		r.fail(path+".type", typeNode, "unknown gate type %q: use one of %s", typeNode.Value, strings.Join(GateTypes(), ", "))
		return nil
	}
	allowed := append([]string{"name", "type"}, gt.fields...)
	_, f := r.mapping(path, n, allowed...)
	spec := &GateSpec{Type: typeNode.Value, Name: r.str(path+".name", f["name"])}
	if spec.Name == "" {
		spec.Name = spec.Type
	}
	r.fields(path, spec, f)
	c := &compileContext{reader: r, path: path, nodes: f, node: n, transition: t, environment: env}
	before := len(r.errs.Fields)
	g := gt.compile(spec, c)
	if len(r.errs.Fields) != before || g == nil {
		return spec
	}
	spec.gate = g
	return spec
}

// fields reads every field a gate may have; the gate type has already refused the others.
func (r *reader) fields(path string, s *GateSpec, f map[string]*yaml.Node) {
	p := func(k string) string { return path + "." + k }
	s.Require = r.strList(p("require"), f["require"])
	s.Environment = r.str(p("environment"), f["environment"])
	s.Thresholds = r.thresholds(p("thresholds"), f["thresholds"])
	s.RequireDigest = r.boolPtr(p("requireDigest"), f["requireDigest"])
	s.Duration = r.duration(p("duration"), f["duration"])
	s.Min = r.int(p("min"), f["min"])
	s.Approvers = r.strList(p("approvers"), f["approvers"])
	s.ExpiresAfter = r.duration(p("expiresAfter"), f["expiresAfter"])
	s.Timezone = r.str(p("timezone"), f["timezone"])
	s.Allow = r.windows(p("allow"), f["allow"])
	s.Deny = r.windows(p("deny"), f["deny"])
	s.Active = r.boolPtr(p("active"), f["active"])
	s.Reason = r.str(p("reason"), f["reason"])
	s.Until = r.time(p("until"), f["until"])
	s.Expression = r.str(p("expression"), f["expression"])
	s.Message = r.str(p("message"), f["message"])
}

func (r *reader) scalar(path string, n *yaml.Node, what string) (string, bool) {
	if n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		r.fail(path, n, "must be %s", what)
		return "", false
	}
	return n.Value, true
}

func (r *reader) str(path string, n *yaml.Node) string {
	s, _ := r.scalar(path, n, "a string")
	return s
}

func (r *reader) strList(path string, n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		r.fail(path, n, "must be a list of names")
		return nil
	}
	out := []string{}
	for i, item := range n.Content {
		if s, ok := r.scalar(fmt.Sprintf("%s.%d", path, i), resolve(item), "a name"); ok {
			out = append(out, s)
		}
	}
	return out
}

func (r *reader) int(path string, n *yaml.Node) int {
	s, ok := r.scalar(path, n, "a whole number")
	if !ok {
		return 0
	}
	v, err := strconv.Atoi(s)
	if err != nil || n.Tag != "!!int" {
		r.fail(path, n, "must be a whole number, not %q", s)
	}
	return v
}

func (r *reader) boolPtr(path string, n *yaml.Node) *bool {
	s, ok := r.scalar(path, n, "true or false")
	if !ok {
		return nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil || n.Tag != "!!bool" {
		r.fail(path, n, "must be true or false, not %q", s)
		return nil
	}
	return &v
}

func (r *reader) duration(path string, n *yaml.Node) Duration {
	s, ok := r.scalar(path, n, "a duration such as 30m, 2h or 3d")
	if !ok {
		return 0
	}
	d, err := ParseDuration(s)
	if err != nil {
		r.fail(path, n, "%v", err)
	}
	return Duration(d)
}

func (r *reader) time(path string, n *yaml.Node) *time.Time {
	s, ok := r.scalar(path, n, "a time such as 2026-12-20T00:00:00Z")
	if !ok {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		r.fail(path, n, "%q is not a time with a zone, such as 2026-12-20T00:00:00Z or 2026-12-20T00:00:00+01:00", s)
		return nil
	}
	return &t
}

func (r *reader) thresholds(path string, n *yaml.Node) map[string]int {
	if n == nil {
		return nil
	}
	keys, f := r.mapping(path, n, Severities...)
	out := map[string]int{}
	for _, k := range keys {
		v := r.int(path+"."+k, f[k])
		if v < 0 {
			r.fail(path+"."+k, f[k], "cannot be negative")
		}
		out[k] = v
	}
	return out
}

func (r *reader) windows(path string, n *yaml.Node) []Window {
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		r.fail(path, n, "must be a list of windows")
		return nil
	}
	out := []Window{}
	for i, item := range n.Content {
		field := fmt.Sprintf("%s.%d", path, i)
		_, f := r.mapping(field, item, "name", "days", "from", "to", "start", "end")
		if f == nil {
			continue
		}
		w := Window{Name: r.str(field+".name", f["name"]), Days: r.strList(field+".days", f["days"]),
			From: r.str(field+".from", f["from"]), To: r.str(field+".to", f["to"]),
			Start: r.time(field+".start", f["start"]), End: r.time(field+".end", f["end"])}
		r.checkWindow(field, resolve(item), w)
		out = append(out, w)
	}
	return out
}

// compileContext is what a gate type sees while it checks its configuration.
type compileContext struct {
	*reader
	path        string
	nodes       map[string]*yaml.Node
	node        *yaml.Node
	transition  Transition // Publish, or "" for an environment's rule
	environment string     // the rule's environment, "" for publish
}

// failField reports a problem with one of the gate's fields (or the gate itself, for "").
func (c *compileContext) failField(field, format string, args ...any) {
	n := c.node
	path := c.path
	if field != "" {
		path += "." + field
		if fn, ok := c.nodes[field]; ok {
			n = fn
		}
	}
	c.fail(path, n, format, args...)
}

func (c *compileContext) publish() bool { return c.transition == Publish }

// GateTypes are the names of the registered gate types, sorted.
func GateTypes() []string { return sortedKeys(registry) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func itoa(n int) string { return strconv.Itoa(n) }
