package pipelines_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/pipelines"
	"github.com/treaty-dev/treaty/pipelines/steps"
)

var update = flag.Bool("update", false, "rewrite the .want files of testdata/specs")

// TestSpecs is the spec's validation as data: each testdata/specs/NAME.yaml beside NAME.want,
// the problems it must report one a line (empty for a valid spec). go test -update rewrites
// the .want files.
func TestSpecs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "specs", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no specs: %v", err)
	}
	reg := steps.Registry(nil)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			_, err := pipelines.ParseFile(file, reg)
			got := ""
			if err != nil {
				var se *pipelines.SpecErrors
				if !errors.As(err, &se) || !errors.Is(err, broker.ErrInvalid) {
					t.Fatalf("error %T is not *SpecErrors: %v", err, err)
				}
				got = err.Error() + "\n"
			}
			want := strings.TrimSuffix(file, ".yaml") + ".want"
			if *update {
				if err := os.WriteFile(want, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			data, err := os.ReadFile(want)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(data) {
				t.Errorf("%s:\ngot:\n%swant:\n%s", file, got, data)
			}
		})
	}
}

func TestPathFilters(t *testing.T) {
	f := pipelines.PathFilter{Include: []string{"examples/payment-service/**", "examples/internal/**", "go.mod"}, Exclude: []string{"**/*.md", "**/testdata/**"}}
	for file, want := range map[string]bool{
		"examples/payment-service/main.go":            true,
		"examples/payment-service/payment/charge.go":  true,
		"examples/internal/httpsvc/run.go":            true,
		"go.mod":                                      true,
		"./go.mod":                                    true,
		"examples/payment-service/README.md":          false,
		"examples/payment-service/testdata/x.json":    false,
		"examples/order-service/main.go":              false,
		"examples/payment-service-v2/main.go":         false,
		"go.sum":                                      false,
		"examples/order-service/pacts/a-payment.json": false,
	} {
		if got := f.Matches(file); got != want {
			t.Errorf("Matches(%q) = %v, want %v", file, got, want)
		}
	}
}

func TestVariables(t *testing.T) {
	v := pipelines.Vars{"service": "order-service", "version": "a3f9c21"}
	t.Setenv("TREATY_TEST_VAR", "from-env")
	for in, want := range map[string]string{
		"${service}:${version}":  "order-service:a3f9c21",
		"$${service} ${HOME}":    "${service} ${HOME}",
		"${env.TREATY_TEST_VAR}": "from-env",
		"no variables":           "no variables",
		"${unclosed":             "${unclosed",
	} {
		got, err := v.Expand(in)
		if err != nil || got != want {
			t.Errorf("Expand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := v.Expand("${nope}"); err == nil || err.Error() != "${nope} has no value here" {
		t.Errorf("Expand(${nope}) = %v", err)
	}
}

func TestStagesBetween(t *testing.T) {
	s, err := pipelines.ParseFile(filepath.Join("testdata", "specs", "valid.yaml"), steps.Registry(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ from, until, want string }{
		{"", "", "build test publish staging production"},
		{"staging", "", "staging production"},
		{"", "publish", "build test publish"},
		{"test", "test", "test"},
		{"production", "build", "error: --from production comes after --until build"},
		{"deploy", "", `error: --from "deploy" is not a stage; the stages are build, test, publish, staging, production`},
	} {
		stages, err := s.StagesBetween(c.from, c.until)
		var names []string
		for _, st := range stages {
			names = append(names, st.Name)
		}
		got := strings.Join(names, " ")
		if err != nil {
			got = "error: " + err.Error()
		}
		if got != c.want {
			t.Errorf("StagesBetween(%q, %q) = %s, want %s", c.from, c.until, got, c.want)
		}
	}
}
