package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/broker/client"
)

func init() { register(newEnvironmentCmd) }

func newEnvironmentCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "environment",
		Aliases: []string{"environments"},
		Short:   "Create, list, describe, update and delete the environments versions are deployed to",
	}
	cmd.AddCommand(
		newEnvironmentCreateCmd(),
		newEnvironmentListCmd(),
		newEnvironmentDescribeCmd(),
		newEnvironmentUpdateCmd(),
		newEnvironmentDeleteCmd(),
	)
	return cmd
}

// environmentFields are the flags that describe an environment, shared by create and update.
type environmentFields struct {
	name         string
	displayName  string
	production   bool
	contactName  string
	contactEmail string
}

func (e *environmentFields) addFlags(cmd *cobra.Command, nameUsage string) {
	f := cmd.Flags()
	f.StringVar(&e.name, "name", "", nameUsage)
	f.StringVar(&e.displayName, "display-name", "", "name to show people")
	f.BoolVar(&e.production, "production", false, "whether this is a production environment")
	f.StringVar(&e.contactName, "contact-name", "", "person or team responsible for the environment")
	f.StringVar(&e.contactEmail, "contact-email-address", "", "email address of the contact")
	cmd.MarkFlagsRequiredTogether("contact-name", "contact-email-address")
}

// contacts is the contact the flags give, if any.
func (e *environmentFields) contacts() []client.Contact {
	if e.contactName == "" {
		return nil
	}
	return []client.Contact{{Name: e.contactName, Details: map[string]any{"emailAddress": e.contactEmail}}}
}

// environmentRef names an environment by UUID or by name, for describe and delete.
type environmentRef struct {
	uuid string
	name string
}

func (r *environmentRef) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.uuid, "uuid", "", "UUID of the environment")
	cmd.Flags().StringVar(&r.name, "name", "", "name of the environment")
	cmd.MarkFlagsOneRequired("uuid", "name")
	cmd.MarkFlagsMutuallyExclusive("uuid", "name")
}

func (r *environmentRef) find(ctx context.Context, c *client.Client) (*client.Environment, error) {
	if r.uuid != "" {
		return c.Environment(ctx, r.uuid)
	}
	return c.EnvironmentByName(ctx, r.name)
}

// environment create

type environmentCreateOptions struct {
	broker brokerOptions
	output outputFormat
	environmentFields
}

func newEnvironmentCreateCmd() *cobra.Command {
	o := &environmentCreateOptions{}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an environment",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.broker.client()
			if err != nil {
				return err
			}
			env, err := c.CreateEnvironment(cmd.Context(), client.EnvironmentRequest{
				Name:        o.name,
				DisplayName: o.displayName,
				Production:  o.production,
				Contacts:    o.contacts(),
			})
			if err != nil {
				return brokerFailure(cmd, err)
			}
			if o.output.value == outputJSON {
				return printJSON(cmd.OutOrStdout(), env.Raw)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Created environment %s (%s)\n", env.Name, env.UUID)
			return nil
		},
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputJSON)
	o.environmentFields.addFlags(cmd, "name of the environment, such as staging (required)")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

// environment list

type environmentListOptions struct {
	broker brokerOptions
	output outputFormat
}

func newEnvironmentListCmd() *cobra.Command {
	o := &environmentListOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the environments",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.broker.client()
			if err != nil {
				return err
			}
			list, err := c.Environments(cmd.Context())
			if err != nil {
				return brokerFailure(cmd, err)
			}
			w := cmd.OutOrStdout()
			switch o.output.value {
			case outputJSON:
				return printJSON(w, list.Raw)
			case outputTable:
				tw := newTable(w)
				fmt.Fprintln(tw, "NAME\tDISPLAY NAME\tPRODUCTION\tUUID")
				for _, env := range list.Environments {
					fmt.Fprintf(tw, "%s\t%s\t%t\t%s\n", env.Name, env.DisplayName, env.Production, env.UUID)
				}
				return tw.Flush()
			}
			for _, env := range list.Environments {
				fmt.Fprintln(w, env.Name)
			}
			return nil
		},
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputTable, outputJSON)
	return cmd
}

