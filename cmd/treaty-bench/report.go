package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/broker/store/storebench"
)

type reportOptions struct {
	out     string
	goBench string
	notes   []string
}

func newReportCmd() *cobra.Command {
	o := reportOptions{}
	cmd := &cobra.Command{
		Use:   "report FILE...",
		Short: "Summarise seed manifests and load results as markdown",
		Long: `Summarise seed manifests and load results (the JSON files seed and load --out wrote) as
markdown tables: seeding time, latency and throughput per scenario against the targets, and
how p99 grows between the smallest and the largest broker of each database.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, args) },
	}
	cmd.Flags().StringVar(&o.out, "out", "", "also write the report to this file")
	cmd.Flags().StringVar(&o.goBench, "go-bench", "", "go test -bench output to include")
	cmd.Flags().StringArrayVar(&o.notes, "note", nil, "a line to add under the title, repeatable")
	return cmd
}

// targets are the p99 goals, in milliseconds, at the full size.
var targets = map[string]float64{"can-i-deploy": 10, "matrix": 10, "for-verification": 50}

// growthTarget bounds p99(large)/p99(small).
const growthTarget = 1.5

func (o *reportOptions) run(cmd *cobra.Command, files []string) error {
	var seeds []storebench.Manifest
	var loads []loadResult
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var kind struct {
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal(data, &kind); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		switch kind.Kind {
		case "seed":
			var m storebench.Manifest
			if err := json.Unmarshal(data, &m); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			m.Pacticipants = nil
			seeds = append(seeds, m)
		case "load":
			var r loadResult
			if err := json.Unmarshal(data, &r); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			loads = append(loads, r)
		default:
			return usageError{fmt.Errorf("%s is neither a seed manifest nor a load result", f)}
		}
	}
	var b bytes.Buffer
	o.write(&b, seeds, loads)
	if o.goBench != "" {
		if err := writeGoBench(&b, o.goBench); err != nil {
			return err
		}
	}
	if _, err := cmd.OutOrStdout().Write(b.Bytes()); err != nil {
		return err
	}
	if o.out != "" {
		return os.WriteFile(o.out, b.Bytes(), 0o644)
	}
	return nil
}

func (o *reportOptions) write(w io.Writer, seeds []storebench.Manifest, loads []loadResult) {
	fmt.Fprintf(w, "# Treaty benchmark, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "Machine: %s/%s, %d CPUs. Load from a separate process over loopback, keep-alive connections.\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	for _, n := range o.notes {
		fmt.Fprintf(w, "%s\n", n)
	}
	if len(seeds) > 0 {
		sort.SliceStable(seeds, func(i, j int) bool {
			return seeds[i].Backend < seeds[j].Backend || seeds[i].Backend == seeds[j].Backend && seeds[i].Rows["verifications"] > seeds[j].Rows["verifications"]
		})
		fmt.Fprintf(w, "\n## Seeding\n\n")
		fmt.Fprintf(w, "| database | size | pacticipants | integrations | versions | branches | pact contents | publications | verifications | deployments | seconds |\n")
		fmt.Fprintf(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, m := range seeds {
			r := m.Rows
			fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %d | %d | %d | %d | %d | %.1f |\n", m.Backend, orDash(m.Label), r["pacticipants"], r["integrations"],
				r["versions"], r["branches"], r["pact_versions"], r["pact_publications"], r["verifications"], r["deployed_versions"], m.SeedSeconds)
		}
	}
	if len(loads) == 0 {
		return
	}
	sort.SliceStable(loads, func(i, j int) bool {
		a, b := loads[i], loads[j]
		if a.Backend != b.Backend {
			return a.Backend < b.Backend
		}
		if a.Verifications != b.Verifications {
			return a.Verifications > b.Verifications
		}
		if a.Scenario != b.Scenario {
			return scenarioRank(a.Scenario) < scenarioRank(b.Scenario)
		}
		return a.Clients < b.Clients
	})
	fmt.Fprintf(w, "\n## Load\n\n")
	fmt.Fprintf(w, "| database | size | scenario | clients | requests | errors | req/s | p50 ms | p90 ms | p99 ms | max ms | p99 target |\n")
	fmt.Fprintf(w, "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|\n")
	for _, r := range loads {
		target := ""
		if t, ok := targets[r.Scenario]; ok {
			verdict := "met"
			if r.P99 > t || r.Errors > 0 || r.Requests == 0 {
				verdict = "**missed**"
			}
			target = fmt.Sprintf("≤ %g ms: %s", t, verdict)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %d | %d | %d | %.1f | %.2f | %.2f | %.2f | %.2f | %s |\n", r.Backend, sizeOf(r), r.Scenario, r.Clients,
			r.Requests, r.Errors, r.Throughput, r.P50, r.P90, r.P99, r.Max, target)
	}
	var notes []string
	for _, r := range loads {
		if r.FirstError != "" {
			notes = append(notes, fmt.Sprintf("- %s %s %s, %d clients: %d errors; first: `%s`", r.Backend, sizeOf(r), r.Scenario, r.Clients, r.Errors, strings.ReplaceAll(r.FirstError, "`", "'")))
		}
		if len(r.Answers) > 0 {
			notes = append(notes, fmt.Sprintf("- %s %s %s, %d clients, sampled answers: %s", r.Backend, sizeOf(r), r.Scenario, r.Clients, answerText(r.Answers)))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\n%s\n", strings.Join(notes, "\n"))
	}
	o.writeGrowth(w, loads)
}

