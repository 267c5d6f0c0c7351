package pipelines

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Matches reports whether a changed file (a slash-separated path relative to the repository's
// root) concerns the service: it matches an include glob and no exclude glob.
func (f PathFilter) Matches(file string) bool {
	file = strings.TrimPrefix(filepath.ToSlash(file), "./")
	included := false
	for _, g := range f.Include {
		if ok, _ := doublestar.Match(g, file); ok {
			included = true
			break
		}
	}
	if !included {
		return false
	}
	for _, g := range f.Exclude {
		if ok, _ := doublestar.Match(g, file); ok {
			return false
		}
	}
	return true
}

// Filter is the spec's path filter, defaulting to everything under the service's directory
// (relative to root) when the spec has no include globs.
func (s *Spec) Filter(root string) PathFilter {
	f := s.Paths
	if len(f.Include) == 0 {
		rel, err := filepath.Rel(root, s.Dir)
		if err != nil || rel == "." {
			f.Include = []string{"**"}
		} else {
			f.Include = []string{filepath.ToSlash(rel) + "/**"}
		}
	}
	return f
}

// Concerns lists the changed files that concern the service.
func (s *Spec) Concerns(root string, changed []string) []string {
	f := s.Filter(root)
	var out []string
	for _, c := range changed {
		if f.Matches(c) {
			out = append(out, c)
		}
	}
	return out
}

// RepoRoot is the root of the git work tree that holds dir.
func RepoRoot(ctx context.Context, dir string) (string, error) {
	out, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", fmt.Errorf("%s is not in a git repository: %w", dir, err)
	}
	return strings.TrimSpace(out), nil
}

// ChangedFiles lists the files changed since rev in the work tree of root: committed,
// staged, unstaged and untracked, as slash-separated paths relative to root.
func ChangedFiles(ctx context.Context, root, rev string) ([]string, error) {
	if _, err := git(ctx, root, "rev-parse", "--verify", "--quiet", rev+"^{commit}"); err != nil {
		return nil, fmt.Errorf("--changed-since %s: no such commit in %s", rev, root)
	}
	diff, err := git(ctx, root, "diff", "--name-only", "--no-renames", rev, "--")
	if err != nil {
		return nil, err
	}
	untracked, err := git(ctx, root, "ls-files", "--others", "--exclude-standard")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, l := range strings.Split(diff+"\n"+untracked, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			seen[l] = true
		}
	}
	out := make([]string, 0, len(seen))
	for f := range seen {
		out = append(out, f)
	}
	sort.Strings(out)
	return out, nil
}

// Commit is the commit id of HEAD in dir.
func Commit(ctx context.Context, dir string) (string, error) {
	out, err := git(ctx, dir, "rev-parse", "HEAD")
	if err != nil {
		return "", fmt.Errorf("read the commit id (or give --commit): %w", err)
	}
	return strings.TrimSpace(out), nil
}

// Branch is the branch checked out in dir ("" when detached).
func Branch(ctx context.Context, dir string) string {
	out, err := git(ctx, dir, "rev-parse", "--abbrev-ref", "HEAD")
	if err != nil || strings.TrimSpace(out) == "HEAD" {
		return ""
	}
	return strings.TrimSpace(out)
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return stdout.String(), nil
}

// FindSpecs finds the treaty.yaml files under root (skipping hidden directories, vendor and
// node_modules), sorted by path.
func FindSpecs(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "vendor" || name == "node_modules" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() == "treaty.yaml" {
			out = append(out, path)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}
