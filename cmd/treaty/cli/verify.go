package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/verifier"
)

type verifyOptions struct {
	broker             brokerOptions
	opts               verifier.Options
	selectors          []string
	mainBranch         bool
	deployedOrReleased bool
	matchingBranch     bool
	wipSince           string
	junit              string
	jsonReport         string
	output             outputFormat
	openapiSpec        string // self-verification of this OpenAPI document instead (verify_openapi.go)
}

func init() { register(newVerifyCmd) }

func newVerifyCmd() *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Verify a running provider against its consumers' pacts",
		Long: `Verify a running provider against its consumers' pacts and, with --publish, publish the results.

The pacts come from the broker (the ones it selects for this provider with the consumer version
selectors), or from --pact-file and --pact-url. Exit codes: 0 every interaction verified (failures
of pending pacts do not count), 1 verification failed, 2 usage error, or the broker or the provider
cannot be reached.

With --openapi SPEC, no pacts are verified: the provider is checked against its own OpenAPI
document (self-verification), and --publish publishes the outcome with the document as the
provider version's contract, for bi-directional contract testing.`,
		Example: `  treaty verify --provider payment-service --provider-base-url http://127.0.0.1:8081 \
    --main-branch --deployed-or-released --enable-pending \
    --publish --provider-version $GIT_SHA --provider-branch main
  treaty verify --provider payment-service --provider-base-url http://127.0.0.1:8081 --pact-file pacts/order-service-payment-service.json
  treaty verify --openapi openapi.yaml --provider payment-service --provider-base-url http://127.0.0.1:8081 \
    --publish --provider-version $GIT_SHA --provider-branch main`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.broker.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.opts.Provider, "provider", envOr("", "PACT_PROVIDER"), "the provider's name (env PACT_PROVIDER)")
	f.StringVar(&o.opts.ProviderBaseURL, "provider-base-url", envOr("", "PACT_PROVIDER_BASE_URL"), "where the running provider answers (env PACT_PROVIDER_BASE_URL)")
	f.StringArrayVar(&o.selectors, "consumer-version-selectors", nil, `a consumer version selector as JSON, e.g. '{"mainBranch":true}' (repeatable)`)
	f.BoolVar(&o.mainBranch, "main-branch", false, `shorthand for the selector {"mainBranch":true}`)
	f.BoolVar(&o.deployedOrReleased, "deployed-or-released", false, `shorthand for the selector {"deployedOrReleased":true}`)
	f.BoolVar(&o.matchingBranch, "matching-branch", false, `shorthand for the selector {"matchingBranch":true} (needs --provider-branch)`)
	f.BoolVar(&o.opts.EnablePending, "enable-pending", false, "failures of pending pacts do not fail the run")
	f.StringVar(&o.wipSince, "include-wip-pacts-since", "", "also verify work-in-progress pacts published since this date (YYYY-MM-DD)")
	f.StringArrayVar(&o.opts.PactFiles, "pact-file", nil, "verify this pact file (repeatable); no broker needed")
	f.StringArrayVar(&o.opts.PactURLs, "pact-url", nil, "verify the pact at this URL (repeatable)")
	f.StringVar(&o.opts.StateChangeURL, "state-change-url", "", "URL of the provider's state change endpoint")
	f.StringArrayVar(&o.opts.ConsumerFilters, "consumer", nil, "verify only this consumer's pacts (repeatable)")
	f.BoolVar(&o.opts.Publish, "publish", false, "publish the results to the broker")
	f.StringVar(&o.opts.ProviderVersion, "provider-version", envOr("", "PACT_PROVIDER_VERSION"), "the provider version the results are for (env PACT_PROVIDER_VERSION)")
	f.StringVar(&o.opts.ProviderBranch, "provider-branch", envOr("", "PACT_PROVIDER_BRANCH"), "the provider version's branch (env PACT_PROVIDER_BRANCH)")
	f.StringSliceVar(&o.opts.ProviderTags, "provider-tags", nil, "tags for the provider version (comma-separated or repeated)")
	f.StringVar(&o.opts.BuildURL, "build-url", "", "URL of the CI build, recorded with the results")
	f.DurationVar(&o.opts.RequestTimeout, "request-timeout", 10*time.Second, "how long each request to the provider may take")
	f.StringVar(&o.junit, "junit", "", "write a JUnit XML report to this file")
	f.StringVar(&o.jsonReport, "json", "", "write a JSON report to this file")
	f.StringVar(&o.openapiSpec, "openapi", "", "self-verify: call the provider with this OpenAPI document's examples and check its answers against the document, instead of verifying pacts")
	addOutputFlag(cmd, &o.output, outputText, outputJSON)
	return cmd
}

func (o *verifyOptions) run(cmd *cobra.Command) error {
	if o.openapiSpec != "" {
		return o.runOpenAPI(cmd)
	}
	opts := o.opts
	if len(opts.PactFiles) == 0 && len(opts.PactURLs) == 0 || opts.Publish {
		opts.BrokerURL = o.broker.baseURL
	}
	opts.BrokerUsername, opts.BrokerPassword, opts.BrokerToken = o.broker.credentials()
	for _, s := range o.selectors {
		opts.Selectors = append(opts.Selectors, json.RawMessage(s))
	}
	for flag, sel := range map[*bool]string{&o.mainBranch: `{"mainBranch":true}`, &o.deployedOrReleased: `{"deployedOrReleased":true}`, &o.matchingBranch: `{"matchingBranch":true}`} {
		if *flag {
			opts.Selectors = append(opts.Selectors, json.RawMessage(sel))
		}
	}
	if o.wipSince != "" {
		since, err := time.Parse("2006-01-02", o.wipSince)
		if err != nil {
			return withCode(ExitUsage, fmt.Errorf("--include-wip-pacts-since %q is not a date (YYYY-MM-DD)", o.wipSince))
		}
		opts.IncludeWIPPactsSince = &since
	}
	var progress io.Writer
	if isTerminal(os.Stderr) && o.output.value == outputText {
		progress = cmd.ErrOrStderr()
	}
	rep, err := verifier.Verify(cmd.Context(), opts, progress)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	if err := o.writeReports(rep); err != nil {
		return withCode(ExitUsage, err)
	}
	out := cmd.OutOrStdout()
	if o.output.value == outputJSON {
		if err := rep.WriteJSON(out); err != nil {
			return withCode(ExitUsage, err)
		}
	} else {
		rep.WriteText(out)
	}
	if !rep.Success {
		_, failed, _ := rep.Counts()
		return withCode(ExitNo, fmt.Errorf("verification of %s failed (%d interactions)", opts.Provider, failed))
	}
	return nil
}

func (o *verifyOptions) writeReports(rep *verifier.Report) error {
	write := func(path string, fn func(f *os.File) error) error {
		if path == "" {
			return nil
		}
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		if err := fn(f); err != nil {
			f.Close()
			return fmt.Errorf("write report %s: %w", path, err)
		}
		return f.Close()
	}
	return errors.Join(
		write(o.junit, func(f *os.File) error { return rep.WriteJUnit(f) }),
		write(o.jsonReport, func(f *os.File) error { return rep.WriteJSON(f) }),
	)
}

// isTerminal reports whether f is a terminal: progress lines are for people watching.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && !strings.EqualFold(os.Getenv("TERM"), "dumb")
}
