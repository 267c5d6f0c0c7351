package pipelines_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/broker/client"
	"github.com/treaty-dev/treaty/gates"
	"github.com/treaty-dev/treaty/pipelines"
)

// The policy of these tests: publishing needs a build and unit tests, staging the image,
// production the same digest's smoke tests in staging.
const testPolicy = `
publish:
  gates:
    - type: results
      require: [build, unit-tests]
environments:
  staging:
    gates:
      - type: artifact
  production:
    gates:
      - type: upstream
        environment: staging
        require: [smoke-tests]
`

const specTemplate = `
service: %s
deploy:
  deployer: dir
notify:
  webhooks: [%s]
  slack: [%s]
stages:
  build:
    steps:
      - name: build
        run: echo building ${service} ${version} from ${commit}
  test:
    steps:
      - name: unit-tests
        run: %s
        timeout: %s
        retries: %d
  publish:
    steps:
      - uses: record-image
  staging:
    steps:
      - uses: smoke-test
        run: test "${environment}" = staging && echo smoke ${image_ref}
  production:
    watch:
      prometheus: http://127.0.0.1:1
      query: errors{service="${service}",version="${version}"}
      window: 1s
      interval: 100ms
      max: 0.05
`

type specOpts struct {
	service, unitTests, timeout string
	retries                     int
	hook, slack                 string
}

func (h *harness) spec(o specOpts) *pipelines.Spec {
	if o.service == "" {
		o.service = "order-service"
	}
	if o.unitTests == "" {
		o.unitTests = "true"
	}
	if o.timeout == "" {
		o.timeout = "1m"
	}
	if o.hook == "" {
		o.hook = "http://127.0.0.1:1/unused"
	}
	if o.slack == "" {
		o.slack = "http://127.0.0.1:1/unused"
	}
	return h.parse(fmt.Sprintf(specTemplate, o.service, o.hook, o.slack, o.unitTests, o.timeout, o.retries))
}

var passing = watcherFunc(func(ctx context.Context, req pipelines.WatchRequest) (pipelines.WatchResult, error) {
	return pipelines.WatchResult{Verdict: pipelines.WatchPassed, Reason: "error rate 0 below 0.05"}, nil
})

func (h *harness) deployed(service, version, env string) []string {
	h.t.Helper()
	in, err := h.store.GateInput(context.Background(), service, version, env)
	if err != nil {
		h.t.Fatal(err)
	}
	return in.Deployed
}

func (h *harness) facts(service, version string) map[string]gates.Status {
	h.t.Helper()
	facts, err := h.store.Facts(context.Background(), service, version)
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]gates.Status{}
	for _, f := range facts {
		key := f.Name
		if f.Environment != "" {
			key += "@" + f.Environment
		}
		out[key] = f.Status
	}
	return out
}

func TestRunEveryStage(t *testing.T) {
	h := newHarness(t, testPolicy)
	spec := h.spec(specOpts{})
	ctx := context.Background()
	run, err := h.runner(passing).Run(ctx, spec, pipelines.RunOptions{Commit: "a3f9c21d00000000000000000000000000000000", Branch: "main"})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, h.out)
	}
	if run.Status != pipelines.Succeeded || run.Version != "a3f9c21" || run.From != "build" || run.Until != "production" {
		t.Errorf("run = %+v", run)
	}
	want := map[string]gates.Status{"build": gates.Passed, "unit-tests": gates.Passed, "record-image": gates.Passed, "smoke-tests@staging": gates.Passed}
	if got := h.facts("order-service", "a3f9c21"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("facts = %v, want %v", got, want)
	}
	for _, env := range []string{"staging", "production"} {
		if got := h.deployed("order-service", "a3f9c21", env); len(got) != 1 || got[0] != "a3f9c21" {
			t.Errorf("deployed in %s = %v", env, got)
		}
		if got := h.deployer.current(env, "order-service"); got != "a3f9c21" {
			t.Errorf("the deployer runs %q in %s", got, env)
		}
	}
	// The run as the broker keeps it: every step, in order, with its status and output.
	got, err := h.client.Run(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range got.Steps {
		names = append(names, s.Stage+"/"+s.Name+":"+string(s.Status))
	}
	wantSteps := "build/build:succeeded test/unit-tests:succeeded publish/gate:succeeded publish/record-image:succeeded " +
		"staging/gate:succeeded staging/deploy:succeeded staging/smoke-test:succeeded " +
		"production/gate:succeeded production/deploy:succeeded production/watch:succeeded"
	if strings.Join(names, " ") != wantSteps {
		t.Errorf("steps = %s\nwant    %s", strings.Join(names, " "), wantSteps)
	}
	if got.Steps[0].LogTail == "" || !strings.Contains(got.Steps[0].LogTail, "building order-service a3f9c21 from a3f9c21d0000") {
		t.Errorf("build's log tail = %q", got.Steps[0].LogTail)
	}
	if got.DurationMillis <= 0 || got.FinishedAt == nil {
		t.Errorf("run not finished: %+v", got)
	}
	// Live progress names each step.
	for _, line := range []string{"order-service | [build/build] building order-service a3f9c21", "order-service | [publish/gate] allow", "order-service | [staging/deploy] deployed order-service a3f9c21 in staging"} {
		if !strings.Contains(h.out.String(), line) {
			t.Errorf("output lacks %q:\n%s", line, h.out)
		}
	}
	runs, err := h.client.Runs(ctx, pipelines.RunQuery{Service: "order-service"})
	if err != nil || len(runs) != 1 || runs[0].ID != run.ID {
		t.Errorf("runs = %v, %v", runs, err)
	}
}

