package gates

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Scan report formats ParseScanReport reads.
const (
	FormatSARIF       = "sarif"
	FormatTrivy       = "trivy"
	FormatGrype       = "grype"
	FormatGovulncheck = "govulncheck"
	FormatNpmAudit    = "npm-audit"
	FormatList        = "vulnerabilities" // {"vulnerabilities": [{"severity": "high"}, …]}, as Snyk writes
	FormatCounts      = "counts"          // {"critical": 0, "high": 1, …}
)

// ErrUnknownReport means the details are JSON but in no format ParseScanReport knows.
var ErrUnknownReport = errors.New("not a SARIF log nor a scanner JSON report Treaty knows (Trivy, Grype, govulncheck, npm audit, a list of vulnerabilities with severities, or counts by severity)")

// ParseScanReport counts the vulnerabilities in a scanner's output by severity. It reads SARIF
// 2.1 (severity from the rules' security-severity scores as GitHub code scanning does, else
// from the result level) and the JSON reports of Trivy, Grype, govulncheck and npm audit. A
// finding whose severity is not known counts as unknown, never as nothing.
func ParseScanReport(data []byte) (SeverityCounts, string, error) {
	data = bytes.TrimSpace(data)
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		// govulncheck -json writes a stream of objects, not one document.
		if counts, ok, gerr := parseGovulncheck(data); ok {
			return counts, FormatGovulncheck, gerr
		}
		if json.Valid(data) {
			return SeverityCounts{}, "", ErrUnknownReport
		}
		return SeverityCounts{}, "", fmt.Errorf("not JSON: %w", err)
	}
	switch {
	case top["runs"] != nil:
		c, err := parseSARIF(data)
		return c, FormatSARIF, err
	case top["Results"] != nil || top["SchemaVersion"] != nil:
		c, err := parseTrivy(data)
		return c, FormatTrivy, err
	case top["matches"] != nil:
		c, err := parseGrype(data)
		return c, FormatGrype, err
	case top["config"] != nil && top["config"][0] == '{' && bytes.Contains(top["config"], []byte(`"protocol_version"`)):
		c, _, err := parseGovulncheck(data)
		return c, FormatGovulncheck, err
	case top["auditReportVersion"] != nil || top["metadata"] != nil:
		c, err := parseNpmAudit(data)
		return c, FormatNpmAudit, err
	case top["vulnerabilities"] != nil:
		c, err := parseList(top["vulnerabilities"])
		return c, FormatList, err
	}
	if c, ok := parseCounts(top); ok {
		return c, FormatCounts, nil
	}
	return SeverityCounts{}, "", ErrUnknownReport
}

// normalSeverity maps the words scanners use onto Treaty's five severities.
func normalSeverity(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical":
		return "critical"
	case "high", "important":
		return "high"
	case "medium", "moderate":
		return "medium"
	case "low", "negligible", "info", "informational", "minor":
		return "low"
	}
	return "unknown"
}

// cvssSeverity maps a CVSS score to a severity, with GitHub code scanning's bands.
func cvssSeverity(score float64) string {
	switch {
	case score >= 9.0:
		return "critical"
	case score >= 7.0:
		return "high"
	case score >= 4.0:
		return "medium"
	case score > 0:
		return "low"
	}
	return "unknown"
}

type sarifLog struct {
	Runs []struct {
		Tool struct {
			Driver     sarifComponent   `json:"driver"`
			Extensions []sarifComponent `json:"extensions"`
		} `json:"tool"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex *int   `json:"ruleIndex"`
			Rule      *struct {
				ID    string `json:"id"`
				Index *int   `json:"index"`
			} `json:"rule"`
			Level         string         `json:"level"`
			Kind          string         `json:"kind"`
			BaselineState string         `json:"baselineState"`
			Properties    map[string]any `json:"properties"`
			Suppressions  []struct {
				Status string `json:"status"`
			} `json:"suppressions"`
		} `json:"results"`
	} `json:"runs"`
}

type sarifComponent struct {
	Rules []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Properties           map[string]any `json:"properties"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
}

func parseSARIF(data []byte) (SeverityCounts, error) {
	var log sarifLog
	if err := json.Unmarshal(data, &log); err != nil {
		return SeverityCounts{}, fmt.Errorf("SARIF: %w", err)
	}
	var c SeverityCounts
	for _, run := range log.Runs {
		rules := run.Tool.Driver.Rules
		byID := map[string]sarifRule{}
		for _, comp := range append([]sarifComponent{run.Tool.Driver}, run.Tool.Extensions...) {
			for _, r := range comp.Rules {
				byID[r.ID] = r
			}
		}
		for _, res := range run.Results {
			if res.Kind != "" && res.Kind != "fail" {
				continue // pass, open, review, notApplicable and informational are not findings
			}
			if res.BaselineState == "absent" || suppressed(res.Suppressions) {
				continue
			}
			var rule *sarifRule
			idx := res.RuleIndex
			id := res.RuleID
			if res.Rule != nil {
				if res.Rule.Index != nil {
					idx = res.Rule.Index
				}
				if id == "" {
					id = res.Rule.ID
				}
			}
			if idx != nil && *idx >= 0 && *idx < len(rules) {
				rule = &rules[*idx]
			} else if r, ok := byID[id]; ok {
				rule = &r
			}
			c.add(sarifSeverity(res.Properties, res.Level, rule))
		}
	}
	return c, nil
}

func suppressed(list []struct {
	Status string `json:"status"`
}) bool {
	for _, s := range list {
		if s.Status == "" || s.Status == "accepted" {
			return true
		}
	}
	return false
}

// sarifSeverity prefers a security-severity score (on the result, else on its rule), then a
// severity word in the properties, then the level (error high, warning medium, note low).
func sarifSeverity(props map[string]any, level string, rule *sarifRule) string {
	for _, p := range []map[string]any{props, ruleProps(rule)} {
		if score, ok := number(p["security-severity"]); ok {
			return cvssSeverity(score)
		}
	}
	for _, p := range []map[string]any{props, ruleProps(rule)} {
		if s, ok := p["severity"].(string); ok {
			return normalSeverity(s)
		}
	}
	if level == "" && rule != nil {
		level = rule.DefaultConfiguration.Level
	}
	switch level {
	case "error":
		return "high"
	case "warning", "": // SARIF's default level is warning
		return "medium"
	case "note":
		return "low"
	}
	return "unknown"
}

func ruleProps(r *sarifRule) map[string]any {
	if r == nil {
		return nil
	}
	return r.Properties
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		return f, err == nil
	}
	return 0, false
}

