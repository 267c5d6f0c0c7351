package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
)

func init() { register(newRecordUndeploymentCmd) }

type recordUndeploymentOptions struct {
	broker      brokerOptions
	output      outputFormat
	pacticipant string
	environment string
	instance    string
}

func newRecordUndeploymentCmd() *cobra.Command {
	o := &recordUndeploymentOptions{}
	cmd := &cobra.Command{
		Use:   "record-undeployment",
		Short: "Record that a pacticipant no longer runs in an environment",
		Long: `Record that a pacticipant no longer runs in an environment, as the given application
instance or, without --application-instance, as the deployment that has none. It fails when
nothing of the kind is deployed there.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.broker.client()
			if err != nil {
				return err
			}
			undeployed, err := c.RecordUndeployment(cmd.Context(), o.pacticipant, o.environment, o.instance)
			if err != nil {
				return brokerFailure(cmd, err)
			}
			w := cmd.OutOrStdout()
			if o.output.value == outputJSON {
				raws := make([]json.RawMessage, len(undeployed))
				for i, d := range undeployed {
					raws[i] = d.Raw
				}
				return printJSON(w, raws)
			}
			for _, d := range undeployed {
				fmt.Fprintf(w, "Recorded undeployment of %s %s from %s%s\n", o.pacticipant, d.Embedded.Version.Number, o.environment, instanceSuffix(o.instance))
			}
			return nil
		},
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputJSON)
	f := cmd.Flags()
	f.StringVar(&o.pacticipant, "pacticipant", "", "name of the pacticipant (required)")
	f.StringVar(&o.environment, "environment", "", "name of the environment (required)")
	f.StringVar(&o.instance, "application-instance", "", "application instance undeployed, when several run at once")
	for _, name := range []string{"pacticipant", "environment"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}
