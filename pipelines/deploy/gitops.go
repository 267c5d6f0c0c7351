package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/mail"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/memfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"
)

// GitOps deploys by committing the new image to a config repository that a GitOps agent
// (Argo CD, Flux) applies. Every deployment and every rollback is a new commit on the branch,
// pushed without force, whose message names the candidate, the gate decision and its reason.
//
// Writers of one repository and branch take turns in this process, and a push that another
// writer beat (a non-fast-forward) is retried on the new head with the same edit made again:
// several pipelines promoting into one repository all land. A value changed by someone else
// since the plan is a ConflictError, and stays as they left it.
type GitOps struct {
	// Repo is the config repository: a URL (https://, ssh://, file://) or a local path, such
	// as a bare repository on disk.
	Repo string
	// Branch is the branch deployments are committed to; default "main".
	Branch string
	// Auth authenticates to Repo; nil for none.
	Auth transport.AuthMethod
	// Targets say which file deploys which service to which environment.
	Targets []Target
	// Committer commits; default "Treaty <treaty@localhost>". The author is the request's
	// Author ("Name <email>" or a name) when it has one.
	Committer Identity
	// Attempts bounds the pushes of one change when other writers keep winning; default 10.
	Attempts int
	// Health, when set, says how a deployment that the repository declares is doing (an Argo
	// CD application's health, a probe). Without it, declared is as healthy as Git can tell.
	Health func(ctx context.Context, d Deployment) (Status, error)
	// Now is the clock for commit times; default time.Now.
	Now func() time.Time
	// Logger receives retries; default discards.
	Logger *slog.Logger

	// beforePush lets tests slip another writer's commit in before a push.
	beforePush func(attempt int)
}

// Identity is a git author or committer.
type Identity struct{ Name, Email string }

var _ Deployer = (*GitOps)(nil)

// Git trailers in commit messages, for tools and people reading the history.
const (
	TrailerService     = "Treaty-Service"
	TrailerEnvironment = "Treaty-Environment"
	TrailerVersion     = "Treaty-Version"
	TrailerImage       = "Treaty-Image"
	TrailerRollbackOf  = "Treaty-Rollback-Of"
)

func (g *GitOps) branch() string {
	if g.Branch == "" {
		return "main"
	}
	return g.Branch
}

