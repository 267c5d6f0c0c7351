package cli

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/pipelines"
	"github.com/treaty-dev/treaty/pipelines/steps"
)

type pipelineRunOptions struct {
	broker       brokerOptions
	output       outputFormat
	files        []string
	service      string
	changedSince string
	from, until  string
	commit       string
	version      string
	branch       string
	wait         bool
	waitTimeout  time.Duration
	vars         []string
}

func newPipelineRunCmd() *cobra.Command {
	o := &pipelineRunOptions{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run services' pipelines: build, test, publish, staging, production",
		Long: `Run a service's pipeline from its treaty.yaml, stage by stage, with live output per step. Before
publish, staging and production the release gates are asked; a deny (or a pending decision,
unless --wait) stops the run before anything is deployed. The run and its steps are recorded in
the broker (treaty pipeline runs, show); a run that stopped can be resumed with --from.

Without --file, the treaty.yaml in the current directory runs, or else every treaty.yaml of the
repository (--service picks one). With --changed-since, a service runs only when a file its
paths filter selects changed since that commit: a change to one service never runs another's
pipeline. Pipelines of different services run at once.

Exit status: 0 every run succeeded (or had nothing to do), 1 a run failed, was stopped by a
deny or rolled back, 3 a run stopped at a pending decision, 2 bad usage or an invalid spec.`,
		Example: `  treaty pipeline run
  treaty pipeline run --service payment-service --until staging
  treaty pipeline run --changed-since origin/main
  treaty pipeline run --file services/payment/treaty.yaml --from production --wait`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputJSON)
	f := cmd.Flags()
	f.StringArrayVarP(&o.files, "file", "f", nil, "the spec to run; repeat for several (default: ./treaty.yaml, else every treaty.yaml of the repository)")
	f.StringVar(&o.service, "service", envOr("", "TREATY_SERVICE"), "run only this service's pipeline (env TREATY_SERVICE)")
	f.StringVar(&o.changedSince, "changed-since", envOr("", "TREATY_CHANGED_SINCE"), "run only the services with changes since this commit (env TREATY_CHANGED_SINCE)")
	f.StringVar(&o.from, "from", "", "the first stage to run: resume a run that stopped")
	f.StringVar(&o.until, "until", "", "the last stage to run")
	f.StringVar(&o.commit, "commit", envOr("", "TREATY_COMMIT", "GITHUB_SHA", "CI_COMMIT_SHA"), "the commit id (default: git rev-parse HEAD; env TREATY_COMMIT, GITHUB_SHA, CI_COMMIT_SHA)")
	f.StringVar(&o.version, "version", envOr("", "TREATY_VERSION"), "the pacticipant version (default: the short commit id; env TREATY_VERSION)")
	f.StringVar(&o.branch, "branch", envOr("", "TREATY_BRANCH", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME"), "the branch (default: the checked out one)")
	f.BoolVar(&o.wait, "wait", false, "wait while a gate's decision is pending, instead of stopping")
	f.DurationVar(&o.waitTimeout, "wait-timeout", envDuration("TREATY_GATE_TIMEOUT", 30*time.Minute), "how long --wait waits (env TREATY_GATE_TIMEOUT)")
	f.StringArrayVar(&o.vars, "var", nil, "NAME=VALUE overriding a variable of the spec; repeat for several")
	return cmd
}

func (o *pipelineRunOptions) run(cmd *cobra.Command) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	vars := map[string]string{}
	for _, v := range o.vars {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return withCode(ExitUsage, fmt.Errorf("--var %q: want NAME=VALUE", v))
		}
		vars[k] = val
	}
	cwd, _ := os.Getwd()
	root, err := pipelines.RepoRoot(ctx, cwd)
	if err != nil {
		root = cwd
		if o.changedSince != "" || o.commit == "" {
			return withCode(ExitUsage, err)
		}
	}
	files, err := findSpecs(o.files, o.service, root)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	c, err := o.broker.client()
	if err != nil {
		return err
	}
	reg := steps.Registry(&steps.Deps{Client: c, BrokerURL: o.broker.baseURL, BrokerToken: o.brokerToken(), BrokerUsername: o.broker.username})
	var specs []*pipelines.Spec
	for _, f := range files {
		spec, err := pipelines.ParseFile(f, reg)
		if err != nil {
			return withCode(ExitUsage, err)
		}
		if o.service != "" && spec.Service != o.service {
			continue
		}
		specs = append(specs, spec)
	}
	if len(specs) == 0 {
		return withCode(ExitUsage, fmt.Errorf("no pipeline of service %q in %s", o.service, strings.Join(files, ", ")))
	}
	for _, s := range specs {
		if _, err := s.StagesBetween(o.from, o.until); err != nil {
			return withCode(ExitUsage, err)
		}
	}
	out := cmd.OutOrStdout()
	if o.changedSince != "" {
		changed, err := pipelines.ChangedFiles(ctx, root, o.changedSince)
		if err != nil {
			return withCode(ExitUsage, err)
		}
		var concerned []*pipelines.Spec
		for _, s := range specs {
			if files := s.Concerns(root, changed); len(files) > 0 {
				fmt.Fprintf(out, "%s: %d changed file(s) since %s, such as %s\n", s.Service, len(files), o.changedSince, files[0])
				concerned = append(concerned, s)
			} else {
				fmt.Fprintf(out, "%s: nothing changed under its paths since %s; not run\n", s.Service, o.changedSince)
			}
		}
		specs = concerned
	}
	commit := o.commit
	if commit == "" && len(specs) > 0 {
		if commit, err = pipelines.Commit(ctx, root); err != nil {
			return withCode(ExitUsage, err)
		}
	}
	branch := o.branch
	if branch == "" {
		branch = pipelines.Branch(ctx, root)
	}
	runner := &pipelines.Runner{Registry: reg, Broker: steps.Broker{Client: c}, Watcher: steps.Watcher{}, Out: out,
		GateWait: o.wait, GateTimeout: o.waitTimeout}
	runs := make([]pipelines.Run, len(specs))
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	for i, s := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runs[i], errs[i] = runner.Run(ctx, s, pipelines.RunOptions{Commit: commit, Version: o.version, Branch: branch,
				From: o.from, Until: o.until, Root: root, BrokerURL: o.broker.baseURL, Vars: vars})
		}()
	}
	wg.Wait()
	if o.output.value == outputJSON {
		if err := printJSON(out, runs); err != nil {
			return err
		}
	} else if len(specs) > 1 {
		fmt.Fprintln(out)
		tw := newTable(out)
		for i, r := range runs {
			fmt.Fprintf(tw, "%s\t%s\trun %d\t%s\t%s\n", specs[i].Service, r.Version, r.ID, r.Status, firstLineOf(errs[i]))
		}
		_ = tw.Flush()
	}
	return runsExit(runs, errs)
}

