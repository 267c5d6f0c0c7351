package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/gates"
)

type gateCheckOptions struct {
	broker      brokerOptions
	output      outputFormat
	pacticipant string
	version     string
	to          string
	transition  string
	wait        bool
	timeout     time.Duration
	interval    time.Duration
}

func newGateCheckCmd() *cobra.Command {
	o := &gateCheckOptions{}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Ask whether a version may publish, or go to an environment",
		Long: `Ask the release gates whether a version may publish (--transition publish) or go to an
environment (--to; a deploy, or a promotion for a production environment). The broker
evaluates the policy, logs the decision and answers with every gate's result, the reason and
who or what can unblock it.

Exit status: 0 allow, 1 deny, 3 pending (the answer says when to look again), 2 bad usage or a
broker error. With --wait a pending answer is asked again until it is allow or deny, or the
timeout passes (exit 3).`,
		Example: `  treaty gate check --pacticipant order-service --version a3f9c21 --transition publish
  treaty gate check --pacticipant order-service --version a3f9c21 --to production --wait --timeout 30m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := gates.CheckRequest{Pacticipant: o.pacticipant, Version: o.version, Environment: o.to,
				Transition: gates.Transition(o.transition), Source: "cli"}
			switch {
			case o.to == "" && o.transition == "":
				return withCode(ExitUsage, errors.New("say where to: --to ENVIRONMENT, or --transition publish"))
			case o.transition == string(gates.Publish) && o.to != "":
				return withCode(ExitUsage, errors.New("--transition publish takes no --to: publishing has no environment"))
			case o.transition != "" && o.transition != string(gates.Publish) && o.to == "":
				return withCode(ExitUsage, fmt.Errorf("--transition %s needs --to ENVIRONMENT", o.transition))
			}
			if err := req.Validate(); err != nil {
				return withCode(ExitUsage, err)
			}
			c, err := o.broker.client()
			if err != nil {
				return err
			}
			var deadline time.Time
			if o.wait {
				deadline = time.Now().Add(o.timeout)
			}
			for {
				entry, raw, err := c.CheckGate(cmd.Context(), req)
				if err != nil {
					// 1 means deny here: anything that is not a decision is 2.
					return withCode(ExitUsage, err)
				}
				if !o.wait || entry.Decision.Result != gates.Pending || !time.Now().Before(deadline) {
					if o.output.value == outputJSON {
						if err := printJSON(cmd.OutOrStdout(), raw); err != nil {
							return err
						}
					} else {
						printDecision(cmd.OutOrStdout(), entry)
					}
					if o.wait && entry.Decision.Result == gates.Pending {
						fmt.Fprintf(cmd.ErrOrStderr(), "still pending after %s\n", o.timeout)
					}
					return verdictExit(entry.Decision.Result)
				}
				pause := o.interval
				if next := entry.Decision.NextCheck; next != nil && time.Until(*next) > 0 && time.Until(*next) < pause {
					pause = time.Until(*next)
				}
				pause = min(pause, time.Until(deadline))
				fmt.Fprintf(cmd.ErrOrStderr(), "pending (decision %d): %s; asking again in %s\n", entry.ID, entry.Decision.Reason, pause.Round(time.Second))
				select {
				case <-cmd.Context().Done():
					return withCode(ExitPending, cmd.Context().Err())
				case <-time.After(pause):
				}
			}
		},
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputJSON)
	f := cmd.Flags()
	f.StringVar(&o.pacticipant, "pacticipant", "", "name of the pacticipant (required)")
	f.StringVar(&o.version, "version", "", "version to check (required)")
	f.StringVar(&o.to, "to", "", "environment to deploy or promote to")
	f.StringVar(&o.to, "to-environment", "", "the same as --to, as can-i-deploy names it")
	f.StringVar(&o.transition, "transition", "", "publish; or deploy or promote, which --to implies")
	f.BoolVar(&o.wait, "wait", false, "ask again while the answer is pending")
	f.DurationVar(&o.timeout, "timeout", envDuration("TREATY_GATE_TIMEOUT", 30*time.Minute), "how long --wait waits (env TREATY_GATE_TIMEOUT)")
	f.DurationVar(&o.interval, "interval", envDuration("TREATY_GATE_INTERVAL", 10*time.Second), "the longest pause between two questions while waiting (env TREATY_GATE_INTERVAL)")
	_ = cmd.MarkFlagRequired("pacticipant")
	_ = cmd.MarkFlagRequired("version")
	cmd.MarkFlagsMutuallyExclusive("to", "to-environment")
	return cmd
}

// verdictExit is a decision's exit status.
func verdictExit(v gates.Verdict) error {
	switch v {
	case gates.Allow:
		return nil
	case gates.Pending:
		return withCode(ExitPending, errors.New(""))
	}
	return withCode(ExitNo, errors.New(""))
}

// printDecision shows a decision: the verdict, then every gate with its result, reason and
// who or what can unblock it.
func printDecision(w io.Writer, e *gates.Entry) {
	where := "publish"
	if e.Environment != "" {
		where = fmt.Sprintf("%s to %s", e.Transition, e.Environment)
	}
	fmt.Fprintf(w, "%s %s, %s: %s\n", e.Pacticipant, e.Version, where, strings.ToUpper(string(e.Decision.Result)))
	fmt.Fprintf(w, "decision %d, policy version %d, %s\n", e.ID, e.PolicyVersion, formatTime(e.Time))
	if e.Digest != "" {
		fmt.Fprintf(w, "digest %s\n", e.Digest)
	}
	fmt.Fprintln(w)
	tw := newTable(w)
	for _, g := range e.Decision.Gates {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", g.Result, g.Name, g.Reason)
		if g.Result != gates.Allow && g.Unblock != "" {
			fmt.Fprintf(tw, "  \t\tunblock: %s\n", g.Unblock)
		}
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(w, e.Decision.Reason)
	if e.Decision.NextCheck != nil {
		fmt.Fprintf(w, "next check: %s\n", formatTime(*e.Decision.NextCheck))
	}
}
