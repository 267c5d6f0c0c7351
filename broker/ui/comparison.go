package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/treaty-dev/treaty/broker"
)

// The broker's comparison of a consumer's pact with a provider version's OpenAPI document
// (bi-directional contract testing): what the matrix's bi-directional cells link to. The
// comparison is read as stored, by its id under the provider version whose self-verification
// completes the result.

const (
	// maxFindings bounds the findings a comparison page lists; maxInteractionFindings those
	// shown per interaction on a provider contract's page.
	maxFindings            = 500
	maxInteractionFindings = 10
	// maxReport bounds the self-verification report a page shows.
	maxReport = 64 << 10
)

// comparisonReport is a comparison's stored report: the comparator's findings and notices.
type comparisonReport struct {
	Findings []storedFinding `json:"results"`
	Notices  []string        `json:"notices"`
}

// storedFinding is a finding as the comparator writes it (the shape of PactFlow's results).
type storedFinding struct {
	Code    string `json:"code"`
	Type    string `json:"type"`
	Message string `json:"message"`
	Mock    struct {
		Description string `json:"interactionDescription"`
		State       string `json:"interactionState"`
		Location    string `json:"location"`
		Value       any    `json:"value"`
	} `json:"mockDetails"`
	Spec struct {
		Location string `json:"location"`
		Method   string `json:"pathMethod"`
		Path     string `json:"pathName"`
		Value    any    `json:"value"`
	} `json:"specDetails"`
}

func readReport(raw json.RawMessage) (comparisonReport, error) {
	var r comparisonReport
	if len(bytes.TrimSpace(raw)) == 0 {
		return r, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		return r, fmt.Errorf("read a comparison's report: %w", err)
	}
	return r, nil
}

