package pipelines

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/treaty-dev/treaty/gates"
	"github.com/treaty-dev/treaty/pipelines/deploy"
)

// Kind is the type of a `with` field, which the spec's validation checks before anything runs.
type Kind string

// Field kinds.
const (
	String     Kind = "string"
	Duration   Kind = "duration"
	Int        Kind = "int"
	Number     Kind = "number"
	Bool       Kind = "bool"
	StringList Kind = "list of strings"
	StringMap  Kind = "mapping of strings"
)

// Field is one `with` field a step or a deployer takes.
type Field struct {
	Name     string
	Kind     Kind
	Required bool
	Doc      string
}

// Definition is a named step of the registry: the fields it takes and what it does.
type Definition struct {
	Name    string
	Summary string
	Fields  []Field
	// Fact is the name of the result the step records against the candidate when the spec
	// names none ("" means the step's own name).
	Fact string
	// Environment steps run in the staging and production stages only, and record their
	// results against that environment (smoke-test, e2e-test).
	Environment bool
	Run         func(ctx context.Context, sc *StepContext) (Result, error)
}

// DeployerDefinition is a named deployer: the fields its `with` takes and how to build one.
type DeployerDefinition struct {
	Name    string
	Summary string
	Fields  []Field
	New     func(cfg DeployConfig) (deploy.Deployer, error)
}

// DeployConfig is a stage's deploy section with its variables expanded.
type DeployConfig struct {
	Deployer    string
	Service     string
	Environment string
	// Dir is the service's directory, for relative paths in With.
	Dir  string
	With map[string]any
}

// StepContext is what a running step knows: where it runs, its configuration with the
// variables expanded, and where to write its output.
type StepContext struct {
	Spec  *Spec
	Stage *Stage
	Step  *StepSpec
	// With is the step's configuration, its strings expanded.
	With map[string]any
	// Vars expands ${…} in strings the step builds itself; Env is the environment of the
	// commands it runs (the process's, the spec's variables as TREATY_*, and the step's env).
	Vars Vars
	Env  []string
	// Dir is the directory commands run in.
	Dir string
	// Out receives the step's live output, each line prefixed with the step's name.
	Out io.Writer
	// Candidate names the build: the service (pacticipant), the version and the branch.
	Service, Version, Commit, Branch string
	// Environment is the stage's environment ("" before staging).
	Environment string
	// Author is who or what runs the pipeline.
	Author string
}

// Str is a string field of With ("" when unset).
func (sc *StepContext) Str(name string) string {
	s, _ := sc.With[name].(string)
	return s
}

// List is a list-of-strings field of With.
func (sc *StepContext) List(name string) []string {
	switch v := sc.With[name].(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			out = append(out, fmt.Sprint(x))
		}
		return out
	case string:
		return []string{v}
	}
	return nil
}

// Map is a mapping-of-strings field of With.
func (sc *StepContext) Map(name string) map[string]string {
	out := map[string]string{}
	switch v := sc.With[name].(type) {
	case map[string]string:
		return v
	case map[string]any:
		for k, x := range v {
			out[k] = fmt.Sprint(x)
		}
	}
	return out
}

// Result is what a step found. A step that fails returns an error too; the result then
// carries what it knows (counts, output) for the record.
type Result struct {
	// Message sums up the outcome in a line.
	Message string
	// Counts are a scan's findings by severity.
	Counts *gates.SeverityCounts
	// Details is a scanner's report, sent to the broker, which reads the counts from it.
	Details string
	// Outputs are values later steps may use as variables, such as image_ref and digest.
	Outputs map[string]string
	// URL points at the details (a report, a build page).
	URL string
	// NoFact asks the runner not to record a result (the step recorded its own).
	NoFact bool
}

// Registry holds the named steps and deployers a spec may use.
type Registry struct {
	mu        sync.RWMutex
	steps     map[string]Definition
	deployers map[string]DeployerDefinition
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{steps: map[string]Definition{}, deployers: map[string]DeployerDefinition{}}
}

// Register adds a step; a name registered twice is a programming error.
func (r *Registry) Register(d Definition) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.steps[d.Name]; dup {
		panic("pipelines: step registered twice: " + d.Name)
	}
	if !namePattern.MatchString(d.Name) {
		panic("pipelines: bad step name: " + d.Name)
	}
	r.steps[d.Name] = d
}

// RegisterDeployer adds a deployer.
func (r *Registry) RegisterDeployer(d DeployerDefinition) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.deployers[d.Name]; dup {
		panic("pipelines: deployer registered twice: " + d.Name)
	}
	r.deployers[d.Name] = d
}

// ReplaceDeployer adds or replaces a deployer, for tests and embedders that bring their own.
func (r *Registry) ReplaceDeployer(d DeployerDefinition) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deployers[d.Name] = d
}

// Step is the step registered under name.
func (r *Registry) Step(name string) (Definition, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.steps[name]
	return d, ok
}

// Deployer is the deployer registered under name.
func (r *Registry) Deployer(name string) (DeployerDefinition, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.deployers[name]
	return d, ok
}

// Steps lists the registered steps' names, sorted.
func (r *Registry) Steps() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return sortedKeys(r.steps)
}

// Deployers lists the registered deployers' names, sorted.
func (r *Registry) Deployers() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return sortedKeys(r.deployers)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
