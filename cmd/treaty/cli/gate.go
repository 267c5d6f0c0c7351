package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/treaty-dev/treaty/broker/client"
	"github.com/treaty-dev/treaty/gates"
)

func init() { register(newGateCmd) }

func newGateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gate",
		Short: "Release gates: apply the policy, check a version, read the decision log, hold environments",
		Long: `The release gates decide whether a version may publish, deploy to an environment or be
promoted to production, and log every decision in a hash chain. Record what is known about a
version with record-artifact, record-result, approve and reject; ask with gate check.`,
	}
	cmd.AddCommand(newGateApplyCmd(), newGatePolicyCmd(), newGateCheckCmd(), newGateLogCmd(), newGateExplainCmd(),
		newGateHoldCmd(false), newGateHoldCmd(true))
	return cmd
}

// gate apply

type gateApplyOptions struct {
	broker  brokerOptions
	output  outputFormat
	by      string
	comment string
}

func newGateApplyCmd() *cobra.Command {
	o := &gateApplyOptions{}
	cmd := &cobra.Command{
		Use:   "apply FILE",
		Short: "Apply a policy file (YAML or JSON) as the policy's next version",
		Long: `Apply a policy: the broker checks all of it (gate types, fields, CEL expressions, the
environments it names) and either stores it as the next version or refuses it whole, naming
each problem's line. Applying the policy in force again changes nothing.

Start from the default: treaty gate policy --default > policy.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			doc, err := os.ReadFile(args[0])
			if err != nil {
				return withCode(ExitUsage, err)
			}
			c, err := o.broker.client()
			if err != nil {
				return err
			}
			before, _, err := c.Policy(cmd.Context(), 0)
			if err != nil {
				return brokerFailure(cmd, err)
			}
			pv, raw, err := c.ApplyPolicy(cmd.Context(), client.PolicyRequest{Document: string(doc), AppliedBy: o.by, Comment: o.comment})
			if err != nil {
				var be *client.Error
				if errors.As(err, &be) && be.Status == 400 {
					return withCode(ExitNo, fmt.Errorf("%s is not a valid policy; nothing was applied:\n  %s", args[0], joinLines(be)))
				}
				return brokerFailure(cmd, err)
			}
			if o.output.value == outputJSON {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			if pv.Version == before.Version {
				fmt.Fprintf(cmd.OutOrStdout(), "Policy version %d is already in force (%s): nothing changed\n", pv.Version, pv.Digest)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Applied policy version %d (%s)\n", pv.Version, pv.Digest)
			return nil
		},
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputJSON)
	cmd.Flags().StringVar(&o.by, "by", envOr("", "TREATY_USER"), "who applies it (env TREATY_USER)")
	cmd.Flags().StringVar(&o.comment, "comment", "", "why")
	return cmd
}

// joinLines lists a refusal's problems one a line.
func joinLines(be *client.Error) string {
	msgs := flattenErrorsOf(be)
	if len(msgs) == 0 {
		return be.Detail()
	}
	out := msgs[0]
	for _, m := range msgs[1:] {
		out += "\n  " + m
	}
	return out
}

func flattenErrorsOf(be *client.Error) []string {
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, v[k])
			}
		case []any:
			for _, item := range v {
				walk(prefix, item)
			}
		default:
			out = append(out, fmt.Sprintf("%s: %v", prefix, v))
		}
	}
	walk("", be.Errors)
	return out
}

// gate policy

type gatePolicyOptions struct {
	broker      brokerOptions
	output      outputFormat
	version     int
	defaultOnly bool
	history     bool
}

func newGatePolicyCmd() *cobra.Command {
	o := &gatePolicyOptions{}
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Show the policy in force, an older version, its history, or the default",
		Example: `  treaty gate policy --default > policy.yaml
  treaty gate policy --version 3
  treaty gate policy --history`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			if o.defaultOnly {
				if o.output.value == outputJSON {
					return printJSON(out, json.RawMessage(gates.DefaultPolicy().Canonical()))
				}
				_, err := out.Write(gates.DefaultPolicyYAML())
				return err
			}
			c, err := o.broker.client()
			if err != nil {
				return err
			}
			if o.history {
				list, raw, err := c.PolicyVersions(cmd.Context())
				if err != nil {
					return brokerFailure(cmd, err)
				}
				if o.output.value == outputJSON {
					return printJSON(out, raw)
				}
				tw := newTable(out)
				fmt.Fprintln(tw, "VERSION\tAPPLIED\tBY\tDIGEST\tCOMMENT")
				for _, pv := range list {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", pv.Version, formatTime(pv.AppliedAt), pv.AppliedBy, gates.ShortDigest(pv.Digest), pv.Comment)
				}
				if len(list) == 0 {
					fmt.Fprintln(tw, "0\t\t\t\tthe built-in default (no policy applied yet)")
				}
				return tw.Flush()
			}
			pv, raw, err := c.Policy(cmd.Context(), o.version)
			if err != nil {
				return brokerFailure(cmd, err)
			}
			if o.output.value == outputJSON {
				return printJSON(out, raw)
			}
			var doc struct {
				Policy any `json:"policy"`
			}
			if err := json.Unmarshal(raw, &doc); err != nil {
				return withCode(ExitUsage, err)
			}
			fmt.Fprintf(out, "# policy version %d (%s)\n", pv.Version, pv.Digest)
			enc := yaml.NewEncoder(out)
			enc.SetIndent(2)
			if err := enc.Encode(doc.Policy); err != nil {
				return withCode(ExitUsage, err)
			}
			return enc.Close()
		},
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, "yaml", outputJSON)
	f := cmd.Flags()
	f.IntVar(&o.version, "version", 0, "a version of the policy rather than the one in force")
	f.BoolVar(&o.defaultOnly, "default", false, "the built-in default policy, as a file to start from (needs no broker)")
	f.BoolVar(&o.history, "history", false, "list the versions applied")
	cmd.MarkFlagsMutuallyExclusive("version", "default", "history")
	return cmd
}
