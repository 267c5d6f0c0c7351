package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Exit codes shared by every verb.
const (
	ExitOK      = 0
	ExitNo      = 1 // a "no" answer or a failed check
	ExitUsage   = 2 // bad flags, unreadable input, or the broker could not be reached
	ExitPending = 3 // a gate decision that is neither allow nor deny yet
)

// exitError carries an exit code through cobra's error return.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode marks err with the exit code the process should end with.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// Main runs the command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(stderr, "error:", ee.err)
		}
		return ee.code
	}
	// Anything cobra itself rejected (unknown flag, missing argument) is a usage error.
	fmt.Fprintln(stderr, "error:", err)
	return ExitUsage
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "treaty",
		Short:         "Contract-testing broker and release gates",
		Long:          "Treaty stores consumer and provider contracts, answers can-i-deploy, and gates releases.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetIn(os.Stdin)
	for _, add := range commands {
		root.AddCommand(add())
	}
	return root
}

// commands lists the constructors of the top-level verbs; each verb's file registers itself
// in an init function so adding a verb touches one file.
var commands []func() *cobra.Command

func register(f func() *cobra.Command) { commands = append(commands, f) }

// envOr returns the value of the first set environment variable among names, else def.
func envOr(def string, names ...string) string {
	for _, n := range names {
		if v, ok := os.LookupEnv(n); ok && v != "" {
			return v
		}
	}
	return def
}
