package pipelines

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/gates"
	"github.com/treaty-dev/treaty/pipelines/deploy"
)

// Broker is what the runner tells the broker and asks its release gates: the runs and their
// steps, the candidate and its facts, gate decisions, the deployment ledger, rejections, and
// the deploy locks. pipelines/steps implements it with the broker's client.
type Broker interface {
	Store
	// EnsureCandidate makes the pacticipant and its version (on the branch) known, so facts
	// can be recorded against it.
	EnsureCandidate(ctx context.Context, service, version, branch string) error
	Candidate(ctx context.Context, service, version string) (gates.Candidate, error)
	RecordResult(ctx context.Context, service, version string, f FactRequest) error
	CheckGate(ctx context.Context, req gates.CheckRequest) (gates.Entry, error)
	RecordDeployment(ctx context.Context, service, version, environment string) error
	// RecordUndeployment records that nothing of the service runs in the environment any
	// more; nothing recorded there is no error.
	RecordUndeployment(ctx context.Context, service, environment string) error
	Reject(ctx context.Context, service, version, environment, by, comment string) error
}

// FactRequest is a step's result, recorded against the candidate.
type FactRequest struct {
	Name        string
	Status      gates.Status
	Environment string
	URL         string
	RecordedBy  string
	// Details is a scanner's report, from which the broker reads the counts; Counts are
	// given when there is no report.
	Details string
	Counts  *gates.SeverityCounts
}

// Watcher watches a deployment's health after it lands (pipelines/monitor, through
// pipelines/steps).
type Watcher interface {
	Watch(ctx context.Context, req WatchRequest) (WatchResult, error)
}

// WatchRequest is one watch: the spec's, with its variables expanded.
type WatchRequest struct {
	Service, Environment, Version string
	Spec                          WatchSpec
	Out                           io.Writer
}

// Watch verdicts.
const (
	WatchPassed       = "passed"
	WatchFailed       = "failed"
	WatchInconclusive = "inconclusive"
)

// WatchResult is a watch's verdict and why.
type WatchResult struct {
	Verdict string
	Reason  string
}

// Runner runs pipelines. One runner may run several services' pipelines at once.
type Runner struct {
	Registry *Registry
	Broker   Broker
	Watcher  Watcher
	// Out receives the live progress of every step; lines of concurrent runs never mix.
	Out io.Writer
	// Author is who the runner acts as in the broker (default treaty-pipeline).
	Author string
	// Gates: with GateWait a pending decision is asked again every GateInterval (or at its
	// next check) until GateTimeout.
	GateWait     bool
	GateTimeout  time.Duration
	GateInterval time.Duration
	// LockTTL is the deploy lock's lease, renewed while held; LockWait how long to wait for
	// another run of the same service to finish deploying.
	LockTTL  time.Duration
	LockWait time.Duration
	// HealthTimeout bounds the wait for a deployment to become healthy (default 5m).
	HealthTimeout time.Duration
	// HTTP notifications' client timeout and the clock, for tests.
	NotifyTimeout time.Duration
	Now           func() time.Time

	outMu sync.Mutex
}

// RunOptions say what to run: which commit, which stages.
type RunOptions struct {
	Commit string
	// Version is the pacticipant version (default: the short commit).
	Version string
	Branch  string
	// From and Until bound the stages run (default: all of them).
	From, Until string
	// Root is the repository's root (default: the spec's directory).
	Root      string
	BrokerURL string
	// Vars override the spec's variables.
	Vars map[string]string
}

// The author recorded for what the runner does.
const DefaultAuthor = "treaty-pipeline"

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func (r *Runner) author() string {
	if r.Author != "" {
		return r.Author
	}
	return DefaultAuthor
}

// execution is one run in progress.
type execution struct {
	r        *Runner
	spec     *Spec
	opts     RunOptions
	run      Run
	vars     Vars
	out      io.Writer // the run's own lines, prefixed with the service
	decision map[string]gates.Entry
	// rolledBack is set once an environment was rolled back.
	rolledBack bool
}

