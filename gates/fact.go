package gates

import (
	"strings"
	"time"

	"github.com/treaty-dev/treaty/broker"
)

// Result names the default policy reads.
const (
	ResultBuild         = "build"
	ResultUnitTests     = "unit-tests"
	ResultContractTests = "contract-tests"
	ResultSecurityScan  = "security-scan"
	ResultSmokeTests    = "smoke-tests"
	ResultE2ETests      = "e2e-tests"
)

// Status is the outcome of a recorded result.
type Status string

const (
	Passed Status = "passed"
	Failed Status = "failed"
)

// Fact is a result recorded against a candidate: a build, a test run, a scan, or a test run
// in an environment. Facts are versioned: for one name and environment, the latest recorded
// fact is the one that counts, so a newer failure revokes an older success.
type Fact struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Environment string `json:"environment,omitempty"`
	Status      Status `json:"status"`
	// Counts are vulnerabilities by severity, for a scan.
	Counts *SeverityCounts `json:"counts,omitempty"`
	// Format names what the counts were read from (sarif, trivy, grype, govulncheck, counts).
	Format string `json:"format,omitempty"`
	// Digest is the candidate's digest when the fact was recorded: a test run in staging
	// vouches for the image that ran there, and for no other.
	Digest     string    `json:"digest,omitempty"`
	URL        string    `json:"url,omitempty"`
	RecordedBy string    `json:"recordedBy,omitempty"`
	RecordedAt time.Time `json:"recordedAt"`
}

// Validate checks a fact before it is recorded.
func (f *Fact) Validate() error {
	v := &broker.ValidationError{}
	if err := broker.CheckName("name", f.Name); err != nil {
		v.Add("name", "cannot be blank")
	} else if !namePattern.MatchString(f.Name) {
		v.Add("name", "%q must be lower-case letters, digits and dashes, such as unit-tests", f.Name)
	}
	switch f.Status {
	case Passed, Failed:
	case "":
		v.Add("status", "is missing: passed or failed")
	default:
		v.Add("status", "%q is not passed or failed", f.Status)
	}
	if len(f.URL) > broker.MaxFieldLength {
		v.Add("url", "must be at most %d characters", broker.MaxFieldLength)
	}
	if f.Counts != nil {
		if err := f.Counts.validate(); err != "" {
			v.Add("counts", "%s", err)
		}
	}
	return v.Err()
}

// latestFact is the fact that counts for a name in an environment ("" for none), or nil;
// revoked is the last passing fact before it when a newer failure revoked it.
func latestFact(facts []Fact, name, env string) (latest, revoked *Fact) {
	var lastPassed *Fact
	for i := range facts {
		f := &facts[i]
		if f.Name != name || f.Environment != env {
			continue
		}
		latest = f
		if f.Status == Passed {
			lastPassed = f
		}
	}
	if latest != nil && latest.Status == Failed {
		revoked = lastPassed
	}
	return latest, revoked
}

// Severities, most severe first.
var Severities = []string{"critical", "high", "medium", "low", "unknown"}

// SeverityCounts count vulnerabilities by severity.
type SeverityCounts struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Unknown  int `json:"unknown"`
}

// Get is the count of a severity by name.
func (c SeverityCounts) Get(severity string) int {
	switch severity {
	case "critical":
		return c.Critical
	case "high":
		return c.High
	case "medium":
		return c.Medium
	case "low":
		return c.Low
	}
	return c.Unknown
}

func (c *SeverityCounts) add(severity string) { c.addN(severity, 1) }

func (c *SeverityCounts) addN(severity string, n int) {
	switch severity {
	case "critical":
		c.Critical += n
	case "high":
		c.High += n
	case "medium":
		c.Medium += n
	case "low":
		c.Low += n
	default:
		c.Unknown += n
	}
}

func (c SeverityCounts) validate() string {
	for _, s := range Severities {
		if c.Get(s) < 0 {
			return s + " cannot be negative"
		}
	}
	return ""
}

// Total is the number of vulnerabilities of any severity.
func (c SeverityCounts) Total() int { return c.Critical + c.High + c.Medium + c.Low + c.Unknown }

// String lists the non-zero counts: "2 critical, 1 high", or "none".
func (c SeverityCounts) String() string {
	var parts []string
	for _, s := range Severities {
		if n := c.Get(s); n > 0 {
			parts = append(parts, itoa(n)+" "+s)
		}
	}
	if len(parts) == 0 {
		return "no vulnerabilities"
	}
	return strings.Join(parts, ", ")
}

// Review decisions.
const (
	Approve = "approve"
	Reject  = "reject"
)

// Review is an approval or a rejection of a candidate for an environment by a person. An
// approval is bound to the candidate's digest when it was given. A rejection is final: the
// candidate is never allowed into that environment.
type Review struct {
	ID          int64     `json:"id"`
	Environment string    `json:"environment"`
	Decision    string    `json:"decision"`
	By          string    `json:"by"`
	Comment     string    `json:"comment,omitempty"`
	Digest      string    `json:"digest,omitempty"`
	At          time.Time `json:"at"`
}

// Validate checks a review before it is recorded; author is the candidate's author, who may
// reject their own build but not approve it.
func (r *Review) Validate(author string) error {
	v := &broker.ValidationError{}
	if err := broker.CheckName("environment", r.Environment); err != nil {
		v.Add("environment", "cannot be blank")
	}
	if err := broker.CheckName("by", r.By); err != nil {
		v.Add("by", "cannot be blank: name who reviews")
	}
	switch r.Decision {
	case Approve, Reject:
	default:
		v.Add("decision", "%q is not approve or reject", r.Decision)
	}
	if r.Decision == Approve && author != "" && samePerson(r.By, author) {
		v.Add("by", "%s is the author of this candidate and cannot approve it: approvals must come from someone else", r.By)
	}
	if len(r.Comment) > broker.MaxFieldLength {
		v.Add("comment", "must be at most %d characters", broker.MaxFieldLength)
	}
	return v.Err()
}

func samePerson(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// Hold keeps an environment on the versions deployed there: nothing else may be deployed
// until the hold is released. A hold without a pacticipant holds every service.
type Hold struct {
	ID          int64     `json:"id"`
	Environment string    `json:"environment"`
	Pacticipant string    `json:"pacticipant,omitempty"`
	By          string    `json:"by"`
	Reason      string    `json:"reason,omitempty"`
	At          time.Time `json:"at"`
}

// Validate checks a hold before it is placed.
func (h *Hold) Validate() error {
	v := &broker.ValidationError{}
	if err := broker.CheckName("environment", h.Environment); err != nil {
		v.Add("environment", "cannot be blank")
	}
	if err := broker.CheckName("by", h.By); err != nil {
		v.Add("by", "cannot be blank: name who holds the environment")
	}
	if len(h.Reason) > broker.MaxFieldLength {
		v.Add("reason", "must be at most %d characters", broker.MaxFieldLength)
	}
	return v.Err()
}

// Deployment is a stay of the candidate in an environment, from the broker's deployment
// ledger (record-deployment and record-undeployment).
type Deployment struct {
	Environment  string     `json:"environment"`
	DeployedAt   time.Time  `json:"deployedAt"`
	UndeployedAt *time.Time `json:"undeployedAt,omitempty"`
}
