package pipelines_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/treaty-dev/treaty/pipelines"
	"github.com/treaty-dev/treaty/pipelines/image/registrytest"
	"github.com/treaty-dev/treaty/pipelines/steps"
)

// useGitOps makes the harness deploy with the real GitOps deployer.
func (h *harness) useGitOps() {
	def, _ := steps.Registry(nil).Deployer("gitops")
	h.reg.ReplaceDeployer(def)
}

const gitopsSpec = `
service: %s
deploy:
  deployer: gitops
  with:
    repo: %s
    file: envs/${environment}/kustomization.yaml
stages:
  build:
    steps:
      - {name: build, run: "true"}
      - {name: unit-tests, run: "true"}
  publish:
    steps:
      - uses: record-image
  staging:
    steps:
      - uses: smoke-test
        run: echo ${image_ref}
`

// TestTwentyPromotionsIntoOneConfigRepo runs twenty services' pipelines at once, each
// deploying to staging with a commit to the same config repository: all of them land.
func TestTwentyPromotionsIntoOneConfigRepo(t *testing.T) {
	h := newHarness(t, testPolicy)
	h.useGitOps()
	var services []string
	for i := range 20 {
		services = append(services, fmt.Sprintf("service-%02d", i))
	}
	repo := configRepo(t, "registry.test", services)
	var wg sync.WaitGroup
	errs := make([]error, len(services))
	for i, svc := range services {
		spec := h.parse(fmt.Sprintf(gitopsSpec, svc, repo))
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = h.runner(passing).Run(context.Background(), spec, pipelines.RunOptions{Commit: fmt.Sprintf("%07x", 0xa00000+i), Branch: "main"})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("%s: %v", services[i], err)
		}
	}
	staging := gitOut(t, "--git-dir", repo, "show", "main:envs/staging/kustomization.yaml")
	for i, svc := range services {
		if want := fmt.Sprintf("newTag: %07x", 0xa00000+i); !strings.Contains(staging, want) {
			t.Errorf("%s: staging lacks %q", svc, want)
		}
	}
	if n := strings.Count(gitOut(t, "--git-dir", repo, "log", "--oneline", "main"), "\n"); n != 21 {
		t.Errorf("%d commits, want 20 deploys and the first", n)
	}
}

// TestBadInputStopsAtTheFailingStep: an unreachable registry stops the run at image-push, an
// unreachable config repository at the deploy, and neither deploys anything; an unreachable
// Prometheus leaves the watch inconclusive: the run fails, saying so, and rolls nothing back.
func TestBadInputStopsAtTheFailingStep(t *testing.T) {
	t.Run("registry", func(t *testing.T) {
		h := newHarness(t, testPolicy)
		registry := registrytest.Closed(t)
		spec := h.parse(fmt.Sprintf(`
service: order-service
deploy: {deployer: dir}
stages:
  build:
    steps:
      - uses: image-build
        with: {layout: image}
      - name: unit-tests
        run: "true"
  publish:
    steps:
      - uses: image-push
        with: {registry: "%s", layout: image}
  staging:
    steps: []
`, registry))
		writeModule(t, spec.Dir)
		run, err := h.runner(passing).Run(context.Background(), spec, pipelines.RunOptions{Commit: "f00d001", Branch: "main"})
		if err == nil || run.Status != pipelines.Failed || run.Stage != "publish" || !strings.Contains(err.Error(), "step publish/image-push: push "+registry+"/order-service:f00d001") {
			t.Fatalf("run = %+v, %v\n%s", run, err, h.out)
		}
		if h.deployer.applied != 0 {
			t.Errorf("deployed after a failed push")
		}
		if f := h.facts("order-service", "f00d001"); f["image-push"] != "failed" || f["build"] != "passed" {
			t.Errorf("facts = %v", f)
		}
	})
	t.Run("git remote", func(t *testing.T) {
		h := newHarness(t, testPolicy)
		h.useGitOps()
		missing := filepath.Join(t.TempDir(), "no-such-config.git")
		spec := h.parse(fmt.Sprintf(gitopsSpec, "order-service", missing))
		run, err := h.runner(passing).Run(context.Background(), spec, pipelines.RunOptions{Commit: "f00d002", Branch: "main"})
		if err == nil || run.Status != pipelines.Failed || run.Stage != "staging" || !strings.Contains(err.Error(), "deploy to staging: plan: ") ||
			!strings.Contains(err.Error(), missing) {
			t.Fatalf("run = %+v, %v", run, err)
		}
		if got := h.deployed("order-service", "f00d002", "staging"); len(got) != 0 {
			t.Errorf("the broker says %v runs in staging", got)
		}
		if f := h.facts("order-service", "f00d002"); f["smoke-tests@staging"] != "" {
			t.Errorf("smoke tests ran: %v", f)
		}
	})
	t.Run("prometheus", func(t *testing.T) {
		h := newHarness(t, testPolicy)
		spec := h.spec(specOpts{})
		run, err := h.runner(steps.Watcher{}).Run(context.Background(), spec, pipelines.RunOptions{Commit: "f00d003", Branch: "main"})
		if err == nil || run.Status != pipelines.Failed || run.Stage != "production" ||
			!strings.Contains(err.Error(), "the watch was inconclusive, so the deployment is neither confirmed nor rolled back: ") ||
			!strings.Contains(err.Error(), "prometheus http://127.0.0.1:1 is unreachable") {
			t.Fatalf("run = %+v, %v", run, err)
		}
		if got := h.deployer.current("production", "order-service"); got != "f00d003" {
			t.Errorf("production runs %q: an inconclusive watch rolls nothing back", got)
		}
	})
}

// writeModule puts a one-file Go service in dir, for image-build.
func writeModule(t *testing.T, dir string) {
	t.Helper()
	files := map[string]string{
		"go.mod":  "module example.test/order\n\ngo 1.26\n",
		"main.go": "package main\n\nfunc main() {}\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
