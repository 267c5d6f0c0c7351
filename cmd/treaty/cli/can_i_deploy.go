package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/treaty-dev/treaty/broker/client"
)

func init() { register(newCanIDeployCmd) }

// defaultRetryInterval is the wait between two questions while results are unknown, as in
// the Ruby Pact CLI.
const defaultRetryInterval = 10 * time.Second

type canIDeployOptions struct {
	broker        brokerOptions
	output        outputFormat
	versions      versionSelectors
	toEnvironment string
	to            string
	retries       int
	interval      retryInterval
	dryRun        bool
}

func newCanIDeployCmd() *cobra.Command {
	o := &canIDeployOptions{}
	cmd := &cobra.Command{
		Use:   "can-i-deploy",
		Short: "Ask whether versions can be deployed to an environment",
		Long: `Ask the broker whether versions of pacticipants can be deployed to an environment: whether each
has a successful verification result with every version of its integrations in that environment.

Each --pacticipant is followed by the flags that pick its version (--version, --latest [TAG],
--tag, --branch, --main-branch); each --ignore may be followed by a --version, as with the Pact
CLI. Exit status: 0 deployable, 1 not deployable or unknown, 2 bad usage or a broker error.`,
		Example: `  treaty can-i-deploy --pacticipant order-service --version a3f9c21 --to-environment production
  treaty can-i-deploy --pacticipant order-service --version a3f9c21 --pacticipant payment-service --latest main
  treaty can-i-deploy -a order-service -e a3f9c21 --to-environment production --ignore user-service \
    --retry-while-unknown 6 --retry-interval 10s`,
		Args: cobra.ArbitraryArgs, // checked by parseInOrder
		// The meaning of --version depends on the flag before it, and --latest's tag, when it
		// has one, is the next argument: the command parses its own arguments, in order.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if done, err := parseInOrder(cmd, args); done || err != nil {
				return err
			}
			to := client.DeployTarget{Environment: o.toEnvironment, Tag: o.to}
			q := client.CanIDeployQuery(o.versions.selectors, o.versions.ignores, to)
			return runMatrixCheck(cmd, &o.broker, q, matrixCheck{output: o.output.value, retries: o.retries,
				interval: o.interval.d, dryRun: o.dryRun})
		},
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputTable, outputJSON)
	o.versions.addFlags(cmd, true)
	f := cmd.Flags()
	f.StringVar(&o.toEnvironment, "to-environment", "", "environment the versions are deployed to")
	f.StringVar(&o.to, "to", "", "tag of the versions of the integrations to check against (the legacy way)")
	addRetryFlags(cmd, &o.retries, &o.interval, &o.dryRun)
	_ = cmd.MarkFlagRequired("pacticipant")
	cmd.MarkFlagsMutuallyExclusive("to-environment", "to")
	return cmd
}

// addRetryFlags declares the flags can-i-deploy and can-i-merge share beyond the selectors.
func addRetryFlags(cmd *cobra.Command, retries *int, interval *retryInterval, dryRun *bool) {
	f := cmd.Flags()
	f.IntVar(retries, "retry-while-unknown", 0, "ask again up to this many times while a result is unknown (a verification still running)")
	interval.d = defaultRetryInterval
	f.Var(interval, "retry-interval", "wait between two questions, in seconds or as a duration such as 10s")
	dry, _ := strconv.ParseBool(envOr("false", "PACT_BROKER_CAN_I_DEPLOY_DRY_RUN"))
	f.BoolVar(dryRun, "dry-run", dry, "print the answer but exit 0 whatever it is (env PACT_BROKER_CAN_I_DEPLOY_DRY_RUN)")
}