func TestFailingStepStopsThePipeline(t *testing.T) {
	h := newHarness(t, testPolicy)
	hook, slack := newReceiver(t), newReceiver(t)
	spec := h.spec(specOpts{unitTests: "echo FAIL TestCharge >&2; exit 1", retries: 1, hook: hook.srv.URL, slack: slack.srv.URL})
	run, err := h.runner(passing).Run(context.Background(), spec, pipelines.RunOptions{Commit: "b4e0d32", Branch: "main"})
	if err == nil || run.Status != pipelines.Failed || run.Stage != "test" {
		t.Fatalf("run = %+v, %v", run, err)
	}
	if !strings.Contains(err.Error(), `step test/unit-tests: "echo FAIL TestCharge >&2; exit 1" exited with status 1`) {
		t.Errorf("err = %v", err)
	}
	if !strings.Contains(h.out.String(), "attempt 1 of 2 failed") {
		t.Errorf("no retry:\n%s", h.out)
	}
	if f := h.facts("order-service", "b4e0d32"); f["unit-tests"] != gates.Failed {
		t.Errorf("facts = %v", f)
	}
	if h.deployer.applied != 0 {
		t.Errorf("%d deploys after a failed test", h.deployer.applied)
	}
	got := hook.received()
	if len(got) != 1 || got[0]["event"] != "failed" || got[0]["service"] != "order-service" || got[0]["stage"] != "test" || got[0]["step"] != "unit-tests" {
		t.Errorf("webhook = %v", got)
	}
	text := slack.received()
	if len(text) != 1 || !strings.Contains(fmt.Sprint(text[0]["text"]), "order-service b4e0d32: pipeline run") || len(text[0]) != 1 {
		t.Errorf("slack = %v", text)
	}
}

