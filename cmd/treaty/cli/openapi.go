package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/openapi"
)

func init() { register(newOpenAPICmd) }

func newOpenAPICmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "openapi",
		Short: "Work with OpenAPI documents",
	}
	cmd.AddCommand(newOpenAPIDiffCmd())
	return cmd
}

type openapiDiffOptions struct {
	pacts    []string
	all      bool
	output   outputFormat
	provider string
	broker   brokerOptions
}

func newOpenAPIDiffCmd() *cobra.Command {
	o := &openapiDiffOptions{}
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "List the changes between two versions of an OpenAPI document, breaking ones first",
		Long: `List what changed from OLD to NEW with oasdiff's rules: each change has a rule id, a level
(error: breaking; warning: maybe breaking; info), its operation and a sentence.

With --pacts, only what consumers use counts: the changes that touch an operation, a status or
a field one of the pacts uses, including removals oasdiff rates harmless in general (an
optional property, a 404) that a pact relies on.

With --provider, the pacts are those of the provider's consumers at the versions currently
deployed or released in any environment, fetched from the broker: what the provider must not
break before it removes anything.

Exit status: 1 when something breaks (with --pacts: breaks a consumer), 0 when nothing does,
2 on unreadable input.`,
		Example: `  treaty openapi diff main.yaml openapi.yaml
  treaty openapi diff main.yaml openapi.yaml --pacts pacts/
  treaty openapi diff main.yaml openapi.yaml --provider payment-service --broker-base-url http://broker:9292`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, args) },
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.pacts, "pacts", nil, "pact files, or directories of *.json pact files, whose usage decides what breaks (repeatable)")
	f.BoolVar(&o.all, "all", false, "list info-level changes too (text output)")
	f.StringVar(&o.provider, "provider", "", "judge by the pacts of this provider's consumers deployed or released, from the broker")
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputJSON)
	return cmd
}

// diffReport is what --output json prints.
type diffReport struct {
	Changes  []openapi.Change `json:"changes"`
	Touching []openapi.Touch  `json:"touching,omitempty"`
	Breaking bool             `json:"breaking"`
}

func (o *openapiDiffOptions) run(cmd *cobra.Command, args []string) error {
	old, err := loadDocument(args[0])
	if err != nil {
		return withCode(ExitUsage, err)
	}
	new, err := loadDocument(args[1])
	if err != nil {
		return withCode(ExitUsage, err)
	}
	var pacts []*openapi.Pact
	if len(o.pacts) > 0 {
		if pacts, err = readPactsForDiff(o.pacts); err != nil {
			return withCode(ExitUsage, err)
		}
	}
	if o.provider != "" {
		deployed, err := o.deployedPacts(cmd)
		if err != nil {
			return withCode(ExitUsage, err)
		}
		pacts = append(pacts, deployed...)
		if pacts == nil {
			pacts = []*openapi.Pact{} // judged by usage: none is used
		}
	}
	changes, err := openapi.Diff(old, new)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	report := diffReport{Changes: changes}
	if pacts != nil {
		report.Touching = openapi.ChangesTouchingPacts(changes, pacts)
		for _, t := range report.Touching {
			report.Breaking = report.Breaking || t.Breaks
		}
	} else {
		for _, c := range changes {
			report.Breaking = report.Breaking || c.Breaking
		}
	}
	out := cmd.OutOrStdout()
	if o.output.value == outputJSON {
		if report.Changes == nil {
			report.Changes = []openapi.Change{}
		}
		if err := printJSON(out, report); err != nil {
			return err
		}
	} else {
		o.printText(out, report, pacts != nil)
	}
	if report.Breaking {
		return withCode(ExitNo, errors.New(""))
	}
	return nil
}

func (o *openapiDiffOptions) printText(w io.Writer, r diffReport, withPacts bool) {
	if withPacts {
		for _, t := range r.Touching {
			verdict := "touches"
			if t.Breaks {
				verdict = "breaks"
			}
			fmt.Fprintf(w, "%s %s [%s] %s\n", verdict, t.Operation, t.ID, t.Text)
			for _, u := range t.Uses {
				fmt.Fprintf(w, "  used by %s\n", u)
			}
		}
		if len(r.Touching) == 0 {
			fmt.Fprintln(w, "no change touches what the pacts use")
		}
		return
	}
	shown := 0
	for _, c := range r.Changes {
		if c.Level == "info" && !o.all {
			continue
		}
		shown++
		op := c.Operation
		if op == "" {
			op = "(document)"
		}
		fmt.Fprintf(w, "%s %s [%s] %s\n", c.Level, op, c.ID, c.Text)
	}
	if shown == 0 {
		fmt.Fprintf(w, "no breaking changes (%d other change(s); --all lists them)\n", len(r.Changes))
	}
}

// readPactsForDiff reads pact files, or the *.json files of directories.
func readPactsForDiff(args []string) ([]*openapi.Pact, error) {
	var paths []string
	for _, arg := range args {
		for _, a := range strings.Split(arg, ",") {
			info, err := os.Stat(a)
			if err != nil {
				var pe *fs.PathError
				if errors.As(err, &pe) {
					err = pe.Err
				}
				return nil, fmt.Errorf("%s: %w", a, err)
			}
			if !info.IsDir() {
				paths = append(paths, a)
				continue
			}
			matches, err := filepath.Glob(filepath.Join(a, "*.json"))
			if err != nil {
				return nil, err
			}
			paths = append(paths, matches...)
		}
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no pact files (*.json) in %s", strings.Join(args, ", "))
	}
	sort.Strings(paths)
	var out []*openapi.Pact
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		pact, err := openapi.ParsePact(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, pact)
	}
	return out, nil
}

// deployedPacts fetches the pacts of the provider's consumer versions deployed or released in
// any environment, and says which they are (text output).
func (o *openapiDiffOptions) deployedPacts(cmd *cobra.Command) ([]*openapi.Pact, error) {
	c, err := o.broker.client()
	if err != nil {
		return nil, err
	}
	found, err := c.DeployedOrReleasedPacts(cmd.Context(), o.provider)
	if err != nil {
		return nil, err
	}
	var out []*openapi.Pact
	for _, p := range found {
		pact, err := openapi.ParsePact(p.Content)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		out = append(out, pact)
	}
	if o.output.value == outputText {
		w := cmd.OutOrStdout()
		if len(found) == 0 {
			fmt.Fprintf(w, "no consumer version of %s is deployed or released\n", o.provider)
		}
		for _, p := range found {
			fmt.Fprintf(w, "deployed or released: %s\n", p.Name)
		}
	}
	return out, nil
}