// versionSelectors collects the selectors of --pacticipant and the ignores of --ignore in
// the order of the command line: --version, --latest, --tag, --branch and --main-branch
// describe the pacticipant named last, and --version also the pacticipant ignored last,
// whichever came later. pflag sets values in the order of the arguments, which is what
// makes the pairing work.
type versionSelectors struct {
	selectors []client.MatrixSelector
	ignores   []client.MatrixIgnore
	// owner is what the next --version describes: a selector, an ignore, or nothing yet.
	owner ownerKind
}

type ownerKind int

const (
	ownerNone ownerKind = iota
	ownerSelector
	ownerIgnore
)

// addFlags declares --pacticipant and --version; all adds the other ways to pick a version,
// and --ignore with its environment twin.
func (s *versionSelectors) addFlags(cmd *cobra.Command, all bool) {
	f := cmd.Flags()
	f.VarP(selectorFlag{s, "pacticipant"}, "pacticipant", "a", "`name` of a pacticipant to check; repeat for several, each followed by its version flags")
	versionUsage := "`version` of the pacticipant named before"
	if all {
		versionUsage = "`version` of the pacticipant (or of the --ignore) named before"
	}
	f.VarP(selectorFlag{s, "version"}, "version", "e", versionUsage)
	if !all {
		return
	}
	f.VarP(selectorFlag{s, "latest"}, "latest", "l", "the latest version of the pacticipant named before, or with a TAG its latest version with that tag")
	f.Var(selectorFlag{s, "tag"}, "tag", "the versions of the pacticipant named before that carry `tag`")
	f.Var(selectorFlag{s, "branch"}, "branch", "the versions of the pacticipant named before on `branch`")
	mainBranch := selectorFlag{s, "main-branch"}
	f.Var(mainBranch, "main-branch", "the head of the main branch of the pacticipant named before")
	f.Lookup("main-branch").NoOptDefVal = "true"
	f.Var(selectorFlag{s, "ignore"}, "ignore", "`name` of a pacticipant whose results do not count, optionally followed by --version "+
		"(env PACT_BROKER_CAN_I_DEPLOY_IGNORE, names separated by commas)")
	for _, name := range strings.Split(envOr("", "PACT_BROKER_CAN_I_DEPLOY_IGNORE"), ",") {
		if name = strings.TrimSpace(name); name != "" {
			s.ignores = append(s.ignores, client.MatrixIgnore{Pacticipant: name})
		}
	}
}

// selectorFlag is one of the selector flags; all of them write into the same list.
type selectorFlag struct {
	s    *versionSelectors
	name string
}

func (f selectorFlag) String() string { return "" }

func (f selectorFlag) Type() string {
	switch f.name {
	case "main-branch":
		return "bool"
	case "latest":
		return "[TAG]"
	}
	return "string"
}

func (f selectorFlag) Set(value string) error {
	s := f.s
	switch f.name {
	case "pacticipant":
		if value == "" {
			return errors.New("the name is empty")
		}
		s.selectors = append(s.selectors, client.MatrixSelector{Pacticipant: value})
		s.owner = ownerSelector
		return nil
	case "ignore":
		if value == "" {
			return errors.New("the name is empty")
		}
		s.ignores = append(s.ignores, client.MatrixIgnore{Pacticipant: value})
		s.owner = ownerIgnore
		return nil
	case "version":
		switch s.owner {
		case ownerIgnore:
			ig := &s.ignores[len(s.ignores)-1]
			if ig.Version != "" {
				return fmt.Errorf("--ignore %s has a version already", ig.Pacticipant)
			}
			ig.Version = value
			return nil
		case ownerNone:
			return errors.New("must follow the --pacticipant or --ignore it belongs to")
		}
	}
	if s.owner != ownerSelector {
		return errors.New("must follow the --pacticipant it belongs to")
	}
	sel := &s.selectors[len(s.selectors)-1]
	switch f.name {
	case "version":
		if sel.Version != "" {
			return fmt.Errorf("--pacticipant %s has a version already", sel.Pacticipant)
		}
		sel.Version = value
	case "latest":
		sel.Latest = true
		if value != "" {
			if sel.Tag != "" {
				return fmt.Errorf("--pacticipant %s has a tag already", sel.Pacticipant)
			}
			sel.Tag = value
		}
	case "tag":
		if sel.Tag != "" {
			return fmt.Errorf("--pacticipant %s has a tag already", sel.Pacticipant)
		}
		sel.Tag = value
	case "branch":
		sel.Branch = value
	case "main-branch":
		b, err := strconv.ParseBool(value)
		if err != nil {
			return err
		}
		sel.MainBranch = b
	}
	if sel.Version != "" && (sel.Latest || sel.MainBranch) {
		return fmt.Errorf("--pacticipant %s: give either a version or --latest/--main-branch, not both", sel.Pacticipant)
	}
	return nil
}