func TestHangingStepTimesOut(t *testing.T) {
	h := newHarness(t, testPolicy)
	spec := h.spec(specOpts{unitTests: "sleep 60", timeout: "500ms", retries: 1})
	start := time.Now()
	run, err := h.runner(passing).Run(context.Background(), spec, pipelines.RunOptions{Commit: "c5f1e43", Branch: "main"})
	if err == nil || !strings.Contains(err.Error(), "step test/unit-tests: timed out after 500ms") {
		t.Fatalf("err = %v", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %s: the hanging command was not killed", took)
	}
	got, _ := h.client.Run(context.Background(), run.ID)
	last := got.Steps[len(got.Steps)-1]
	if last.Name != "unit-tests" || last.Attempts != 2 || last.Status != pipelines.Failed {
		t.Errorf("step = %+v", last)
	}
	if h.deployer.applied != 0 {
		t.Errorf("deployed after a timeout")
	}
}

func TestGateStopsBeforeDeploying(t *testing.T) {
	// Production needs an approval no one gave: the run stops there, and says so.
	h := newHarness(t, testPolicy+`      - type: approval
        min: 1
`)
	hook := newReceiver(t)
	spec := h.spec(specOpts{hook: hook.srv.URL})
	run, err := h.runner(passing).Run(context.Background(), spec, pipelines.RunOptions{Commit: "d6a2f54", Branch: "main"})
	var stop *pipelines.StopError
	if !errors.As(err, &stop) || stop.Stage != "production" || stop.Verdict != "pending" || run.Status != pipelines.Stopped {
		t.Fatalf("run = %+v, %v", run, err)
	}
	if got := h.deployer.current("production", "order-service"); got != "" {
		t.Errorf("deployed %s to production without an approval", got)
	}
	if got := h.deployer.current("staging", "order-service"); got != "d6a2f54" {
		t.Errorf("staging runs %q", got)
	}
	if got := hook.received(); len(got) != 1 || got[0]["event"] != "stopped" || got[0]["environment"] != "production" {
		t.Errorf("webhook = %v", got)
	}

	// Approved, the run resumes from production and finishes.
	if _, _, err := h.client.Review(context.Background(), "order-service", "d6a2f54", gates.Approve, client.ReviewRequest{Environment: "production", By: "olga"}); err != nil {
		t.Fatal(err)
	}
	run, err = h.runner(passing).Run(context.Background(), spec, pipelines.RunOptions{Commit: "d6a2f54", Branch: "main", From: "production"})
	if err != nil || run.Status != pipelines.Succeeded || run.From != "production" {
		t.Fatalf("resumed run = %+v, %v\n%s", run, err, h.out)
	}
	if got := h.deployer.current("production", "order-service"); got != "d6a2f54" {
		t.Errorf("production runs %q", got)
	}
}

func TestWaitForPendingGate(t *testing.T) {
	h := newHarness(t, testPolicy+`      - type: approval
        min: 1
`)
	spec := h.spec(specOpts{})
	r := h.runner(passing)
	r.GateWait, r.GateInterval, r.GateTimeout = true, 100*time.Millisecond, 20*time.Second
	// Olga approves once the gate has said pending: the run waits for her, then goes on.
	go func() {
		for range 400 {
			time.Sleep(50 * time.Millisecond)
			pending, _, _ := h.client.Decisions(context.Background(), client.DecisionQuery{Pacticipant: "order-service", Environment: "production", Result: "pending"})
			if len(pending) > 0 {
				_, _, _ = h.client.Review(context.Background(), "order-service", "e7b3a65", gates.Approve, client.ReviewRequest{Environment: "production", By: "olga"})
				return
			}
		}
	}()
	run, err := r.Run(context.Background(), spec, pipelines.RunOptions{Commit: "e7b3a65", Branch: "main"})
	if err != nil || run.Status != pipelines.Succeeded {
		t.Fatalf("run = %+v, %v\n%s", run, err, h.out)
	}
	if !strings.Contains(h.out.String(), "[production/gate] waiting") {
		t.Errorf("no wait:\n%s", h.out)
	}
}

func TestFailedWatchRollsBack(t *testing.T) {
	h := newHarness(t, testPolicy)
	hook := newReceiver(t)
	spec := h.spec(specOpts{hook: hook.srv.URL})
	ctx := context.Background()
	// A good version first, then a bad one whose error rate the watch sees.
	if _, err := h.runner(passing).Run(ctx, spec, pipelines.RunOptions{Commit: "1111111", Branch: "main"}); err != nil {
		t.Fatal(err)
	}
	failing := watcherFunc(func(ctx context.Context, req pipelines.WatchRequest) (pipelines.WatchResult, error) {
		if req.Spec.Query != `errors{service="order-service",version="2222222"}` || req.Environment != "production" {
			return pipelines.WatchResult{}, fmt.Errorf("unexpected watch %+v", req)
		}
		return pipelines.WatchResult{Verdict: pipelines.WatchFailed, Reason: "error rate 0.25 above 0.05 in 3 of 3 measurements"}, nil
	})
	run, err := h.runner(failing).Run(ctx, spec, pipelines.RunOptions{Commit: "2222222", Branch: "main"})
	if err == nil || run.Status != pipelines.RolledBack {
		t.Fatalf("run = %+v, %v", run, err)
	}
	if got := h.deployer.current("production", "order-service"); got != "1111111" {
		t.Errorf("production runs %q after the rollback", got)
	}
	if got := h.deployed("order-service", "2222222", "production"); len(got) != 1 || got[0] != "1111111" {
		t.Errorf("the broker says %v runs in production", got)
	}
	if got := h.deployed("order-service", "2222222", "staging"); len(got) != 1 || got[0] != "2222222" {
		t.Errorf("the broker says %v runs in staging", got)
	}
	reviews, err := h.store.Reviews(ctx, "order-service", "2222222")
	if err != nil || len(reviews) != 1 || reviews[0].Decision != gates.Reject || reviews[0].By != "treaty-pipeline" || reviews[0].Environment != "production" {
		t.Errorf("reviews = %+v, %v", reviews, err)
	}
	// The gate now denies the bad version in production: automation will not bring it back.
	e, _, err := h.client.CheckGate(ctx, gates.CheckRequest{Pacticipant: "order-service", Version: "2222222", Environment: "production"})
	if err != nil || e.Decision.Result != gates.Deny {
		t.Errorf("gate after rollback = %v, %v", e, err)
	}
	if got := hook.received(); len(got) != 1 || got[0]["event"] != "rolled-back" || !strings.Contains(fmt.Sprint(got[0]["message"]), "error rate 0.25") {
		t.Errorf("webhook = %v", got)
	}
}

func TestOneDeployPerServiceAndEnvironment(t *testing.T) {
	h := newHarness(t, testPolicy)
	h.deployer.delay = 300 * time.Millisecond
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 6)
	// Three runs of one service and three of others, at once.
	for i := range errs {
		service := "order-service"
		if i%2 == 1 {
			service = fmt.Sprintf("service-%d", i)
		}
		spec := h.spec(specOpts{service: service})
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = h.runner(passing).Run(ctx, spec, pipelines.RunOptions{Commit: fmt.Sprintf("%07d", 1000+i), Branch: "main", Until: "staging"})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("run %d: %v", i, err)
		}
	}
	if h.deployer.maxSeen != 1 {
		t.Errorf("%d deploys of one service to one environment at once", h.deployer.maxSeen)
	}
	if h.deployer.applied != 6 {
		t.Errorf("%d deploys, want 6", h.deployer.applied)
	}
}
