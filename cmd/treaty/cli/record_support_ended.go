package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func init() { register(newRecordSupportEndedCmd) }

type recordSupportEndedOptions struct {
	broker      brokerOptions
	output      outputFormat
	pacticipant string
	version     string
	environment string
}

func newRecordSupportEndedCmd() *cobra.Command {
	o := &recordSupportEndedOptions{}
	cmd := &cobra.Command{
		Use:   "record-support-ended",
		Short: "Record that a released version is no longer supported in an environment",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.broker.client()
			if err != nil {
				return err
			}
			r, err := c.RecordSupportEnded(cmd.Context(), o.pacticipant, o.version, o.environment)
			if err != nil {
				return brokerFailure(cmd, err)
			}
			if o.output.value == outputJSON {
				return printJSON(cmd.OutOrStdout(), r.Raw)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Recorded support ended for %s %s in %s\n", o.pacticipant, o.version, o.environment)
			return nil
		},
	}
	addReleaseFlags(cmd, &o.broker, &o.output, &o.pacticipant, &o.version, &o.environment)
	return cmd
}
