package gates

import (
	"errors"
	"strings"
	"testing"
)

func TestParseScanReport(t *testing.T) {
	tests := []struct {
		name   string
		report string
		format string
		want   SeverityCounts
	}{
		{name: "SARIF with security-severity scores on the rules (Trivy, Grype)", format: FormatSARIF, want: SeverityCounts{Critical: 1, High: 1, Medium: 1, Low: 1},
			report: `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Trivy", "rules": [
				{"id": "CVE-1", "properties": {"security-severity": "9.8"}},
				{"id": "CVE-2", "properties": {"security-severity": "7.5"}},
				{"id": "CVE-3", "properties": {"security-severity": "5.3"}},
				{"id": "CVE-4", "properties": {"security-severity": "2.1"}}]}},
				"results": [{"ruleId": "CVE-1", "ruleIndex": 0, "level": "error"}, {"ruleId": "CVE-2", "level": "error"},
					{"ruleId": "CVE-3", "level": "warning"}, {"ruleIndex": 3, "level": "note"}]}]}`},
		{name: "SARIF levels when there is no score; passes, fixed and suppressed findings do not count", format: FormatSARIF, want: SeverityCounts{High: 1, Medium: 2, Low: 1},
			report: `{"runs": [{"tool": {"driver": {"name": "govulncheck", "rules": [{"id": "GO-1", "defaultConfiguration": {"level": "error"}}]}},
				"results": [{"ruleId": "GO-1"}, {"ruleId": "X", "level": "warning"}, {"ruleId": "Y"}, {"ruleId": "Z", "level": "note"},
					{"ruleId": "P", "kind": "pass"}, {"ruleId": "F", "baselineState": "absent", "level": "error"},
					{"ruleId": "S", "level": "error", "suppressions": [{"kind": "inSource"}]}]}]}`},
		{name: "SARIF severity words", format: FormatSARIF, want: SeverityCounts{Critical: 1, Unknown: 1},
			report: `{"runs": [{"tool": {"driver": {"rules": []}}, "results": [{"ruleId": "a", "properties": {"severity": "CRITICAL"}}, {"ruleId": "b", "level": "none"}]}]}`},
		{name: "Trivy JSON", format: FormatTrivy, want: SeverityCounts{Critical: 2, High: 1, Unknown: 1},
			report: `{"SchemaVersion": 2, "Results": [{"Target": "app", "Vulnerabilities": [{"Severity": "CRITICAL"}, {"Severity": "HIGH"}]},
				{"Target": "os", "Vulnerabilities": [{"Severity": "CRITICAL"}, {"Severity": "UNKNOWN"}]}, {"Target": "clean"}]}`},
		{name: "a clean Trivy report", format: FormatTrivy, report: `{"SchemaVersion": 2, "Results": [{"Target": "app"}]}`},
		{name: "Grype JSON", format: FormatGrype, want: SeverityCounts{High: 1, Medium: 1, Low: 1},
			report: `{"matches": [{"vulnerability": {"severity": "High"}}, {"vulnerability": {"severity": "Medium"}}, {"vulnerability": {"severity": "Negligible"}}]}`},
		{name: "govulncheck's stream: only called vulnerabilities count, once each, of unknown severity", format: FormatGovulncheck, want: SeverityCounts{Unknown: 2},
			report: `{"config": {"protocol_version": "v1.0.0", "scanner_name": "govulncheck"}}
{"progress": {"message": "Scanning your code..."}}
{"osv": {"id": "GO-2024-0001"}}
{"finding": {"osv": "GO-2024-0001", "trace": [{"module": "example.com/m", "package": "example.com/m/p", "function": "F"}]}}
{"finding": {"osv": "GO-2024-0001", "trace": [{"module": "example.com/m", "package": "example.com/m/p", "function": "G"}]}}
{"finding": {"osv": "GO-2024-0002", "trace": [{"module": "example.com/n"}]}}
{"finding": {"osv": "GO-2024-0003", "trace": [{"module": "example.com/o", "function": "H"}]}}`},
		{name: "npm audit", format: FormatNpmAudit, want: SeverityCounts{Critical: 1, Medium: 3},
			report: `{"auditReportVersion": 2, "metadata": {"vulnerabilities": {"info": 5, "low": 0, "moderate": 3, "high": 0, "critical": 1, "total": 9}}}`},
		{name: "a list of vulnerabilities (Snyk)", format: FormatList, want: SeverityCounts{High: 2},
			report: `{"vulnerabilities": [{"id": "a", "severity": "high"}, {"id": "b", "severity": "high"}]}`},
		{name: "counts by severity", format: FormatCounts, want: SeverityCounts{Critical: 0, High: 1, Low: 4},
			report: `{"critical": 0, "high": 1, "low": 4}`},
		{name: "counts under counts", format: FormatCounts, want: SeverityCounts{Medium: 2}, report: `{"counts": {"medium": 2}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, format, err := ParseScanReport([]byte(tt.report))
			if err != nil || format != tt.format || got != tt.want {
				t.Fatalf("got %+v %q %v, want %+v %q", got, format, err, tt.want, tt.format)
			}
		})
	}
	for _, bad := range []string{`{"tests": 12, "failures": 0}`, `{"critical": "none"}`, `[1, 2]`} {
		if _, _, err := ParseScanReport([]byte(bad)); !errors.Is(err, ErrUnknownReport) && (err == nil || !strings.Contains(err.Error(), "not JSON")) {
			t.Errorf("%s: want ErrUnknownReport, got %v", bad, err)
		}
	}
	if _, _, err := ParseScanReport([]byte("<xml/>")); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("not JSON: %v", err)
	}
}

func FuzzParseScanReport(f *testing.F) {
	f.Add([]byte(`{"runs": [{"tool": {"driver": {"rules": [{"id": "a", "properties": {"security-severity": "9.1"}}]}}, "results": [{"ruleIndex": 0}]}]}`))
	f.Add([]byte(`{"SchemaVersion": 2, "Results": [{"Vulnerabilities": [{"Severity": "LOW"}]}]}`))
	f.Add([]byte("{\"config\": {\"protocol_version\": \"v1\"}}\n{\"finding\": {\"osv\": \"x\", \"trace\": [{\"function\": \"f\"}]}}"))
	f.Add([]byte(`{"high": 3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, err := ParseScanReport(data)
		if err == nil && c.validate() != "" {
			t.Fatalf("negative counts from %q: %+v", data, c)
		}
	})
}
