package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/broker/client"
	"github.com/treaty-dev/treaty/openapi"
)

// runOpenAPI is `treaty verify --openapi SPEC`: provider self-verification. Every operation
// of the document is called with a request built from its examples, and the answer checked
// against the document; with --publish the outcome is published as the self-verification of
// the provider version's contract (the document itself, if the version has none yet).
func (o *verifyOptions) runOpenAPI(cmd *cobra.Command) error {
	if err := o.checkOpenAPIFlags(cmd); err != nil {
		return withCode(ExitUsage, err)
	}
	content, err := os.ReadFile(o.openapiSpec)
	if err != nil {
		return withCode(ExitUsage, fmt.Errorf("--openapi: %w", err))
	}
	doc, err := openapi.Load(content)
	if err != nil {
		return withCode(ExitUsage, fmt.Errorf("%s: %w", o.openapiSpec, err))
	}
	rep, err := openapi.SelfVerify(cmd.Context(), doc, openapi.SelfVerifyOptions{
		BaseURL: o.opts.ProviderBaseURL,
		Client:  &http.Client{Timeout: o.opts.RequestTimeout},
	})
	if err != nil {
		return withCode(ExitUsage, err)
	}
	var text bytes.Buffer
	writeSelfReport(&text, o.opts.Provider, o.openapiSpec, rep)
	if o.jsonReport != "" {
		data, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.jsonReport, append(data, '\n'), 0o666); err != nil {
			return withCode(ExitUsage, fmt.Errorf("write report: %w", err))
		}
	}
	out := cmd.OutOrStdout()
	if o.output.value == outputJSON {
		if err := printJSON(out, rep); err != nil {
			return withCode(ExitUsage, err)
		}
	} else {
		_, _ = out.Write(text.Bytes())
	}
	if o.opts.Publish {
		if err := o.publishSelfVerification(cmd, content, rep, text.Bytes()); err != nil {
			return err
		}
	}
	if !rep.Success {
		if rep.Failed == 0 {
			return withCode(ExitNo, fmt.Errorf("self-verification of %s verified no operation", orProvider(o.opts.Provider)))
		}
		return withCode(ExitNo, fmt.Errorf("self-verification of %s failed (%d operations)", orProvider(o.opts.Provider), rep.Failed))
	}
	return nil
}

func orProvider(name string) string {
	if name == "" {
		return "the provider"
	}
	return name
}

// checkOpenAPIFlags refuses the flags that choose or report pacts, which mean nothing here.
func (o *verifyOptions) checkOpenAPIFlags(cmd *cobra.Command) error {
	var set []string
	for _, name := range []string{"pact-file", "pact-url", "consumer-version-selectors", "main-branch", "deployed-or-released",
		"matching-branch", "enable-pending", "include-wip-pacts-since", "consumer", "state-change-url", "junit"} {
		if cmd.Flags().Changed(name) {
			set = append(set, "--"+name)
		}
	}
	switch {
	case len(set) > 0:
		return fmt.Errorf("--openapi checks the provider against its OpenAPI document, not pacts: %s cannot be used with it", strings.Join(set, ", "))
	case o.opts.ProviderBaseURL == "":
		return errors.New("--provider-base-url is required: where the running provider answers")
	case o.opts.Publish && (o.opts.Provider == "" || o.opts.ProviderVersion == ""):
		return errors.New("--publish needs --provider and --provider-version")
	}
	return nil
}

// writeSelfReport prints one line per operation, the problems under it, and a summary.
func writeSelfReport(w io.Writer, provider, spec string, rep *openapi.SelfReport) {
	fmt.Fprintf(w, "%s against %s\n", orProvider(provider), spec)
	for _, op := range rep.Operations {
		name := op.Method + " " + op.Path
		if op.OperationID != "" {
			name += " (" + op.OperationID + ")"
		}
		switch op.Outcome {
		case openapi.OutcomePassed:
			fmt.Fprintf(w, "ok       %s → %d\n", name, op.Status)
		case openapi.OutcomeFailed:
			status := ""
			if op.Status != 0 {
				status = fmt.Sprintf(" → %d", op.Status)
			}
			fmt.Fprintf(w, "FAILED   %s%s\n", name, status)
			for _, p := range op.Problems {
				fmt.Fprintf(w, "           %s\n", p)
			}
		default:
			fmt.Fprintf(w, "skipped  %s: %s\n", name, strings.Join(op.Problems, "; "))
		}
	}
	total := rep.Passed + rep.Failed
	switch {
	case rep.Failed > 0:
		fmt.Fprintf(w, "%d of %d operations FAILED (%d verified, %d skipped)\n", rep.Failed, total, rep.Passed, rep.Skipped)
	default:
		fmt.Fprintf(w, "%d of %d operations verified (%d skipped)\n", rep.Passed, total, rep.Skipped)
	}
}

// publishSelfVerification publishes the outcome with the document, which the broker stores as
// the version's contract if it has none, and refuses if it has another.
func (o *verifyOptions) publishSelfVerification(cmd *cobra.Command, content []byte, rep *openapi.SelfReport, report []byte) error {
	c, err := o.broker.client()
	if err != nil {
		return err
	}
	res, err := c.PublishProviderContract(cmd.Context(), client.ProviderContractRequest{
		Provider:    o.opts.Provider,
		Version:     o.opts.ProviderVersion,
		Branch:      o.opts.ProviderBranch,
		Tags:        o.opts.ProviderTags,
		BuildURL:    o.opts.BuildURL,
		Content:     content,
		ContentType: sniffContentType(content, "application/yaml"),
		SelfVerification: &client.SelfVerificationResults{Success: rep.Success, Content: report, ContentType: "text/plain",
			Format: "text", Verifier: "treaty", VerifierVersion: Version},
	})
	if err != nil {
		return brokerFailure(cmd, fmt.Errorf("publish the self-verification: %w", err))
	}
	if o.output.value == outputText {
		printNotices(cmd.OutOrStdout(), res.Notices)
	}
	return nil
}
