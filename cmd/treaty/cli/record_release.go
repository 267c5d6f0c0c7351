package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func init() { register(newRecordReleaseCmd) }

type recordReleaseOptions struct {
	broker      brokerOptions
	output      outputFormat
	pacticipant string
	version     string
	environment string
}

func newRecordReleaseCmd() *cobra.Command {
	o := &recordReleaseOptions{}
	cmd := &cobra.Command{
		Use:   "record-release",
		Short: "Record that a version is released to an environment",
		Long: `Record that a version of a pacticipant is released to an environment, such as a mobile
app store or a library registry. Released versions are supported side by side until
record-support-ended.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.broker.client()
			if err != nil {
				return err
			}
			r, err := c.RecordRelease(cmd.Context(), o.pacticipant, o.version, o.environment)
			if err != nil {
				return brokerFailure(cmd, err)
			}
			if o.output.value == outputJSON {
				return printJSON(cmd.OutOrStdout(), r.Raw)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Recorded release of %s %s to %s\n", o.pacticipant, o.version, o.environment)
			return nil
		},
	}
	addReleaseFlags(cmd, &o.broker, &o.output, &o.pacticipant, &o.version, &o.environment)
	return cmd
}

// addReleaseFlags declares the flags record-release and record-support-ended share.
func addReleaseFlags(cmd *cobra.Command, broker *brokerOptions, output *outputFormat, pacticipant, version, environment *string) {
	broker.addFlags(cmd)
	addOutputFlag(cmd, output, outputText, outputJSON)
	f := cmd.Flags()
	f.StringVar(pacticipant, "pacticipant", "", "name of the pacticipant (required)")
	f.StringVar(version, "version", "", "version released (required)")
	f.StringVar(environment, "environment", "", "name of the environment (required)")
	for _, name := range []string{"pacticipant", "version", "environment"} {
		_ = cmd.MarkFlagRequired(name)
	}
}