func (g *GitOps) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func (g *GitOps) log() *slog.Logger {
	if g.Logger != nil {
		return g.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (g *GitOps) committer() Identity {
	if g.Committer.Name == "" {
		return Identity{Name: "Treaty", Email: "treaty@localhost"}
	}
	return g.Committer
}

func (g *GitOps) author(req Request) Identity {
	c := g.committer()
	if req.Author == "" {
		return c
	}
	if a, err := mail.ParseAddress(req.Author); err == nil {
		if a.Name == "" {
			a.Name = a.Address
		}
		return Identity{Name: a.Name, Email: a.Address}
	}
	return Identity{Name: req.Author, Email: c.Email}
}

func (g *GitOps) targetsFor(req Request) ([]Target, error) {
	if req.Service == "" || req.Environment == "" || req.Image == "" {
		return nil, fmt.Errorf("request for %q in %q: service, environment and image are required", req.Service, req.Environment)
	}
	var out []Target
	for _, t := range g.Targets {
		if !t.matches(req) {
			continue
		}
		if err := t.validate(); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s in %s: %w", req.Service, req.Environment, errNoTarget)
	}
	return out, nil
}

// Plan reads what the environment's manifests declare now and what the change would be.
func (g *GitOps) Plan(ctx context.Context, req Request) (Plan, error) {
	wrap := func(err error) error {
		return fmt.Errorf("plan %s %s to %s in %s: %w", req.Service, req.Version, req.Environment, g.Repo, err)
	}
	targets, err := g.targetsFor(req)
	if err != nil {
		return Plan{}, wrap(err)
	}
	c, err := g.clone(ctx)
	if err != nil {
		return Plan{}, wrap(err)
	}
	var prev imageRef
	var prevFrom string
	want := parseImageRef(req.Image)
	plan := Plan{Request: req}
	for i, t := range targets {
		src, err := c.read(t.file(req))
		if err != nil {
			return Plan{}, wrap(err)
		}
		cur, places, err := readImage(src, t, req)
		if err != nil {
			return Plan{}, wrap(err)
		}
		if i == 0 {
			prev, prevFrom = cur, t.file(req)
		} else if p := places[0].project(prev); p != cur {
			return Plan{}, wrap(fmt.Errorf("%s names %s but %s names %s; make them agree first", prevFrom, prev, t.file(req), cur))
		}
		e, err := editImage(src, t, req, cur, want)
		if err != nil {
			return Plan{}, wrap(err)
		}
		plan.Changes = append(plan.Changes, e.changes...)
	}
	plan.PreviousImage = prev.String()
	plan.Previous = prev.Tag
	plan.NoOp = len(plan.Changes) == 0
	return plan, nil
}

// Apply commits the planned image to the repository and pushes it. An Apply that finds the
// image already there (a retry after a crash, say) commits nothing and returns the head.
func (g *GitOps) Apply(ctx context.Context, plan Plan) (Deployment, error) {
	req := plan.Request
	ref, err := g.write(ctx, req, parseImageRef(plan.PreviousImage), func(changes []string) string {
		return deployMessage(req, plan, changes)
	})
	if err != nil {
		return Deployment{}, fmt.Errorf("deploy %s %s to %s in %s: %w", req.Service, req.Version, req.Environment, g.Repo, err)
	}
	return Deployment{Request: req, Previous: plan.Previous, PreviousImage: plan.PreviousImage, Ref: ref, AppliedAt: g.now()}, nil
}

// Rollback commits the previous image back, as a new commit on top of the history.
func (g *GitOps) Rollback(ctx context.Context, d Deployment, reason string) (Deployment, error) {
	wrap := func(err error) error {
		return fmt.Errorf("roll back %s %s in %s in %s: %w", d.Request.Service, d.Request.Version, d.Request.Environment, g.Repo, err)
	}
	if d.PreviousImage == "" {
		return Deployment{}, wrap(ErrNoPrevious)
	}
	req := d.Request
	req.Version, req.Image, req.Why = d.Previous, d.PreviousImage, reason
	ref, err := g.write(ctx, req, parseImageRef(d.Request.Image), func(changes []string) string {
		return rollbackMessage(d, reason, changes)
	})
	if err != nil {
		return Deployment{}, wrap(err)
	}
	return Deployment{Request: req, Previous: d.Request.Version, PreviousImage: d.Request.Image, Ref: ref, AppliedAt: g.now()}, nil
}

// Status reads what the repository declares now for the deployment's service and
// environment: Degraded when it names another image (changed or superseded since), and
// otherwise what the Health callback says, or Healthy ("declared") without one.
func (g *GitOps) Status(ctx context.Context, d Deployment) (Status, error) {
	req := d.Request
	targets, err := g.targetsFor(req)
	if err != nil {
		return Status{Health: Unknown}, fmt.Errorf("status of %s in %s: %w", req.Service, req.Environment, err)
	}
	c, err := g.clone(ctx)
	if err != nil {
		return Status{Health: Unknown}, fmt.Errorf("status of %s in %s: %w", req.Service, req.Environment, err)
	}
	want := parseImageRef(req.Image)
	for _, t := range targets {
		src, err := c.read(t.file(req))
		if err != nil {
			return Status{Health: Unknown}, fmt.Errorf("status of %s in %s: %w", req.Service, req.Environment, err)
		}
		cur, places, err := readImage(src, t, req)
		if err != nil {
			return Status{Health: Degraded, Message: err.Error()}, nil
		}
		if cur != places[0].project(want) {
			return Status{Health: Degraded, Message: fmt.Sprintf("%s now names %s, not %s (changed or superseded since %s)",
				t.file(req), orNone(cur.String()), want, short(d.Ref))}, nil
		}
	}
	if g.Health != nil {
		return g.Health(ctx, d)
	}
	return Status{Health: Healthy, Message: fmt.Sprintf("%s declares %s at %s (commit %s); no health source is configured",
		g.branch(), req.Image, short(c.head.String()), short(d.Ref))}, nil
}

// write makes the edit (expect → the request's image) on the branch head, commits and
// pushes it, and when another writer pushed first, does it all again on their head.
func (g *GitOps) write(ctx context.Context, req Request, expect imageRef, message func(changes []string) string) (string, error) {
	targets, err := g.targetsFor(req)
	if err != nil {
		return "", err
	}
	unlock, err := lockRepo(ctx, repoKey(g.Repo, g.branch()))
	if err != nil {
		return "", err
	}
	defer unlock()

	want := parseImageRef(req.Image)
	attempts := g.Attempts
	if attempts <= 0 {
		attempts = 10
	}
	var c *checkout
	for attempt := 1; ; attempt++ {
		if c == nil {
			if c, err = g.clone(ctx); err != nil {
				return "", err
			}
		}
		var changes []string
		for _, t := range targets {
			file := t.file(req)
			src, err := c.read(file)
			if err != nil {
				return "", err
			}
			e, err := editImage(src, t, req, expect, want)
			if err != nil {
				return "", err
			}
			if len(e.changes) == 0 {
				continue
			}
			if err := c.write(file, e.after); err != nil {
				return "", err
			}
			changes = append(changes, e.changes...)
		}
		if len(changes) == 0 {
			return c.head.String(), nil // already there
		}
		author, committer := g.author(req), g.committer()
		when := g.now()
		hash, err := c.wt.Commit(message(changes), &git.CommitOptions{
			Author:    &object.Signature{Name: author.Name, Email: author.Email, When: when},
			Committer: &object.Signature{Name: committer.Name, Email: committer.Email, When: when},
		})
		if err != nil {
			return "", fmt.Errorf("commit: %w", err)
		}
		if g.beforePush != nil {
			g.beforePush(attempt)
		}
		pushErr := c.push(ctx, g)
		if pushErr == nil {
			return hash.String(), nil
		}
		// Did another writer move the branch? Then make the same edit on their head.
		moved, err := c.fetchAndReset(ctx, g)
		if err != nil {
			return "", fmt.Errorf("push %s: %w (and fetching after it: %v)", g.branch(), pushErr, err)
		}
		if !moved {
			return "", fmt.Errorf("push %s: %w", g.branch(), pushErr)
		}
		if attempt >= attempts {
			return "", fmt.Errorf("push %s: other writers moved the branch %d times in a row; gave up: %w", g.branch(), attempts, pushErr)
		}
		g.log().Info("config repository moved during the push; making the edit again on the new head",
			"repo", g.Repo, "branch", g.branch(), "attempt", attempt, "head", short(c.head.String()))
		if err := sleepCtx(ctx, backoff(attempt)); err != nil {
			return "", err
		}
	}
}

// checkout is an in-memory clone of the branch.
type checkout struct {
	repo *git.Repository
	wt   *git.Worktree
	fs   billy.Filesystem
	head plumbing.Hash
}

func (g *GitOps) clone(ctx context.Context) (*checkout, error) {
	fs := memfs.New()
	r, err := git.CloneContext(ctx, memory.NewStorage(), fs, &git.CloneOptions{
		URL:           g.Repo,
		Auth:          g.Auth,
		ReferenceName: plumbing.NewBranchReferenceName(g.branch()),
		SingleBranch:  true,
		Tags:          git.NoTags,
	})
	if err != nil {
		return nil, fmt.Errorf("clone %s (branch %s): %w", g.Repo, g.branch(), err)
	}
	wt, err := r.Worktree()
	if err != nil {
		return nil, err
	}
	head, err := r.Head()
	if err != nil {
		return nil, fmt.Errorf("clone %s: %w", g.Repo, err)
	}
	return &checkout{repo: r, wt: wt, fs: fs, head: head.Hash()}, nil
}

func (c *checkout) read(file string) ([]byte, error) {
	f, err := c.fs.Open(file)
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: %w", file, short(c.head.String()), err)
	}
	defer f.Close()
	return io.ReadAll(f)
}

func (c *checkout) write(file string, data []byte) error {
	f, err := c.fs.Create(file) // truncates; the file exists, so its mode is kept in the index
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	_, err = c.wt.Add(file)
	return err
}

func (c *checkout) push(ctx context.Context, g *GitOps) error {
	spec := config.RefSpec(fmt.Sprintf("refs/heads/%s:refs/heads/%[1]s", g.branch()))
	err := c.repo.PushContext(ctx, &git.PushOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{spec}, Auth: g.Auth})
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	return err
}

