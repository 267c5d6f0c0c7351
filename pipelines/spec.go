package pipelines

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"gopkg.in/yaml.v3"

	"github.com/treaty-dev/treaty/gates"
)

// The stages, in the order they run. build, test and publish make and check the candidate;
// staging and production deploy it.
const (
	StageBuild      = "build"
	StageTest       = "test"
	StagePublish    = "publish"
	StageStaging    = "staging"
	StageProduction = "production"
)

// StageNames lists the stages in order.
var StageNames = []string{StageBuild, StageTest, StagePublish, StageStaging, StageProduction}

// IsEnvironmentStage reports whether a stage deploys to an environment.
func IsEnvironmentStage(name string) bool { return name == StageStaging || name == StageProduction }

// StageIndex is the position of a stage in StageNames, or -1.
func StageIndex(name string) int {
	for i, s := range StageNames {
		if s == name {
			return i
		}
	}
	return -1
}

// Spec is a service's pipeline, read from its treaty.yaml.
type Spec struct {
	// File is the spec's path as given; Dir the service's directory (the file's), absolute.
	File string
	Dir  string
	// Service is the pacticipant the pipeline builds, tests and deploys.
	Service string
	Paths   PathFilter
	// Variables are the spec's own, in the file's order; values may use other variables.
	Variables []Variable
	Defaults  StepDefaults
	// Deploy is the deployer of the environment stages that do not name their own.
	Deploy *DeploySpec
	Notify NotifySpec
	// Stages present in the file, in the order they run.
	Stages []*Stage
}

// Variable is one of the spec's variables.
type Variable struct {
	Name, Value string
}

// StepDefaults apply to every step that does not say otherwise.
type StepDefaults struct {
	Timeout time.Duration
	Retries int
}

// PathFilter decides whether a change concerns the service: a changed file counts when it
// matches an include glob and no exclude glob. Globs are doublestar patterns relative to the
// repository's root (** matches across directories).
type PathFilter struct {
	Include []string
	Exclude []string
}

// Stage is one stage of the pipeline.
type Stage struct {
	Name string
	// Environment is the broker environment the stage deploys to (staging and production
	// only; default: the stage's name).
	Environment string
	Deploy      *DeploySpec
	Watch       *WatchSpec
	// Rollback: a failure after the deploy (a step or the watch) rolls the environment back.
	Rollback bool
	Steps    []*StepSpec
	Line     int
}

// StepSpec is one step of a stage.
type StepSpec struct {
	Name string
	Uses string
	With map[string]any
	// Timeout bounds each attempt; Retries is how many more attempts a failure gets.
	Timeout time.Duration
	Retries int
	// Fact is the name of the result recorded against the candidate ("" for none).
	Fact string
	Env  map[string]string
	Dir  string
	// Field is where the step is in the file, such as stages.test.steps[1]; Line its line.
	Field string
	Line  int
}

// DeploySpec names a deployer and its configuration.
type DeploySpec struct {
	Deployer string
	With     map[string]any
	Line     int
}

// WatchSpec is the analysis after a deploy: a Prometheus query evaluated every interval for
// a window, failing when its value crosses a bound.
type WatchSpec struct {
	Prometheus string
	Query      string
	Window     time.Duration
	Interval   time.Duration
	// Max fails a measurement above it, Min below it (NaN when unset).
	Max, Min float64
	// FailureLimit is how many failed measurements are tolerated.
	FailureLimit int
	// NoData is what an empty answer counts as: inconclusive (default), fail, pass, or
	// retry (nothing: the next interval measures again).
	NoData string
	// MinSamples is how many successful measurements a window needs to pass (default 1).
	MinSamples int
	Line       int
}

// NotifySpec says who hears of a pipeline that stops or rolls back.
type NotifySpec struct {
	Webhooks []string
	Slack    []string
}

// Watch defaults.
const (
	DefaultWatchWindow   = 5 * time.Minute
	DefaultWatchInterval = 30 * time.Second
	DefaultStepTimeout   = 30 * time.Minute
)

