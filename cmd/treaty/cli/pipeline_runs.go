package cli

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/pipelines"
)

// pipeline runs

func newPipelineRunsCmd() *cobra.Command {
	var (
		broker  brokerOptions
		output  outputFormat
		service string
		status  string
		limit   int
	)
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List pipeline runs, newest first",
		Example: `  treaty pipeline runs --service payment-service
  treaty pipeline runs --status rolled-back -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if status != "" && !pipelines.Status(status).Valid() {
				return withCode(ExitUsage, fmt.Errorf("--status %q is not a run status", status))
			}
			c, err := broker.client()
			if err != nil {
				return err
			}
			runs, err := c.Runs(cmd.Context(), pipelines.RunQuery{Service: service, Status: pipelines.Status(status), Limit: limit})
			if err != nil {
				return brokerFailure(cmd, err)
			}
			out := cmd.OutOrStdout()
			if output.value == outputJSON {
				return printJSON(out, map[string]any{"runs": runs})
			}
			if len(runs) == 0 {
				fmt.Fprintln(out, "No pipeline runs.")
				return nil
			}
			tw := newTable(out)
			fmt.Fprintln(tw, "RUN\tSERVICE\tVERSION\tSTATUS\tSTAGE\tSTARTED\tDURATION")
			for _, r := range runs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Service, r.Version, r.Status, r.Stage, formatTime(r.StartedAt), runDuration(r.DurationMillis, r.Status))
			}
			return tw.Flush()
		},
	}
	broker.addFlags(cmd)
	addOutputFlag(cmd, &output, outputTable, outputJSON)
	f := cmd.Flags()
	f.StringVar(&service, "service", "", "only this service's runs")
	f.StringVar(&status, "status", "", "only runs with this status (running, succeeded, failed, stopped, rolled-back, canceled)")
	f.IntVar(&limit, "limit", 20, "at most this many runs")
	return cmd
}

func runDuration(ms int64, s pipelines.Status) string {
	if !s.Done() {
		return "-"
	}
	return (time.Duration(ms) * time.Millisecond).Round(time.Millisecond).String()
}

// pipeline show

func newPipelineShowCmd() *cobra.Command {
	var (
		broker brokerOptions
		output outputFormat
		logs   bool
	)
	cmd := &cobra.Command{
		Use:   "show RUN",
		Short: "Show one pipeline run: its steps, their statuses, durations and output",
		Example: `  treaty pipeline show 42
  treaty pipeline show 42 --logs`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id < 1 {
				return withCode(ExitUsage, errors.New("RUN must be a run's number"))
			}
			c, err := broker.client()
			if err != nil {
				return err
			}
			r, err := c.Run(cmd.Context(), id)
			if err != nil {
				return brokerFailure(cmd, err)
			}
			if output.value == outputJSON {
				return printJSON(cmd.OutOrStdout(), r)
			}
			printRun(cmd.OutOrStdout(), r, logs)
			return nil
		},
	}
	broker.addFlags(cmd)
	addOutputFlag(cmd, &output, outputText, outputJSON)
	cmd.Flags().BoolVar(&logs, "logs", false, "print the end of each step's output")
	return cmd
}

func printRun(w io.Writer, r pipelines.Run, logs bool) {
	fmt.Fprintf(w, "run %d: %s %s, %s\n", r.ID, r.Service, r.Version, r.Status)
	fmt.Fprintf(w, "commit %s", r.Commit)
	if r.Branch != "" {
		fmt.Fprintf(w, " on %s", r.Branch)
	}
	fmt.Fprintf(w, ", stages %s to %s, started %s", r.From, r.Until, formatTime(r.StartedAt))
	if r.Status.Done() {
		fmt.Fprintf(w, ", took %s", runDuration(r.DurationMillis, r.Status))
	}
	fmt.Fprintln(w)
	if r.Message != "" {
		fmt.Fprintln(w, r.Message)
	}
	fmt.Fprintln(w)
	tw := newTable(w)
	for _, s := range r.Steps {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", s.Stage, s.Name, s.Status, runDuration(s.DurationMillis, s.Status), firstLineOfString(s.Message))
	}
	_ = tw.Flush()
	if !logs {
		return
	}
	for _, s := range r.Steps {
		if s.LogTail == "" {
			continue
		}
		fmt.Fprintf(w, "\n--- %s/%s\n%s", s.Stage, s.Name, s.LogTail)
		if !strings.HasSuffix(s.LogTail, "\n") {
			fmt.Fprintln(w)
		}
	}
}

func firstLineOfString(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
