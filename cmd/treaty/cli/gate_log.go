package cli

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/broker/client"
	"github.com/treaty-dev/treaty/gates"
)

const outputJSONLines = "jsonl"

type gateLogOptions struct {
	broker brokerOptions
	output outputFormat
	query  client.DecisionQuery
	verify bool
}

func newGateLogCmd() *cobra.Command {
	o := &gateLogOptions{}
	cmd := &cobra.Command{
		Use:   "log",
		Short: "List, export or verify the decision log",
		Long: `List the gate decisions, newest first; export the whole log as JSON lines (--output jsonl,
oldest first, each entry with its hash); or verify it (--verify): every entry's hash must cover
its content and the hash of the entry before, so an edited, removed or reordered entry breaks
the chain. --verify exits 1 on a broken chain.`,
		Example: `  treaty gate log --pacticipant order-service --environment production
  treaty gate log --output jsonl > decisions.jsonl
  treaty gate log --verify`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.broker.client()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if o.verify {
				return verifyLog(cmd, c)
			}
			if o.output.value == outputJSONLines {
				data, err := c.ExportDecisions(cmd.Context())
				if err != nil {
					return brokerFailure(cmd, err)
				}
				_, err = out.Write(data)
				return err
			}
			list, raw, err := c.Decisions(cmd.Context(), o.query)
			if err != nil {
				return brokerFailure(cmd, err)
			}
			if o.output.value == outputJSON {
				return printJSON(out, raw)
			}
			tw := newTable(out)
			fmt.Fprintln(tw, "ID\tTIME\tPACTICIPANT\tVERSION\tTRANSITION\tRESULT\tPOLICY\tREASON")
			for _, d := range list {
				where := string(d.Transition)
				if d.Environment != "" {
					where += " to " + d.Environment
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", d.ID, formatTime(d.Time), d.Pacticipant, d.Version, where, d.Result, d.PolicyVersion, d.Reason)
			}
			return tw.Flush()
		},
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputTable, outputJSON, outputJSONLines)
	f := cmd.Flags()
	f.StringVar(&o.query.Pacticipant, "pacticipant", "", "only decisions about this pacticipant")
	f.StringVar(&o.query.Version, "version", "", "only decisions about this version")
	f.StringVar(&o.query.Environment, "environment", "", "only decisions about this environment")
	f.StringVar(&o.query.Result, "result", "", "only allow, deny or pending decisions")
	f.IntVar(&o.query.Limit, "limit", 50, "at most this many decisions")
	f.BoolVar(&o.verify, "verify", false, "verify the hash chain (exit 1 when it is broken)")
	cmd.MarkFlagsMutuallyExclusive("verify", "output")
	return cmd
}

// verifyLog checks the chain twice: the broker walks the stored entries (their query columns
// included), and this command recomputes every hash of the export itself.
func verifyLog(cmd *cobra.Command, c *client.Client) error {
	remote, err := c.VerifyDecisions(cmd.Context())
	if err != nil {
		return withCode(ExitUsage, err)
	}
	data, err := c.ExportDecisions(cmd.Context())
	if err != nil {
		return withCode(ExitUsage, err)
	}
	local := gates.VerifyLines(data)
	for _, r := range []struct {
		who    string
		report gates.ChainReport
	}{{"the broker", *remote}, {"the export", local}} {
		if !r.report.OK {
			return withCode(ExitNo, fmt.Errorf("the decision log is broken at entry %d (found by %s): %s", r.report.BrokenAt, r.who, r.report.Problem))
		}
	}
	if local.Entries != remote.Entries || local.Head != remote.Head {
		return withCode(ExitNo, fmt.Errorf("the export (%d entries, head %s) differs from the log (%d entries, head %s)", local.Entries, local.Head, remote.Entries, remote.Head))
	}
	if local.Entries == 0 {
		fmt.Fprintln(cmd.OutOrStdout(), "The decision log is empty")
		return nil
	}
	fmt.Fprintf(cmd.OutOrStdout(), "The decision log verifies: %d entries, head %s\n", local.Entries, local.Head)
	return nil
}

// gate explain

type gateExplainOptions struct {
	broker brokerOptions
	output outputFormat
}

func newGateExplainCmd() *cobra.Command {
	o := &gateExplainOptions{}
	cmd := &cobra.Command{
		Use:   "explain DECISION_ID",
		Short: "Show a logged decision and replay it",
		Long: `Show a logged decision, the facts it was made on, and replay it: evaluate its logged input
again under the policy version it was made with. A replay that differs means the log or the
policy's history was tampered with.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id < 1 {
				return withCode(ExitUsage, fmt.Errorf("%q is not a decision id", args[0]))
			}
			c, err := o.broker.client()
			if err != nil {
				return err
			}
			x, raw, err := c.ExplainDecision(cmd.Context(), id)
			if err != nil {
				return brokerFailure(cmd, err)
			}
			out := cmd.OutOrStdout()
			if o.output.value == outputJSON {
				return printJSON(out, raw)
			}
			printDecision(out, &x.Entry)
			in := x.Entry.Input
			fmt.Fprintf(out, "\nOn: %d results, %d reviews, %d deployments, %d holds", len(in.Facts), len(in.Reviews), len(in.Deployments), len(in.Holds))
			for env, a := range in.Contracts {
				switch {
				case a.Error != "":
					fmt.Fprintf(out, "; can-i-deploy to %s: error", env)
				case a.Deployable == nil:
					fmt.Fprintf(out, "; can-i-deploy to %s: unknown", env)
				default:
					fmt.Fprintf(out, "; can-i-deploy to %s: %v", env, *a.Deployable)
				}
			}
			fmt.Fprintf(out, "\nhash %s (after %s)\n", x.Entry.Hash, x.Entry.PrevHash)
			if x.Note != "" {
				fmt.Fprintln(out, "note: "+x.Note)
			}
			if !x.Matches {
				fmt.Fprintf(out, "Replayed under policy version %d: %s, which DIFFERS from the logged decision\n", x.Policy.Version, x.Replay.Result)
				return withCode(ExitNo, errors.New("the replay differs from the logged decision"))
			}
			fmt.Fprintf(out, "Replayed under policy version %d: %s, the same decision\n", x.Policy.Version, x.Replay.Result)
			return nil
		},
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputJSON)
	return cmd
}