// fetchAndReset fetches the branch and, when it moved past our base, resets onto it.
func (c *checkout) fetchAndReset(ctx context.Context, g *GitOps) (bool, error) {
	remoteRef := plumbing.NewRemoteReferenceName("origin", g.branch())
	spec := config.RefSpec(fmt.Sprintf("+refs/heads/%s:%s", g.branch(), remoteRef))
	err := c.repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{spec}, Auth: g.Auth, Tags: git.NoTags})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return false, err
	}
	ref, err := c.repo.Reference(remoteRef, true)
	if err != nil {
		return false, err
	}
	if ref.Hash() == c.head {
		return false, nil
	}
	if err := c.wt.Reset(&git.ResetOptions{Commit: ref.Hash(), Mode: git.HardReset}); err != nil {
		return false, err
	}
	c.head = ref.Hash()
	return true, nil
}

// repoLocks holds one single-slot semaphore per repository and branch: the writers of one
// branch in this process take turns, waiting as long as their context allows.
var repoLocks sync.Map

func lockRepo(ctx context.Context, key string) (func(), error) {
	v, _ := repoLocks.LoadOrStore(key, make(chan struct{}, 1))
	slot := v.(chan struct{})
	select {
	case slot <- struct{}{}:
		return func() { <-slot }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the other writers of %s: %w", key, ctx.Err())
	}
}

