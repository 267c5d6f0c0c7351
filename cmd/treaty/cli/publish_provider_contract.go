package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/broker/client"
	"github.com/treaty-dev/treaty/openapi"
)

func init() { register(newPublishProviderContractCmd) }

type publishProviderContractOptions struct {
	broker          brokerOptions
	output          outputFormat
	provider        string
	version         string
	branch          string
	tags            []string
	buildURL        string
	contentType     string
	success         bool
	failure         bool
	exitCode        int
	results         string
	resultsType     string
	resultsFormat   string
	verifier        string
	verifierVersion string
}

func newPublishProviderContractCmd() *cobra.Command {
	o := &publishProviderContractOptions{}
	cmd := &cobra.Command{
		Use:   "publish-provider-contract SPEC",
		Short: "Publish a provider's OpenAPI document and its self-verification to the broker",
		Long: `Publish the OpenAPI document (3.0, 3.1 or Swagger 2.0, JSON or YAML) a provider version serves,
with the outcome of the provider's own tests against it, as ` + "`pact pactflow publish-provider-contract`" + ` does.
The broker compares every consumer's pact with it; can-i-deploy counts a pact as verified by this
version when the pact is compatible with the document and the self-verification succeeded.

Unlike the pact CLI, --verification-success or --verification-failure alone sends results.
A version's document cannot change once published; publishing the same document again replaces
its self-verification. Exit status: 0 published, 1 the broker refused, 2 usage or unreadable input.`,
		Example: `  treaty publish-provider-contract openapi.yaml --provider payment-service \
    --provider-app-version $GIT_SHA --branch main \
    --verification-success --verification-results report.txt --verifier schemathesis`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, args[0]) },
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputJSON)
	f := cmd.Flags()
	f.StringVar(&o.provider, "provider", envOr("", "PACT_PROVIDER"), "the provider's name (env PACT_PROVIDER)")
	f.StringVarP(&o.version, "provider-app-version", "a", envOr("", "PACT_PROVIDER_VERSION"), "the provider version the document belongs to (env PACT_PROVIDER_VERSION)")
	f.StringVar(&o.branch, "branch", envOr("", "PACT_PROVIDER_BRANCH"), "the provider version's branch (env PACT_PROVIDER_BRANCH)")
	f.StringSliceVarP(&o.tags, "tag", "t", nil, "tag for the provider version (comma-separated or repeated)")
	f.StringVar(&o.buildURL, "build-url", envOr("", "PACT_BUILD_URL"), "URL of the CI build that produced the document (env PACT_BUILD_URL)")
	f.StringVar(&o.contentType, "content-type", "", "the document's content type (default: application/json or application/yaml, by its content)")
	f.BoolVar(&o.success, "verification-success", false, "the provider's tests against the document passed")
	f.BoolVar(&o.failure, "verification-failure", false, "the provider's tests against the document failed")
	f.IntVar(&o.exitCode, "verification-exit-code", -1, "the exit status of the provider's tests: 0 passed, anything else failed")
	f.StringVar(&o.results, "verification-results", "", "file holding the report of the provider's tests")
	f.StringVar(&o.resultsType, "verification-results-content-type", "", "the report's content type (default text/plain, or application/json for JSON)")
	f.StringVar(&o.resultsFormat, "verification-results-format", "", "the report's format, e.g. text or junit")
	f.StringVar(&o.verifier, "verifier", "", "the tool that ran the provider's tests, e.g. schemathesis or dredd")
	f.StringVar(&o.verifierVersion, "verifier-version", "", "the version of that tool")
	_ = cmd.MarkFlagRequired("provider")
	_ = cmd.MarkFlagRequired("provider-app-version")
	cmd.MarkFlagsMutuallyExclusive("verification-success", "verification-failure", "verification-exit-code")
	return cmd
}

func (o *publishProviderContractOptions) run(cmd *cobra.Command, spec string) error {
	req, err := o.request(spec)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	c, err := o.broker.client()
	if err != nil {
		return err
	}
	res, err := c.PublishProviderContract(cmd.Context(), req)
	if err != nil {
		return brokerFailure(cmd, err)
	}
	out := cmd.OutOrStdout()
	if o.output.value == outputJSON {
		return printJSON(out, res.Raw)
	}
	printNotices(out, res.Notices)
	return nil
}

// request reads the document and the report, and checks the document as the broker will: a
// document it would refuse is a usage error here, before anything is sent.
func (o *publishProviderContractOptions) request(spec string) (client.ProviderContractRequest, error) {
	content, err := os.ReadFile(spec)
	if err != nil {
		return client.ProviderContractRequest{}, err
	}
	if _, err := openapi.Load(content); err != nil {
		return client.ProviderContractRequest{}, fmt.Errorf("%s: %w", spec, err)
	}
	req := client.ProviderContractRequest{Provider: o.provider, Version: o.version, Branch: o.branch, Tags: o.tags,
		BuildURL: o.buildURL, Content: content, ContentType: o.contentType}
	if req.ContentType == "" {
		req.ContentType = sniffContentType(content, "application/yaml")
	}
	decided := o.success || o.failure || o.exitCode >= 0
	described := o.results != "" || o.verifier != "" || o.verifierVersion != ""
	switch {
	case described && !decided:
		return req, errors.New("say whether the self-verification passed: --verification-success, --verification-failure or --verification-exit-code")
	case !decided:
		return req, nil
	}
	sv := &client.SelfVerificationResults{Success: o.success || o.exitCode == 0, ContentType: o.resultsType,
		Format: o.resultsFormat, Verifier: o.verifier, VerifierVersion: o.verifierVersion}
	if o.results != "" {
		if sv.Content, err = os.ReadFile(o.results); err != nil {
			return req, fmt.Errorf("--verification-results: %w", err)
		}
		if sv.ContentType == "" {
			sv.ContentType = sniffContentType(sv.Content, "text/plain")
		}
	}
	req.SelfVerification = sv
	return req, nil
}

// sniffContentType says application/json for JSON content, else def.
func sniffContentType(content []byte, def string) string {
	if json.Valid(content) {
		return "application/json"
	}
	return def
}