// StagesBetween lists the spec's stages from from to until (either may be ""), checking the
// names.
func (s *Spec) StagesBetween(from, until string) ([]*Stage, error) {
	lo, hi := 0, len(StageNames)-1
	if from != "" {
		if lo = StageIndex(from); lo < 0 {
			return nil, fmt.Errorf("--from %q is not a stage; the stages are %s", from, strings.Join(StageNames, ", "))
		}
	}
	if until != "" {
		if hi = StageIndex(until); hi < 0 {
			return nil, fmt.Errorf("--until %q is not a stage; the stages are %s", until, strings.Join(StageNames, ", "))
		}
	}
	if lo > hi {
		return nil, fmt.Errorf("--from %s comes after --until %s", from, until)
	}
	var out []*Stage
	for _, st := range s.Stages {
		if i := StageIndex(st.Name); i >= lo && i <= hi {
			out = append(out, st)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no stage between %s and %s", s.File, StageNames[lo], StageNames[hi])
	}
	return out, nil
}

// Run runs the spec's stages for one commit and returns the run as recorded. The error is
// nil only when every stage succeeded; a run that a gate stopped returns a *StopError.
func (r *Runner) Run(ctx context.Context, spec *Spec, opts RunOptions) (Run, error) {
	stages, err := spec.StagesBetween(opts.From, opts.Until)
	if err != nil {
		return Run{}, err
	}
	if opts.Commit == "" {
		return Run{}, errors.New("no commit id: give --commit, or run in a git work tree")
	}
	short := opts.Commit
	if len(short) > 7 {
		short = short[:7]
	}
	if opts.Version == "" {
		opts.Version = short
	}
	if opts.Root == "" {
		opts.Root = spec.Dir
	}
	x := &execution{r: r, spec: spec, opts: opts, decision: map[string]gates.Entry{}}
	x.out = &prefixWriter{mu: &r.outMu, w: r.output(), prefix: spec.Service + " | "}
	x.vars = Vars{
		"service": spec.Service, "commit": opts.Commit, "short_commit": short, "version": opts.Version,
		"branch": opts.Branch, "dir": spec.Dir, "root": opts.Root, "broker": opts.BrokerURL, "tag": opts.Version,
	}
	for _, v := range spec.Variables {
		val := v.Value
		if o, ok := opts.Vars[v.Name]; ok {
			val = o
		}
		e, err := x.vars.Expand(val)
		if err != nil {
			return Run{}, fmt.Errorf("variable %s: %w", v.Name, err)
		}
		x.vars[v.Name] = e
	}

	x.run = Run{Service: spec.Service, Version: opts.Version, Commit: opts.Commit, Branch: opts.Branch,
		From: stages[0].Name, Until: stages[len(stages)-1].Name, Status: Running, Author: r.author(), StartedAt: r.now()}
	if x.run, err = r.Broker.CreateRun(ctx, x.run); err != nil {
		return Run{}, fmt.Errorf("record the run in the broker: %w", err)
	}
	x.vars["run"] = strconv.FormatInt(x.run.ID, 10)
	fmt.Fprintf(x.out, "run %d: %s %s (commit %s), stages %s to %s\n", x.run.ID, spec.Service, opts.Version, short, x.run.From, x.run.Until)

	err = x.stages(ctx, stages)
	return x.finish(ctx, err)
}

func (r *Runner) output() io.Writer {
	if r.Out == nil {
		return io.Discard
	}
	return r.Out
}

func (x *execution) stages(ctx context.Context, stages []*Stage) error {
	if err := x.r.Broker.EnsureCandidate(ctx, x.spec.Service, x.opts.Version, x.opts.Branch); err != nil {
		return fmt.Errorf("make %s %s known to the broker: %w", x.spec.Service, x.opts.Version, err)
	}
	for _, st := range stages {
		if err := ctx.Err(); err != nil {
			return err
		}
		x.run.Stage = st.Name
		if _, err := x.r.Broker.UpdateRun(ctx, x.run); err != nil {
			return fmt.Errorf("record the run: %w", err)
		}
		fmt.Fprintf(x.out, "stage %s\n", st.Name)
		if st.Name != StageBuild && st.Name != StageTest {
			if err := x.gate(ctx, st); err != nil {
				return err
			}
		}
		var err error
		if IsEnvironmentStage(st.Name) {
			err = x.deployStage(ctx, st)
		} else {
			err = x.steps(ctx, st, st.Steps)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// finish records the run's outcome and tells whoever listens when it did not succeed.
func (x *execution) finish(ctx context.Context, err error) (Run, error) {
	var stop *StopError
	switch {
	case err == nil:
		x.run.Status = Succeeded
	case x.rolledBack:
		x.run.Status = RolledBack
	case errors.As(err, &stop):
		x.run.Status = Stopped
	case errors.Is(err, context.Canceled):
		x.run.Status = Canceled
	default:
		x.run.Status = Failed
	}
	if err != nil {
		x.run.Message = truncate(err.Error(), MaxMessage)
	}
	end := x.r.now()
	x.run.FinishedAt = &end
	x.run.DurationMillis = end.Sub(x.run.StartedAt).Milliseconds()
	// The outcome is recorded even when the run's own context was canceled.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if updated, uerr := x.r.Broker.UpdateRun(rctx, x.run); uerr != nil {
		fmt.Fprintf(x.out, "could not record the run's outcome: %v\n", uerr)
	} else {
		steps := x.run.Steps
		x.run = updated
		if len(x.run.Steps) == 0 {
			x.run.Steps = steps
		}
	}
	fmt.Fprintf(x.out, "run %d %s after %s", x.run.ID, x.run.Status, time.Duration(x.run.DurationMillis)*time.Millisecond)
	if err != nil {
		fmt.Fprintf(x.out, ": %v", err)
	}
	fmt.Fprintln(x.out)
	if x.run.Status == Stopped || x.run.Status == Failed || x.run.Status == RolledBack {
		x.notify(rctx)
	}
	return x.run, err
}

// gate asks the gate engine whether the candidate may go into the stage.
func (x *execution) gate(ctx context.Context, st *Stage) error {
	req := gates.CheckRequest{Pacticipant: x.spec.Service, Version: x.opts.Version, Source: "pipeline"}
	if st.Name == StagePublish {
		req.Transition = gates.Publish
	} else {
		req.Environment = st.Environment
	}
	rec := StepRun{Stage: st.Name, Name: "gate", Uses: "gate-check", Environment: req.Environment, Status: Running, StartedAt: x.r.now()}
	x.record(ctx, &rec)
	var deadline time.Time
	if x.r.GateWait {
		deadline = time.Now().Add(orDefault(x.r.GateTimeout, 30*time.Minute))
	}
	for {
		entry, err := x.r.Broker.CheckGate(ctx, req)
		if err != nil {
			err = fmt.Errorf("ask the gate before %s: %w", st.Name, err)
			x.endStep(ctx, &rec, Failed, err.Error(), "", 1)
			return err
		}
		d := entry.Decision
		fmt.Fprintf(x.out, "[%s/gate] %s (decision %d): %s\n", st.Name, d.Result, entry.ID, d.Reason)
		for _, g := range d.Gates {
			if g.Result != gates.Allow {
				fmt.Fprintf(x.out, "[%s/gate]   %s %s: %s\n", st.Name, g.Result, g.Name, g.Reason)
			}
		}
		switch {
		case d.Result == gates.Allow:
			x.decision[st.Name] = entry
			x.endStep(ctx, &rec, Succeeded, fmt.Sprintf("allow (decision %d): %s", entry.ID, d.Reason), "", 1)
			return nil
		case d.Result == gates.Pending && x.r.GateWait && time.Now().Before(deadline):
			pause := orDefault(x.r.GateInterval, 10*time.Second)
			if d.NextCheck != nil {
				if until := time.Until(*d.NextCheck); until > 0 && until < pause {
					pause = until
				}
			}
			pause = max(min(pause, time.Until(deadline)), 10*time.Millisecond)
			fmt.Fprintf(x.out, "[%s/gate] waiting %s for the decision to change\n", st.Name, pause.Round(time.Millisecond))
			select {
			case <-ctx.Done():
				x.endStep(ctx, &rec, Canceled, "canceled while waiting for the gate", "", 1)
				return ctx.Err()
			case <-time.After(pause):
			}
			continue
		}
		stop := &StopError{Stage: st.Name, Verdict: string(d.Result), Decision: entry.ID, Reason: d.Reason}
		x.endStep(ctx, &rec, Stopped, stop.Error(), "", 1)
		return stop
	}
}

// steps runs a list of steps in order, stopping at the first that fails.
func (x *execution) steps(ctx context.Context, st *Stage, steps []*StepSpec) error {
	for _, step := range steps {
		if err := x.step(ctx, st, step); err != nil {
			return err
		}
	}
	return nil
}

// step runs one step with its timeout and retries, then records its result as a fact.
func (x *execution) step(ctx context.Context, st *Stage, step *StepSpec) error {
	def, ok := x.r.Registry.Step(step.Uses)
	if !ok {
		return fmt.Errorf("%s: unknown step %q", step.Field, step.Uses)
	}
	label := st.Name + "/" + step.Name
	tail := &tailBuffer{max: MaxLogTail}
	out := &prefixWriter{mu: &x.r.outMu, w: x.r.output(), prefix: x.spec.Service + " | [" + label + "] ", tee: tail}
	defer out.Flush()
	rec := StepRun{Stage: st.Name, Name: step.Name, Uses: step.Uses, Environment: st.Environment, Status: Running, StartedAt: x.r.now()}
	if !IsEnvironmentStage(st.Name) {
		rec.Environment = ""
	}
	x.record(ctx, &rec)

	vars := x.vars.Clone()
	vars["stage"] = st.Name
	if IsEnvironmentStage(st.Name) {
		vars["environment"] = st.Environment
	}
	with, err := vars.ExpandAll(step.With)
	if err == nil {
		err = x.expandStep(vars, step)
	}
	sc := &StepContext{Spec: x.spec, Stage: st, Step: step, With: with, Vars: vars, Out: out,
		Service: x.spec.Service, Version: x.opts.Version, Commit: x.opts.Commit, Branch: x.opts.Branch,
		Environment: rec.Environment, Author: x.r.author()}
	if err == nil {
		sc.Dir, sc.Env, err = x.stepEnv(vars, step)
	}
	if err != nil {
		err = Permanent(fmt.Errorf("%s: %w", step.Field, err))
	}
	var res Result
	attempts := 0
	for err == nil || (!IsPermanent(err) && attempts <= step.Retries && ctx.Err() == nil) {
		if attempts > 0 {
			delay := retryDelay(attempts)
			fmt.Fprintf(out, "attempt %d of %d failed: %v; trying again in %s\n", attempts, step.Retries+1, err, delay)
			select {
			case <-ctx.Done():
			case <-time.After(delay):
			}
			if ctx.Err() != nil {
				break
			}
		}
		attempts++
		res, err = x.attempt(ctx, def, sc, step.Timeout)
		if err == nil {
			break
		}
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	out.Flush()

	status, factStatus := Succeeded, gates.Passed
	msg := res.Message
	if err != nil {
		status, factStatus = Failed, gates.Failed
		if errors.Is(err, context.Canceled) {
			status = Canceled
		}
		msg = err.Error()
		fmt.Fprintf(out, "failed: %v\n", err)
	} else {
		if msg == "" {
			msg = "ok"
		}
		fmt.Fprintf(out, "%s (%s)\n", msg, x.r.now().Sub(rec.StartedAt).Round(time.Millisecond))
	}
	out.Flush()
	for k, v := range res.Outputs {
		x.vars[k] = v
	}
	if step.Fact != "" && !res.NoFact && status != Canceled {
		f := FactRequest{Name: step.Fact, Status: factStatus, Environment: rec.Environment, URL: res.URL,
			RecordedBy: x.r.author(), Details: res.Details, Counts: res.Counts}
		if f.Details != "" {
			f.Counts = nil
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		ferr := x.r.Broker.RecordResult(rctx, x.spec.Service, x.opts.Version, f)
		cancel()
		if ferr != nil {
			ferr = fmt.Errorf("record %s %s: %w", step.Fact, factStatus, ferr)
			if err == nil {
				err, status, msg = ferr, Failed, ferr.Error()
			} else {
				msg += "; " + ferr.Error()
			}
		}
	}
	x.endStep(ctx, &rec, status, msg, tail.String(), attempts)
	if err != nil {
		return fmt.Errorf("step %s: %w", label, err)
	}
	return nil
}

// attempt runs a step once under its timeout. A step that outlives its timeout is reported as
// such, whatever error its canceled work returned.
func (x *execution) attempt(ctx context.Context, def Definition, sc *StepContext, timeout time.Duration) (res Result, err error) {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = Permanentf("the step panicked: %v", p)
		}
	}()
	res, err = def.Run(actx, sc)
	if errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		return res, fmt.Errorf("timed out after %s", timeout)
	}
	return res, err
}

func retryDelay(attempt int) time.Duration {
	d := time.Duration(attempt) * time.Second
	return min(d, 10*time.Second)
}

// expandStep expands the step's env and dir in place on copies the attempt uses.
func (x *execution) expandStep(vars Vars, step *StepSpec) error {
	for k, v := range step.Env {
		if _, err := vars.Expand(v); err != nil {
			return fmt.Errorf("env.%s: %w", k, err)
		}
	}
	if _, err := vars.Expand(step.Dir); err != nil {
		return fmt.Errorf("dir: %w", err)
	}
	return nil
}

// stepEnv is the directory and environment of the commands a step runs.
func (x *execution) stepEnv(vars Vars, step *StepSpec) (string, []string, error) {
	dir := x.spec.Dir
	if step.Dir != "" {
		d, err := vars.Expand(step.Dir)
		if err != nil {
			return "", nil, err
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(x.spec.Dir, d)
		}
		dir = d
	}
	env := append(os.Environ(), vars.Environ()...)
	for k, v := range step.Env {
		e, err := vars.Expand(v)
		if err != nil {
			return "", nil, err
		}
		env = append(env, k+"="+e)
	}
	return dir, env, nil
}

// record writes a step's record to the broker; a failure to do so is reported, not fatal:
// the facts, not the run's log, are what gates read.
func (x *execution) record(ctx context.Context, rec *StepRun) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	saved, err := x.r.Broker.RecordStep(rctx, x.run.ID, *rec)
	if err != nil {
		fmt.Fprintf(x.out, "could not record step %s/%s: %v\n", rec.Stage, rec.Name, err)
		return
	}
	rec.ID = saved.ID
}

func (x *execution) endStep(ctx context.Context, rec *StepRun, status Status, msg, tail string, attempts int) {
	end := x.r.now()
	rec.Status, rec.Message, rec.LogTail, rec.Attempts = status, truncate(msg, MaxMessage), tail, attempts
	rec.FinishedAt = &end
	rec.DurationMillis = end.Sub(rec.StartedAt).Milliseconds()
	x.record(ctx, rec)
	x.run.Steps = append(x.run.Steps, *rec)
}

// deployStage deploys the candidate to the stage's environment, runs the stage's steps
// against it, watches it, and rolls it back when any of that fails and the stage says so.
func (x *execution) deployStage(ctx context.Context, st *Stage) error {
	env := st.Environment
	spec := st.Deploy
	if spec == nil {
		spec = x.spec.Deploy
	}
	vars := x.vars.Clone()
	vars["stage"], vars["environment"] = st.Name, env
	rec := StepRun{Stage: st.Name, Name: "deploy", Uses: "deploy:" + spec.Deployer, Environment: env, Status: Running, StartedAt: x.r.now()}
	x.record(ctx, &rec)
	fail := func(err error) error {
		x.endStep(ctx, &rec, Failed, err.Error(), "", 1)
		fmt.Fprintf(x.out, "[%s/deploy] failed: %v\n", st.Name, err)
		return fmt.Errorf("deploy to %s: %w", env, err)
	}

	image, err := x.imageRef(ctx)
	if err != nil {
		return fail(err)
	}
	def, ok := x.r.Registry.Deployer(spec.Deployer)
	if !ok {
		return fail(fmt.Errorf("unknown deployer %q", spec.Deployer))
	}
	with, err := vars.ExpandAll(spec.With)
	if err != nil {
		return fail(err)
	}
	deployer, err := def.New(DeployConfig{Deployer: spec.Deployer, Service: x.spec.Service, Environment: env, Dir: x.spec.Dir, With: with})
	if err != nil {
		return fail(fmt.Errorf("set up the %s deployer: %w", spec.Deployer, err))
	}

	// One deploy of a service to an environment at a time, across processes and replicas.
	release, err := x.lock(ctx, st.Name, env)
	if err != nil {
		return fail(err)
	}
	defer release()

	decision := x.decision[st.Name]
	req := deploy.Request{Service: x.spec.Service, Environment: env, Version: x.opts.Version, Image: image, Author: x.r.author(),
		Why: fmt.Sprintf("gate decision %d (%s): %s", decision.ID, decision.Decision.Result, decision.Decision.Reason)}
	plan, err := deployer.Plan(ctx, req)
	if err != nil {
		return fail(fmt.Errorf("plan: %w", err))
	}
	for _, c := range plan.Changes {
		fmt.Fprintf(x.out, "[%s/deploy] plan: %s\n", st.Name, c)
	}
	d, err := deployer.Apply(ctx, plan)
	if err != nil {
		return fail(fmt.Errorf("apply: %w", err))
	}
	msg := fmt.Sprintf("%s %s in %s (%s)", x.spec.Service, x.opts.Version, env, d.Ref)
	if plan.NoOp {
		msg += ", already there"
	}
	if d.Previous != "" {
		msg += ", replacing " + d.Previous
	}
	fmt.Fprintf(x.out, "[%s/deploy] deployed %s\n", st.Name, msg)
	if err := x.r.Broker.RecordDeployment(ctx, x.spec.Service, x.opts.Version, env); err != nil {
		return fail(fmt.Errorf("deployed (%s) but could not record the deployment: %w", d.Ref, err))
	}
	x.endStep(ctx, &rec, Succeeded, "deployed "+msg, "", 1)

	// After the deploy: the deployment becomes healthy, the stage's steps run against the
	// environment, then the watch.
	failure := x.waitHealthy(ctx, st, deployer, d)
	if failure == nil {
		failure = x.steps(ctx, st, st.Steps)
	}
	if failure == nil && st.Watch != nil {
		failure = x.watch(ctx, st, vars)
	}
	if failure == nil {
		return nil
	}
	var inconclusive *inconclusiveError
	if !st.Rollback || errors.As(failure, &inconclusive) || errors.Is(failure, context.Canceled) {
		return failure
	}
	if err := x.rollback(ctx, st, deployer, d, failure.Error()); err != nil {
		return fmt.Errorf("%w; and the rollback failed: %v", failure, err)
	}
	return failure
}

// waitHealthy waits until the deployer says the deployment is healthy: a GitOps commit is
// declared at once, but an agent applies it later.
func (x *execution) waitHealthy(ctx context.Context, st *Stage, deployer deploy.Deployer, d deploy.Deployment) error {
	deadline := time.Now().Add(orDefault(x.r.HealthTimeout, 5*time.Minute))
	var last deploy.Status
	for {
		status, err := deployer.Status(ctx, d)
		switch {
		case err != nil:
			last = deploy.Status{Health: deploy.Unknown, Message: err.Error()}
		case status.Health == deploy.Healthy:
			return nil
		case status.Health == deploy.Degraded:
			return fmt.Errorf("the deployment is degraded: %s", status.Message)
		default:
			last = status
		}
		if !time.Now().Before(deadline) {
			return fmt.Errorf("the deployment was not healthy after %s (%s): %s", orDefault(x.r.HealthTimeout, 5*time.Minute), last.Health, last.Message)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// imageRef is the image to deploy: the one this run pushed, or the one the broker recorded
// for the candidate (a run resumed with --from).
func (x *execution) imageRef(ctx context.Context) (string, error) {
	if ref := x.vars["image_ref"]; ref != "" {
		return ref, nil
	}
	c, err := x.r.Broker.Candidate(ctx, x.spec.Service, x.opts.Version)
	if err != nil {
		return "", fmt.Errorf("find the image of %s %s: %w", x.spec.Service, x.opts.Version, err)
	}
	for _, a := range c.Artifacts {
		if a.Digest != "" {
			x.vars["image_ref"] = a.Name + "@" + a.Digest
			if a.Tag != "" {
				x.vars["image_ref"] = a.Name + ":" + a.Tag + "@" + a.Digest
			}
			x.vars["digest"] = a.Digest
			return x.vars["image_ref"], nil
		}
	}
	return "", Permanentf("%s %s has no image pushed by digest: run the publish stage (image-push) first", x.spec.Service, x.opts.Version)
}

// lock takes the deploy lease on (service, environment), waiting for another run to finish,
// and renews it until released.
func (x *execution) lock(ctx context.Context, stage, env string) (release func(), err error) {
	ttl := orDefault(x.r.LockTTL, 2*time.Minute)
	holder := fmt.Sprintf("run %d", x.run.ID)
	deadline := time.Now().Add(orDefault(x.r.LockWait, 30*time.Minute))
	announced := false
	for {
		_, err := x.r.Broker.AcquireLock(ctx, x.spec.Service, env, holder, ttl)
		if err == nil {
			break
		}
		if !errors.Is(err, broker.ErrConflict) || !time.Now().Before(deadline) {
			return nil, fmt.Errorf("lock %s in %s: %w", x.spec.Service, env, err)
		}
		if !announced {
			fmt.Fprintf(x.out, "[%s/deploy] waiting: %v\n", stage, err)
			announced = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(ttl/10+50*time.Millisecond, time.Second)):
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if _, err := x.r.Broker.AcquireLock(ctx, x.spec.Service, env, holder, ttl); err != nil {
					fmt.Fprintf(x.out, "[%s/deploy] could not renew the deploy lock: %v\n", stage, err)
				}
			}
		}
	}()
	return func() {
		close(stop)
		wg.Wait()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := x.r.Broker.ReleaseLock(rctx, x.spec.Service, env, holder); err != nil {
			fmt.Fprintf(x.out, "[%s/deploy] could not release the deploy lock: %v\n", stage, err)
		}
	}, nil
}

// inconclusiveError is a watch that could not tell: no rollback, but no success either.
type inconclusiveError struct{ reason string }

func (e *inconclusiveError) Error() string {
	return "the watch was inconclusive, so the deployment is neither confirmed nor rolled back: " + e.reason
}

func (x *execution) watch(ctx context.Context, st *Stage, vars Vars) error {
	rec := StepRun{Stage: st.Name, Name: "watch", Uses: "watch", Environment: st.Environment, Status: Running, StartedAt: x.r.now()}
	x.record(ctx, &rec)
	tail := &tailBuffer{max: MaxLogTail}
	out := &prefixWriter{mu: &x.r.outMu, w: x.r.output(), prefix: x.spec.Service + " | [" + st.Name + "/watch] ", tee: tail}
	spec := *st.Watch
	var err error
	if spec.Query, err = vars.Expand(spec.Query); err == nil {
		spec.Prometheus, err = vars.Expand(spec.Prometheus)
	}
	if err == nil && x.r.Watcher == nil {
		err = errors.New("this runner has no watcher")
	}
	var res WatchResult
	if err == nil {
		fmt.Fprintf(out, "watching %s for %s, every %s\n", spec.Query, spec.Window, spec.Interval)
		res, err = x.r.Watcher.Watch(ctx, WatchRequest{Service: x.spec.Service, Environment: st.Environment, Version: x.opts.Version, Spec: spec, Out: out})
	}
	out.Flush()
	switch {
	case err != nil && errors.Is(err, context.Canceled):
		x.endStep(ctx, &rec, Canceled, err.Error(), tail.String(), 1)
		return err
	case err != nil:
		err = &inconclusiveError{reason: err.Error()}
	case res.Verdict == WatchPassed:
		fmt.Fprintf(out, "passed: %s\n", res.Reason)
		out.Flush()
		x.endStep(ctx, &rec, Succeeded, res.Reason, tail.String(), 1)
		return nil
	case res.Verdict == WatchFailed:
		err = fmt.Errorf("the watch failed: %s", res.Reason)
	default:
		err = &inconclusiveError{reason: res.Reason}
	}
	fmt.Fprintf(out, "%v\n", err)
	out.Flush()
	x.endStep(ctx, &rec, Failed, err.Error(), tail.String(), 1)
	return err
}

// rollback returns the environment to what ran before, records it in the ledger, rejects the
// candidate there so automation does not bring it back, and marks the run rolled back.
func (x *execution) rollback(ctx context.Context, st *Stage, deployer deploy.Deployer, d deploy.Deployment, reason string) error {
	env := st.Environment
	// The rollback must happen even if the run is being canceled.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()
	rec := StepRun{Stage: st.Name, Name: "rollback", Uses: "rollback", Environment: env, Status: Running, StartedAt: x.r.now()}
	x.record(ctx, &rec)
	if d.Previous == "" {
		err := fmt.Errorf("nothing ran in %s before %s, so there is nothing to roll back to", env, x.opts.Version)
		x.endStep(ctx, &rec, Failed, err.Error(), "", 1)
		return err
	}
	fmt.Fprintf(x.out, "[%s/rollback] rolling %s in %s back from %s to %s: %s\n", st.Name, x.spec.Service, env, x.opts.Version, d.Previous, reason)
	back, err := deployer.Rollback(ctx, d, reason)
	if err != nil {
		x.endStep(ctx, &rec, Failed, err.Error(), "", 1)
		return err
	}
	x.rolledBack = true
	var problems []string
	if err := x.waitHealthy(ctx, st, deployer, back); err != nil {
		problems = append(problems, "after the rollback, "+err.Error())
	}
	if err := x.r.Broker.RecordUndeployment(ctx, x.spec.Service, env); err != nil {
		problems = append(problems, err.Error())
	}
	if err := x.r.Broker.RecordDeployment(ctx, x.spec.Service, d.Previous, env); err != nil {
		problems = append(problems, err.Error())
	}
	comment := fmt.Sprintf("rolled back from %s by run %d: %s", env, x.run.ID, reason)
	if err := x.r.Broker.Reject(ctx, x.spec.Service, x.opts.Version, env, x.r.author(), truncate(comment, 1000)); err != nil {
		problems = append(problems, err.Error())
	}
	msg := fmt.Sprintf("rolled back to %s (%s); %s %s rejected for %s", d.Previous, back.Ref, x.spec.Service, x.opts.Version, env)
	fmt.Fprintf(x.out, "[%s/rollback] %s\n", st.Name, msg)
	if len(problems) > 0 {
		err := fmt.Errorf("%s, but: %s", msg, strings.Join(problems, "; "))
		x.endStep(ctx, &rec, Failed, err.Error(), "", 1)
		return err
	}
	x.endStep(ctx, &rec, Succeeded, msg, "", 1)
	return nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