// parseInOrder parses the arguments of a command that declares DisableFlagParsing, and does
// what cobra would have done: help, required flags, flag groups, no positional arguments.
// done is true when there is nothing more to do (help was printed).
//
// The Pact CLI reads the optional tag of --latest from the next argument ("--latest prod");
// pflag reads an optional value only as "--latest=prod", so the arguments are joined that way
// first.
func parseInOrder(cmd *cobra.Command, args []string) (done bool, err error) {
	// cobra skips its own checks while DisableFlagParsing is set.
	cmd.DisableFlagParsing = false
	defer func() { cmd.DisableFlagParsing = true }()
	f := cmd.Flags()
	if err := cmd.ParseFlags(joinOptionalValues(f, args, "latest")); err != nil {
		return false, err
	}
	if help, _ := f.GetBool("help"); help {
		return true, cmd.Help()
	}
	if f.NArg() > 0 {
		return false, fmt.Errorf("unexpected argument %q", f.Arg(0))
	}
	if err := cmd.ValidateRequiredFlags(); err != nil {
		return false, err
	}
	return false, cmd.ValidateFlagGroups()
}

// joinOptionalValues rewrites "--name VALUE" (or "-n VALUE") as "--name=VALUE" for the named
// flags when VALUE does not look like a flag, and a bare "--name" as "--name=", so that pflag
// never expects a value it will not get.
func joinOptionalValues(f *pflag.FlagSet, args []string, names ...string) []string {
	optional := map[string]bool{}
	for _, n := range names {
		optional["--"+n] = true
		if fl := f.Lookup(n); fl != nil && fl.Shorthand != "" {
			optional["-"+fl.Shorthand] = true
		}
	}
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if optional[a] {
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				out = append(out, a+"="+args[i+1])
				i++
			} else {
				out = append(out, a+"=")
			}
			continue
		}
		out = append(out, a)
		// A flag that takes its value from the next argument: keep the value as it is, even
		// when it reads like one of the optional flags.
		if takesNextArg(f, a) && i+1 < len(args) {
			out = append(out, args[i+1])
			i++
		}
	}
	return out
}

// takesNextArg says whether the argument is a flag whose value is the next argument.
func takesNextArg(f *pflag.FlagSet, arg string) bool {
	var fl *pflag.Flag
	switch {
	case strings.HasPrefix(arg, "--") && !strings.Contains(arg, "="):
		fl = f.Lookup(arg[2:])
	case len(arg) == 2 && arg[0] == '-' && arg[1] != '-':
		fl = f.ShorthandLookup(arg[1:])
	}
	return fl != nil && fl.NoOptDefVal == ""
}

// retryInterval is --retry-interval: a number of seconds, as the Pact CLI takes it, or a
// duration such as 10s.
type retryInterval struct{ d time.Duration }

func (r *retryInterval) String() string { return r.d.String() }
func (r *retryInterval) Type() string   { return "duration" }

func (r *retryInterval) Set(s string) error {
	if n, err := strconv.Atoi(s); err == nil {
		s = strconv.Itoa(n) + "s"
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return fmt.Errorf("%q is neither a number of seconds nor a duration such as 10s", s)
	}
	r.d = d
	return nil
}

