// Package export writes a service's pipeline as the workflow of another CI engine: GitHub
// Actions, GitLab CI or Tekton. Each stage becomes a job that calls `treaty pipeline run`
// for that stage alone, so the engine schedules the jobs while Treaty still runs the steps,
// asks the gates, deploys and records; the spec's path filters become the engine's
// triggers, the environment stages its environments, and one deploy at a time per
// environment its concurrency control.
package export

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/treaty-dev/treaty/pipelines"
)

// Formats are the engines Export writes for.
var Formats = []string{"github-actions", "gitlab-ci", "tekton"}

// Options say where the spec is and how a job gets treaty.
type Options struct {
	// SpecPath is the spec's path relative to the repository's root, as jobs name it.
	SpecPath string
	// Root is the repository's root, for the default path filter.
	Root string
	// Install is the shell command that installs treaty in a job.
	Install string
	// Image is the container image of GitLab and Tekton jobs.
	Image string
	// Branch is the branch whose pushes run the pipeline.
	Branch string
}

// DefaultInstall installs treaty with the Go toolchain.
const DefaultInstall = "go install github.com/treaty-dev/treaty/cmd/treaty@latest"

func (o *Options) defaults() {
	if o.Install == "" {
		o.Install = DefaultInstall
	}
	if o.Image == "" {
		o.Image = "golang:1.26"
	}
	if o.Branch == "" {
		o.Branch = "main"
	}
	o.SpecPath = filepath.ToSlash(o.SpecPath)
}

// Export writes the spec's pipeline for the engine named by format.
func Export(format string, spec *pipelines.Spec, o Options) ([]byte, error) {
	o.defaults()
	switch format {
	case "github-actions":
		return githubActions(spec, o)
	case "gitlab-ci":
		return gitlabCI(spec, o)
	case "tekton":
		return tekton(spec, o)
	}
	return nil, fmt.Errorf("--to %q: export to %s", format, strings.Join(Formats, ", "))
}

// runCommand is the treaty command that runs one stage.
func runCommand(o Options, stage, commit, branch string) string {
	return fmt.Sprintf("treaty pipeline run --file %s --from %s --until %s --commit %s --branch %s", o.SpecPath, stage, stage, commit, branch)
}

