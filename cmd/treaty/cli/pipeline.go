package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/pipelines"
	"github.com/treaty-dev/treaty/pipelines/steps"
)

func init() { register(newPipelineCmd) }

func newPipelineCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pipeline",
		Short: "Per-service pipelines: validate a treaty.yaml, run it, read its runs, export it to a CI engine",
		Long: `Each service has a pipeline in a treaty.yaml beside its code: stages build, test, publish,
staging and production, each a list of steps. treaty pipeline run runs it stage by stage, asks
the release gates before publish, staging and production, deploys through the configured
deployer, watches production and rolls back when it goes wrong. Every step's result is recorded
against the candidate, and every run in the broker.`,
	}
	cmd.AddCommand(newPipelineValidateCmd(), newPipelineRunCmd(), newPipelineRunsCmd(), newPipelineShowCmd(), newPipelineExportCmd())
	return cmd
}

// pipeline validate

func newPipelineValidateCmd() *cobra.Command {
	var files []string
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check a pipeline spec without running anything",
		Long: `Check treaty.yaml files: every field known and of the right kind, every step one Treaty knows
with the settings it takes, every duration a duration, every variable defined, every glob
well-formed. Each problem is reported with its line and field.

Exit status: 0 valid, 2 invalid or unreadable.`,
		Example: `  treaty pipeline validate
  treaty pipeline validate --file services/payment/treaty.yaml --file services/order/treaty.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			reg := steps.Registry(nil)
			bad := 0
			for _, f := range files {
				spec, err := pipelines.ParseFile(f, reg)
				if err != nil {
					bad++
					var se *pipelines.SpecErrors
					if errors.As(err, &se) {
						for i := range se.Errors {
							se.Errors[i].File = f
						}
					}
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", f, describeSpec(spec))
			}
			if bad > 0 {
				return withCode(ExitUsage, fmt.Errorf("%d of %d spec(s) invalid", bad, len(files)))
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&files, "file", "f", []string{envOr("treaty.yaml", "TREATY_PIPELINE_FILE")}, "the spec to check; repeat for several (env TREATY_PIPELINE_FILE)")
	return cmd
}

// describeSpec sums a valid spec up in a line.
func describeSpec(s *pipelines.Spec) string {
	var stages []string
	n := 0
	for _, st := range s.Stages {
		stages = append(stages, st.Name)
		n += len(st.Steps)
	}
	return fmt.Sprintf("valid: %s, stages %s, %d step(s)", s.Service, strings.Join(stages, " → "), n)
}

// findSpecs resolves --file and --service to spec files: the files given, or ./treaty.yaml,
// or every treaty.yaml in the repository (for --service, the one of that service).
func findSpecs(files []string, service, root string) ([]string, error) {
	if len(files) > 0 {
		return files, nil
	}
	if service == "" {
		if _, err := os.Stat("treaty.yaml"); err == nil {
			return []string{"treaty.yaml"}, nil
		}
	}
	found, err := pipelines.FindSpecs(root)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("no treaty.yaml under %s: give --file", root)
	}
	for i, f := range found {
		if rel, err := filepath.Rel(".", f); err == nil {
			found[i] = rel
		}
	}
	return found, nil
}
