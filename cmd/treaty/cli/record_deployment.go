package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func init() { register(newRecordDeploymentCmd) }

type recordDeploymentOptions struct {
	broker      brokerOptions
	output      outputFormat
	pacticipant string
	version     string
	environment string
	instance    string
}

func newRecordDeploymentCmd() *cobra.Command {
	o := &recordDeploymentOptions{}
	cmd := &cobra.Command{
		Use:   "record-deployment",
		Short: "Record that a version is deployed to an environment",
		Long: `Record that a version of a pacticipant is deployed to an environment. It replaces the
version deployed there before to the same application instance.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.broker.client()
			if err != nil {
				return err
			}
			d, err := c.RecordDeployment(cmd.Context(), o.pacticipant, o.version, o.environment, o.instance)
			if err != nil {
				return brokerFailure(cmd, err)
			}
			if o.output.value == outputJSON {
				return printJSON(cmd.OutOrStdout(), d.Raw)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Recorded deployment of %s %s to %s%s\n", o.pacticipant, o.version, o.environment, instanceSuffix(o.instance))
			return nil
		},
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputJSON)
	f := cmd.Flags()
	f.StringVar(&o.pacticipant, "pacticipant", "", "name of the pacticipant (required)")
	f.StringVar(&o.version, "version", "", "version deployed (required)")
	f.StringVar(&o.environment, "environment", "", "name of the environment (required)")
	f.StringVar(&o.instance, "application-instance", "", "application instance deployed to, when several run at once")
	for _, name := range []string{"pacticipant", "version", "environment"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

// instanceSuffix names an application instance at the end of a sentence.
func instanceSuffix(instance string) string {
	if instance == "" {
		return ""
	}
	return " (application instance " + instance + ")"
}