// interactionIndex is N in a pact location "[root].interactions[N]…"; -1 when there is none.
func interactionIndex(location string) int {
	rest, ok := strings.CutPrefix(location, "[root].interactions[")
	if !ok {
		return -1
	}
	end := strings.IndexByte(rest, ']')
	if end < 0 {
		return -1
	}
	n, err := strconv.Atoi(rest[:end])
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// interactionFindings are what a comparison found about one interaction of a pact.
type interactionFindings struct {
	ID              string // the element's id
	Index           int    // N of [root].interactions[N]; -1 for findings about the whole pact
	Consumer        string
	ConsumerVersion string
	Description     string
	State           string
	URL             string // the interaction on the pact's page
	ComparisonURL   string
	Operation       string // "GET /stock/{sku}", as the document names it; "" when none matched
	OperationKey    string
	OperationURL    string
	Findings        []findingView
	Errors          int
	Warnings        int
	More            int  // findings left out
	Nested          bool // drawn inside an operation: its heading is one level lower
}

type findingView struct {
	Severity     string // error or warning
	Code         string
	Message      string
	PactLocation string
	PactValue    string
	SpecLocation string
	SpecValue    string
}

// pactAnchors are the ids of a pact's interactions on its page, by their index in
// "interactions" (the places findings name).
func pactAnchors(content []byte) []string {
	doc, err := broker.ParsePact(content)
	if err != nil {
		return nil
	}
	var out []string
	for _, it := range doc.Interactions() {
		out = append(out, anchorOf(it))
	}
	return out
}

// groupFindings sorts a comparison's findings into its interactions, in the pact's order,
// at most perInteraction each (0: no bound) and at most maxFindings in all. pactURL is the
// page of a consumer version's pact with the content compared; anchors its interactions'.
func groupFindings(findings []storedFinding, anchors []string, pactURL string, perInteraction int) []interactionFindings {
	byIndex := map[int]*interactionFindings{}
	var order []int
	shown := 0
	for _, f := range findings {
		i := interactionIndex(f.Mock.Location)
		g := byIndex[i]
		if g == nil {
			g = &interactionFindings{Index: i, Description: f.Mock.Description}
			if f.Mock.State != "[none]" {
				g.State = f.Mock.State
			}
			if i >= 0 && i < len(anchors) && pactURL != "" {
				g.URL = pactURL + "#" + anchors[i]
			}
			if g.Description == "" {
				g.Description = "The whole pact"
				if i >= 0 {
					g.Description = fmt.Sprintf("Interaction %d", i+1)
				}
			}
			byIndex[i] = g
			order = append(order, i)
		}
		if g.Operation == "" && f.Spec.Path != "" {
			g.Operation, g.OperationKey = strings.ToUpper(f.Spec.Method)+" "+f.Spec.Path, operationKey(f.Spec.Method, f.Spec.Path)
		}
		if f.Type == "error" {
			g.Errors++
		} else {
			g.Warnings++
		}
		if (perInteraction > 0 && len(g.Findings) >= perInteraction) || shown >= maxFindings {
			g.More++
			continue
		}
		shown++
		g.Findings = append(g.Findings, findingView{Severity: f.Type, Code: f.Code, Message: f.Message,
			PactLocation: f.Mock.Location, PactValue: quotedValue(f.Mock.Value), SpecLocation: f.Spec.Location, SpecValue: quotedValue(f.Spec.Value)})
	}
	sort.Ints(order)
	out := make([]interactionFindings, 0, len(order))
	for _, i := range order {
		g := byIndex[i]
		// Errors first: they are why a pact is incompatible.
		sort.SliceStable(g.Findings, func(a, b int) bool {
			return g.Findings[a].Severity == "error" && g.Findings[b].Severity != "error"
		})
		out = append(out, *g)
	}
	return out
}

// quotedValue shows a value a finding quotes, on one line and briefly.
func quotedValue(v any) string {
	if v == nil {
		return ""
	}
	return shorten(compactJSON(v), 200)
}

// selfVerificationView is a provider version's self-verification as a page shows it.
type selfVerificationView struct {
	Outcome     outcome
	Published   bool
	Verifier    string
	Format      string
	ContentType string
	When        stamp
	Report      string // the report, when it is text short enough to show
	ReportNote  string // why it is not shown
}

func (p *Pages) selfVerificationOf(sv *broker.SelfVerification, when stamp) selfVerificationView {
	if sv == nil {
		return selfVerificationView{Outcome: outcome{Result: resultUnverified, Text: "None published",
			Detail: "the provider published no results of its own tests against this document"}}
	}
	v := selfVerificationView{Published: true, Verifier: strings.TrimSpace(sv.Verifier + " " + sv.VerifierVersion), Format: sv.Format,
		ContentType: sv.ContentType, When: when}
	if sv.Success {
		v.Outcome = outcome{Result: resultSuccess, Text: "Passed"}
	} else {
		v.Outcome = outcome{Result: resultFailed, Text: "Failed"}
	}
	if sv.Content == "" {
		v.ReportNote = "The provider sent no report with its results."
		return v
	}
	data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sv.Content))
	switch {
	case err != nil:
		v.ReportNote = "The report is not valid base64."
	case len(data) > maxReport:
		v.ReportNote = fmt.Sprintf("The report is %d bytes: too long to show here.", len(data))
	case !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0:
		v.ReportNote = fmt.Sprintf("The report is %d bytes that are not text.", len(data))
	default:
		v.Report = string(data)
	}
	return v
}

type comparisonData struct {
	ID              int64
	Consumer        string
	Provider        string
	ConsumerVersion string
	ProviderVersion string
	Outcome         outcome
	Compatible      bool
	Errors          int
	Warnings        int
	Compared        stamp
	Profile         string
	PactSHA         string
	ContractSHA     string
	Self            selfVerificationView
	Interactions    []interactionFindings
	Shown           int // findings listed; the page lists at most maxFindings
	Notices         []string
	PactURL         string
	ContractURL     string
	MatrixURL       string
	ConsumerURL     string
	ProviderURL     string
	CanIDeployURL   string
	JSONURL         string
}

