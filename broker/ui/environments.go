package ui

import (
	"net/http"
	"sort"
	"time"

	"github.com/treaty-dev/treaty/broker/store"
)

// historyPageSize bounds the events listed per page of an environment's history.
const historyPageSize = 50

type environmentsData struct {
	One          *envView // set on one environment's page
	Environments []envView
	Grid         []envGridRow
	Current      []envChipRow // one environment's deployments and releases
	Events       []eventView
	Page         int
	PrevURL      string
	NextURL      string
}

type envView struct {
	Name       string
	Display    string
	Production bool
	URL        string
	Contacts   []string
}

type envGridRow struct {
	Pacticipant string
	URL         string
	Cells       []envGridCell
}

type envGridCell struct {
	Environment string
	Chips       []envChip
}

type envChipRow struct {
	Pacticipant string
	URL         string
	envChip
}

type eventView struct {
	Kind           string // deployed, undeployed, released, support-ended, rollback
	Verb           string
	When           stamp
	Pacticipant    string
	PacticipantURL string
	Version        string
	VersionURL     string
	Environment    string
	EnvironmentURL string
	Instance       string
	Replaced       string // the version this deployment replaced
	Current        bool
}

// environments shows what is deployed and released now, per environment, and the history
// of deployments, rollbacks, undeployments and releases: of every environment, or of one.
func (p *Pages) environments(r *http.Request, name string) (*page, error) {
	ctx := r.Context()
	if name != "" {
		if err := checkNames("environment", name); err != nil {
			return nil, err
		}
	}
	in := readParams(r)
	pageNo := in.page()
	if err := in.err(); err != nil {
		return nil, err
	}
	all, err := p.store.Environments(ctx, "")
	if err != nil {
		return nil, err
	}
	envs := orderEnvironments(all)
	d := environmentsData{Page: pageNo}
	for _, e := range envs {
		v := envView{Name: e.Name, Display: displayName(e), Production: e.Production, URL: p.links.Environment(e.Name)}
		for _, c := range e.Contacts {
			v.Contacts = append(v.Contacts, c.Name)
		}
		d.Environments = append(d.Environments, v)
		if e.Name == name {
			d.One = &d.Environments[len(d.Environments)-1]
		}
	}
	if name != "" && d.One == nil {
		return nil, notFound("There is no environment named %q.", name)
	}

	deployed, released, err := p.store.CurrentVersions(ctx, nil, name)
	if err != nil {
		return nil, err
	}
	chips := p.chipsByPacticipant(deployed, released, all)
	names := make([]string, 0, len(chips))
	for n := range chips {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if d.One != nil {
			for _, c := range chips[n] {
				d.Current = append(d.Current, envChipRow{Pacticipant: n, URL: p.links.PacticipantMatrix(n), envChip: c})
			}
			continue
		}
		row := envGridRow{Pacticipant: n, URL: p.links.PacticipantMatrix(n)}
		for _, e := range envs {
			cell := envGridCell{Environment: e.Name}
			for _, c := range chips[n] {
				if c.Environment == e.Name {
					cell.Chips = append(cell.Chips, c)
				}
			}
			row.Cells = append(row.Cells, cell)
		}
		d.Grid = append(d.Grid, row)
	}

	// One event more than the page shows says whether there is a next page.
	events, err := p.store.DeploymentHistory(ctx, store.HistoryQuery{Environment: name, Limit: historyPageSize + 1, Offset: (pageNo - 1) * historyPageSize})
	if err != nil {
		return nil, err
	}
	if len(events) > historyPageSize {
		events = events[:historyPageSize]
		d.NextURL = p.links.EnvironmentPage(name, pageNo+1)
	}
	if pageNo > 1 {
		d.PrevURL = p.links.EnvironmentPage(name, pageNo-1)
	}
	d.Events = p.timeline(events)

	title, nav := "Environments", "environments"
	if d.One != nil {
		title = "Environment " + d.One.Display
	}
	return &page{template: "environments", title: title, nav: nav, data: d}, nil
}

// timeline turns events into sentences. A deployment that replaced a version on the same
// instance is one event ("deployed b, replacing a"), marked as a rollback when the version it
// brings back is older than the one it replaces.
func (p *Pages) timeline(events []store.DeploymentEvent) []eventView {
	type target struct {
		pacticipant, env, instance string
	}
	key := func(e store.DeploymentEvent) target {
		t := target{pacticipant: e.Pacticipant, env: e.Environment.Name}
		if e.Instance != nil {
			t.instance = *e.Instance
		}
		return t
	}
	replaced := map[int]int{} // deployed event index → undeployed event index
	used := map[int]bool{}
	for i, e := range events {
		if e.Kind != store.EventDeployed {
			continue
		}
		for j, u := range events {
			if u.Kind == store.EventUndeployed && !used[j] && key(u) == key(e) && absDuration(u.At.Sub(e.At)) < time.Second && u.RecordID < e.RecordID {
				replaced[i], used[j] = j, true
				break
			}
		}
	}
	var out []eventView
	for i, e := range events {
		if used[i] {
			continue
		}
		v := eventView{Kind: e.Kind, When: p.stamp(e.At), Pacticipant: e.Pacticipant, PacticipantURL: p.links.PacticipantMatrix(e.Pacticipant),
			Version: e.Version, VersionURL: p.links.VersionMatrix(e.Pacticipant, e.Version), Environment: e.Environment.Name,
			EnvironmentURL: p.links.Environment(e.Environment.Name), Current: e.Current}
		if e.Instance != nil {
			v.Instance = *e.Instance
		}
		switch e.Kind {
		case store.EventDeployed:
			v.Verb = "deployed to"
			if j, ok := replaced[i]; ok {
				v.Replaced = events[j].Version
				if events[j].VersionID > e.VersionID {
					v.Kind, v.Verb = "rollback", "rolled back in"
				}
			}
		case store.EventUndeployed:
			v.Verb = "undeployed from"
		case store.EventReleased:
			v.Verb = "released to"
		case store.EventSupportEnded:
			v.Verb = "no longer supported in"
		}
		out = append(out, v)
	}
	return out
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
