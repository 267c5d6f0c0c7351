package deploy_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/pipelines/deploy"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var commitTime = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	why     = "gate production allowed a3f9c21: can-i-deploy yes, soak 2h in staging done, approved by alice"
)

// configRepo is a bare repository on disk, the remote every test pushes to, seeded with
// files through a work clone, the way a person sets one up.
type configRepo struct {
	t    *testing.T
	bare string
	work string
}

func newConfigRepo(t *testing.T, files map[string]string) *configRepo {
	t.Helper()
	dir := t.TempDir()
	r := &configRepo{t: t, bare: filepath.Join(dir, "config.git"), work: filepath.Join(dir, "work")}
	r.git(dir, "init", "--quiet", "--bare", "--initial-branch=main", r.bare)
	r.git(dir, "clone", "--quiet", r.bare, r.work)
	for name, content := range files {
		r.writeFile(name, content)
	}
	r.git(r.work, "add", "-A")
	r.git(r.work, "commit", "--quiet", "-m", "seed the config repository")
	r.git(r.work, "push", "--quiet", "origin", "HEAD:main")
	return r
}

func (r *configRepo) git(dir string, args ...string) string {
	r.t.Helper()
	out, err := r.tryGit(dir, args...)
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

// tryGit runs git as a person would, with a fixed identity and no user configuration.
func (r *configRepo) tryGit(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Hank Human", "GIT_AUTHOR_EMAIL=hank@example.com",
		"GIT_COMMITTER_NAME=Hank Human", "GIT_COMMITTER_EMAIL=hank@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func (r *configRepo) writeFile(name, content string) {
	r.t.Helper()
	p := filepath.Join(r.work, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// humanCommit is a person changing a file and pushing, from their own clone.
func (r *configRepo) humanCommit(name, content, msg string) {
	r.t.Helper()
	if err := r.tryHumanCommit(name, content, msg); err != nil {
		r.t.Fatal(err)
	}
}

// tryHumanCommit is humanCommit for other goroutines than the test's: a person whose push
// is rejected pulls with a rebase and pushes again, a few times.
func (r *configRepo) tryHumanCommit(name, content, msg string) error {
	if _, err := r.tryGit(r.work, "pull", "--quiet", "--rebase", "origin", "main"); err != nil {
		return err
	}
	p := filepath.Join(r.work, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		return err
	}
	if _, err := r.tryGit(r.work, "commit", "--quiet", "-am", msg); err != nil {
		return err
	}
	var err error
	for range 20 {
		if _, err = r.tryGit(r.work, "push", "--quiet", "origin", "HEAD:main"); err == nil {
			return nil
		}
		if _, err := r.tryGit(r.work, "pull", "--quiet", "--rebase", "origin", "main"); err != nil {
			return err
		}
	}
	return err
}

// humanEdit is humanCommit of a replacement in a file as it is on main now.
func (r *configRepo) humanEdit(name, old, new, msg string) {
	r.t.Helper()
	content := r.show(name)
	if !strings.Contains(content, old) {
		r.t.Fatalf("%s lacks %q", name, old)
	}
	r.humanCommit(name, strings.Replace(content, old, new, 1), msg)
}

func (r *configRepo) show(name string) string {
	r.t.Helper()
	return r.git(r.bare, "show", "main:"+name)
}

func (r *configRepo) head() string {
	r.t.Helper()
	return strings.TrimSpace(r.git(r.bare, "rev-parse", "main"))
}

func (r *configRepo) commitCount() int {
	r.t.Helper()
	var n int
	fmt.Sscan(r.git(r.bare, "rev-list", "--count", "main"), &n)
	return n
}

// commit is one commit as git log prints it.
func (r *configRepo) commit(rev string) (author, committer, date, message string) {
	r.t.Helper()
	out := r.git(r.bare, "log", "-1", "--format=%an <%ae>%n%cn <%ce>%n%cI%n%B", rev)
	parts := strings.SplitN(out, "\n", 4)
	return parts[0], parts[1], parts[2], parts[3]
}

func readFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "gitops", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "gitops", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func newGitOps(repo string, targets ...deploy.Target) *deploy.GitOps {
	return &deploy.GitOps{
		Repo:      repo,
		Targets:   targets,
		Committer: deploy.Identity{Name: "Treaty", Email: "treaty@ci.example"},
		Now:       func() time.Time { return commitTime },
	}
}

func request(service, env, image string) deploy.Request {
	version := ""
	ref, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		version = ref[i+1:]
	}
	return deploy.Request{Service: service, Environment: env, Version: version, Image: image, Why: why,
		Author: "pipeline order-service#42 <ci@example.com>"}
}

// Each manifest kind is edited where the image is named, and nowhere else: the goldens are
// the fixtures with only those lines changed, comments and quoting kept.
func TestGitOpsEditsEachKind(t *testing.T) {
	for _, tc := range []struct {
		name, fixture string
		target        deploy.Target
		service       string
		image         string
		previous      string // the image the plan finds
		changes       int
	}{
		{
			name: "kustomize", fixture: "kustomization.yaml", service: "order-service",
			target:   deploy.Target{Kind: deploy.Kustomize, File: "envs/{environment}/kustomization.yaml"},
			image:    "127.0.0.1:5000/order-service:a3f9c21@" + digestA,
			previous: "registry.example/shop/order-service:0b1c2d3@sha256:1111111111111111111111111111111111111111111111111111111111111111",
			changes:  1,
		},
		{
			// newName and digest are added under the entry's keys; a numeric tag is quoted.
			name: "kustomize-add-keys", fixture: "kustomization.yaml", service: "payment-service",
			target:   deploy.Target{Kind: deploy.Kustomize, File: "envs/{environment}/kustomization.yaml"},
			image:    "127.0.0.1:5000/payment-service:1234567@" + digestA,
			previous: "payment-service:0b1c2d3",
			changes:  1,
		},
		{
			// A reference without a digest drops the entry's digest line, comment and all.
			name: "kustomize-drop-digest", fixture: "kustomization.yaml", service: "user-service",
			target:   deploy.Target{Kind: deploy.Kustomize, File: "envs/{environment}/kustomization.yaml"},
			image:    "registry.example/shop/user-service:a3f9c21",
			previous: "registry.example/shop/user-service:0b1c2d3@sha256:2222222222222222222222222222222222222222222222222222222222222222",
			changes:  1,
		},
		{
			name: "helm-values", fixture: "values.yaml", service: "payment-service",
			target: deploy.Target{Kind: deploy.HelmValues, File: "envs/{environment}/values.yaml",
				Helm: deploy.HelmKeys{Repository: "image.repository", Tag: "image.tag", Digest: "image.digest"}},
			image:    "127.0.0.1:5000/payment-service:a3f9c21@" + digestA,
			previous: "registry.example/shop/payment-service:0b1c2d3",
			changes:  1,
		},
		{
			name: "helm-values-dotted-keys", fixture: "values-dotted.yaml", service: "user-service",
			target:   deploy.Target{Kind: deploy.HelmValues, File: "envs/{environment}/values.yaml"},
			image:    "127.0.0.1:5000/user-service:a3f9c21@" + digestA,
			previous: "registry.example/shop/user-service:0b1c2d3",
			changes:  1,
		},
		{
			name: "helm-values-whole-reference", fixture: "values-whole.yaml", service: "order-service",
			target: deploy.Target{Kind: deploy.HelmValues, File: "envs/{environment}/values.yaml",
				Helm: deploy.HelmKeys{Image: "app.image"}},
			image:    "127.0.0.1:5000/order-service:a3f9c21@" + digestA,
			previous: "registry.example/shop/order-service:0b1c2d3",
			changes:  1,
		},
		{
			// Every container running the image, init containers too; the sidecar stays.
			name: "deployment", fixture: "deployment.yaml", service: "order-service",
			target:   deploy.Target{Kind: deploy.Manifest, File: "envs/{environment}/order-service.yaml"},
			image:    "127.0.0.1:5000/order-service:a3f9c21@" + digestA,
			previous: "registry.example/shop/order-service:0b1c2d3",
			changes:  2,
		},
		{
			name: "deployment-one-container", fixture: "deployment.yaml", service: "order-service",
			target:   deploy.Target{Kind: deploy.Manifest, File: "envs/{environment}/order-service.yaml", Container: "app"},
			image:    "127.0.0.1:5000/order-service:a3f9c21@" + digestA,
			previous: "registry.example/shop/order-service:0b1c2d3",
			changes:  1,
		},
		{
			name: "cronjob", fixture: "cronjob.yaml", service: "order-report",
			target:   deploy.Target{Kind: deploy.Manifest, File: "envs/{environment}/order-service.yaml", Image: "order-service"},
			image:    "127.0.0.1:5000/order-service:a3f9c21@" + digestA,
			previous: "registry.example/shop/order-service@sha256:3333333333333333333333333333333333333333333333333333333333333333",
			changes:  1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			file := strings.ReplaceAll(tc.target.File, "{environment}", "production")
			repo := newConfigRepo(t, map[string]string{file: readFixture(t, tc.fixture), "README.md": "config\n"})
			g := newGitOps(repo.bare, tc.target)
			req := request(tc.service, "production", tc.image)

			plan, err := g.Plan(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if plan.PreviousImage != tc.previous || plan.NoOp || len(plan.Changes) != tc.changes {
				t.Fatalf("plan: previous %q noop %v changes %q; want previous %q and %d changes",
					plan.PreviousImage, plan.NoOp, plan.Changes, tc.previous, tc.changes)
			}
			before := repo.head()
			d, err := g.Apply(ctx, plan)
			if err != nil {
				t.Fatal(err)
			}
			if d.Ref != repo.head() || repo.commitCount() != 2 {
				t.Fatalf("deployment ref %s, head %s, %d commits: want one new commit at the head", d.Ref, repo.head(), repo.commitCount())
			}
			if parent := strings.TrimSpace(repo.git(repo.bare, "rev-parse", "main^")); parent != before {
				t.Errorf("the commit's parent is %s, want the previous head %s", parent, before)
			}
			golden(t, tc.name+".yaml", repo.show(file))
			if got := repo.show("README.md"); got != "config\n" {
				t.Errorf("README.md changed: %q", got)
			}

			st, err := g.Status(ctx, d)
			if err != nil || st.Health != deploy.Healthy {
				t.Errorf("status after apply: %+v, %v", st, err)
			}
		})
	}
}

func TestGitOpsCommitMessageAndAuthor(t *testing.T) {
	ctx := context.Background()
	repo := newConfigRepo(t, map[string]string{"envs/production/kustomization.yaml": readFixture(t, "kustomization.yaml")})
	g := newGitOps(repo.bare, deploy.Target{Kind: deploy.Kustomize, File: "envs/{environment}/kustomization.yaml"})
	image := "127.0.0.1:5000/order-service:a3f9c21@" + digestA
	plan, err := g.Plan(ctx, request("order-service", "production", image))
	if err != nil {
		t.Fatal(err)
	}
	if plan.Previous != "0b1c2d3" {
		t.Errorf("plan.Previous = %q, want the previous image's tag 0b1c2d3", plan.Previous)
	}
	if _, err := g.Apply(ctx, plan); err != nil {
		t.Fatal(err)
	}
	author, committer, date, msg := repo.commit("main")
	if author != "pipeline order-service#42 <ci@example.com>" || committer != "Treaty <treaty@ci.example>" {
		t.Errorf("author %q committer %q", author, committer)
	}
	if date != "2026-03-14T15:09:26Z" && date != "2026-03-14T15:09:26+00:00" {
		t.Errorf("commit date %q", date)
	}
	golden(t, "commit-message.txt", msg)
}

// The same plan applied twice (a retried step) commits once.
func TestGitOpsApplyIsIdempotent(t *testing.T) {
	ctx := context.Background()
	repo := newConfigRepo(t, map[string]string{"envs/production/kustomization.yaml": readFixture(t, "kustomization.yaml")})
	g := newGitOps(repo.bare, deploy.Target{Kind: deploy.Kustomize, File: "envs/{environment}/kustomization.yaml"})
	plan, err := g.Plan(ctx, request("order-service", "production", "127.0.0.1:5000/order-service:a3f9c21@"+digestA))
	if err != nil {
		t.Fatal(err)
	}
	first, err := g.Apply(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	again, err := g.Apply(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	if again.Ref != first.Ref || repo.commitCount() != 2 {
		t.Errorf("second apply: ref %s (first %s), %d commits; want no new commit", again.Ref, first.Ref, repo.commitCount())
	}
	replan, err := g.Plan(ctx, plan.Request)
	if err != nil || !replan.NoOp || replan.Previous != "a3f9c21" {
		t.Errorf("plan after apply: %+v, %v; want a no-op", replan, err)
	}
}

// Twenty pipelines promote twenty services into one kustomization at once, while a person
// keeps pushing to the same branch: every promotion lands, none is lost, nothing is forced.
func TestGitOpsConcurrentPromotionsAllLand(t *testing.T) {
	const n = 20
	ctx := context.Background()
	var kust strings.Builder
	kust.WriteString("# every service of the shop\nimages:\n")
	for i := range n {
		fmt.Fprintf(&kust, "- name: svc-%02d\n  newName: registry.example/svc-%02d\n  newTag: old%02d\n", i, i, i)
	}
	files := map[string]string{"envs/production/kustomization.yaml": kust.String(), "NOTES.md": "notes\n"}
	for i := range n {
		files[fmt.Sprintf("envs/production/svc-%02d.yaml", i)] = fmt.Sprintf(
			"kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: registry.example/svc-%02d:old%02d\n", i, i)
	}
	repo := newConfigRepo(t, files)
	g := newGitOps(repo.bare,
		deploy.Target{Kind: deploy.Kustomize, File: "envs/{environment}/kustomization.yaml"},
		deploy.Target{Kind: deploy.Manifest, File: "envs/{environment}/{service}.yaml"})
	var logs syncBuffer
	g.Logger = slog.New(slog.NewTextHandler(&logs, nil))

	// A person pushing to the same branch from outside this process all the while.
	humanDone := make(chan int, 1)
	go func() {
		pushes := 0
		defer func() { humanDone <- pushes }()
		for i := range 5 {
			if err := repo.tryHumanCommit("NOTES.md", fmt.Sprintf("notes, take %d\n", i), fmt.Sprintf("notes %d", i)); err != nil {
				t.Errorf("the person's push: %v", err)
				return
			}
			pushes++
			time.Sleep(30 * time.Millisecond)
		}
	}()

	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			svc := fmt.Sprintf("svc-%02d", i)
			req := request(svc, "production", fmt.Sprintf("127.0.0.1:5000/%s:new%02d@%s", svc, i, digestA))
			plan, err := g.Plan(ctx, req)
			if err != nil {
				errs[i] = err
				return
			}
			_, errs[i] = g.Apply(ctx, plan)
		})
	}
	wg.Wait()
	human := <-humanDone
	for i, err := range errs {
		if err != nil {
			t.Errorf("svc-%02d: %v", i, err)
		}
	}
	if got, want := repo.commitCount(), 1+n+human; got != want {
		t.Errorf("%d commits on main, want %d (seed, %d promotions, %d human pushes)", got, want, n, human)
	}
	t.Logf("%d pushes were beaten by the person's and made again on the new head", strings.Count(logs.String(), "making the edit again"))
	deploys := strings.Count(repo.git(repo.bare, "log", "--format=%s", "main"), "to production")
	if deploys != n {
		t.Errorf("%d deploy commits, want %d", deploys, n)
	}
	k := repo.show("envs/production/kustomization.yaml")
	for i := range n {
		img := fmt.Sprintf("127.0.0.1:5000/svc-%02d", i)
		if !strings.Contains(k, fmt.Sprintf("- name: svc-%02d\n  newName: %s\n  newTag: new%02d\n  digest: %s\n", i, img, i, digestA)) {
			t.Errorf("kustomization lacks svc-%02d's promotion:\n%s", i, k)
		}
		want := fmt.Sprintf("          image: %s:new%02d@%s\n", img, i, digestA)
		if got := repo.show(fmt.Sprintf("envs/production/svc-%02d.yaml", i)); !strings.Contains(got, want) {
			t.Errorf("svc-%02d.yaml:\n%s\nwant %q", i, got, want)
		}
	}
}

// A push that another writer beat is made again on their head: the person's commit stays,
// ours goes on top of it.
func TestGitOpsRetriesANonFastForwardPush(t *testing.T) {
	ctx := context.Background()
	repo := newConfigRepo(t, map[string]string{
		"envs/production/kustomization.yaml": readFixture(t, "kustomization.yaml"),
		"NOTES.md":                           "notes\n",
	})
	g := newGitOps(repo.bare, deploy.Target{Kind: deploy.Kustomize, File: "envs/{environment}/kustomization.yaml"})
	var attempts []int
	deploy.SetBeforePush(g, func(attempt int) {
		attempts = append(attempts, attempt)
		if attempt == 1 {
			repo.humanCommit("NOTES.md", "a person was here\n", "a person's change")
		}
	})
	plan, err := g.Plan(ctx, request("payment-service", "production", "127.0.0.1:5000/payment-service:a3f9c21@"+digestA))
	if err != nil {
		t.Fatal(err)
	}
	d, err := g.Apply(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	if len(attempts) != 2 {
		t.Errorf("pushes attempted %v, want two", attempts)
	}
	subjects := strings.Fields(strings.ReplaceAll(repo.git(repo.bare, "log", "--format=%s|", "main"), " ", "_"))
	want := []string{"deploy_payment-service_a3f9c21_to_production|", "a_person's_change|", "seed_the_config_repository|"}
	if strings.Join(subjects, ",") != strings.Join(want, ",") {
		t.Errorf("history %v, want %v", subjects, want)
	}
	if d.Ref != repo.head() || repo.show("NOTES.md") != "a person was here\n" ||
		!strings.Contains(repo.show("envs/production/kustomization.yaml"), "newTag: a3f9c21") {
		t.Errorf("after the retry: ref %s head %s", d.Ref, repo.head())
	}
}

// A person changed the very value since the plan: that is a conflict, reported and not
// overwritten — whether they did it before Apply or during its push.
func TestGitOpsReportsAConflict(t *testing.T) {
	for _, during := range []bool{false, true} {
		t.Run(fmt.Sprintf("during-push=%v", during), func(t *testing.T) {
			ctx := context.Background()
			repo := newConfigRepo(t, map[string]string{"envs/production/kustomization.yaml": readFixture(t, "kustomization.yaml")})
			g := newGitOps(repo.bare, deploy.Target{Kind: deploy.Kustomize, File: "envs/{environment}/kustomization.yaml"})
			plan, err := g.Plan(ctx, request("order-service", "production", "127.0.0.1:5000/order-service:a3f9c21@"+digestA))
			if err != nil {
				t.Fatal(err)
			}
			hotfix := func() {
				repo.humanEdit("envs/production/kustomization.yaml", `newTag: "0b1c2d3"`, `newTag: "hotfix1"`, "hotfix by hand")
			}
			if during {
				deploy.SetBeforePush(g, func(attempt int) {
					if attempt == 1 {
						hotfix()
					}
				})
			} else {
				hotfix()
			}
			_, err = g.Apply(ctx, plan)
			var conflict *deploy.ConflictError
			if !errors.As(err, &conflict) || !errors.Is(err, broker.ErrConflict) {
				t.Fatalf("apply after a hand edit: %v, want a ConflictError", err)
			}
			if conflict.Field != "images[order-service]" || !strings.Contains(conflict.Found, ":hotfix1@") ||
				!strings.Contains(conflict.Expected, ":0b1c2d3@") {
				t.Errorf("conflict %+v", conflict)
			}
			for _, want := range []string{"envs/production/kustomization.yaml", "hotfix1", "not overwritten"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if _, _, _, msg := repo.commit("main"); msg != "hotfix by hand\n\n" || !strings.Contains(repo.show("envs/production/kustomization.yaml"), "hotfix1") {
				t.Errorf("the hand edit was overwritten; last commit %q", msg)
			}
		})
	}
}

// A rollback is a new commit that puts the previous image back, byte for byte.
func TestGitOpsRollbackIsANewCommit(t *testing.T) {
	ctx := context.Background()
	original := readFixture(t, "values.yaml")
	repo := newConfigRepo(t, map[string]string{"envs/production/values.yaml": original})
	g := newGitOps(repo.bare, deploy.Target{Kind: deploy.HelmValues, File: "envs/{environment}/values.yaml"})
	plan, err := g.Plan(ctx, request("payment-service", "production", "127.0.0.1:5000/payment-service:a3f9c21@"+digestA))
	if err != nil {
		t.Fatal(err)
	}
	d, err := g.Apply(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	if d.PreviousImage != "registry.example/shop/payment-service:0b1c2d3" || d.Previous != "0b1c2d3" {
		t.Fatalf("deployment previous %q (%q)", d.Previous, d.PreviousImage)
	}
	back, err := g.Rollback(ctx, d, "error rate 0.5 >= 0.05 in 3 of 3 measurements")
	if err != nil {
		t.Fatal(err)
	}
	if repo.commitCount() != 3 || back.Ref != repo.head() {
		t.Fatalf("%d commits, rollback ref %s head %s: want a third commit", repo.commitCount(), back.Ref, repo.head())
	}
	// Never a force push: the deploy commit is still in the history, under the rollback.
	repo.git(repo.bare, "merge-base", "--is-ancestor", d.Ref, "main")
	if got := repo.show("envs/production/values.yaml"); got != original {
		t.Errorf("after the rollback:\n%s\nwant the original:\n%s", got, original)
	}
	if back.Request.Version != "0b1c2d3" || back.Request.Image != d.PreviousImage || back.Previous != "a3f9c21" {
		t.Errorf("rollback deployment %+v", back)
	}
	_, _, _, msg := repo.commit("main")
	golden(t, "rollback-message.txt", msg)

	// Git now says the rolled-back deployment is not what runs.
	if st, err := g.Status(ctx, d); err != nil || st.Health != deploy.Degraded || !strings.Contains(st.Message, "0b1c2d3") {
		t.Errorf("status of the rolled-back deployment: %+v, %v", st, err)
	}
	if st, err := g.Status(ctx, back); err != nil || st.Health != deploy.Healthy {
		t.Errorf("status after the rollback: %+v, %v", st, err)
	}

	// A deployment that replaced nothing has nothing to go back to.
	first := d
	first.Previous, first.PreviousImage = "", ""
	if _, err := g.Rollback(ctx, first, "x"); !errors.Is(err, deploy.ErrNoPrevious) {
		t.Errorf("rollback with no previous image: %v", err)
	}
}

func TestGitOpsStatusUsesTheHealthCallback(t *testing.T) {
	ctx := context.Background()
	repo := newConfigRepo(t, map[string]string{"envs/production/values.yaml": readFixture(t, "values.yaml")})
	g := newGitOps(repo.bare, deploy.Target{Kind: deploy.HelmValues, File: "envs/{environment}/values.yaml"})
	g.Health = func(ctx context.Context, d deploy.Deployment) (deploy.Status, error) {
		return deploy.Status{Health: deploy.Progressing, Message: "2 of 3 pods updated at " + d.Ref[:7]}, nil
	}
	plan, _ := g.Plan(ctx, request("payment-service", "production", "127.0.0.1:5000/payment-service:a3f9c21@"+digestA))
	d, err := g.Apply(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := g.Status(ctx, d); err != nil || st.Health != deploy.Progressing {
		t.Errorf("status %+v, %v; want the callback's", st, err)
	}
}

func TestGitOpsErrors(t *testing.T) {
	ctx := context.Background()
	repo := newConfigRepo(t, map[string]string{"envs/production/kustomization.yaml": readFixture(t, "kustomization.yaml")})
	kust := deploy.Target{Kind: deploy.Kustomize, File: "envs/{environment}/kustomization.yaml"}
	img := "127.0.0.1:5000/order-service:a3f9c21@" + digestA
	for _, tc := range []struct {
		name string
		g    *deploy.GitOps
		req  deploy.Request
		want []string
	}{
		{"unreachable remote", newGitOps(filepath.Join(t.TempDir(), "missing.git"), kust),
			request("order-service", "production", img), []string{"clone", "missing.git", "branch main"}},
		{"missing branch", func() *deploy.GitOps { g := newGitOps(repo.bare, kust); g.Branch = "release"; return g }(),
			request("order-service", "production", img), []string{"clone", "branch release"}},
		{"no target", newGitOps(repo.bare, deploy.Target{Kind: deploy.Kustomize, File: "x.yaml", Environment: "staging"}),
			request("order-service", "production", img), []string{"no target file"}},
		{"missing file", newGitOps(repo.bare, deploy.Target{Kind: deploy.Kustomize, File: "envs/{environment}/nope.yaml"}),
			request("order-service", "production", img), []string{"envs/production/nope.yaml"}},
		{"no such image", newGitOps(repo.bare, kust),
			request("cart-service", "production", "r/cart-service:a3f9c21"), []string{`no images: entry named "cart-service"`}},
		{"bad kind", newGitOps(repo.bare, deploy.Target{Kind: "terraform", File: "main.tf"}),
			request("order-service", "production", img), []string{`kind "terraform"`}},
		{"path outside", newGitOps(repo.bare, deploy.Target{Kind: deploy.Manifest, File: "../etc/passwd"}),
			request("order-service", "production", img), []string{"inside the repository"}},
		{"no image", newGitOps(repo.bare, kust),
			request("order-service", "production", ""), []string{"image are required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.g.Plan(ctx, tc.req)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if n := repo.commitCount(); n != 1 {
		t.Errorf("%d commits after failed plans, want 1", n)
	}
	// A push that fails for another reason than a moved branch is not retried.
	g := newGitOps(repo.bare, kust)
	plan, err := g.Plan(ctx, request("order-service", "production", img))
	if err != nil {
		t.Fatal(err)
	}
	hook := filepath.Join(repo.bare, "hooks", "pre-receive")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho 'policy: deploys are frozen' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	pushes := 0
	deploy.SetBeforePush(g, func(int) { pushes++ })
	_, err = g.Apply(ctx, plan)
	if err == nil || !strings.Contains(err.Error(), "push main") || pushes != 1 {
		t.Errorf("push refused by the remote: %v after %d pushes; want an error after one", err, pushes)
	}
	t.Logf("refused push: %v", err)
	if n := repo.commitCount(); n != 1 {
		t.Errorf("%d commits after a refused push, want 1", n)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
