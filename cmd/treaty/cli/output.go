package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/broker/client"
)

// Output formats of --output.
const (
	outputText  = "text"  // short lines for a person
	outputJSON  = "json"  // what the broker returned
	outputTable = "table" // aligned columns, for lists
)

// outputFormat is the value of --output, one of the formats a command offers; cobra rejects
// any other value as a usage error.
type outputFormat struct {
	value   string
	formats []string
}

func (o *outputFormat) String() string { return o.value }
func (o *outputFormat) Type() string   { return "format" }

func (o *outputFormat) Set(s string) error {
	if !slices.Contains(o.formats, s) {
		return fmt.Errorf("must be one of %s", strings.Join(o.formats, ", "))
	}
	o.value = s
	return nil
}

// addOutputFlag declares --output/-o with the formats the command offers; the first is the
// default.
func addOutputFlag(cmd *cobra.Command, o *outputFormat, formats ...string) {
	*o = outputFormat{value: formats[0], formats: formats}
	cmd.Flags().VarP(o, "output", "o", "output format: "+strings.Join(formats, ", "))
}

// printJSON prints JSON the broker returned (a json.RawMessage, or a slice of them),
// indented.
func printJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", data)
	return err
}

// printNotices prints the broker's notices one a line; their text carries its own
// indentation.
func printNotices(w io.Writer, notices []client.Notice) {
	for _, n := range notices {
		fmt.Fprintln(w, n.Text)
	}
}

// newTable returns a writer of aligned columns; rows are tab-separated and end with a newline.
// Flush it when done.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// printFields prints "label: value" lines with the values aligned, leaving out empty values.
func printFields(w io.Writer, fields [][2]string) error {
	tw := newTable(w)
	for _, f := range fields {
		if f[1] != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", f[0], f[1])
		}
	}
	return tw.Flush()
}

// formatTime shows a time from the broker, or nothing for a time it did not send.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
