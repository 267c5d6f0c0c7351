package ui

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/treaty-dev/treaty/broker"
)

// links builds the pages' URLs (and the API's, for "as JSON" links). Names are escaped as
// path segments, so a branch such as feat/x stays one segment; query strings keep their
// order, which matters for the matrix's q[][…] selectors.
type links struct{ base string }

func (l links) ui(parts ...string) string {
	var b strings.Builder
	b.WriteString(l.base)
	b.WriteString("/ui")
	for _, p := range parts {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(p))
	}
	return b.String()
}

// query is a query string under construction; empty values are left out.
type query []string

func (q query) add(key, value string) query {
	if value == "" {
		return q
	}
	return append(q, url.QueryEscape(key)+"="+url.QueryEscape(value))
}

func (q query) String() string {
	if len(q) == 0 {
		return ""
	}
	return "?" + strings.Join(q, "&")
}

// Overview is the overview page.
func (l links) Overview() string { return l.ui() }

// OverviewWith is the overview with filters and a page number.
func (l links) OverviewWith(search, status, environment string, page int) string {
	q := query{}.add("q", search).add("status", status).add("environment", environment)
	if page > 1 {
		q = q.add("page", strconv.Itoa(page))
	}
	return l.ui() + q.String()
}

// Network is the graph of every service.
func (l links) Network() string { return l.ui("network") }

// NetworkOf is the graph around one pacticipant.
func (l links) NetworkOf(name string) string {
	return l.ui("network") + query{}.add("pacticipant", name).String()
}

// Matrix is the matrix page with no query yet.
func (l links) Matrix() string { return l.ui("matrix") }

// PacticipantMatrix is the matrix of a pacticipant's latest version with every version of
// the pacticipants it integrates with. Every version of a busy pacticipant is hundreds of
// thousands of rows on a large broker, so links start here and the page offers the rest.
func (l links) PacticipantMatrix(name string) string {
	return l.MatrixOf(broker.MatrixQuery{Selectors: []broker.Selector{{Pacticipant: name, Latest: true}}})
}

// VersionMatrix is the matrix of one version of a pacticipant.
func (l links) VersionMatrix(name, version string) string {
	return l.MatrixOf(broker.MatrixQuery{Selectors: []broker.Selector{{Pacticipant: name, Version: version}}})
}

// IntegrationMatrix is the matrix between a consumer's newest versions and every version of
// a provider.
func (l links) IntegrationMatrix(consumer, provider string) string {
	return l.MatrixPage(broker.MatrixQuery{Selectors: []broker.Selector{{Pacticipant: consumer}, {Pacticipant: provider}}}, defaultRecent)
}

// MatrixPage is the matrix page for a query, narrowed to the consumer's newest versions
// when recent is set.
func (l links) MatrixPage(q broker.MatrixQuery, recent int) string {
	params := matrixParams(q)
	if recent > 0 {
		params = params.add("recent", strconv.Itoa(recent))
	}
	return l.ui("matrix") + params.String()
}

// MatrixOf is the matrix page for a query, in /matrix's parameters.
func (l links) MatrixOf(q broker.MatrixQuery) string {
	return l.ui("matrix") + matrixParams(q).String()
}

// MatrixJSON is the API's /matrix for the same query.
func (l links) MatrixJSON(q broker.MatrixQuery) string {
	return l.base + "/matrix" + matrixParams(q).String()
}

func matrixParams(q broker.MatrixQuery) query {
	var out query
	flag := func(b bool) string {
		if b {
			return "true"
		}
		return ""
	}
	for _, s := range q.Selectors {
		out = out.add("q[][pacticipant]", s.Pacticipant).add("q[][version]", s.Version).add("q[][branch]", s.Branch).
			add("q[][tag]", s.Tag).add("q[][environment]", s.Environment).add("q[][latest]", flag(s.Latest)).
			add("q[][mainBranch]", flag(s.MainBranch))
	}
	out = out.add("latestby", q.LatestBy).add("latest", flag(q.Latest)).add("tag", q.Tag).add("branch", q.Branch).
		add("mainBranch", flag(q.MainBranch)).add("environment", q.Environment)
	for _, s := range q.Success {
		v := ""
		if s != nil {
			v = strconv.FormatBool(*s)
		}
		out = append(out, url.QueryEscape("success[]")+"="+v)
	}
	for _, ig := range q.Ignore {
		out = out.add("ignore[][pacticipant]", ig.Pacticipant).add("ignore[][version]", ig.Version)
	}
	if q.Limit > 0 {
		out = out.add("limit", strconv.Itoa(q.Limit))
	}
	return out
}