// matrixCheck is how to ask and answer a can-i-deploy or can-i-merge question.
type matrixCheck struct {
	output   string
	retries  int
	interval time.Duration
	dryRun   bool
}

// runMatrixCheck asks the broker, prints its answer, and turns the verdict into the exit
// status: 0 deployable, 1 not (or unknown), 2 for a broker error. A dry run exits 0 whatever
// the broker says, once the question itself was well formed.
func runMatrixCheck(cmd *cobra.Command, broker *brokerOptions, q client.MatrixQuery, mc matrixCheck) error {
	w := cmd.OutOrStdout()
	c, err := broker.client()
	if err != nil {
		return err
	}
	m, err := askMatrix(cmd.Context(), c, q, mc.retries, mc.interval, cmd.ErrOrStderr())
	if err != nil {
		if mc.dryRun {
			fmt.Fprintln(cmd.ErrOrStderr(), "error:", err)
			fmt.Fprintln(w, dryRunNote)
			return nil
		}
		return withCode(ExitUsage, err)
	}
	deployable := m.Summary.Deployable != nil && *m.Summary.Deployable
	switch mc.output {
	case outputJSON:
		if err := printJSON(w, m.Raw); err != nil {
			return err
		}
	case outputTable:
		if err := printMatrixTable(w, m.Rows); err != nil {
			return err
		}
	default:
		if err := printMatrix(w, m, deployable); err != nil {
			return err
		}
	}
	switch {
	case deployable:
		return nil
	case mc.dryRun:
		if mc.output == outputText {
			fmt.Fprintln(w, dryRunNote)
		}
		return nil
	}
	// The answer is printed; a "no" needs no error line.
	return withCode(ExitNo, errors.New(""))
}

const dryRunNote = "Dry run: exiting 0 whatever the answer."

// askMatrix asks the matrix, and asks again while the answer is unknown (a verification may
// still be running), at most retries more times.
func askMatrix(ctx context.Context, c *client.Client, q client.MatrixQuery, retries int, interval time.Duration, progress io.Writer) (*client.Matrix, error) {
	for attempt := 1; ; attempt++ {
		m, err := c.Matrix(ctx, q)
		if err != nil || m.Summary.Deployable != nil || attempt > retries {
			return m, err
		}
		fmt.Fprintf(progress, "Waiting for %s to be published... (retry %d of %d in %s)\n",
			plural(m.Summary.Unknown, "verification result"), attempt, retries, interval)
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("query the matrix: %w", ctx.Err())
		case <-t.C:
		}
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// printMatrix prints the rows, the broker's reasons, and the verdict, as the Pact CLI does.
func printMatrix(w io.Writer, m *client.Matrix, deployable bool) error {
	if len(m.Rows) > 0 {
		if err := printMatrixTable(w, m.Rows); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	if len(m.Notices) > 0 {
		printNotices(w, m.Notices)
	} else if m.Summary.Reason != "" {
		fmt.Fprintln(w, m.Summary.Reason)
	}
	fmt.Fprintln(w)
	if deployable {
		_, err := fmt.Fprintln(w, `Computer says yes \o/`)
		return err
	}
	_, err := fmt.Fprintln(w, `Computer says no ¯\_(ツ)_/¯`)
	return err
}

func printMatrixTable(w io.Writer, rows []client.MatrixRow) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "CONSUMER\tC.VERSION\tPROVIDER\tP.VERSION\tSUCCESS?")
	for _, r := range rows {
		success := "unknown"
		if s := r.Success(); s != nil {
			success = strconv.FormatBool(*s)
		}
		if r.Ignored {
			success += " (ignored)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Consumer.Name, orDash(r.Consumer.VersionNumber()),
			r.Provider.Name, orDash(r.Provider.VersionNumber()), success)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
