package steps

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/treaty-dev/treaty/gates"
	"github.com/treaty-dev/treaty/pipelines"
)

func securityScanStep() pipelines.Definition {
	return pipelines.Definition{
		Name:    "security-scan",
		Summary: "runs a scanner and records its findings by severity, read from its SARIF or JSON report (govulncheck, Trivy, Grype, npm audit, …)",
		Fact:    gates.ResultSecurityScan,
		Fields: []pipelines.Field{
			{Name: "scanner", Kind: pipelines.String, Doc: "govulncheck: run govulncheck -json on the service's packages"},
			{Name: "run", Kind: pipelines.String, Doc: "the scanner's command line; its output is the report unless report names a file"},
			{Name: "report", Kind: pipelines.String, Doc: "the report file the scanner writes, relative to the step's directory"},
			{Name: "db", Kind: pipelines.String, Doc: "govulncheck's vulnerability database (-db), such as file:///srv/vulndb"},
			{Name: "packages", Kind: pipelines.StringList, Doc: "govulncheck's package patterns (default ./...)"},
			{Name: "thresholds", Kind: pipelines.StringMap, Doc: "the most findings allowed per severity, such as {critical: 0, high: 0}; more fails the step"},
		},
		Run: runSecurityScan,
	}
}

func runSecurityScan(ctx context.Context, sc *pipelines.StepContext) (pipelines.Result, error) {
	script := sc.Str("run")
	switch scanner := sc.Str("scanner"); {
	case script != "":
	case scanner == "govulncheck":
		args := []string{"govulncheck", "-json"}
		if db := sc.Str("db"); db != "" {
			args = append(args, "-db", shellQuote(db))
		}
		pkgs := sc.List("packages")
		if len(pkgs) == 0 {
			pkgs = []string{"./..."}
		}
		for _, p := range pkgs {
			args = append(args, shellQuote(p))
		}
		script = strings.Join(args, " ")
	case scanner != "":
		return pipelines.Result{}, pipelines.Permanentf("scanner %q is not one Treaty knows (govulncheck); give the command in run", scanner)
	default:
		return pipelines.Result{}, pipelines.Permanentf("say how to scan: scanner: govulncheck, or the scanner's command in run")
	}
	var stdout bytes.Buffer
	runErr := shell(ctx, sc, script, &stdout)
	data := stdout.Bytes()
	from := "its output"
	if report := sc.Str("report"); report != "" {
		if !filepath.IsAbs(report) {
			report = filepath.Join(sc.Dir, report)
		}
		var err error
		if data, err = os.ReadFile(report); err != nil {
			if runErr != nil {
				return pipelines.Result{}, runErr
			}
			return pipelines.Result{}, pipelines.Permanentf("read the scanner's report: %w", err)
		}
		from = report
	}
	counts, format, err := gates.ParseScanReport(data)
	if err != nil {
		if runErr != nil {
			return pipelines.Result{}, runErr
		}
		return pipelines.Result{}, pipelines.Permanentf("the scanner ran but %s is not a report Treaty can read: %w", from, err)
	}
	if runErr != nil {
		// Many scanners exit non-zero when they find something; the report says what.
		fmt.Fprintf(sc.Out, "the scanner %v, but its report is complete\n", runErr)
	}
	res := pipelines.Result{Counts: &counts, Details: string(data), Message: fmt.Sprintf("%s (read from %s)", counts, format)}
	var over []string
	for sev, raw := range sc.Map("thresholds") {
		limit, err := strconv.Atoi(raw)
		if err != nil {
			return res, pipelines.Permanentf("thresholds.%s: %q is not a number", sev, raw)
		}
		if n := counts.Get(strings.ToLower(sev)); n > limit {
			over = append(over, fmt.Sprintf("%d %s (at most %d)", n, sev, limit))
		}
	}
	if len(over) > 0 {
		return res, pipelines.Permanentf("the scan found %s", strings.Join(over, ", "))
	}
	return res, nil
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ':' || r == '=' || r == '@' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