// repoKey names a repository and branch the same however the repository is spelled: a
// local path absolute and clean, a URL without a trailing slash or .git.
func repoKey(repo, branch string) string {
	r := repo
	switch {
	case strings.HasPrefix(r, "file://"):
		r = filepath.Clean(strings.TrimPrefix(r, "file://"))
	case !strings.Contains(r, "://") && !isSCPLike(r):
		if abs, err := filepath.Abs(r); err == nil {
			r = abs
		}
	}
	r = strings.TrimSuffix(strings.TrimSuffix(r, "/"), ".git")
	return r + "#" + branch
}

// isSCPLike recognises git@host:path.
func isSCPLike(s string) bool {
	colon := strings.Index(s, ":")
	slash := strings.Index(s, "/")
	return colon > 0 && (slash < 0 || colon < slash)
}

func backoff(attempt int) time.Duration {
	d := 25 * time.Millisecond << min(attempt, 5)
	return d/2 + rand.N(d/2+1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func short(hash string) string {
	if len(hash) > 7 {
		return hash[:7]
	}
	return hash
}

func deployMessage(req Request, plan Plan, changes []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "deploy %s %s to %s\n\n", req.Service, req.Version, req.Environment)
	fmt.Fprintf(&b, "Candidate: %s %s\n", req.Service, req.Version)
	fmt.Fprintf(&b, "Image: %s\n", req.Image)
	if plan.PreviousImage != "" {
		fmt.Fprintf(&b, "Replaces: %s (%s)\n", orNone(plan.Previous), plan.PreviousImage)
	}
	fmt.Fprintf(&b, "Decision: %s\n", orNone(req.Why))
	writeChanges(&b, changes)
	writeTrailers(&b, req, "")
	return b.String()
}

func rollbackMessage(d Deployment, reason string, changes []string) string {
	var b strings.Builder
	req := d.Request
	fmt.Fprintf(&b, "roll back %s in %s to %s\n\n", req.Service, req.Environment, orNone(d.Previous))
	fmt.Fprintf(&b, "Rolls back: %s %s (%s)\n", req.Service, req.Version, req.Image)
	fmt.Fprintf(&b, "Restores: %s %s (%s)\n", req.Service, orNone(d.Previous), d.PreviousImage)
	fmt.Fprintf(&b, "Reason: %s\n", orNone(reason))
	writeChanges(&b, changes)
	back := req
	back.Version, back.Image = d.Previous, d.PreviousImage
	writeTrailers(&b, back, req.Version)
	return b.String()
}

func writeChanges(b *strings.Builder, changes []string) {
	b.WriteString("\nChanges:\n")
	for _, c := range changes {
		b.WriteString("- " + c + "\n")
	}
}

func writeTrailers(b *strings.Builder, req Request, rollbackOf string) {
	b.WriteString("\n")
	fmt.Fprintf(b, "%s: %s\n%s: %s\n%s: %s\n%s: %s\n",
		TrailerService, req.Service, TrailerEnvironment, req.Environment,
		TrailerVersion, req.Version, TrailerImage, req.Image)
	if rollbackOf != "" {
		fmt.Fprintf(b, "%s: %s\n", TrailerRollbackOf, rollbackOf)
	}
}
