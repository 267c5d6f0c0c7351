package steps

import (
	"context"

	"github.com/treaty-dev/treaty/pipelines"
)

func commandStep() pipelines.Definition {
	return pipelines.Definition{
		Name:    "command",
		Summary: "runs a shell command (sh -c), its output streamed live; fails when it exits non-zero",
		Fields:  []pipelines.Field{{Name: "run", Kind: pipelines.String, Required: true, Doc: "the command line"}},
		Run: func(ctx context.Context, sc *pipelines.StepContext) (pipelines.Result, error) {
			return pipelines.Result{}, shell(ctx, sc, sc.Str("run"), nil)
		},
	}
}

// environmentTest is smoke-test or e2e-test: a command whose result is recorded against the
// environment the stage deployed to.
func environmentTest(name, fact, summary string) pipelines.Definition {
	return pipelines.Definition{
		Name:        name,
		Summary:     summary,
		Fact:        fact,
		Environment: true,
		Fields:      []pipelines.Field{{Name: "run", Kind: pipelines.String, Required: true, Doc: "the test command, run against the environment"}},
		Run: func(ctx context.Context, sc *pipelines.StepContext) (pipelines.Result, error) {
			if err := shell(ctx, sc, sc.Str("run"), nil); err != nil {
				return pipelines.Result{}, err
			}
			return pipelines.Result{Message: "passed in " + sc.Environment}, nil
		},
	}
}