// environment describe

type environmentDescribeOptions struct {
	broker brokerOptions
	output outputFormat
	environmentRef
}

func newEnvironmentDescribeCmd() *cobra.Command {
	o := &environmentDescribeOptions{}
	cmd := &cobra.Command{
		Use:   "describe",
		Short: "Describe an environment",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.broker.client()
			if err != nil {
				return err
			}
			env, err := o.find(cmd.Context(), c)
			if err != nil {
				return brokerFailure(cmd, err)
			}
			if o.output.value == outputJSON {
				return printJSON(cmd.OutOrStdout(), env.Raw)
			}
			return printFields(cmd.OutOrStdout(), [][2]string{
				{"Name", env.Name},
				{"Display name", env.DisplayName},
				{"UUID", env.UUID},
				{"Production", strconv.FormatBool(env.Production)},
				{"Contacts", formatContacts(env.Contacts)},
				{"Created", formatTime(env.CreatedAt)},
				{"Updated", formatTime(env.UpdatedAt)},
			})
		},
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputJSON)
	o.environmentRef.addFlags(cmd)
	return cmd
}

func formatContacts(contacts []client.Contact) string {
	var s string
	for i, c := range contacts {
		if i > 0 {
			s += ", "
		}
		s += c.Name
		if email, ok := c.Details["emailAddress"].(string); ok && email != "" {
			s += " <" + email + ">"
		}
	}
	return s
}

// environment update

type environmentUpdateOptions struct {
	broker brokerOptions
	output outputFormat
	uuid   string
	environmentFields
}

func newEnvironmentUpdateCmd() *cobra.Command {
	o := &environmentUpdateOptions{}
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Change an environment",
		Long:  "Change the fields of an environment that the flags name; the others stay as they are.",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputJSON)
	cmd.Flags().StringVar(&o.uuid, "uuid", "", "UUID of the environment (required)")
	_ = cmd.MarkFlagRequired("uuid")
	o.environmentFields.addFlags(cmd, "new name of the environment")
	return cmd
}

func (o *environmentUpdateOptions) run(cmd *cobra.Command) error {
	c, err := o.broker.client()
	if err != nil {
		return err
	}
	env, err := c.Environment(cmd.Context(), o.uuid)
	if err != nil {
		return brokerFailure(cmd, err)
	}
	// The broker replaces the whole environment, so start from what it holds.
	req := client.EnvironmentRequest{
		Name:        env.Name,
		DisplayName: env.DisplayName,
		Production:  env.Production,
		Contacts:    env.Contacts,
	}
	changed := cmd.Flags().Changed
	if changed("name") {
		req.Name = o.name
	}
	if changed("display-name") {
		req.DisplayName = o.displayName
	}
	if changed("production") {
		req.Production = o.production
	}
	if changed("contact-name") {
		req.Contacts = o.contacts()
	}
	env, err = c.UpdateEnvironment(cmd.Context(), o.uuid, req)
	if err != nil {
		return brokerFailure(cmd, err)
	}
	if o.output.value == outputJSON {
		return printJSON(cmd.OutOrStdout(), env.Raw)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Updated environment %s (%s)\n", env.Name, env.UUID)
	return nil
}

// environment delete

type environmentDeleteOptions struct {
	broker brokerOptions
	environmentRef
}

func newEnvironmentDeleteCmd() *cobra.Command {
	o := &environmentDeleteOptions{}
	cmd := &cobra.Command{
		Use:   "delete",
		Short: "Delete an environment",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.broker.client()
			if err != nil {
				return err
			}
			// Look the environment up first, to delete by name and to say what was deleted.
			env, err := o.find(cmd.Context(), c)
			if err != nil {
				return brokerFailure(cmd, err)
			}
			if err := c.DeleteEnvironment(cmd.Context(), env.UUID); err != nil {
				return brokerFailure(cmd, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Deleted environment %s (%s)\n", env.Name, env.UUID)
			return nil
		},
	}
	o.broker.addFlags(cmd)
	o.environmentRef.addFlags(cmd)
	return cmd
}
