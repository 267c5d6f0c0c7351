package pipelines_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/treaty-dev/treaty/broker/api"
	"github.com/treaty-dev/treaty/broker/client"
	"github.com/treaty-dev/treaty/broker/store/storetest"
	"github.com/treaty-dev/treaty/gates"
	"github.com/treaty-dev/treaty/pipelines"
	"github.com/treaty-dev/treaty/pipelines/deploy"
	"github.com/treaty-dev/treaty/pipelines/image"
	"github.com/treaty-dev/treaty/pipelines/image/registrytest"
	"github.com/treaty-dev/treaty/pipelines/monitor/promtest"
	"github.com/treaty-dev/treaty/pipelines/steps"
)

// TestStory plays the seed's story end to end with real parts: the order, payment and user
// services' own treaty.yaml files; images built without a daemon and pushed to a real
// registry (Debian's docker-registry); order-service's pacts written by its consumer tests
// and published, then verified by the providers with the Pact engine; govulncheck against a
// local vulnerability database; the release gates asked before every transition; GitOps
// commits to a bare config repository for staging and production, applied by an agent that
// pulls each image from the registry and runs it; a real Prometheus scraping production. A
// careless payment-service release (an error rate baked into its image) is rolled back by a
// new commit within the watch window, and can-i-deploy, the decision log and the git history
// then tell the same story.
func TestStory(t *testing.T) {
	if testing.Short() {
		t.Skip("the end-to-end story takes a minute")
	}
	ci := os.Getenv("CI") != "" && os.Getenv("CI") != "false"
	for _, bin := range []string{"git", "curl"} {
		if _, err := exec.LookPath(bin); err != nil {
			if ci {
				t.Fatalf("%s is missing: CI must run the pipeline story", bin)
			}
			t.Skipf("skipping: %s is not installed", bin)
		}
	}
	reg := registrytest.Start(t)
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	// The broker, with the seed's policy less its approval (no one is there to approve).
	s := storetest.Open(t, storetest.Options{})[0].Store
	srv := httptest.NewServer(api.New(s, nil, api.Config{}))
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range []client.EnvironmentRequest{{Name: "staging"}, {Name: "production", Production: true}} {
		if _, err := c.CreateEnvironment(ctx, env); err != nil {
			t.Fatal(err)
		}
	}
	policy := strings.Replace(string(gates.DefaultPolicyYAML()), "      - type: approval\n        min: 1\n", "", 1)
	if _, _, err := c.ApplyPolicy(ctx, client.PolicyRequest{Document: policy, AppliedBy: "olga"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.CreateOrUpdatePacticipant(ctx, client.PacticipantRequest{Name: "order-service", MainBranch: "main"}); err != nil {
		t.Fatal(err)
	}

	// The config repository, the agent that applies it, and Prometheus scraping production.
	services := []string{"order-service", "payment-service", "user-service"}
	repo := configRepo(t, reg.Host, services)
	ag := newAgent(t, repo, image.Registry{Host: reg.Host}, services)
	promURL := promtest.Start(t, map[string][]string{
		"order-service":   {ag.addr("production", "order-service")},
		"payment-service": {ag.addr("production", "payment-service")},
		"user-service":    {ag.addr("production", "user-service")},
	}).URL
	go ag.run(ctx)
	go traffic(ctx, ag)
	hook := newReceiver(t)
	t.Setenv("TREATY_NOTIFY_WEBHOOK", hook.srv.URL)

	out := &syncBuffer{}
	defer func() {
		if t.Failed() {
			t.Logf("pipeline output:\n%s\nagent:\n%s", out, ag.log)
		}
	}()
	registry := steps.Registry(&steps.Deps{Client: c, BrokerURL: srv.URL})
	gitops, _ := registry.Deployer("gitops")
	gitops.New = func(cfg pipelines.DeployConfig) (deploy.Deployer, error) {
		g, err := steps.NewGitOps(cfg)
		if err != nil {
			return nil, err
		}
		g.Health = ag.health // as Argo CD would report the application's health
		return g, nil
	}
	registry.ReplaceDeployer(gitops)
	runner := &pipelines.Runner{Registry: registry, Broker: steps.Broker{Client: c}, Watcher: steps.Watcher{}, Out: out, HealthTimeout: time.Minute}
	vulndb, _ := filepath.Abs(filepath.Join("steps", "testdata", "vulndb"))
	gobin := govulncheckDir(t)
	t.Setenv("PATH", gobin+string(os.PathListSeparator)+os.Getenv("PATH"))
	spec := func(service string) *pipelines.Spec {
		sp, err := pipelines.ParseFile(filepath.Join(root, "examples", service, "treaty.yaml"), registry)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range sp.Stages {
			if st.Watch != nil { // a short window for the test
				st.Watch.Window, st.Watch.Interval = 8*time.Second, time.Second
			}
		}
		return sp
	}
	workRoot := t.TempDir()
	opts := func(service, commit string, extra ...string) pipelines.RunOptions {
		port, err := registrytest.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		vars := map[string]string{"registry": reg.Host, "config_repo": repo, "prometheus": promURL, "vulndb": "file://" + vulndb,
			"unit_tests": "go vet .", "rate_window": "5s", "verify_port": strconv.Itoa(port),
			"staging_url": "http://" + ag.addr("staging", service), "production_url": "http://" + ag.addr("production", service)}
		for i := 0; i+1 < len(extra); i += 2 {
			vars[extra[i]] = extra[i+1]
		}
		// Root holds .treaty/, where images wait between stages: a temporary one, not the work tree.
		return pipelines.RunOptions{Commit: commit, Branch: "main", Root: workRoot, BrokerURL: srv.URL, Vars: vars}
	}
	const (
		order   = "0a0a0a0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		payment = "1b1b1b1bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		user    = "2c2c2c2ccccccccccccccccccccccccccccccccc"
		bad     = "3d3d3d3ddddddddddddddddddddddddddddddddd"
	)

	// 1. order-service, the consumer, until publish: its contract tests write and publish the
	// pacts its providers will verify.
	o := opts("order-service", order)
	o.Until = "publish"
	if r, err := runner.Run(ctx, spec("order-service"), o); err != nil {
		t.Fatalf("order-service until publish: %v (run %+v)", err, r)
	}
	// 2. The providers, at once, all the way to production.
	var wg sync.WaitGroup
	errs := map[string]error{}
	var mu sync.Mutex
	for _, p := range []struct{ service, commit string }{{"payment-service", payment}, {"user-service", user}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := runner.Run(ctx, spec(p.service), opts(p.service, p.commit))
			mu.Lock()
			errs[p.service] = err
			mu.Unlock()
		}()
	}
	wg.Wait()
	for svc, err := range errs {
		if err != nil {
			t.Fatalf("%s: %v", svc, err)
		}
	}
	// 3. order-service resumes from staging: its providers are there now.
	o = opts("order-service", order)
	o.From = "staging"
	if _, err := runner.Run(ctx, spec("order-service"), o); err != nil {
		t.Fatalf("order-service from staging: %v", err)
	}
	for _, svc := range services {
		if !ag.healthyIn("production", svc) {
			t.Fatalf("%s does not run in production", svc)
		}
	}

	// 4. The careless payment-service release: every fourth charge fails. It passes its tests
	// and staging, reaches production, and the watch rolls it back.
	start := time.Now()
	badRun, err := runner.Run(ctx, spec("payment-service"), opts("payment-service", bad, "error_rate", "0.25"))
	if err == nil || badRun.Status != pipelines.RolledBack {
		t.Fatalf("the careless release: %+v, %v", badRun, err)
	}
	t.Logf("the careless release was rolled back %s after its pipeline started: %v", time.Since(start).Round(time.Second), err)
	if !strings.Contains(err.Error(), "the watch failed") {
		t.Errorf("rolled back for %v", err)
	}

	good, badV := payment[:7], bad[:7]
	// The git history: the bad release's commit, then a new commit that restores the good one.
	log := gitOut(t, "--git-dir", repo, "log", "--format=%s%n%b%x00", "main")
	commits := strings.Split(log, "\x00")
	if len(commits) < 2 {
		t.Fatalf("git log: %s", log)
	}
	last, before := strings.TrimSpace(commits[0]), strings.TrimSpace(commits[1])
	if !strings.HasPrefix(last, "roll back payment-service in production to "+good) || !strings.Contains(last, "Treaty-Rollback-Of") && !strings.Contains(last, badV) {
		t.Errorf("the last commit is not the rollback:\n%s", last)
	}
	if !strings.Contains(before, "payment-service") || !strings.Contains(before, badV) || !strings.Contains(before, "production") {
		t.Errorf("the commit before the rollback did not deploy %s to production:\n%s", badV, before)
	}
	prod := gitOut(t, "--git-dir", repo, "show", "main:envs/production/kustomization.yaml")
	if !strings.Contains(prod, "newTag: "+good) || strings.Contains(prod, badV) {
		t.Errorf("production declares:\n%s", prod)
	}
	if !ag.runs("production", "payment-service", good) {
		t.Errorf("the agent does not run payment-service %s in production again", good)
	}

	// The ledger and can-i-deploy: the good version is the one in production, order-service
	// can deploy there with it, and the careless one is denied production for good.
	in, err := s.GateInput(ctx, "payment-service", badV, "production")
	if err != nil || len(in.Deployed) != 1 || in.Deployed[0] != good {
		t.Errorf("the broker says payment-service %v runs in production (%v)", in.Deployed, err)
	}
	m, err := c.Matrix(ctx, client.CanIDeployQuery([]client.MatrixSelector{{Pacticipant: "order-service", Version: order[:7]}}, nil, client.DeployTarget{Environment: "production"}))
	if err != nil || m.Summary.Deployable == nil || !*m.Summary.Deployable {
		t.Errorf("can-i-deploy order-service to production: %+v, %v", m, err)
	}
	var verifiedWith []string
	for _, row := range m.Rows {
		verifiedWith = append(verifiedWith, row.Provider.Name+" "+row.Provider.VersionNumber())
	}
	if !strings.Contains(strings.Join(verifiedWith, ","), "payment-service "+good) {
		t.Errorf("can-i-deploy judged order-service against %v, not payment-service %s", verifiedWith, good)
	}
	check, _, err := c.CheckGate(ctx, gates.CheckRequest{Pacticipant: "payment-service", Version: badV, Environment: "production", Source: "test"})
	if err != nil || check.Decision.Result != gates.Deny || !strings.Contains(check.Decision.Reason, "rejection") {
		t.Errorf("the gate on the careless release now: %+v, %v", check, err)
	}
	// The decision log: the careless release was allowed into production once (the watch,
	// not the gate, caught it), and is denied now; the chain verifies.
	decisions, _, err := c.Decisions(ctx, client.DecisionQuery{Pacticipant: "payment-service", Version: badV, Environment: "production"})
	if err != nil || len(decisions) != 2 || decisions[0].Result != gates.Deny || decisions[1].Result != gates.Allow || decisions[1].Source != "pipeline" {
		t.Errorf("decisions on payment-service %s in production: %+v, %v", badV, decisions, err)
	}
	if rep, err := c.VerifyDecisions(ctx); err != nil || !rep.OK {
		t.Errorf("the decision log does not verify: %+v, %v", rep, err)
	}
	// The run as recorded, and who was told.
	got, err := c.Run(ctx, badRun.ID)
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, st := range got.Steps {
		if st.Stage == "production" {
			steps = append(steps, st.Name+":"+string(st.Status))
		}
	}
	if strings.Join(steps, " ") != "gate:succeeded deploy:succeeded smoke-test:succeeded watch:failed rollback:succeeded" {
		t.Errorf("production steps of the careless run: %v", steps)
	}
	var told bool
	for _, b := range hook.received() {
		told = told || (b["event"] == "rolled-back" && b["service"] == "payment-service" && b["version"] == badV)
	}
	if !told {
		t.Errorf("no rolled-back notification: %v", hook.received())
	}
}

// configRepo makes a bare config repository whose envs/ENV/kustomization.yaml names each
// service's image, with no release yet.
func configRepo(t *testing.T, registry string, services []string) string {
	t.Helper()
	dir := t.TempDir()
	bare := filepath.Join(dir, "config.git")
	work := filepath.Join(dir, "work")
	gitOut(t, "init", "--bare", "--initial-branch=main", bare)
	gitOut(t, "clone", "--quiet", bare, work)
	for _, env := range []string{"staging", "production"} {
		var b strings.Builder
		b.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base\nimages:\n")
		for _, s := range services {
			fmt.Fprintf(&b, "  - name: %s\n    newName: %s/%s\n    newTag: none\n", s, registry, s)
		}
		if err := os.MkdirAll(filepath.Join(work, "envs", env), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, "envs", env, "kustomization.yaml"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitOut(t, "-C", work, "add", ".")
	gitOut(t, "-C", work, "commit", "--quiet", "-m", "the shop's environments")
	gitOut(t, "-C", work, "push", "--quiet", "origin", "main")
	return bare
}

func gitOut(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=olga", "GIT_AUTHOR_EMAIL=olga@example.com", "GIT_COMMITTER_NAME=olga",
		"GIT_COMMITTER_EMAIL=olga@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// agent applies the config repository as a GitOps agent would: every 200ms it reads each
// environment's kustomization on main and runs what it declares, each image pulled from the
// registry and its binary started on this machine, on a port of its own.
type agent struct {
	t        *testing.T
	repo     string
	reg      image.Registry
	dir      string
	ports    map[string]int
	log      *syncBuffer
	mu       sync.Mutex
	running  map[string]*process
	services []string
}

type process struct {
	digest, tag string
	cmd         *exec.Cmd
	done        chan struct{}
}

func newAgent(t *testing.T, repo string, reg image.Registry, services []string) *agent {
	a := &agent{t: t, repo: repo, reg: reg, dir: t.TempDir(), ports: map[string]int{}, log: &syncBuffer{}, running: map[string]*process{}, services: services}
	for _, env := range []string{"staging", "production"} {
		for _, s := range services {
			p, err := registrytest.FreePort()
			if err != nil {
				t.Fatal(err)
			}
			a.ports[env+"/"+s] = p
		}
	}
	t.Cleanup(a.stopAll)
	return a
}

func (a *agent) addr(env, service string) string {
	return "127.0.0.1:" + strconv.Itoa(a.ports[env+"/"+service])
}

func (a *agent) run(ctx context.Context) {
	for {
		for _, env := range []string{"staging", "production"} {
			a.sync(ctx, env)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (a *agent) sync(ctx context.Context, env string) {
	out, err := exec.CommandContext(ctx, "git", "--git-dir", a.repo, "show", "main:envs/"+env+"/kustomization.yaml").Output()
	if err != nil {
		return
	}
	var k struct {
		Images []struct {
			Name    string `yaml:"name"`
			NewName string `yaml:"newName"`
			NewTag  string `yaml:"newTag"`
			Digest  string `yaml:"digest"`
		} `yaml:"images"`
	}
	if err := yaml.Unmarshal(out, &k); err != nil {
		fmt.Fprintf(a.log, "%s: %v\n", env, err)
		return
	}
	for _, img := range k.Images {
		key := env + "/" + img.Name
		a.mu.Lock()
		cur := a.running[key]
		a.mu.Unlock()
		if img.Digest == "" || (cur != nil && cur.digest == img.Digest) {
			continue
		}
		if err := a.start(ctx, env, img.Name, img.NewName+"@"+img.Digest, img.Digest, img.NewTag); err != nil {
			fmt.Fprintf(a.log, "%s: start %s: %v\n", env, img.Name, err)
		}
	}
}

// start replaces what runs for the service in env with the image ref.
func (a *agent) start(ctx context.Context, env, service, ref, digest, tag string) error {
	u, err := image.Unpack(ctx, ref, filepath.Join(a.dir, env), a.reg)
	if err != nil {
		return err
	}
	key := env + "/" + service
	a.mu.Lock()
	old := a.running[key]
	delete(a.running, key)
	a.mu.Unlock()
	if old != nil {
		stop(old)
	}
	prefix := strings.ToUpper(strings.TrimSuffix(service, "-service"))
	cmd := exec.Command(u.Binary, u.Args...)
	cmd.Env = append(append([]string{"PATH=/usr/bin:/bin"}, u.Env...), prefix+"_LISTEN="+a.addr(env, service),
		"USER_SERVICE_URL=http://"+a.addr(env, "user-service"), "PAYMENT_SERVICE_URL=http://"+a.addr(env, "payment-service"))
	cmd.Stdout, cmd.Stderr = a.log, a.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	p := &process{digest: digest, tag: tag, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	if err := waitHTTP(ctx, "http://"+a.addr(env, service)+"/healthz", 20*time.Second); err != nil {
		stop(p)
		return err
	}
	fmt.Fprintf(a.log, "%s: %s runs %s\n", env, service, ref)
	a.mu.Lock()
	a.running[key] = p
	a.mu.Unlock()
	return nil
}

func stop(p *process) {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func (a *agent) stopAll() {
	a.mu.Lock()
	procs := a.running
	a.running = map[string]*process{}
	a.mu.Unlock()
	for _, p := range procs {
		stop(p)
	}
}

// health is the agent's answer for a GitOps deployment: healthy once it runs the image.
func (a *agent) health(ctx context.Context, d deploy.Deployment) (deploy.Status, error) {
	_, digest, _ := strings.Cut(d.Request.Image, "@")
	a.mu.Lock()
	p := a.running[d.Request.Environment+"/"+d.Request.Service]
	a.mu.Unlock()
	if p != nil && p.digest == digest {
		return deploy.Status{Health: deploy.Healthy, Message: "the agent runs " + d.Request.Image}, nil
	}
	return deploy.Status{Health: deploy.Progressing, Message: "the agent has not applied it yet"}, nil
}

func (a *agent) runs(env, service, tag string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.running[env+"/"+service]
	return p != nil && p.tag == tag
}

func (a *agent) healthyIn(env, service string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.running[env+"/"+service] != nil
}

func waitHTTP(ctx context.Context, url string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not answer within %s", url, wait)
}

// traffic is production's customers: orders (which reach user-service and payment-service),
// and charges and user look-ups of their own, every 25ms until the story ends.
func traffic(ctx context.Context, a *agent) {
	hc := &http.Client{Timeout: 2 * time.Second}
	for i := 0; ctx.Err() == nil && i < 20000; i++ {
		for _, req := range []struct{ method, url, body string }{
			{"POST", "http://" + a.addr("production", "order-service") + "/orders", `{"user_id":42,"amount":1999,"card_token":"tok_visa"}`},
			{"POST", "http://" + a.addr("production", "payment-service") + "/charge", `{"order_id":"o-1","amount":1999,"card_token":"tok_visa"}`},
			{"GET", "http://" + a.addr("production", "user-service") + "/users/42", ""},
		} {
			r, err := http.NewRequestWithContext(ctx, req.method, req.url, strings.NewReader(req.body))
			if err != nil {
				continue
			}
			r.Header.Set("Content-Type", "application/json")
			if resp, err := hc.Do(r); err == nil {
				resp.Body.Close()
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(25 * time.Millisecond):
		}
	}
}

var (
	govulncheckOnce sync.Once
	govulncheckBin  string
)

// govulncheckDir is a directory holding govulncheck: where it is installed, or where the Go
// toolchain installs it through the module proxy for this test run.
func govulncheckDir(t *testing.T) string {
	govulncheckOnce.Do(func() {
		if p, err := exec.LookPath("govulncheck"); err == nil {
			govulncheckBin = filepath.Dir(p)
			return
		}
		gobin, err := os.MkdirTemp("", "treaty-govulncheck-")
		if err != nil {
			return
		}
		cmd := exec.Command("go", "install", "golang.org/x/vuln/cmd/govulncheck@v1.9.0")
		cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("go install govulncheck: %v\n%s", err, out)
			return
		}
		govulncheckBin = gobin
	})
	if govulncheckBin == "" {
		t.Fatal("govulncheck is not installed and could not be installed")
	}
	return govulncheckBin
}
