package cli

import (
	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/broker/client"
)

func init() { register(newCanIMergeCmd) }

type canIMergeOptions struct {
	broker   brokerOptions
	output   outputFormat
	versions versionSelectors
	retries  int
	interval retryInterval
	dryRun   bool
}

func newCanIMergeCmd() *cobra.Command {
	o := &canIMergeOptions{}
	cmd := &cobra.Command{
		Use:   "can-i-merge",
		Short: "Ask whether a version can be merged into the main branch",
		Long: `Ask the broker whether a version of a pacticipant can be merged into its main branch: whether it
has a successful verification result with the head of the main branch of each of its
integrations. Exit status: 0 yes, 1 no or unknown, 2 bad usage or a broker error.`,
		Example: `  treaty can-i-merge --pacticipant order-service --version a3f9c21`,
		Args:    cobra.ArbitraryArgs, // checked by parseInOrder
		// --version belongs to the --pacticipant before it, as in can-i-deploy.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if done, err := parseInOrder(cmd, args); done || err != nil {
				return err
			}
			q := client.CanIDeployQuery(o.versions.selectors, nil, client.DeployTarget{MainBranch: true})
			return runMatrixCheck(cmd, &o.broker, q, matrixCheck{output: o.output.value, retries: o.retries,
				interval: o.interval.d, dryRun: o.dryRun})
		},
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputTable, outputJSON)
	o.versions.addFlags(cmd, false)
	addRetryFlags(cmd, &o.retries, &o.interval, &o.dryRun)
	_ = cmd.MarkFlagRequired("pacticipant")
	return cmd
}