func (o *pipelineRunOptions) brokerToken() string {
	_, _, token := o.broker.credentials()
	return token
}

func firstLineOf(err error) string {
	if err == nil {
		return ""
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// runsExit is the exit status of several runs: the worst of them.
func runsExit(runs []pipelines.Run, errs []error) error {
	code := ExitOK
	var failed []string
	for i, err := range errs {
		if err == nil {
			continue
		}
		c := ExitNo
		var stop *pipelines.StopError
		var spec *pipelines.SpecErrors
		switch {
		case errors.As(err, &stop) && stop.Verdict == "pending":
			c = ExitPending
		case errors.As(err, &spec), runs[i].ID == 0:
			c = ExitUsage
		}
		if c == ExitUsage || (c == ExitNo && code != ExitUsage) || (c == ExitPending && code == ExitOK) {
			code = c
		}
		name := runs[i].Service
		if name == "" {
			name = "a pipeline"
		}
		failed = append(failed, fmt.Sprintf("%s: %v", name, err))
	}
	if code == ExitOK {
		return nil
	}
	if len(failed) == 1 {
		return withCode(code, errors.New(failed[0]))
	}
	return withCode(code, fmt.Errorf("%d runs did not succeed:\n  %s", len(failed), strings.Join(failed, "\n  ")))
}

// specRel is a spec's path relative to the repository's root, as CI jobs name it.
func specRel(root, file string) string {
	abs, err := filepath.Abs(file)
	if err != nil {
		return file
	}
	if rel, err := filepath.Rel(root, abs); err == nil {
		return filepath.ToSlash(rel)
	}
	return file
}