// CanIDeploy is the can-i-deploy page, answering for a version and an environment (or tag).
func (l links) CanIDeploy(pacticipant, version, environment, to string) string {
	return l.ui("can-i-deploy") + query{}.add("pacticipant", pacticipant).add("version", version).
		add("environment", environment).add("to", to).String()
}

// CanIDeployJSON is the API's /can-i-deploy for the same question.
func (l links) CanIDeployJSON(pacticipant, version, environment, to string) string {
	return l.base + "/can-i-deploy" + query{}.add("pacticipant", pacticipant).add("version", version).
		add("environment", environment).add("to", to).String()
}

// Contract is the latest pact of an integration.
func (l links) Contract(consumer, provider string) string {
	return l.ui("contracts", consumer, provider)
}

// ContractVersion is a consumer version's pact.
func (l links) ContractVersion(consumer, provider, version string) string {
	return l.ui("contracts", consumer, provider, "versions", version)
}

// PactJSON is the API's document for a consumer version's pact.
func (l links) PactJSON(consumer, provider, version string) string {
	return l.base + "/pacts/provider/" + url.PathEscape(provider) + "/consumer/" + url.PathEscape(consumer) + "/version/" + url.PathEscape(version)
}

// Verification is one verification result.
func (l links) Verification(id int64) string { return l.ui("verifications", strconv.FormatInt(id, 10)) }

// VerificationJSON is the API's document for a verification result.
func (l links) VerificationJSON(v broker.Verification) string {
	return l.base + "/pacts/provider/" + url.PathEscape(v.Provider) + "/consumer/" + url.PathEscape(v.Consumer) +
		"/pact-version/" + url.PathEscape(v.PactSHA) + "/verification-results/" + strconv.FormatInt(v.ID, 10)
}

// ProviderContract is the OpenAPI document a provider version published; the latest
// version's when version is "".
func (l links) ProviderContract(provider, version string) string {
	if version == "" {
		return l.ui("provider-contracts", provider)
	}
	return l.ui("provider-contracts", provider, version)
}

// Comparison is the broker's comparison of a pact with a provider version's OpenAPI
// document, by the comparison's id; consumerVersion names the consumer version asked about
// ("" for the latest with the pact's content).
func (l links) Comparison(provider, version string, id int64, consumerVersion string) string {
	return l.ui("provider-contracts", provider, version, "comparisons", strconv.FormatInt(id, 10)) +
		query{}.add("consumer-version", consumerVersion).String()
}

// ProviderContractJSON is the API's document for a provider version's contract.
func (l links) ProviderContractJSON(provider, version string) string {
	return l.base + "/contracts/bi-directional/provider/" + url.PathEscape(provider) + "/version/" + url.PathEscape(version) + "/provider-contract"
}

// ComparisonJSON is the API's bi-directional result for a pact's content and a provider
// version: the comparison and the self-verification.
func (l links) ComparisonJSON(consumer, provider, version, sha string) string {
	return l.base + "/contracts/provider/" + url.PathEscape(provider) + "/version/" + url.PathEscape(version) + "/consumer/" +
		url.PathEscape(consumer) + "/pact-version/" + url.PathEscape(sha) + "/verification-results"
}

// Environments lists every environment.
func (l links) Environments() string { return l.ui("environments") }

// Environment is one environment's page.
func (l links) Environment(name string) string { return l.ui("environments", name) }

// EnvironmentPage is a page of an environment's history (all environments when name is "").
func (l links) EnvironmentPage(name string, page int) string {
	u := l.Environments()
	if name != "" {
		u = l.Environment(name)
	}
	if page > 1 {
		u += query{}.add("page", strconv.Itoa(page)).String()
	}
	return u
}

// Releases is the releases page.
func (l links) Releases() string { return l.ui("releases") }

// ReleasesOf is the releases page filtered to a pacticipant.
func (l links) ReleasesOf(pacticipant string) string {
	return l.ui("releases") + query{}.add("pacticipant", pacticipant).String()
}

// Candidate is a release candidate's page.
func (l links) Candidate(pacticipant, version string) string {
	return l.ui("releases", pacticipant, version)
}

// PipelineRun is one pipeline run's page.
func (l links) PipelineRun(id int64) string { return l.ui("runs", strconv.FormatInt(id, 10)) }

// DecisionJSON is the API's document for a gate decision.
func (l links) DecisionJSON(id int64) string {
	return l.base + "/gates/decisions/" + strconv.FormatInt(id, 10)
}
