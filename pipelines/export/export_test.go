package export_test

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"

	"github.com/treaty-dev/treaty/pipelines"
	"github.com/treaty-dev/treaty/pipelines/export"
	"github.com/treaty-dev/treaty/pipelines/steps"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func spec(t *testing.T) *pipelines.Spec {
	t.Helper()
	s, err := pipelines.ParseFile(filepath.Join("testdata", "treaty.yaml"), steps.Registry(nil))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestExport compares each engine's workflow with its golden file (go test -update rewrites
// them), and checks that it is YAML.
func TestExport(t *testing.T) {
	s := spec(t)
	for format, golden := range map[string]string{"github-actions": "github-actions.yml", "gitlab-ci": "gitlab-ci.yml", "tekton": "tekton.yaml"} {
		t.Run(format, func(t *testing.T) {
			got, err := export.Export(format, s, export.Options{SpecPath: "services/payment/treaty.yaml", Root: filepath.Dir(s.Dir)})
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := yaml.Unmarshal(got, &doc); err != nil {
				t.Fatalf("not YAML: %v\n%s", err, got)
			}
			path := filepath.Join("testdata", golden)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (go test -update rewrites it):\n%s", format, path, got)
			}
		})
	}
	if _, err := export.Export("jenkins", s, export.Options{}); err == nil {
		t.Error("exported to jenkins")
	}
}

// TestGitHubActionsPassesActionlint lints the GitHub workflow with actionlint, as a library.
func TestGitHubActionsPassesActionlint(t *testing.T) {
	s := spec(t)
	got, err := export.Export("github-actions", s, export.Options{SpecPath: "services/payment/treaty.yaml", Root: filepath.Dir(s.Dir)})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{WorkingDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint(filepath.Join(dir, ".github", "workflows", "payment-service.yml"), got, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("actionlint: %s", e.Error())
	}
	// actionlint does find problems: a broken workflow is reported.
	broken := bytes.Replace(got, []byte("runs-on: ubuntu-latest"), []byte("runs-on: [ubuntu-latest"), 1)
	if errs, _ := l.Lint(filepath.Join(dir, "broken.yml"), broken, nil); len(errs) == 0 {
		t.Error("actionlint passed a broken workflow")
	}
}
