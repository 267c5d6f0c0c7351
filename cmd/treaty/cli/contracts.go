package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/openapi"
)

func init() { register(newContractsCmd) }

func newContractsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "contracts",
		Short: "Work with provider contracts (OpenAPI documents) locally",
	}
	cmd.AddCommand(newContractsCompareCmd())
	return cmd
}

type contractsCompareOptions struct {
	pact     string
	openapi  string
	pactflow bool
	output   outputFormat
}

func newContractsCompareCmd() *cobra.Command {
	o := &contractsCompareOptions{}
	cmd := &cobra.Command{
		Use:   "compare --pact FILE --openapi FILE",
		Short: "Check a consumer pact against a provider's OpenAPI document",
		Long: `Check every HTTP interaction of a pact against an OpenAPI document (3.0, 3.1 or Swagger 2.0,
JSON or YAML), as bi-directional contract testing does: could the provider accept the request,
and send the response the consumer expects? Findings carry the reference comparator's codes.

Exit status: 0 compatible (warnings allowed), 1 incompatible, 2 unreadable input.`,
		Example: `  treaty contracts compare --pact pacts/shop-products.json --openapi openapi.yaml
  treaty contracts compare --pact pact.json --openapi openapi.json --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.StringVar(&o.pact, "pact", envOr("", "TREATY_PACT"), "pact file to check (env TREATY_PACT)")
	f.StringVar(&o.openapi, "openapi", envOr("", "TREATY_OPENAPI"), "OpenAPI document of the provider (env TREATY_OPENAPI)")
	f.BoolVar(&o.pactflow, "pactflow-quirks", envOr("", "TREATY_PACTFLOW_QUIRKS") == "true",
		"judge as PactFlow's hosted service does, every compatibility quirk on (env TREATY_PACTFLOW_QUIRKS)")
	addOutputFlag(cmd, &o.output, outputText, outputJSON)
	return cmd
}

func (o *contractsCompareOptions) run(cmd *cobra.Command) error {
	if o.pact == "" || o.openapi == "" {
		return withCode(ExitUsage, fmt.Errorf("--pact and --openapi are both required"))
	}
	doc, err := loadDocument(o.openapi)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	data, err := os.ReadFile(o.pact)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	pact, err := openapi.ParsePact(data)
	if err != nil {
		return withCode(ExitUsage, fmt.Errorf("%s: %w", o.pact, err))
	}
	profile := openapi.DefaultProfile
	if o.pactflow {
		profile = openapi.PactFlowProfile
	}
	res := openapi.Compare(pact, doc, profile)
	out := cmd.OutOrStdout()
	if o.output.value == outputJSON {
		if err := printJSON(out, res); err != nil {
			return err
		}
	} else {
		printComparison(out, res, doc)
	}
	if !res.Compatible() {
		return withCode(ExitNo, fmt.Errorf(""))
	}
	return nil
}

// loadDocument reads and loads an OpenAPI document.
func loadDocument(path string) (*openapi.Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := openapi.Load(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return doc, nil
}

func printComparison(w io.Writer, res openapi.Result, doc *openapi.Document) {
	for _, warning := range doc.Warnings() {
		fmt.Fprintln(w, "note:", warning)
	}
	for _, n := range res.Notices {
		fmt.Fprintln(w, "note:", n)
	}
	for _, f := range res.Findings {
		fmt.Fprintf(w, "%s %s\n  %s\n  pact:    %s\n  openapi: %s\n", f.Type, f.Code, f.Message, f.MockDetails.Location, f.SpecDetails.Location)
	}
	errs, warns := len(res.Errors()), len(res.Warnings())
	if res.Compatible() {
		fmt.Fprintf(w, "compatible (%d warning(s))\n", warns)
	} else {
		fmt.Fprintf(w, "not compatible: %d error(s), %d warning(s)\n", errs, warns)
	}
}
