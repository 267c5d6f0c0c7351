package steps_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/gates"
	"github.com/treaty-dev/treaty/pipelines"
	"github.com/treaty-dev/treaty/pipelines/steps"
)

// stepContext is what the runner gives a step, for a step run on its own.
func stepContext(t *testing.T, dir string, with map[string]any) (*pipelines.StepContext, *bytes.Buffer) {
	var out bytes.Buffer
	return &pipelines.StepContext{With: with, Dir: dir, Env: os.Environ(), Out: &out, Service: "payment-service", Version: "a3f9c21",
		Vars: pipelines.Vars{"root": dir}}, &out
}

func run(t *testing.T, name string, sc *pipelines.StepContext) (pipelines.Result, error) {
	t.Helper()
	def, ok := steps.Registry(nil).Step(name)
	if !ok {
		t.Fatalf("no step %s", name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return def.Run(ctx, sc)
}

var (
	govulncheckOnce sync.Once
	govulncheckPath string
)

// govulncheck finds govulncheck, or installs it through the Go module proxy into a
// directory of the test run's own.
func govulncheck(t *testing.T) string {
	govulncheckOnce.Do(func() {
		if p, err := exec.LookPath("govulncheck"); err == nil {
			govulncheckPath = p
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
		govulncheckPath = filepath.Join(gobin, "govulncheck")
	})
	if govulncheckPath == "" {
		t.Fatal("govulncheck is not installed and could not be installed")
	}
	return govulncheckPath
}

// module writes a one-file Go module whose main runs body.
func module(t *testing.T, imports, body string) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.test/svc\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := "package main\n\nimport " + imports + "\n\nfunc main() { " + body + " }\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestGovulncheckWithALocalDatabase scans with govulncheck against testdata/vulndb, a
// database in the layout of vuln.go.dev holding one made-up vulnerability in
// net/http.ListenAndServe: a program that calls it has one finding (govulncheck knows no
// severities, so it counts as unknown); one that does not, none.
func TestGovulncheckWithALocalDatabase(t *testing.T) {
	bin := govulncheck(t)
	db, err := filepath.Abs(filepath.Join("testdata", "vulndb"))
	if err != nil {
		t.Fatal(err)
	}
	path := "PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH")
	for _, c := range []struct {
		name, imports, body string
		want                gates.SeverityCounts
	}{
		{"calls the vulnerable function", `"net/http"`, `_ = http.ListenAndServe("127.0.0.1:0", nil)`, gates.SeverityCounts{Unknown: 1}},
		{"does not", `"fmt"`, `fmt.Println("hello")`, gates.SeverityCounts{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			sc, out := stepContext(t, module(t, c.imports, c.body), map[string]any{"scanner": "govulncheck", "db": "file://" + db})
			sc.Env = append(sc.Env, path)
			res, err := run(t, "security-scan", sc)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if res.Counts == nil || *res.Counts != c.want || !strings.HasSuffix(res.Message, "(read from govulncheck)") || !strings.Contains(res.Details, `"protocol_version"`) {
				t.Errorf("result = %+v %s", res.Counts, res.Message)
			}
		})
	}
	// With thresholds, a finding over them fails the step, for good.
	sc, _ := stepContext(t, module(t, `"net/http"`, `_ = http.ListenAndServe("127.0.0.1:0", nil)`),
		map[string]any{"scanner": "govulncheck", "db": "file://" + db, "thresholds": map[string]string{"unknown": "0"}})
	sc.Env = append(sc.Env, path)
	if _, err := run(t, "security-scan", sc); err == nil || !pipelines.IsPermanent(err) || err.Error() != "the scan found 1 unknown (at most 0)" {
		t.Errorf("over the threshold: %v", err)
	}
}

func TestSecurityScanReports(t *testing.T) {
	dir := t.TempDir()
	sarif := `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"trivy","rules":[{"id":"CVE-1","properties":{"security-severity":"9.8"}}]}},
		"results":[{"ruleId":"CVE-1","level":"error"},{"ruleId":"CVE-2","level":"warning"}]}]}`
	if err := os.WriteFile(filepath.Join(dir, "scan.sarif"), []byte(sarif), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		with map[string]any
		want string
	}{
		{"SARIF on stdout", map[string]any{"run": "cat scan.sarif"}, "1 critical, 1 medium (read from sarif)"},
		{"a report file, and a scanner that exits 1 on findings", map[string]any{"run": "echo scanning; exit 1", "report": "scan.sarif"}, "1 critical, 1 medium (read from sarif)"},
		{"not a report", map[string]any{"run": "echo hello"}, "error: the scanner ran but its output is not a report Treaty can read: not JSON: invalid character 'h' looking for beginning of value"},
		{"a scanner that fails", map[string]any{"run": "echo broken >&2; exit 2"}, `error: "echo broken >&2; exit 2" exited with status 2`},
		{"nothing to run", map[string]any{}, "error: say how to scan: scanner: govulncheck, or the scanner's command in run"},
	} {
		t.Run(c.name, func(t *testing.T) {
			sc, _ := stepContext(t, dir, c.with)
			res, err := run(t, "security-scan", sc)
			got := res.Message
			if err != nil {
				got = "error: " + err.Error()
			}
			if got != c.want {
				t.Errorf("got %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestCommandStepKillsWhatItStarted(t *testing.T) {
	sc, _ := stepContext(t, t.TempDir(), map[string]any{"run": "sleep 30 & sleep 30; wait"})
	def, _ := steps.Registry(nil).Step("command")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := def.Run(ctx, sc)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("err = %v after %s", err, time.Since(start))
	}
}
