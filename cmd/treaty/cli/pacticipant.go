package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/broker/client"
)

func init() { register(newPacticipantCmd) }

func newPacticipantCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "pacticipant",
		Aliases: []string{"pacticipants"},
		Short:   "Create, describe and list the applications that take part in contracts",
	}
	cmd.AddCommand(newPacticipantCreateCmd(), newPacticipantDescribeCmd(), newPacticipantListCmd())
	return cmd
}

// pacticipant create

type pacticipantCreateOptions struct {
	broker brokerOptions
	output outputFormat
	req    client.PacticipantRequest
}

func newPacticipantCreateCmd() *cobra.Command {
	o := &pacticipantCreateOptions{}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a pacticipant, or update the fields given of an existing one",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.broker.client()
			if err != nil {
				return err
			}
			p, created, err := c.CreateOrUpdatePacticipant(cmd.Context(), o.req)
			if err != nil {
				return brokerFailure(cmd, err)
			}
			if o.output.value == outputJSON {
				return printJSON(cmd.OutOrStdout(), p.Raw)
			}
			verb := "Updated"
			if created {
				verb = "Created"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s pacticipant %s\n", verb, o.req.Name)
			return nil
		},
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputJSON)
	f := cmd.Flags()
	f.StringVar(&o.req.Name, "name", "", "name of the pacticipant (required)")
	f.StringVar(&o.req.DisplayName, "display-name", "", "name to show people")
	f.StringVar(&o.req.MainBranch, "main-branch", "", "main branch of its repository, such as main")
	f.StringVar(&o.req.RepositoryURL, "repository-url", "", "URL of its repository")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

// pacticipant describe

type pacticipantDescribeOptions struct {
	broker brokerOptions
	output outputFormat
	name   string
}

func newPacticipantDescribeCmd() *cobra.Command {
	o := &pacticipantDescribeOptions{}
	cmd := &cobra.Command{
		Use:   "describe",
		Short: "Describe a pacticipant",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.broker.client()
			if err != nil {
				return err
			}
			p, err := c.Pacticipant(cmd.Context(), o.name)
			if err != nil {
				return brokerFailure(cmd, err)
			}
			if o.output.value == outputJSON {
				return printJSON(cmd.OutOrStdout(), p.Raw)
			}
			return printFields(cmd.OutOrStdout(), [][2]string{
				{"Name", p.Name},
				{"Display name", p.DisplayName},
				{"Main branch", p.MainBranch},
				{"Repository URL", p.RepositoryURL},
				{"Latest version", latestVersion(p)},
				{"Created", formatTime(p.CreatedAt)},
				{"Updated", formatTime(p.UpdatedAt)},
			})
		},
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputJSON)
	cmd.Flags().StringVar(&o.name, "name", "", "name of the pacticipant (required)")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func latestVersion(p *client.Pacticipant) string {
	if p.Embedded.LatestVersion == nil {
		return ""
	}
	return p.Embedded.LatestVersion.Number
}

// pacticipant list

type pacticipantListOptions struct {
	broker brokerOptions
	output outputFormat
}

func newPacticipantListCmd() *cobra.Command {
	o := &pacticipantListOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the pacticipants",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.broker.client()
			if err != nil {
				return err
			}
			list, err := c.Pacticipants(cmd.Context())
			if err != nil {
				return brokerFailure(cmd, err)
			}
			w := cmd.OutOrStdout()
			switch o.output.value {
			case outputJSON:
				return printJSON(w, list.Raw)
			case outputTable:
				tw := newTable(w)
				fmt.Fprintln(tw, "NAME\tDISPLAY NAME\tMAIN BRANCH\tLATEST VERSION")
				for i := range list.Pacticipants {
					p := &list.Pacticipants[i]
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, p.DisplayName, p.MainBranch, latestVersion(p))
				}
				return tw.Flush()
			}
			for _, p := range list.Pacticipants {
				fmt.Fprintln(w, p.Name)
			}
			return nil
		},
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputTable, outputJSON)
	return cmd
}