// node builds YAML in the order given: pairs of key and value, where a value is a string, a
// []string, a []any of values, a *yaml.Node, or a nested node.
func mapping(pairs ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(pairs); i += 2 {
		n.Content = append(n.Content, scalar(pairs[i].(string)), value(pairs[i+1]))
	}
	return n
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

func value(v any) *yaml.Node {
	switch t := v.(type) {
	case *yaml.Node:
		return t
	case string:
		n := scalar(t)
		if strings.Contains(t, "\n") {
			n.Style = yaml.LiteralStyle
		}
		return n
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(t)}
	case []string:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, s := range t {
			n.Content = append(n.Content, value(s))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, x := range t {
			n.Content = append(n.Content, value(x))
		}
		return n
	}
	panic(fmt.Sprintf("export: no YAML for %T", v))
}

func render(header string, doc *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(header)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func header(spec *pipelines.Spec, o Options, engine string) string {
	return fmt.Sprintf("# %s's pipeline for %s, written by `treaty pipeline export` from %s.\n"+
		"# Each job runs one stage with treaty, which runs its steps, asks the release gates before\n"+
		"# publish, staging and production, deploys, and records everything in the broker.\n", spec.Service, engine, o.SpecPath)
}

// triggerPaths are the spec's path filter as include globs and "!" excludes.
func triggerPaths(spec *pipelines.Spec, o Options) []string {
	f := spec.Filter(o.Root)
	out := append([]string{}, f.Include...)
	for _, e := range f.Exclude {
		out = append(out, "!"+e)
	}
	return out
}

func githubActions(spec *pipelines.Spec, o Options) ([]byte, error) {
	jobs := &yaml.Node{Kind: yaml.MappingNode}
	var prev string
	for _, st := range spec.Stages {
		steps := []any{
			mapping("uses", "actions/checkout@v4", "with", mapping("fetch-depth", "0")),
			mapping("uses", "actions/setup-go@v5", "with", mapping("go-version-file", "go.mod")),
			mapping("name", "Install treaty", "run", o.Install),
		}
		if prev != "" {
			steps = append(steps, mapping("name", "Take what "+prev+" left", "uses", "actions/download-artifact@v4",
				"with", mapping("name", artifactName(spec, prev), "path", ".treaty")))
		}
		steps = append(steps, mapping("name", "treaty pipeline run ("+st.Name+")",
			"run", runCommand(o, st.Name, `"$COMMIT"`, `"$BRANCH"`),
			"env", mapping("COMMIT", "${{ github.sha }}", "BRANCH", "${{ github.ref_name }}")))
		steps = append(steps, mapping("name", "Keep what later stages need", "if", "always()", "uses", "actions/upload-artifact@v4",
			"with", mapping("name", artifactName(spec, st.Name), "path", ".treaty", "if-no-files-found", "ignore", "include-hidden-files", true)))
		job := mapping("name", spec.Service+": "+st.Name, "runs-on", "ubuntu-latest")
		if prev != "" {
			job.Content = append(job.Content, scalar("needs"), value(prev))
		}
		if pipelines.IsEnvironmentStage(st.Name) {
			job.Content = append(job.Content, scalar("environment"), value(st.Environment),
				scalar("concurrency"), mapping("group", spec.Service+"-"+st.Environment, "cancel-in-progress", false))
		}
		job.Content = append(job.Content, scalar("steps"), value(steps))
		jobs.Content = append(jobs.Content, scalar(st.Name), job)
		prev = st.Name
	}
	on := mapping("push", mapping("branches", []string{o.Branch}, "paths", triggerPaths(spec, o)), "workflow_dispatch", mapping())
	doc := mapping(
		"name", spec.Service+" pipeline",
		"on", on,
		"permissions", mapping("contents", "read"),
		"env", mapping(
			"PACT_BROKER_BASE_URL", "${{ vars.PACT_BROKER_BASE_URL }}",
			"PACT_BROKER_TOKEN", "${{ secrets.PACT_BROKER_TOKEN }}"),
		"jobs", jobs,
	)
	return render(header(spec, o, "GitHub Actions"), doc)
}

func artifactName(spec *pipelines.Spec, stage string) string {
	return "treaty-" + spec.Service + "-" + stage
}

func gitlabCI(spec *pipelines.Spec, o Options) ([]byte, error) {
	var stages []string
	for _, st := range spec.Stages {
		stages = append(stages, st.Name)
	}
	doc := mapping(
		"stages", stages,
		"variables", mapping("GIT_DEPTH", "0"),
	)
	base := "." + spec.Service
	doc.Content = append(doc.Content, scalar(base), mapping(
		"image", o.Image,
		"before_script", []string{o.Install, `export PATH="$PATH:$(go env GOPATH)/bin"`},
		"artifacts", mapping("paths", []string{".treaty/"}, "expire_in", "1 week", "when", "always"),
		"rules", []any{mapping("if", "$CI_COMMIT_BRANCH == \""+o.Branch+"\"", "changes", mapping("paths", spec.Filter(o.Root).Include))},
	))
	var prev string
	for _, st := range spec.Stages {
		job := mapping("extends", base, "stage", st.Name,
			"script", []string{runCommand(o, st.Name, `"$CI_COMMIT_SHA"`, `"$CI_COMMIT_REF_NAME"`)})
		if prev != "" {
			job.Content = append(job.Content, scalar("needs"), value([]string{spec.Service + ":" + prev}))
		}
		if pipelines.IsEnvironmentStage(st.Name) {
			job.Content = append(job.Content, scalar("environment"), mapping("name", st.Environment),
				scalar("resource_group"), value(spec.Service+"-"+st.Environment))
		}
		doc.Content = append(doc.Content, scalar(spec.Service+":"+st.Name), job)
		prev = st.Name
	}
	h := header(spec, o, "GitLab CI")
	if len(spec.Paths.Exclude) > 0 {
		h += "# GitLab's rules:changes has no excludes; treaty run with --changed-since applies them: " + strings.Join(sortedCopy(spec.Paths.Exclude), ", ") + "\n"
	}
	return render(h, doc)
}

func sortedCopy(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

func tekton(spec *pipelines.Spec, o Options) ([]byte, error) {
	var tasks []any
	var prev string
	for _, st := range spec.Stages {
		script := "#!/bin/sh\nset -eu\n" + o.Install + "\nexport PATH=\"$PATH:$(go env GOPATH)/bin\"\n" +
			runCommand(o, st.Name, `"$(params.commit)"`, `"$(params.branch)"`) + "\n"
		step := mapping("name", "treaty", "image", o.Image, "workingDir", "$(workspaces.source.path)",
			"env", []any{
				mapping("name", "PACT_BROKER_BASE_URL", "valueFrom", mapping("secretKeyRef", mapping("name", "treaty-broker", "key", "url"))),
				mapping("name", "PACT_BROKER_TOKEN", "valueFrom", mapping("secretKeyRef", mapping("name", "treaty-broker", "key", "token"))),
			},
			"script", script)
		task := mapping("name", st.Name,
			"params", []any{mapping("name", "commit", "value", "$(params.commit)"), mapping("name", "branch", "value", "$(params.branch)")},
			"workspaces", []any{mapping("name", "source", "workspace", "source")},
			"taskSpec", mapping(
				"params", []any{mapping("name", "commit", "type", "string"), mapping("name", "branch", "type", "string")},
				"workspaces", []any{mapping("name", "source")},
				"steps", []any{step}))
		if prev != "" {
			task.Content = append(task.Content, scalar("runAfter"), value([]string{prev}))
		}
		tasks = append(tasks, task)
		prev = st.Name
	}
	doc := mapping(
		"apiVersion", "tekton.dev/v1",
		"kind", "Pipeline",
		"metadata", mapping("name", spec.Service+"-pipeline", "labels", mapping("app.kubernetes.io/name", spec.Service, "app.kubernetes.io/managed-by", "treaty")),
		"spec", mapping(
			"params", []any{
				mapping("name", "commit", "type", "string", "description", "the commit to build"),
				mapping("name", "branch", "type", "string", "default", o.Branch),
			},
			"workspaces", []any{mapping("name", "source", "description", "the repository, checked out at the commit")},
			"tasks", tasks,
		),
	)
	return render(header(spec, o, "Tekton"), doc)
}
