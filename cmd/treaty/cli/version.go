package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// Version is the release of this binary, set when it is built:
//
//	go build -ldflags "-X github.com/treaty-dev/treaty/cmd/treaty/cli.Version=1.2.3" ./cmd/treaty
var Version = "dev"

func init() { register(newVersionCmd) }

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of treaty",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), Version)
			return err
		},
	}
}
