package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/pipelines"
	"github.com/treaty-dev/treaty/pipelines/export"
	"github.com/treaty-dev/treaty/pipelines/steps"
)

func newPipelineExportCmd() *cobra.Command {
	var (
		file, to, out, install, image, branch string
	)
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write a pipeline as a GitHub Actions, GitLab CI or Tekton workflow that calls treaty",
		Long: `Write the equivalent workflow of another CI engine: one job per stage, each calling treaty
pipeline run for that stage, in order; the spec's paths become the triggers, the environment
stages the engine's environments, with one deploy at a time per environment.`,
		Example: `  treaty pipeline export --to github-actions --out .github/workflows/payment-service.yml
  treaty pipeline export --file services/order/treaty.yaml --to gitlab-ci`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec, err := pipelines.ParseFile(file, steps.Registry(nil))
			if err != nil {
				return withCode(ExitUsage, err)
			}
			cwd, _ := os.Getwd()
			root, err := pipelines.RepoRoot(cmd.Context(), cwd)
			if err != nil {
				root = cwd
			}
			data, err := export.Export(to, spec, export.Options{SpecPath: specRel(root, file), Root: root, Install: install, Image: image, Branch: branch})
			if err != nil {
				return withCode(ExitUsage, err)
			}
			if out == "" || out == "-" {
				_, err = cmd.OutOrStdout().Write(data)
				return err
			}
			if err := os.WriteFile(out, data, 0o644); err != nil {
				return withCode(ExitUsage, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Wrote %s's pipeline for %s to %s\n", spec.Service, to, out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", envOr("treaty.yaml", "TREATY_PIPELINE_FILE"), "the spec (env TREATY_PIPELINE_FILE)")
	f.StringVar(&to, "to", "", "the engine: "+strings.Join(export.Formats, ", ")+" (required)")
	f.StringVar(&out, "out", "", "the file to write (default: standard output)")
	f.StringVar(&install, "install", export.DefaultInstall, "the command that installs treaty in a job")
	f.StringVar(&image, "image", "golang:1.26", "the container image of GitLab and Tekton jobs")
	f.StringVar(&branch, "branch", "main", "the branch whose pushes run the pipeline")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}
