package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/broker/client"
)

type gateHoldOptions struct {
	broker brokerOptions
	output outputFormat
	req    client.HoldRequest
}

// newGateHoldCmd is gate hold, or with release gate release.
func newGateHoldCmd(release bool) *cobra.Command {
	o := &gateHoldOptions{}
	cmd := &cobra.Command{
		Use:   "hold",
		Short: "Hold an environment on the versions deployed there",
		Long: `Hold an environment (or one pacticipant in it) on the versions deployed there: the gates deny
every other version until the hold is released. Use it to keep a known-good version in place
while something is investigated.`,
		Example: `  treaty gate hold --environment production --by olga --reason "incident 4711"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.broker.client()
			if err != nil {
				return err
			}
			if o.req.By == "" {
				return withCode(ExitUsage, fmt.Errorf("--by is required: name who %s (or set TREATY_USER)", cmd.Name()))
			}
			what := o.req.Environment
			if o.req.Pacticipant != "" {
				what = o.req.Pacticipant + " in " + o.req.Environment
			}
			if release {
				h, err := c.Release(cmd.Context(), o.req)
				if err != nil {
					return brokerFailure(cmd, err)
				}
				if o.output.value == outputJSON {
					return printJSON(cmd.OutOrStdout(), h)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Released %s (held by %s since %s)\n", what, h.By, formatTime(h.At))
				return nil
			}
			h, err := c.Hold(cmd.Context(), o.req)
			if err != nil {
				return brokerFailure(cmd, err)
			}
			if o.output.value == outputJSON {
				return printJSON(cmd.OutOrStdout(), h)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is held by %s since %s\n", what, h.By, formatTime(h.At))
			return nil
		},
	}
	if release {
		cmd.Use, cmd.Short, cmd.Long = "release", "Release a held environment", "Release the hold on an environment (or on one pacticipant in it)."
		cmd.Example = `  treaty gate release --environment production --by olga`
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputJSON)
	f := cmd.Flags()
	f.StringVar(&o.req.Environment, "environment", "", "the environment (required)")
	f.StringVar(&o.req.Pacticipant, "pacticipant", "", "only this pacticipant in it")
	f.StringVar(&o.req.By, "by", envOr("", "TREATY_USER"), "who (required; env TREATY_USER)")
	if !release {
		f.StringVar(&o.req.Reason, "reason", "", "why")
	}
	_ = cmd.MarkFlagRequired("environment")
	return cmd
}