func parseTrivy(data []byte) (SeverityCounts, error) {
	var report struct {
		Results []struct {
			Vulnerabilities []struct {
				Severity string `json:"Severity"`
			} `json:"Vulnerabilities"`
		} `json:"Results"`
	}
	if err := json.Unmarshal(data, &report); err != nil {
		return SeverityCounts{}, fmt.Errorf("Trivy report: %w", err)
	}
	var c SeverityCounts
	for _, r := range report.Results {
		for _, v := range r.Vulnerabilities {
			c.add(normalSeverity(v.Severity))
		}
	}
	return c, nil
}

func parseGrype(data []byte) (SeverityCounts, error) {
	var report struct {
		Matches []struct {
			Vulnerability struct {
				Severity string `json:"severity"`
			} `json:"vulnerability"`
		} `json:"matches"`
	}
	if err := json.Unmarshal(data, &report); err != nil {
		return SeverityCounts{}, fmt.Errorf("Grype report: %w", err)
	}
	var c SeverityCounts
	for _, m := range report.Matches {
		c.add(normalSeverity(m.Vulnerability.Severity))
	}
	return c, nil
}

// parseGovulncheck reads govulncheck -json's stream of messages. A vulnerability counts when
// some finding reaches one of its symbols, which is what govulncheck reports (and exits 3 for)
// in text mode. The Go vulnerability database has no severities, so these count as unknown.
func parseGovulncheck(data []byte) (SeverityCounts, bool, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	called := map[string]bool{}
	sawConfig := false
	for {
		var msg struct {
			Config *struct {
				ProtocolVersion string `json:"protocol_version"`
			} `json:"config"`
			Finding *struct {
				OSV   string `json:"osv"`
				Trace []struct {
					Function string `json:"function"`
				} `json:"trace"`
			} `json:"finding"`
		}
		err := dec.Decode(&msg)
		if err == io.EOF {
			break
		}
		if err != nil {
			return SeverityCounts{}, sawConfig, fmt.Errorf("govulncheck output: %w", err)
		}
		if msg.Config != nil && msg.Config.ProtocolVersion != "" {
			sawConfig = true
		}
		if f := msg.Finding; f != nil && len(f.Trace) > 0 && f.Trace[0].Function != "" {
			called[f.OSV] = true
		}
	}
	return SeverityCounts{Unknown: len(called)}, sawConfig, nil
}

func parseNpmAudit(data []byte) (SeverityCounts, error) {
	var report struct {
		Metadata struct {
			Vulnerabilities map[string]int `json:"vulnerabilities"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(data, &report); err != nil || report.Metadata.Vulnerabilities == nil {
		return SeverityCounts{}, ErrUnknownReport
	}
	var c SeverityCounts
	for sev, n := range report.Metadata.Vulnerabilities {
		if sev == "total" || sev == "info" {
			continue
		}
		c.addN(normalSeverity(sev), max(n, 0))
	}
	return c, nil
}

func parseList(raw json.RawMessage) (SeverityCounts, error) {
	var list []struct {
		Severity string `json:"severity"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return SeverityCounts{}, fmt.Errorf("vulnerabilities must be a list of objects with a severity: %w", err)
	}
	var c SeverityCounts
	for _, v := range list {
		c.add(normalSeverity(v.Severity))
	}
	return c, nil
}

// parseCounts reads {"critical": 0, "high": 1, …}, alone or under "counts" or "severities".
func parseCounts(top map[string]json.RawMessage) (SeverityCounts, bool) {
	for _, key := range []string{"counts", "severities"} {
		if inner, ok := top[key]; ok {
			var m map[string]json.RawMessage
			if json.Unmarshal(inner, &m) != nil {
				return SeverityCounts{}, false
			}
			top = m
			break
		}
	}
	var c SeverityCounts
	found := false
	for k, raw := range top {
		sev := strings.ToLower(k)
		if normalSeverity(sev) != sev && sev != "unknown" {
			return SeverityCounts{}, false
		}
		var n int
		if json.Unmarshal(raw, &n) != nil || n < 0 {
			return SeverityCounts{}, false
		}
		c.addN(sev, n)
		found = true
	}
	return c, found
}
