package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/broker/client"
	"github.com/treaty-dev/treaty/gates"
)

func init() { register(newRecordResultCmd) }

// maxDetailsBytes bounds a scanner report read from --details.
const maxDetailsBytes = 8 << 20

type recordResultOptions struct {
	broker      brokerOptions
	output      outputFormat
	pacticipant string
	version     string
	name        string
	status      string
	environment string
	details     string
	url         string
	recordedBy  string
}

func newRecordResultCmd() *cobra.Command {
	o := &recordResultOptions{}
	cmd := &cobra.Command{
		Use:   "record-result",
		Short: "Record a build, test or scan result against a version",
		Long: `Record a result against a version the broker knows: build, unit-tests, contract-tests and
security-scan (the default policy's names for publishing), or smoke-tests and e2e-tests in an
environment. Results are versioned: the latest of a name counts, so a newer failure revokes an
older success.

For a scan, --details takes the scanner's report, SARIF or JSON (Trivy, Grype, govulncheck,
npm audit, or {"critical": 0, "high": 1, …}); the broker reads the counts by severity from it.`,
		Example: `  treaty record-result --pacticipant order-service --version a3f9c21 --name unit-tests --status passed
  treaty record-result --pacticipant order-service --version a3f9c21 --name security-scan --status passed --details trivy.sarif
  treaty record-result --pacticipant order-service --version a3f9c21 --name smoke-tests --status passed --environment staging`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.status != string(gates.Passed) && o.status != string(gates.Failed) {
				return withCode(ExitUsage, fmt.Errorf("--status must be passed or failed, not %q", o.status))
			}
			req := client.ResultRequest{Name: o.name, Status: o.status, Environment: o.environment, URL: o.url, RecordedBy: o.recordedBy}
			if o.details != "" {
				data, err := readDetails(o.details)
				if err != nil {
					return withCode(ExitUsage, err)
				}
				if _, _, err := gates.ParseScanReport(data); err != nil {
					return withCode(ExitUsage, fmt.Errorf("--details %s: %w", o.details, err))
				}
				req.Details = string(data)
			}
			c, err := o.broker.client()
			if err != nil {
				return err
			}
			f, raw, err := c.RecordResult(cmd.Context(), o.pacticipant, o.version, req)
			if err != nil {
				return brokerFailure(cmd, err)
			}
			if o.output.value == outputJSON {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			where := ""
			if f.Environment != "" {
				where = " in " + f.Environment
			}
			counts := ""
			if f.Counts != nil {
				counts = fmt.Sprintf(": %s (read from %s)", f.Counts, f.Format)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Recorded %s %s%s for %s %s%s\n", f.Name, f.Status, where, o.pacticipant, o.version, counts)
			return nil
		},
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputJSON)
	f := cmd.Flags()
	f.StringVar(&o.pacticipant, "pacticipant", "", "name of the pacticipant (required)")
	f.StringVar(&o.version, "version", "", "version the result is about (required)")
	f.StringVar(&o.name, "name", "", "name of the result, such as unit-tests or security-scan (required)")
	f.StringVar(&o.status, "status", "", "passed or failed (required)")
	f.StringVar(&o.environment, "environment", "", "environment the result was obtained in, for smoke and end-to-end tests")
	f.StringVar(&o.details, "details", "", "`file` with the scanner's SARIF or JSON report, for the counts by severity")
	f.StringVar(&o.url, "url", envOr("", "TREATY_BUILD_URL"), "URL of the run that produced the result (env TREATY_BUILD_URL)")
	f.StringVar(&o.recordedBy, "recorded-by", envOr("", "TREATY_USER"), "who or what records the result (env TREATY_USER)")
	for _, name := range []string{"pacticipant", "version", "name", "status"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func readDetails(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--details: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("--details: %w", err)
	}
	if st.Size() > maxDetailsBytes {
		return nil, fmt.Errorf("--details %s is %d bytes, more than the %d bytes a report may have", path, st.Size(), maxDetailsBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--details: %w", err)
	}
	return data, nil
}