// writeGrowth compares, per database and scenario, the largest broker with the smallest.
func (o *reportOptions) writeGrowth(w io.Writer, loads []loadResult) {
	type key struct {
		backend, scenario string
		clients           int
	}
	small, large := map[key]loadResult{}, map[key]loadResult{}
	var keys []key
	for _, r := range loads {
		if r.Requests == 0 || r.Errors == r.Requests {
			continue
		}
		k := key{r.Backend, r.Scenario, r.Clients}
		s, ok := small[k]
		if !ok {
			keys = append(keys, k)
		}
		if !ok || r.Verifications < s.Verifications {
			small[k] = r
		}
		if l, ok := large[k]; !ok || r.Verifications > l.Verifications {
			large[k] = r
		}
	}
	var rows []string
	for _, k := range keys {
		s, l := small[k], large[k]
		if s.Verifications == l.Verifications || s.P99 == 0 {
			continue
		}
		ratio := l.P99 / s.P99
		verdict := "met"
		if ratio > growthTarget {
			verdict = "**missed**"
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %d | %s → %s | %.2f → %.2f | %.2f → %.2f | %.2f× | %s |", k.backend, k.scenario, k.clients,
			sizeOf(s), sizeOf(l), s.P50, l.P50, s.P99, l.P99, ratio, verdict))
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\n## Growth\n\n")
	fmt.Fprintf(w, "| database | scenario | clients | size | p50 ms | p99 ms | p99 ratio | target ≤ %g× |\n|---|---|--:|---|---|---|--:|---|\n", growthTarget)
	fmt.Fprintf(w, "%s\n", strings.Join(rows, "\n"))
}

func writeGoBench(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "Benchmark") || strings.HasPrefix(line, "pkg:") || strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "--- FAIL") {
			lines = append(lines, line)
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	fmt.Fprintf(w, "\n## Go benchmarks\n\n```\n%s\n```\n", strings.Join(lines, "\n"))
	return nil
}

func scenarioRank(s string) int {
	for i, name := range []string{"can-i-deploy", "matrix", "for-verification", "matrix-integration", "publish"} {
		if s == name {
			return i
		}
	}
	return 99
}

func sizeOf(r loadResult) string {
	return fmt.Sprintf("%s verifications", humanCount(r.Verifications))
}

func humanCount(n int) string {
	switch {
	case n >= 1_000_000 && n%100_000 == 0:
		return fmt.Sprintf("%gM", float64(n)/1e6)
	case n >= 1000 && n%100 == 0:
		return fmt.Sprintf("%gk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

func answerText(a map[string]int) string {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, a[k])
	}
	return strings.Join(parts, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
