package client

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// MatrixSelector picks versions of one pacticipant in a matrix query: one version, the latest
// (with a tag), the versions of a branch, or the head of the main branch. Only the pacticipant
// means all of its versions.
type MatrixSelector struct {
	Pacticipant string
	Version     string
	Latest      bool
	Tag         string
	Branch      string
	MainBranch  bool
}

// MatrixIgnore names a pacticipant, or one version of it, whose results do not count.
type MatrixIgnore struct {
	Pacticipant string
	Version     string
}

// Latest-by groupings of the matrix's rows.
const (
	LatestByCVP  = "cvp"  // the latest provider version for each consumer version
	LatestByCVPV = "cvpv" // each consumer version with each provider version
)

// MatrixQuery is a question to GET /matrix. Selectors are the versions asked about; the
// top-level Environment, Tag (with Latest) or MainBranch name the versions of every other
// integrated pacticipant they are checked against.
type MatrixQuery struct {
	Selectors   []MatrixSelector
	Ignore      []MatrixIgnore
	LatestBy    string
	Latest      bool
	Tag         string
	Environment string
	MainBranch  bool
}

// DeployTarget is where a can-i-deploy question deploys to: an environment, the latest
// versions with a tag (the legacy way), the main branches (can-i-merge), or, when empty, the
// latest version of everything.
type DeployTarget struct {
	Environment string
	Tag         string
	MainBranch  bool
}

// CanIDeployQuery is the matrix query the Pact CLI sends for can-i-deploy and can-i-merge, so
// that Treaty's answer is the one the Pact ecosystem gets. Every version in an environment is
// checked on its own (latestby=cvpv); so are several selectors. One selector checked against
// the latest versions of its integrations groups by consumer version and provider (cvp).
func CanIDeployQuery(selectors []MatrixSelector, ignore []MatrixIgnore, to DeployTarget) MatrixQuery {
	q := MatrixQuery{Selectors: selectors, Ignore: ignore, Tag: to.Tag, Environment: to.Environment, MainBranch: to.MainBranch}
	if to.Environment != "" || len(selectors) > 1 {
		q.LatestBy = LatestByCVPV
	} else {
		q.LatestBy = LatestByCVP
	}
	// A tag target means the latest version with that tag, as the Ruby CLI says explicitly.
	q.Latest = to.Tag != "" || (to.Environment == "" && len(selectors) == 1)
	return q
}

// Encode writes the query as the Pact CLI does: raw brackets, the selectors first, each value
// percent-encoded (a space as %20, a slash as %2F), then the ignores and the options. The
// broker parses it with Rack's nested-query rules: a selector key seen again starts the next
// selector, which is why each selector begins with its pacticipant.
func (q MatrixQuery) Encode() string {
	var b strings.Builder
	add := func(key, value string) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(key)
		b.WriteByte('=')
		b.WriteString(escapeQueryValue(value))
	}
	for _, s := range q.Selectors {
		add("q[][pacticipant]", s.Pacticipant)
		if s.Version != "" {
			add("q[][version]", s.Version)
		}
		if s.Latest {
			add("q[][latest]", "true")
		}
		if s.Tag != "" {
			add("q[][tag]", s.Tag)
		}
		if s.Branch != "" {
			add("q[][branch]", s.Branch)
		}
		if s.MainBranch {
			add("q[][mainBranch]", "true")
		}
	}
	for _, ig := range q.Ignore {
		add("ignore[][pacticipant]", ig.Pacticipant)
		if ig.Version != "" {
			add("ignore[][version]", ig.Version)
		}
	}
	if q.Tag != "" {
		add("tag", q.Tag)
	}
	if q.LatestBy != "" {
		add("latestby", q.LatestBy)
	}
	if q.Environment != "" {
		add("environment", q.Environment)
	}
	if q.Latest {
		add("latest", "true")
	}
	if q.MainBranch {
		add("mainBranch", "true")
	}
	return b.String()
}

// escapeQueryValue percent-encodes everything but the unreserved characters of RFC 3986.
func escapeQueryValue(s string) string {
	// QueryEscape writes a space as "+" and a "+" as "%2B", so the swap is safe.
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// Matrix is the broker's answer to a matrix query: the verdict, the notices that explain it,
// and the rows it was judged from.
type Matrix struct {
	Resource
	Summary MatrixSummary `json:"summary"`
	Notices []Notice      `json:"notices"`
	Rows    []MatrixRow   `json:"matrix"`
}

// MatrixSummary is the verdict. Deployable is nil when some result is unknown: a pact not
// verified yet, or a provider missing from the target.
type MatrixSummary struct {
	Deployable *bool  `json:"deployable"`
	Reason     string `json:"reason"`
	Success    int    `json:"success"`
	Failed     int    `json:"failed"`
	Unknown    int    `json:"unknown"`
	Ignored    *int   `json:"ignored,omitempty"`
}

// MatrixRow is a consumer version's pact with a provider, and a provider version's result for
// it (none when it was not verified).
type MatrixRow struct {
	Consumer           MatrixParty         `json:"consumer"`
	Provider           MatrixParty         `json:"provider"`
	VerificationResult *MatrixVerification `json:"verificationResult"`
	Ignored            bool                `json:"ignored,omitempty"`
}

// Success is the row's result: true, false, or nil when it is unknown.
func (r MatrixRow) Success() *bool {
	if r.VerificationResult == nil {
		return nil
	}
	return r.VerificationResult.Success
}

// MatrixParty is the consumer or the provider of a row; Version is nil for a provider that
// has not verified the pact.
type MatrixParty struct {
	Name    string      `json:"name"`
	Version *VersionRef `json:"version"`
}

// VersionNumber is the party's version number, or "" when there is none.
func (p MatrixParty) VersionNumber() string {
	if p.Version == nil {
		return ""
	}
	return p.Version.Number
}

// MatrixVerification is a provider version's verification result.
type MatrixVerification struct {
	Success    *bool     `json:"success"`
	VerifiedAt time.Time `json:"verifiedAt,omitzero"`
	Links      Links     `json:"_links,omitempty"`
}

// Matrix asks the broker's compatibility matrix a question, GET /matrix. A query the broker
// refuses, such as one naming an unknown pacticipant, is a *Error.
func (c *Client) Matrix(ctx context.Context, q MatrixQuery) (*Matrix, error) {
	var m Matrix
	if err := c.get(ctx, c.endpoint("matrix")+"?"+q.Encode(), &m); err != nil {
		return nil, fmt.Errorf("query the matrix: %w", err)
	}
	return &m, nil
}
