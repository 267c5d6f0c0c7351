package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/broker/client"
	"github.com/treaty-dev/treaty/gates"
)

func init() {
	register(func() *cobra.Command { return newReviewCmd(gates.Approve) })
	register(func() *cobra.Command { return newReviewCmd(gates.Reject) })
}

type reviewOptions struct {
	broker      brokerOptions
	output      outputFormat
	pacticipant string
	version     string
	environment string
	by          string
	comment     string
}

// newReviewCmd is treaty approve or treaty reject.
func newReviewCmd(decision string) *cobra.Command {
	o := &reviewOptions{}
	cmd := &cobra.Command{
		Use:   decision,
		Short: "Approve a version for an environment",
		Long: `Approve a version of a pacticipant for an environment, for the policy's approval gates. An
approval counts for the image digest the version has now; the version's author cannot approve
it, and one rejection outweighs every approval.`,
		Example: `  treaty approve --pacticipant order-service --version a3f9c21 --environment production --by alice`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.broker.client()
			if err != nil {
				return err
			}
			_, raw, err := c.Review(cmd.Context(), o.pacticipant, o.version, decision,
				client.ReviewRequest{Environment: o.environment, By: o.by, Comment: o.comment})
			if err != nil {
				return brokerFailure(cmd, err)
			}
			if o.output.value == outputJSON {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			verb := "Approved"
			if decision == gates.Reject {
				verb = "Rejected"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s %s for %s (by %s)\n", verb, o.pacticipant, o.version, o.environment, o.by)
			return nil
		},
	}
	if decision == gates.Reject {
		cmd.Short = "Reject a version for an environment, for good"
		cmd.Long = `Reject a version of a pacticipant for an environment: it is never allowed there, whatever
its approvals, and cannot be approved there afterwards. Build a new version instead. Operators
use it to stop a bad build (after a rollback, say) from being promoted again.`
		cmd.Example = `  treaty reject --pacticipant order-service --version a3f9c21 --environment production --by olga --comment "corrupts orders"`
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputJSON)
	f := cmd.Flags()
	f.StringVar(&o.pacticipant, "pacticipant", "", "name of the pacticipant (required)")
	f.StringVar(&o.version, "version", "", "version reviewed (required)")
	f.StringVar(&o.environment, "environment", "", "environment the review is for (required)")
	f.StringVar(&o.by, "by", envOr("", "TREATY_USER"), "who reviews (required; env TREATY_USER)")
	f.StringVar(&o.comment, "comment", "", "why")
	for _, name := range []string{"pacticipant", "version", "environment"} {
		_ = cmd.MarkFlagRequired(name)
	}
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error {
		if o.by == "" {
			return withCode(ExitUsage, fmt.Errorf("--by is required: name who %ss (or set TREATY_USER)", decision))
		}
		return nil
	}
	return cmd
}