// comparison shows one comparison of a pact with a provider version's OpenAPI document: the
// findings by interaction, and the document's self-verification, which together make the
// matrix's result.
func (p *Pages) comparison(r *http.Request, provider, version, idText string) (*page, error) {
	ctx := r.Context()
	if err := checkNames("provider", provider, "version", version); err != nil {
		return nil, err
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id < 1 {
		return nil, badRequest("%q is not a comparison number: it must be a whole number from 1.", truncate(idText, 40))
	}
	in := readParams(r)
	consumerVersion := in.name("consumer-version")
	if err := in.err(); err != nil {
		return nil, err
	}
	detail, err := p.store.ProviderContractComparison(ctx, provider, version, id)
	if err != nil {
		return nil, err
	}
	c := detail.Comparison
	pact, err := p.comparedPact(ctx, c, consumerVersion)
	if err != nil {
		return nil, err
	}
	if consumerVersion != "" {
		c.ConsumerVersion = consumerVersion
	}
	var selfVerified *bool
	if sv := detail.SelfVerification; sv != nil {
		selfVerified = &sv.Success
	}
	d := comparisonData{ID: c.ID, Consumer: c.Consumer, Provider: c.Provider, ConsumerVersion: c.ConsumerVersion, ProviderVersion: c.ProviderVersion,
		Outcome: bidirectionalOutcome(c.Compatible, selfVerified), Compatible: c.Compatible, Errors: c.Errors, Warnings: c.Warnings,
		Compared: p.stamp(c.CreatedAt), Profile: c.Profile, PactSHA: c.PactSHA, ContractSHA: c.ContractSHA,
		Self:        p.selfVerificationOf(detail.SelfVerification, p.stamp(detail.SelfVerifiedAt)),
		ContractURL: p.links.ProviderContract(c.Provider, c.ProviderVersion), MatrixURL: p.links.IntegrationMatrix(c.Consumer, c.Provider),
		ConsumerURL: p.links.PacticipantMatrix(c.Consumer), ProviderURL: p.links.VersionMatrix(c.Provider, c.ProviderVersion),
		CanIDeployURL: p.links.CanIDeploy(c.Provider, c.ProviderVersion, "", ""),
		JSONURL:       p.links.ComparisonJSON(c.Consumer, c.Provider, c.ProviderVersion, c.PactSHA)}
	if c.ConsumerVersion != "" {
		d.PactURL = p.links.ContractVersion(c.Consumer, c.Provider, c.ConsumerVersion)
	}
	report, err := readReport(c.Results)
	if err != nil {
		return nil, err
	}
	d.Notices = report.Notices
	var anchors []string
	if pact.Content != nil {
		anchors = pactAnchors(pact.Content)
	}
	d.Interactions = groupFindings(report.Findings, anchors, d.PactURL, 0)
	for i := range d.Interactions {
		g := &d.Interactions[i]
		g.ID = fmt.Sprintf("interaction-%d", g.Index+1)
		if g.Operation != "" {
			method, path, _ := strings.Cut(g.Operation, " ")
			g.OperationURL = d.ContractURL + "#" + operationAnchor(method, path)
		}
		d.Shown += len(g.Findings)
	}
	return &page{template: "comparison", title: fmt.Sprintf("Comparison %d: %s → %s (OpenAPI)", c.ID, c.Consumer, c.Provider),
		nav: "overview", data: d}, nil
}

// comparedPact is the pact a comparison judged, with its content: that of the consumer
// version asked about, which must have published that content, or the latest that did.
func (p *Pages) comparedPact(ctx context.Context, c broker.Comparison, consumerVersion string) (broker.Pact, error) {
	if consumerVersion == "" {
		pact, err := p.store.Pact(ctx, broker.PactQuery{Consumer: c.Consumer, Provider: c.Provider, SHA: c.PactSHA})
		if errors.Is(err, broker.ErrNotFound) {
			return broker.Pact{}, nil // the content's publications were deleted: the report stands alone
		}
		return pact, err
	}
	pact, err := p.store.Pact(ctx, broker.PactQuery{Consumer: c.Consumer, Provider: c.Provider, Version: consumerVersion})
	if err == nil && pact.SHA != c.PactSHA {
		err = broker.ErrNotFound
	}
	if errors.Is(err, broker.ErrNotFound) {
		return broker.Pact{}, notFound("Version %s of %s has no pact with %s whose content comparison %d judged.",
			consumerVersion, c.Consumer, c.Provider, c.ID)
	}
	return pact, err
}
