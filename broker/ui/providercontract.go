package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"

	"github.com/treaty-dev/treaty/broker"
)

// A provider version's OpenAPI document (its provider contract, in bi-directional contract
// testing) drawn by operation, with the consumers' pacts compared with it: what each
// comparison found is shown in the operation it is about, next to the interaction it
// concerns.

const (
	// maxProviderComparisons bounds the consumers' pacts a provider contract's page reads.
	maxProviderComparisons = 50
	// maxPageFindings bounds the findings a provider contract's page shows in all.
	maxPageFindings = 1000
	maxDocWarnings  = 20
)

type providerContractData struct {
	Provider       string
	Version        string
	IsLatest       bool
	LatestURL      string
	Branches       []string
	Tags           []string
	Published      stamp
	SHA            string
	OpenAPIVersion string
	Title          string
	APIVersion     string
	Description    string
	Self           selfVerificationView
	Warnings       []string
	MoreWarnings   int
	Operations     []operationView
	Consumers      []consumerComparison
	Compatible     int
	Incompatible   int
	Compared       int // the pacts that matter compared with the document
	NotCompared    int
	Elsewhere      []interactionFindings // findings about no operation of the document
	MatrixURL      string
	CanIDeployURL  string
	JSONURL        string
	ProviderURL    string
}

// consumerComparison is one consumer pact's comparison with the document.
type consumerComparison struct {
	Consumer        string
	ConsumerVersion string
	PactURL         string
	URL             string
	Outcome         outcome
	Errors          int
	Warnings        int
	Summary         string
	Compared        stamp
}

// providerContract shows a provider version's OpenAPI document (the latest version's when
// version is ""), by operation, with the findings of its comparisons with the pacts that
// matter to it.
func (p *Pages) providerContract(r *http.Request, provider, version string) (*page, error) {
	ctx := r.Context()
	if err := checkNames("provider", provider); err != nil {
		return nil, err
	}
	if version != "" {
		if err := checkNames("version", version); err != nil {
			return nil, err
		}
	}
	pc, err := p.store.ProviderContract(ctx, provider, version)
	if err != nil {
		return nil, err
	}
	doc, err := p.store.ContractDocument(ctx, pc)
	if err != nil {
		return nil, err
	}
	d := providerContractData{Provider: pc.Provider, Version: pc.ProviderVersion, Published: p.stamp(pc.CreatedAt), SHA: pc.SHA,
		OpenAPIVersion: doc.Version(), Self: p.selfVerificationOf(pc.SelfVerification, p.stamp(pc.UpdatedAt)),
		LatestURL: p.links.ProviderContract(pc.Provider, ""), MatrixURL: p.links.VersionMatrix(pc.Provider, pc.ProviderVersion),
		CanIDeployURL: p.links.CanIDeploy(pc.Provider, pc.ProviderVersion, "", ""), JSONURL: p.links.ProviderContractJSON(pc.Provider, pc.ProviderVersion),
		ProviderURL: p.links.PacticipantMatrix(pc.Provider)}
	latest, err := p.store.LatestContractVersion(ctx, pc.Provider)
	if err != nil {
		return nil, err
	}
	d.IsLatest = latest == pc.ProviderVersion
	if v, err := p.store.Version(ctx, pc.Provider, pc.ProviderVersion); err == nil {
		for _, b := range v.Branches {
			d.Branches = append(d.Branches, b.Branch)
		}
		for _, t := range v.Tags {
			d.Tags = append(d.Tags, t.Name)
		}
	}
	spec := doc.OpenAPI()
	if spec.Info != nil {
		d.Title, d.APIVersion, d.Description = spec.Info.Title, spec.Info.Version, shorten(spec.Info.Description, 4*maxDescription)
	}
	d.Warnings = doc.Warnings()
	if len(d.Warnings) > maxDocWarnings {
		d.Warnings, d.MoreWarnings = d.Warnings[:maxDocWarnings], len(d.Warnings)-maxDocWarnings
	}
	d.Operations = operationsOf(spec)

	found, err := p.store.ProviderContractComparisons(ctx, pc.Provider, pc.ProviderVersion, maxProviderComparisons)
	if err != nil {
		return nil, err
	}
	d.Compared, d.NotCompared = found.Total, found.NotCompared
	comparisons := found.Comparisons
	sort.SliceStable(comparisons, func(i, j int) bool { return comparisons[i].Consumer < comparisons[j].Consumer })
	byOperation := map[string]int{}
	for i, op := range d.Operations {
		byOperation[operationKey(op.Method, op.Path)] = i
	}
	shown := 0
	for _, c := range comparisons {
		cc := consumerComparison{Consumer: c.Consumer, ConsumerVersion: c.ConsumerVersion, Errors: c.Errors, Warnings: c.Warnings,
			Summary: shorten(c.Summary, maxDescription), Compared: p.stamp(c.CreatedAt), URL: p.links.Comparison(c.Provider, c.ProviderVersion, c.ID, c.ConsumerVersion)}
		if c.ConsumerVersion != "" {
			cc.PactURL = p.links.ContractVersion(c.Consumer, c.Provider, c.ConsumerVersion)
		}
		if c.Compatible {
			cc.Outcome = outcome{Result: resultSuccess, Text: "Compatible"}
			d.Compatible++
		} else {
			cc.Outcome = outcome{Result: resultFailed, Text: "Incompatible"}
			d.Incompatible++
		}
		d.Consumers = append(d.Consumers, cc)
		groups, err := p.findingsOf(ctx, c, cc.PactURL, cc.URL)
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			if room := maxPageFindings - shown; len(g.Findings) > room {
				g.More += len(g.Findings) - max(room, 0)
				g.Findings = g.Findings[:max(room, 0)]
			}
			shown += len(g.Findings)
			i, ok := byOperation[g.OperationKey]
			if !ok {
				g.Nested = false // directly under its section's heading
				d.Elsewhere = append(d.Elsewhere, g)
				continue
			}
			op := &d.Operations[i]
			op.Findings = append(op.Findings, g)
			op.Errors += g.Errors
			op.Warnings += g.Warnings
		}
	}
	title := fmt.Sprintf("OpenAPI document of %s (%s)", pc.Provider, pc.ProviderVersion)
	return &page{template: "provider-contract", title: title, nav: "overview", data: d}, nil
}

// findingsOf is a comparison's findings by interaction, named for the consumer version, each
// linked to its interaction on the pact's page; nil when the comparison found nothing.
func (p *Pages) findingsOf(ctx context.Context, c broker.Comparison, pactURL, comparisonURL string) ([]interactionFindings, error) {
	if c.Errors+c.Warnings == 0 {
		return nil, nil
	}
	report, err := readReport(c.Results)
	if err != nil {
		return nil, err
	}
	var anchors []string
	pact, err := p.store.Pact(ctx, broker.PactQuery{Consumer: c.Consumer, Provider: c.Provider, SHA: c.PactSHA})
	switch {
	case err == nil:
		anchors = pactAnchors(pact.Content)
	case !errors.Is(err, broker.ErrNotFound): // deleted meanwhile: the findings stand alone
		return nil, err
	}
	groups := groupFindings(report.Findings, anchors, pactURL, maxInteractionFindings)
	for i := range groups {
		g := &groups[i]
		g.Consumer, g.ConsumerVersion, g.ComparisonURL = c.Consumer, c.ConsumerVersion, comparisonURL
		g.ID, g.Nested = fmt.Sprintf("finding-%d-%d", c.ID, g.Index+1), true
	}
	return groups, nil
}