var (
	namePattern = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*$`)
	varPattern  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// ParseFile reads and validates a spec file.
func ParseFile(path string, reg *Registry) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the pipeline spec: %w", err)
	}
	return Parse(data, path, reg)
}

// Parse reads a spec and checks all of it before anything runs: every field known and of the
// right kind, every step in the registry with the fields it takes, every variable defined,
// every glob well-formed. All problems are reported together, each with its line and field,
// as *SpecErrors.
func Parse(data []byte, file string, reg *Registry) (*Spec, error) {
	p := &parser{file: filepath.Base(file), reg: reg}
	if file == "" {
		p.file = "treaty.yaml"
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if m := regexp.MustCompile(`^line (\d+): (.*)$`).FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		return nil, &SpecErrors{Errors: []SpecError{{File: p.file, Line: line, Msg: msg}}}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &SpecErrors{Errors: []SpecError{{File: p.file, Msg: "is empty: a spec names its service and its stages"}}}
	}
	s := p.spec(doc.Content[0])
	if len(p.errs) > 0 {
		return nil, &SpecErrors{Errors: p.errs}
	}
	s.File = file
	if abs, err := filepath.Abs(filepath.Dir(file)); err == nil {
		s.Dir = abs
	}
	return s, nil
}

type parser struct {
	file string
	reg  *Registry
	errs []SpecError
	// vars are the names a string may use: the built-in ones and the spec's.
	vars map[string]bool
}

func (p *parser) fail(field string, n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.errs = append(p.errs, SpecError{File: p.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
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

// mapping reads a mapping's keys in order, refusing any key not in allowed (nil allows any).
func (p *parser) mapping(path string, n *yaml.Node, allowed ...string) ([]string, map[string]*yaml.Node) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		what := "a mapping"
		if allowed != nil {
			what += " of " + strings.Join(allowed, ", ")
		}
		p.fail(path, n, "must be %s", what)
		return nil, nil
	}
	var keys []string
	values := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if _, dup := values[k.Value]; dup {
			p.fail(join(path, k.Value), k, "appears twice")
			continue
		}
		if allowed != nil && !contains(allowed, k.Value) {
			where := path
			if where == "" {
				where = "a spec"
			}
			p.fail(join(path, k.Value), k, "unknown field; %s takes %s", where, strings.Join(allowed, ", "))
			continue
		}
		keys = append(keys, k.Value)
		values[k.Value] = v
	}
	return keys, values
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *parser) scalar(path string, n *yaml.Node, what string) (string, bool) {
	if n == nil || n.Kind != yaml.ScalarNode {
		p.fail(path, n, "must be %s", what)
		return "", false
	}
	if n.Tag == "!!null" {
		p.fail(path, n, "is empty: it must be %s", what)
		return "", false
	}
	return n.Value, true
}

func (p *parser) str(path string, n *yaml.Node) string {
	s, _ := p.scalar(path, n, "a string")
	return s
}

func (p *parser) strList(path string, n *yaml.Node) []string {
	n = resolve(n)
	if n != nil && n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []string{n.Value}
	}
	if n == nil || n.Kind != yaml.SequenceNode {
		p.fail(path, n, "must be a list of strings")
		return nil
	}
	var out []string
	for i, item := range n.Content {
		if s, ok := p.scalar(fmt.Sprintf("%s[%d]", path, i), resolve(item), "a string"); ok {
			out = append(out, s)
		}
	}
	return out
}

func (p *parser) int(path string, n *yaml.Node, min int) int {
	s, ok := p.scalar(path, n, "a whole number")
	if !ok {
		return 0
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		p.fail(path, n, "%q is not a whole number", s)
		return 0
	}
	if v < min {
		p.fail(path, n, "must be at least %d", min)
	}
	return v
}

func (p *parser) number(path string, n *yaml.Node) float64 {
	s, ok := p.scalar(path, n, "a number")
	if !ok {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) {
		p.fail(path, n, "%q is not a number", s)
		return math.NaN()
	}
	return v
}

func (p *parser) bool(path string, n *yaml.Node) bool {
	s, ok := p.scalar(path, n, "true or false")
	if !ok {
		return false
	}
	switch s {
	case "true", "yes", "on":
		return true
	case "false", "no", "off":
		return false
	}
	p.fail(path, n, "%q is not true or false", s)
	return false
}

func (p *parser) duration(path string, n *yaml.Node) time.Duration {
	s, ok := p.scalar(path, n, "a duration such as 30s or 5m")
	if !ok {
		return 0
	}
	d, err := gates.ParseDuration(s)
	if err != nil {
		p.fail(path, n, "%q is not a duration (such as 90s, 5m or 1h)", s)
		return 0
	}
	if d <= 0 {
		p.fail(path, n, "%q must be longer than zero", s)
	}
	return d
}

func (p *parser) spec(n *yaml.Node) *Spec {
	s := &Spec{Defaults: StepDefaults{Timeout: DefaultStepTimeout}}
	keys, f := p.mapping("", n, "service", "paths", "variables", "defaults", "deploy", "notify", "stages")
	if f == nil {
		return s
	}
	p.vars = map[string]bool{}
	for _, b := range BuiltinVariables {
		p.vars[b] = true
	}
	// Variables first: every other string may use them, wherever they are in the file.
	if v, ok := f["variables"]; ok {
		vk, vf := p.mapping("variables", v)
		for _, k := range vk {
			field := join("variables", k)
			switch {
			case !varPattern.MatchString(k):
				p.fail(field, vf[k], "%q is not a variable name: letters, digits and underscores", k)
				continue
			case contains(BuiltinVariables, k):
				p.fail(field, vf[k], "%q is built in and cannot be redefined", k)
				continue
			}
			p.vars[k] = true
			s.Variables = append(s.Variables, Variable{Name: k, Value: p.str(field, vf[k])})
		}
		for _, v := range s.Variables {
			p.checkVars(join("variables", v.Name), vf[v.Name], v.Value, false)
		}
	}
	for _, k := range keys {
		v := f[k]
		switch k {
		case "service":
			s.Service = p.str("service", v)
			if s.Service != "" && !namePattern.MatchString(s.Service) {
				p.fail("service", v, "%q must be lower-case letters, digits and dashes, such as order-service", s.Service)
			}
		case "paths":
			s.Paths = p.paths(v)
		case "defaults":
			_, df := p.mapping("defaults", v, "timeout", "retries")
			if t, ok := df["timeout"]; ok {
				s.Defaults.Timeout = p.duration("defaults.timeout", t)
			}
			if r, ok := df["retries"]; ok {
				s.Defaults.Retries = p.int("defaults.retries", r, 0)
			}
		case "deploy":
			s.Deploy = p.deploy("deploy", v, true)
		case "notify":
			s.Notify = p.notify(v)
		}
	}
	if _, ok := f["service"]; !ok {
		p.fail("service", n, "is missing: name the service (the pacticipant) the pipeline builds")
	}
	if v, ok := f["stages"]; ok {
		s.Stages = p.stages(v, s)
	} else {
		p.fail("stages", n, "is missing: a spec has at least one of %s", strings.Join(StageNames, ", "))
	}
	return s
}

func (p *parser) paths(n *yaml.Node) PathFilter {
	var pf PathFilter
	_, f := p.mapping("paths", n, "include", "exclude")
	for _, k := range []string{"include", "exclude"} {
		v, ok := f[k]
		if !ok {
			continue
		}
		list := p.strList(join("paths", k), v)
		for i, g := range list {
			if !doublestar.ValidatePattern(g) {
				p.fail(fmt.Sprintf("paths.%s[%d]", k, i), v, "%q is not a valid glob", g)
			}
			if strings.HasPrefix(g, "/") || strings.HasPrefix(g, "../") {
				p.fail(fmt.Sprintf("paths.%s[%d]", k, i), v, "%q must be relative to the repository's root", g)
			}
		}
		if k == "include" {
			pf.Include = list
		} else {
			pf.Exclude = list
		}
	}
	return pf
}

func (p *parser) notify(n *yaml.Node) NotifySpec {
	var ns NotifySpec
	_, f := p.mapping("notify", n, "webhooks", "slack")
	for _, k := range []string{"webhooks", "slack"} {
		v, ok := f[k]
		if !ok {
			continue
		}
		list := p.strList(join("notify", k), v)
		for i, u := range list {
			field := fmt.Sprintf("notify.%s[%d]", k, i)
			p.checkVars(field, v, u, false)
			if !strings.Contains(u, "${") && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				p.fail(field, v, "%q is not an http or https URL", u)
			}
		}
		if k == "webhooks" {
			ns.Webhooks = list
		} else {
			ns.Slack = list
		}
	}
	return ns
}

func (p *parser) stages(n *yaml.Node, s *Spec) []*Stage {
	keys, f := p.mapping("stages", n, StageNames...)
	if f == nil {
		return nil
	}
	if len(keys) == 0 {
		p.fail("stages", n, "is empty: a spec has at least one of %s", strings.Join(StageNames, ", "))
	}
	var out []*Stage
	for _, name := range StageNames {
		v, ok := f[name]
		if !ok {
			continue
		}
		out = append(out, p.stage(name, v, s))
	}
	return out
}

func (p *parser) stage(name string, n *yaml.Node, s *Spec) *Stage {
	path := join("stages", name)
	st := &Stage{Name: name, Line: n.Line}
	allowed := []string{"steps"}
	env := IsEnvironmentStage(name)
	if env {
		allowed = append(allowed, "environment", "deploy", "watch", "rollback")
		st.Environment = name
		st.Rollback = name == StageProduction
	}
	_, f := p.mapping(path, n, allowed...)
	if f == nil {
		return st
	}
	if v, ok := f["environment"]; ok {
		st.Environment = p.str(join(path, "environment"), v)
		if st.Environment != "" && !namePattern.MatchString(st.Environment) {
			p.fail(join(path, "environment"), v, "%q is not an environment name", st.Environment)
		}
	}
	if v, ok := f["rollback"]; ok {
		st.Rollback = p.bool(join(path, "rollback"), v)
	}
	if v, ok := f["deploy"]; ok {
		st.Deploy = p.deploy(join(path, "deploy"), v, true)
	} else if env && s.Deploy == nil {
		p.fail(join(path, "deploy"), n, "is missing: name a deployer here or in the top-level deploy section (%s)", strings.Join(p.reg.Deployers(), ", "))
	}
	if v, ok := f["watch"]; ok {
		st.Watch = p.watch(join(path, "watch"), v)
	}
	if v, ok := f["steps"]; ok {
		st.Steps = p.steps(join(path, "steps"), v, st, s)
	} else if !env {
		p.fail(join(path, "steps"), n, "is missing: a stage is a list of steps")
	}
	return st
}

func (p *parser) steps(path string, n *yaml.Node, st *Stage, s *Spec) []*StepSpec {
	if n == nil || n.Kind != yaml.SequenceNode {
		p.fail(path, n, "must be a list of steps")
		return nil
	}
	names := map[string]int{}
	var out []*StepSpec
	for i, item := range n.Content {
		field := fmt.Sprintf("%s[%d]", path, i)
		step := p.step(field, resolve(item), st, s, i)
		if step == nil {
			continue
		}
		if line, dup := names[step.Name]; dup {
			p.fail(join(field, "name"), item, "%q is already the name of the step on line %d: names are unique in a stage", step.Name, line)
		}
		names[step.Name] = item.Line
		out = append(out, step)
	}
	return out
}

// reservedStepNames are the steps the runner records itself in a run.
var reservedStepNames = []string{"gate", "deploy", "watch", "rollback"}

// stepFields are the fields every step takes.
var stepFields = []string{"name", "uses", "run", "with", "timeout", "retries", "record", "env", "dir"}

func (p *parser) step(field string, n *yaml.Node, st *Stage, s *Spec, index int) *StepSpec {
	step := &StepSpec{Field: field, Line: n.Line, Timeout: s.Defaults.Timeout, Retries: s.Defaults.Retries}
	_, f := p.mapping(field, n, stepFields...)
	if f == nil {
		return nil
	}
	_, hasUses := f["uses"]
	run, hasRun := f["run"]
	switch {
	case hasUses:
		step.Uses = p.str(join(field, "uses"), f["uses"])
	case hasRun:
		step.Uses = "command"
	default:
		p.fail(field, n, "says neither uses (a named step: %s) nor run (a command)", strings.Join(p.reg.Steps(), ", "))
		return nil
	}
	def, known := p.reg.Step(step.Uses)
	if !known && step.Uses != "" {
		p.fail(join(field, "uses"), f["uses"], "unknown step %q; the steps are %s", step.Uses, strings.Join(p.reg.Steps(), ", "))
	}
	if hasRun && known && !hasField(def.Fields, "run") {
		p.fail(join(field, "run"), run, "%s runs no command: a step either uses a named step or runs a command", step.Uses)
		hasRun = false
	}
	step.Name = step.Uses
	if step.Uses == "command" {
		step.Name = fmt.Sprintf("%s-%d", st.Name, index+1)
	}
	if v, ok := f["name"]; ok {
		step.Name = p.str(join(field, "name"), v)
		if step.Name != "" && !namePattern.MatchString(step.Name) {
			p.fail(join(field, "name"), v, "%q must be lower-case letters, digits and dashes, such as unit-tests", step.Name)
		}
		if contains(reservedStepNames, step.Name) {
			p.fail(join(field, "name"), v, "%q is the name of the runner's own %s step: choose another", step.Name, step.Name)
		}
	}
	// The result is recorded under the step's own name when it has one, else under the name
	// the step's definition gives (image-build records build, smoke-test smoke-tests).
	step.Fact = step.Name
	if _, named := f["name"]; !named && def.Fact != "" {
		step.Fact = def.Fact
	}
	if known && def.Environment && !IsEnvironmentStage(st.Name) {
		p.fail(join(field, "uses"), f["uses"], "%s records its result against an environment, so it belongs in the staging or production stage", step.Uses)
	}
	env := IsEnvironmentStage(st.Name)
	step.With = map[string]any{}
	if v, ok := f["with"]; ok {
		step.With = p.with(join(field, "with"), v, def.Fields, env)
	}
	if hasRun {
		if _, dup := step.With["run"]; dup {
			p.fail(join(field, "run"), run, "is given twice: here and under with")
		}
		cmd := p.str(join(field, "run"), run)
		p.checkVars(join(field, "run"), run, cmd, env)
		step.With["run"] = cmd
	}
	if known {
		for _, fd := range def.Fields {
			if _, ok := step.With[fd.Name]; fd.Required && !ok {
				where := join(field, "with."+fd.Name)
				if fd.Name == "run" && step.Uses == "command" {
					where = join(field, "run")
				}
				p.fail(where, n, "is missing: %s needs it (%s)", step.Uses, fd.Doc)
			}
		}
	}
	if v, ok := f["timeout"]; ok {
		step.Timeout = p.duration(join(field, "timeout"), v)
	}
	if v, ok := f["retries"]; ok {
		step.Retries = p.int(join(field, "retries"), v, 0)
		if step.Retries > 10 {
			p.fail(join(field, "retries"), v, "%d is too many: at most 10", step.Retries)
		}
	}
	if v, ok := f["record"]; ok {
		rec := p.str(join(field, "record"), v)
		switch {
		case rec == "false" || rec == "none":
			step.Fact = ""
		case !namePattern.MatchString(rec):
			p.fail(join(field, "record"), v, "%q is not a result name: lower-case letters, digits and dashes, such as unit-tests (or false to record nothing)", rec)
		default:
			step.Fact = rec
		}
	}
	if v, ok := f["env"]; ok {
		keys, ef := p.mapping(join(field, "env"), v)
		step.Env = map[string]string{}
		for _, k := range keys {
			if !varPattern.MatchString(k) {
				p.fail(join(field, "env."+k), ef[k], "%q is not an environment variable name", k)
			}
			val := p.str(join(field, "env."+k), ef[k])
			p.checkVars(join(field, "env."+k), ef[k], val, env)
			step.Env[k] = val
		}
	}
	if v, ok := f["dir"]; ok {
		step.Dir = p.str(join(field, "dir"), v)
		p.checkVars(join(field, "dir"), v, step.Dir, env)
	}
	return step
}

// with reads a `with` section against the fields a step or a deployer declares.
func (p *parser) with(path string, n *yaml.Node, fields []Field, env bool) map[string]any {
	out := map[string]any{}
	names := make([]string, len(fields))
	for i, fd := range fields {
		names[i] = fd.Name
	}
	if len(names) == 0 {
		names = []string{} // nothing allowed
	}
	keys, f := p.mapping(path, n, names...)
	for _, k := range keys {
		var fd Field
		for _, x := range fields {
			if x.Name == k {
				fd = x
			}
		}
		field, v := join(path, k), f[k]
		switch fd.Kind {
		case String:
			s := p.str(field, v)
			p.checkVars(field, v, s, env)
			out[k] = s
		case Duration:
			if s, ok := p.scalar(field, v, "a duration"); ok && strings.Contains(s, "${") {
				p.checkVars(field, v, s, env)
				out[k] = s
			} else if d := p.duration(field, v); d > 0 {
				out[k] = d.String()
			}
		case Int:
			out[k] = strconv.Itoa(p.int(field, v, 0))
		case Number:
			out[k] = strconv.FormatFloat(p.number(field, v), 'g', -1, 64)
		case Bool:
			out[k] = strconv.FormatBool(p.bool(field, v))
		case StringList:
			list := p.strList(field, v)
			for i, s := range list {
				p.checkVars(fmt.Sprintf("%s[%d]", field, i), v, s, env)
			}
			out[k] = list
		case StringMap:
			mk, mf := p.mapping(field, v)
			m := map[string]string{}
			for _, x := range mk {
				s := p.str(join(field, x), mf[x])
				p.checkVars(join(field, x), mf[x], s, env)
				m[x] = s
			}
			out[k] = m
		}
	}
	return out
}

func hasField(fields []Field, name string) bool {
	for _, f := range fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

func (p *parser) deploy(path string, n *yaml.Node, env bool) *DeploySpec {
	d := &DeploySpec{Line: n.Line, With: map[string]any{}}
	_, f := p.mapping(path, n, "deployer", "with")
	if f == nil {
		return d
	}
	v, ok := f["deployer"]
	if !ok {
		p.fail(join(path, "deployer"), n, "is missing: one of %s", strings.Join(p.reg.Deployers(), ", "))
		return d
	}
	d.Deployer = p.str(join(path, "deployer"), v)
	def, known := p.reg.Deployer(d.Deployer)
	if !known {
		p.fail(join(path, "deployer"), v, "unknown deployer %q; the deployers are %s", d.Deployer, strings.Join(p.reg.Deployers(), ", "))
		return d
	}
	if w, ok := f["with"]; ok {
		d.With = p.with(join(path, "with"), w, def.Fields, env)
	}
	for _, fd := range def.Fields {
		if _, ok := d.With[fd.Name]; fd.Required && !ok {
			p.fail(join(path, "with."+fd.Name), n, "is missing: the %s deployer needs it (%s)", d.Deployer, fd.Doc)
		}
	}
	return d
}

func (p *parser) watch(path string, n *yaml.Node) *WatchSpec {
	w := &WatchSpec{Line: n.Line, Window: DefaultWatchWindow, Interval: DefaultWatchInterval, Max: math.NaN(), Min: math.NaN(), NoData: "inconclusive"}
	_, f := p.mapping(path, n, "prometheus", "query", "window", "interval", "max", "min", "failure-limit", "no-data", "min-samples")
	if f == nil {
		return w
	}
	for _, k := range []string{"prometheus", "query"} {
		if v, ok := f[k]; ok {
			s := p.str(join(path, k), v)
			p.checkVars(join(path, k), v, s, true)
			if k == "prometheus" {
				w.Prometheus = s
			} else {
				w.Query = s
			}
		} else {
			p.fail(join(path, k), n, "is missing")
		}
	}
	if v, ok := f["window"]; ok {
		w.Window = p.duration(join(path, "window"), v)
	}
	if v, ok := f["interval"]; ok {
		w.Interval = p.duration(join(path, "interval"), v)
	}
	if w.Interval > 0 && w.Window > 0 && w.Interval > w.Window {
		p.fail(join(path, "interval"), f["interval"], "%s is longer than the window (%s)", w.Interval, w.Window)
	}
	if v, ok := f["max"]; ok {
		w.Max = p.number(join(path, "max"), v)
	}
	if v, ok := f["min"]; ok {
		w.Min = p.number(join(path, "min"), v)
	}
	if _, hasMax := f["max"]; !hasMax {
		if _, hasMin := f["min"]; !hasMin {
			p.fail(path, n, "says neither max nor min: a watch fails when the query's value goes above max or below min")
		}
	}
	if v, ok := f["failure-limit"]; ok {
		w.FailureLimit = p.int(join(path, "failure-limit"), v, 0)
	}
	if v, ok := f["min-samples"]; ok {
		w.MinSamples = p.int(join(path, "min-samples"), v, 0)
	}
	if v, ok := f["no-data"]; ok {
		w.NoData = p.str(join(path, "no-data"), v)
		if !contains([]string{"inconclusive", "fail", "pass", "retry"}, w.NoData) {
			p.fail(join(path, "no-data"), v, "%q is not inconclusive, fail, pass or retry", w.NoData)
		}
	}
	return w
}

// checkVars checks that every ${name} in s is a variable the spec knows (upper-case names are
// left to the shell), and that ${environment} is used in an environment stage only.
func (p *parser) checkVars(field string, n *yaml.Node, s string, inEnvironment bool) {
	for _, name := range varRefs(s) {
		switch {
		case strings.HasPrefix(name, "env."):
			if !varPattern.MatchString(strings.TrimPrefix(name, "env.")) {
				p.fail(field, n, "${%s}: %q is not an environment variable name", name, strings.TrimPrefix(name, "env."))
			}
		case isShellName(name):
			// ${HOME}, ${GOFLAGS}: the shell's, not ours.
		case !p.vars[name]:
			p.fail(field, n, "${%s} is not a variable; the variables are %s", name, strings.Join(p.varNames(), ", "))
		case name == "environment" && !inEnvironment:
			p.fail(field, n, "${environment} has no value before the staging and production stages")
		}
	}
}

func (p *parser) varNames() []string {
	names := sortedKeys(p.vars)
	return append(names, "env.NAME")
}
