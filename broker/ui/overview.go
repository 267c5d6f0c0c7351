package ui

import (
	"net/http"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/broker/store"
)

// overviewPageSize bounds the integrations listed per page.
const overviewPageSize = 50

type overviewData struct {
	Search       string
	Status       string
	Environment  string
	Environments []broker.Environment
	Filtered     bool
	Rows         []integrationRow
	Total        int
	From, To     int
	Page         int
	PrevURL      string
	NextURL      string
	FirstURL     string
}

type integrationRow struct {
	Consumer        side
	Provider        side
	Result          string
	PactURL         string
	ConsumerVersion string
	Published       stamp
	HasPact         bool
	ProviderVersion string
	Verified        stamp
	VerificationURL string
	MatrixURL       string
}

// side is one end of an integration: its name, its matrix and what of it runs where.
type side struct {
	Name      string
	MatrixURL string
	Deployed  []envChip
}

// overview lists every integration with its latest pact and verification, and the versions
// of both sides deployed in each environment.
func (p *Pages) overview(r *http.Request) (*page, error) {
	ctx := r.Context()
	in := readParams(r)
	search := in.text("q", 100)
	status := in.choice("status", resultSuccess, resultFailed, resultUnverified)
	envName := in.name("environment")
	pageNo := in.page()
	if err := in.err(); err != nil {
		return nil, err
	}
	envs, err := p.store.Environments(ctx, "")
	if err != nil {
		return nil, err
	}
	if envName != "" && !hasEnvironment(envs, envName) {
		return nil, notFound("There is no environment named %q.", envName)
	}
	list, total, err := p.store.IntegrationStatuses(ctx, store.IntegrationQuery{Search: search, Status: status, Environment: envName,
		Limit: overviewPageSize, Offset: (pageNo - 1) * overviewPageSize})
	if err != nil {
		return nil, err
	}
	names := []string{}
	seen := map[string]bool{}
	for _, it := range list {
		for _, n := range []string{it.Consumer, it.Provider} {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	deployed, released, err := p.store.CurrentVersions(ctx, names, "")
	if err != nil {
		return nil, err
	}
	chips := p.chipsByPacticipant(deployed, released, envs)
	d := overviewData{Search: search, Status: status, Environment: envName, Environments: orderEnvironments(envs),
		Filtered: search != "" || status != "" || envName != "", Total: total, Page: pageNo,
		FirstURL: p.links.OverviewWith(search, status, envName, 1)}
	for _, it := range list {
		row := integrationRow{
			Consumer:  side{Name: it.Consumer, MatrixURL: p.links.PacticipantMatrix(it.Consumer), Deployed: chips[it.Consumer]},
			Provider:  side{Name: it.Provider, MatrixURL: p.links.PacticipantMatrix(it.Provider), Deployed: chips[it.Provider]},
			Result:    verificationResult(it.Verification),
			MatrixURL: p.links.IntegrationMatrix(it.Consumer, it.Provider),
			PactURL:   p.links.Contract(it.Consumer, it.Provider),
		}
		if it.Pact != nil {
			row.HasPact, row.ConsumerVersion, row.Published = true, it.Pact.ConsumerVersion, p.stamp(it.Pact.CreatedAt)
			row.PactURL = p.links.ContractVersion(it.Consumer, it.Provider, it.Pact.ConsumerVersion)
		}
		if v := it.Verification; v != nil {
			row.ProviderVersion, row.Verified, row.VerificationURL = v.ProviderVersion, p.stamp(v.CreatedAt), p.links.Verification(v.ID)
		}
		d.Rows = append(d.Rows, row)
	}
	if len(list) > 0 {
		d.From = (pageNo-1)*overviewPageSize + 1
		d.To = d.From + len(list) - 1
	}
	if pageNo > 1 {
		d.PrevURL = p.links.OverviewWith(search, status, envName, pageNo-1)
	}
	if pageNo*overviewPageSize < total {
		d.NextURL = p.links.OverviewWith(search, status, envName, pageNo+1)
	}
	return &page{template: "overview", title: "Overview", nav: "overview", data: d}, nil
}

func hasEnvironment(envs []broker.Environment, name string) bool {
	for _, e := range envs {
		if e.Name == name {
			return true
		}
	}
	return false
}
