package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/treaty-dev/treaty/broker"
)

// The matrix and can-i-deploy pages ask broker.Matrix, as the API does: these pages only
// read the URL, check the names in it and draw the answer.

const (
	// defaultMatrixRows is how many rows the matrix page shows when the URL sets no limit;
	// the verdict is always computed over every row.
	defaultMatrixRows = 100
	// maxMatrixRows bounds the rows a page draws.
	maxMatrixRows = 1000
	// Grids show the newest versions of each side.
	maxGridConsumerVersions = 25
	maxGridProviderVersions = 15
	// defaultRecent is how many of a consumer's newest versions an integration's matrix
	// shows when a link asks for the recent ones; maxRecent bounds what a URL may ask.
	defaultRecent = 20
	maxRecent     = 100
)

// quickView is a ready-made query for the pacticipant on the page.
type quickView struct {
	Label   string
	URL     string
	Current bool
	Hint    string
}

// selectorForm is one selector as the matrix form shows it.
type selectorForm struct {
	Pacticipant string
	Version     string
	Branch      string
	Tag         string
	Environment string
	Latest      bool
	MainBranch  bool
}

type matrixData struct {
	Views        []quickView
	Selectors    [2]selectorForm
	LatestBy     string
	Limit        string
	Recent       string
	Names        []string
	Environments []broker.Environment
	Errors       []string
	Asked        bool
	Result       *matrixView
	JSONURL      string
	CanIDeploy   canIDeployForm
}

// matrixView is broker.Matrix's answer drawn for people.
type matrixView struct {
	Verdict verdict
	Counts  broker.MatrixCounts
	Grids   []matrixGrid
	Rows    []matrixRowView
	Shown   int
	Total   int
	MoreURL string
}

type verdict struct {
	Class       string // yes, no or unknown
	Heading     string
	Reasons     []broker.Notice
	MoreReasons int // reasons left out: one per failed or unknown row can be thousands
}

// maxReasons bounds the reasons a page lists.
const maxReasons = 25

type matrixGrid struct {
	Consumer         string
	Provider         string
	ConsumerURL      string
	ProviderURL      string
	ContractURL      string
	ProviderVersions []gridColumn
	Rows             []gridRow
	MoreConsumers    int
	MoreProviders    int
}

type gridColumn struct {
	Number      string // "" for "no provider version"
	URL         string
	Envs        []string // where the version runs now
	ContractURL string   // the version's OpenAPI document, when its results are bi-directional
}

type gridRow struct {
	ConsumerVersion string
	URL             string
	Envs            []string
	Cells           []gridCell
}

type gridCell struct {
	outcome
	Kind            string // broker.VerificationBidirectional, or "" for a verification
	URL             string
	Label           string
	Empty           bool
	Ignored         bool
	ConsumerVersion string
	ProviderVersion string
}

type matrixRowView struct {
	Consumer        string
	ConsumerVersion string
	ConsumerURL     string
	Provider        string
	ProviderVersion string
	ProviderURL     string
	PactURL         string
	Published       stamp
	Result          outcome
	Kind            string
	VerificationURL string
	Verified        stamp
	Ignored         bool
}

// matrix shows the matrix for /matrix's query options: the grid of consumer versions ×
// provider versions per integration, the rows, and the verdict with its reasons.
func (p *Pages) matrix(r *http.Request) (*page, error) {
	ctx := r.Context()
	d := matrixData{Limit: ""}
	if err := p.formLists(ctx, &d.Names, &d.Environments); err != nil {
		return nil, err
	}
	pg := &page{template: "matrix", title: "Matrix", nav: "matrix", data: &d}
	if r.URL.RawQuery == "" {
		return pg, nil
	}
	if _, err := url.ParseQuery(r.URL.RawQuery); err != nil {
		return nil, badRequest("The query string is malformed (%v).", err)
	}
	if p.matrixQuery == nil {
		return nil, errors.New("the matrix page has no query parser")
	}
	d.Asked = true
	// recent is the pages' own option: an integration's matrix over the consumer's newest
	// versions only, which keeps a busy integration's page small and fast.
	in := readParams(r)
	d.Recent = in.text("recent", 8)
	recent := 0
	if d.Recent != "" {
		n, err := strconv.Atoi(d.Recent)
		if err != nil || n < 1 || n > maxRecent {
			in.errs = append(in.errs, fmt.Sprintf("recent must be a whole number from 1 to %d", maxRecent))
		}
		recent = n
	}
	q, err := p.matrixQuery(r.URL.RawQuery)
	// Both selectors of the form are always sent; an empty one means "not used".
	var sels []broker.Selector
	for _, s := range q.Selectors {
		if s != (broker.Selector{}) {
			sels = append(sels, s)
		}
	}
	q.Selectors = sels
	for i := 0; i < len(sels) && i < 2; i++ {
		s := sels[i]
		d.Selectors[i] = selectorForm{Pacticipant: s.Pacticipant, Version: s.Version, Branch: s.Branch, Tag: s.Tag,
			Environment: s.Environment, Latest: s.Latest, MainBranch: s.MainBranch}
	}
	d.LatestBy = q.LatestBy
	if q.Limit > 0 {
		d.Limit = strconv.Itoa(q.Limit)
	}
	if len(sels) > 0 {
		d.CanIDeploy = canIDeployForm{Pacticipant: sels[0].Pacticipant, Version: sels[0].Version}
	}
	switch {
	case len(sels) == 1 && sels[0].Pacticipant != "":
		d.Views = p.quickViews(q, recent, d.Environments)
	case len(sels) == 2 && sels[0].Pacticipant != "" && sels[1].Pacticipant != "":
		d.Views = p.integrationViews(q, recent)
	}
	var qe broker.QueryErrors
	switch {
	case errors.As(err, &qe):
		d.Errors = append(d.Errors, qe...)
	case err != nil:
		return nil, err
	}
	d.Errors = append(d.Errors, in.errs...)
	d.Errors = append(d.Errors, checkSelectorValues(q)...)
	if q.Limit > maxMatrixRows {
		d.Errors = append(d.Errors, fmt.Sprintf("limit must be at most %d on this page (the API's /matrix has no such bound)", maxMatrixRows))
	}
	if len(sels) == 0 && len(d.Errors) == 0 {
		d.Errors = append(d.Errors, "Choose a pacticipant.")
	}
	if len(d.Errors) > 0 {
		pg.status = http.StatusBadRequest
		return pg, nil
	}
	if missing, err := p.unknownNames(ctx, q); err != nil {
		return nil, err
	} else if len(missing) > 0 {
		d.Errors, pg.status = missing, http.StatusNotFound
		return pg, nil
	}
	shown := q.Limit
	if shown == 0 {
		shown = defaultMatrixRows
	}
	judged := q
	judged.Limit = 0
	if recent > 0 {
		narrowed, err := p.recentSelectors(ctx, sels, recent)
		var he *httpError
		if errors.As(err, &he) {
			d.Errors, pg.status = []string{he.msg}, he.status
			return pg, nil
		}
		if err != nil {
			return nil, err
		}
		judged.Selectors = narrowed
	}
	res, err := broker.Matrix(ctx, p.store, judged)
	var qe2 broker.QueryErrors
	if errors.As(err, &qe2) {
		d.Errors, pg.status = qe2, http.StatusBadRequest
		return pg, nil
	}
	if err != nil {
		return nil, err
	}
	asJSON := judged
	asJSON.Limit = q.Limit
	d.JSONURL = p.links.MatrixJSON(asJSON)
	d.Result = p.matrixView(res, shown)
	if err := p.markRunning(ctx, d.Result); err != nil {
		return nil, err
	}
	d.Result.Verdict = matrixVerdict(res)
	if res.TotalRows > shown && q.Limit == 0 {
		more := q
		more.Limit = min(res.TotalRows, maxMatrixRows)
		d.Result.MoreURL = p.links.MatrixPage(more, recent)
	}
	pg.title = "Matrix of " + describeSelectors(sels)
	return pg, nil
}

// recentSelectors narrows an integration's matrix to the consumer's newest versions with a
// pact with the provider: one version selector each, which /matrix takes as well. The
// consumer is the selector without criteria that has pacts with the other.
func (p *Pages) recentSelectors(ctx context.Context, sels []broker.Selector, n int) ([]broker.Selector, error) {
	shapeErr := &httpError{status: http.StatusBadRequest, title: "Bad request",
		msg: "recent narrows the matrix of an integration: give two pacticipants, one of them with no version, branch, tag or environment"}
	if len(sels) != 2 || sels[0].Pacticipant == sels[1].Pacticipant {
		return nil, shapeErr
	}
	plain := false
	for _, order := range [][2]int{{0, 1}, {1, 0}} {
		consumer, provider := sels[order[0]], sels[order[1]]
		if consumer != (broker.Selector{Pacticipant: consumer.Pacticipant}) {
			continue
		}
		plain = true
		history, _, err := p.store.PactHistory(ctx, consumer.Pacticipant, provider.Pacticipant, n)
		if errors.Is(err, broker.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out := make([]broker.Selector, 0, len(history)+1)
		for _, h := range history {
			out = append(out, broker.Selector{Pacticipant: consumer.Pacticipant, Version: h.Pact.ConsumerVersion})
		}
		return append(out, provider), nil
	}
	if !plain {
		return nil, shapeErr
	}
	return sels, nil // no pacts either way: there is nothing to narrow
}

// plainQuery reports whether a query has nothing but its selectors.
func plainQuery(q broker.MatrixQuery) bool {
	return q.LatestBy == "" && q.Tag == "" && q.Branch == "" && !q.MainBranch && q.Environment == "" && !q.Latest &&
		len(q.Ignore) == 0 && len(q.Success) == 0
}

// quickViews offer the usual questions about one pacticipant.
func (p *Pages) quickViews(q broker.MatrixQuery, recent int, envs []broker.Environment) []quickView {
	name := q.Selectors[0].Pacticipant
	view := func(label, hint string, sel broker.Selector) quickView {
		sel.Pacticipant = name
		vq := broker.MatrixQuery{Selectors: []broker.Selector{sel}}
		cur := q.Selectors[0] == sel && plainQuery(q) && recent == 0
		return quickView{Label: label, Hint: hint, URL: p.links.MatrixOf(vq), Current: cur}
	}
	out := []quickView{view("Latest version", "", broker.Selector{Latest: true}), view("Main branch head", "", broker.Selector{MainBranch: true, Latest: true})}
	for _, e := range envs {
		out = append(out, view("In "+e.Name, "", broker.Selector{Environment: e.Name}))
	}
	return append(out, view("Every version", "can be slow on a large broker", broker.Selector{}))
}

// integrationViews offer an integration's recent versions, or all of them.
func (p *Pages) integrationViews(q broker.MatrixQuery, recent int) []quickView {
	a, b := q.Selectors[0].Pacticipant, q.Selectors[1].Pacticipant
	plain := plainQuery(q) && q.Selectors[0] == broker.Selector{Pacticipant: a} && q.Selectors[1] == broker.Selector{Pacticipant: b}
	all := broker.MatrixQuery{Selectors: []broker.Selector{{Pacticipant: a}, {Pacticipant: b}}}
	return []quickView{
		{Label: fmt.Sprintf("Newest %d consumer versions", defaultRecent), URL: p.links.MatrixPage(all, defaultRecent), Current: plain && recent == defaultRecent},
		{Label: "Every version", Hint: "can be slow on a large broker", URL: p.links.MatrixOf(all), Current: plain && recent == 0},
	}
}

// formLists fills the names and environments the forms offer.
func (p *Pages) formLists(ctx context.Context, names *[]string, envs *[]broker.Environment) error {
	list, _, err := p.store.Pacticipants(ctx, broker.ListQuery{Size: 1000})
	if err != nil {
		return err
	}
	for _, pt := range list {
		*names = append(*names, pt.Name)
	}
	all, err := p.store.Environments(ctx, "")
	if err != nil {
		return err
	}
	*envs = orderEnvironments(all)
	return nil
}

// checkSelectorValues refuses values no name can have, before any look-up.
func checkSelectorValues(q broker.MatrixQuery) []string {
	var errs []string
	check := func(field, v string) {
		if v == "" {
			return
		}
		if err := broker.CheckName(field, v); err != nil {
			errs = append(errs, err.Error())
		}
	}
	for _, s := range q.Selectors {
		check("pacticipant", s.Pacticipant)
		check("version", s.Version)
		check("branch", s.Branch)
		check("tag", s.Tag)
		check("environment", s.Environment)
	}
	for _, s := range q.Ignore {
		check("ignore pacticipant", s.Pacticipant)
		check("ignore version", s.Version)
	}
	check("tag", q.Tag)
	check("branch", q.Branch)
	check("environment", q.Environment)
	return errs
}

// unknownNames lists the pacticipants and environments a query names that do not exist.
// Ignore selectors may name anything: the matrix warns about those itself.
func (p *Pages) unknownNames(ctx context.Context, q broker.MatrixQuery) ([]string, error) {
	var missing []string
	seen := map[string]bool{}
	envs := []string{q.Environment}
	for _, s := range q.Selectors {
		envs = append(envs, s.Environment)
		if s.Pacticipant == "" || seen[s.Pacticipant] {
			continue
		}
		seen[s.Pacticipant] = true
		if _, err := p.store.MatrixPacticipant(ctx, s.Pacticipant); errors.Is(err, broker.ErrNotFound) {
			missing = append(missing, fmt.Sprintf("There is no pacticipant named %q.", s.Pacticipant))
		} else if err != nil {
			return nil, err
		}
	}
	for _, e := range envs {
		if e == "" || seen["env:"+e] {
			continue
		}
		seen["env:"+e] = true
		if _, err := p.store.MatrixEnvironment(ctx, e); errors.Is(err, broker.ErrNotFound) {
			missing = append(missing, fmt.Sprintf("There is no environment named %q.", e))
		} else if err != nil {
			return nil, err
		}
	}
	return missing, nil
}

func describeSelectors(sels []broker.Selector) string {
	out := ""
	for i, s := range sels {
		if i > 0 {
			out += " and "
		}
		out += s.Pacticipant
		if s.Version != "" {
			out += " " + s.Version
		}
	}
	return out
}

func matrixVerdict(res *broker.MatrixResult) verdict {
	v := verdict{Reasons: res.Notices}
	if len(v.Reasons) > maxReasons {
		v.Reasons, v.MoreReasons = v.Reasons[:maxReasons], len(v.Reasons)-maxReasons
	}
	switch {
	case res.Deployable == nil:
		v.Class, v.Heading = "unknown", "Unknown"
	case *res.Deployable:
		v.Class, v.Heading = "yes", "Yes"
	default:
		v.Class, v.Heading = "no", "No"
	}
	return v
}

// matrixView draws the first shown rows as a table, and as one grid per integration.
func (p *Pages) matrixView(res *broker.MatrixResult, shown int) *matrixView {
	rows := res.Rows
	if len(rows) > shown {
		rows = rows[:shown]
	}
	v := &matrixView{Counts: res.Counts, Shown: len(rows), Total: res.TotalRows}
	for _, r := range rows {
		mr := matrixRowView{Consumer: r.Consumer, ConsumerVersion: r.ConsumerVersion.Number,
			ConsumerURL: p.links.VersionMatrix(r.Consumer, r.ConsumerVersion.Number), Provider: r.Provider,
			PactURL: p.links.ContractVersion(r.Consumer, r.Provider, r.ConsumerVersion.Number), Published: p.stamp(r.Pact.CreatedAt),
			Result: outcomeOf(r.Verification), Ignored: r.Ignored}
		if r.ProviderVersion != nil {
			mr.ProviderVersion, mr.ProviderURL = r.ProviderVersion.Number, p.links.VersionMatrix(r.Provider, r.ProviderVersion.Number)
		}
		if r.Verification != nil {
			mr.Kind, mr.VerificationURL, mr.Verified = bidirectionalKind(r.Verification), p.resultURL(r), p.stamp(r.Verification.VerifiedAt)
		}
		v.Rows = append(v.Rows, mr)
	}
	v.Grids = p.grids(rows)
	return v
}

// resultURL is the page of a row's result: the verification the provider published, or the
// broker's comparison of the pact with the provider version's OpenAPI document (whose id
// is a comparison's, not a verification's).
func (p *Pages) resultURL(r broker.MatrixRow) string {
	v := r.Verification
	if v.IsBidirectional() {
		return p.links.Comparison(r.Provider, v.ProviderVersion.Number, v.ID, r.ConsumerVersion.Number)
	}
	return p.links.Verification(v.ID)
}

// bidirectionalKind marks a bi-directional result's cell; a verification's stays unmarked.
func bidirectionalKind(v *broker.MatrixVerification) string {
	if v.IsBidirectional() {
		return broker.VerificationBidirectional
	}
	return ""
}

// grids lays the rows out per integration: consumer versions down, provider versions
// across, newest first, each cell the latest result for that pair.
func (p *Pages) grids(rows []broker.MatrixRow) []matrixGrid {
	type pair struct{ consumer, provider string }
	var order []pair
	byPair := map[pair][]broker.MatrixRow{}
	for _, r := range rows {
		k := pair{r.Consumer, r.Provider}
		if _, ok := byPair[k]; !ok {
			order = append(order, k)
		}
		byPair[k] = append(byPair[k], r)
	}
	var out []matrixGrid
	for _, k := range order {
		list := byPair[k]
		g := matrixGrid{Consumer: k.consumer, Provider: k.provider, ConsumerURL: p.links.PacticipantMatrix(k.consumer),
			ProviderURL: p.links.PacticipantMatrix(k.provider), ContractURL: p.links.Contract(k.consumer, k.provider)}
		cvs := map[int64]broker.VersionRef{}
		pvs := map[int64]broker.VersionRef{}
		bidirectional := map[int64]bool{} // provider versions judged by their OpenAPI document
		unverified := false
		type cellKey struct{ cv, pv int64 }
		cells := map[cellKey]broker.MatrixRow{}
		for _, r := range list {
			cvs[r.ConsumerVersion.ID] = r.ConsumerVersion
			var pv int64
			if r.ProviderVersion != nil {
				pv = r.ProviderVersion.ID
				pvs[pv] = *r.ProviderVersion
				if r.Verification != nil && r.Verification.IsBidirectional() {
					bidirectional[pv] = true
				}
			} else {
				unverified = true
			}
			ck := cellKey{r.ConsumerVersion.ID, pv}
			if have, ok := cells[ck]; !ok || laterResult(r, have) {
				cells[ck] = r
			}
		}
		cvList := sortedVersions(cvs)
		pvList := sortedVersions(pvs)
		if len(cvList) > maxGridConsumerVersions {
			g.MoreConsumers = len(cvList) - maxGridConsumerVersions
			cvList = cvList[:maxGridConsumerVersions]
		}
		if len(pvList) > maxGridProviderVersions {
			g.MoreProviders = len(pvList) - maxGridProviderVersions
			pvList = pvList[:maxGridProviderVersions]
		}
		cols := make([]int64, 0, len(pvList)+1)
		for _, pv := range pvList {
			cols = append(cols, pv.ID)
			col := gridColumn{Number: pv.Number, URL: p.links.VersionMatrix(k.provider, pv.Number)}
			if bidirectional[pv.ID] {
				col.ContractURL = p.links.ProviderContract(k.provider, pv.Number)
			}
			g.ProviderVersions = append(g.ProviderVersions, col)
		}
		if unverified {
			cols = append(cols, 0)
			g.ProviderVersions = append(g.ProviderVersions, gridColumn{})
		}
		for _, cv := range cvList {
			gr := gridRow{ConsumerVersion: cv.Number, URL: p.links.VersionMatrix(k.consumer, cv.Number)}
			for i, col := range cols {
				pvNumber := g.ProviderVersions[i].Number
				r, ok := cells[cellKey{cv.ID, col}]
				if !ok {
					gr.Cells = append(gr.Cells, gridCell{Empty: true, ConsumerVersion: cv.Number, ProviderVersion: pvNumber,
						Label: fmt.Sprintf("%s %s with %s %s: not in this matrix", k.consumer, cv.Number, k.provider, orNone(pvNumber))})
					continue
				}
				c := gridCell{outcome: outcomeOf(r.Verification), Ignored: r.Ignored, ConsumerVersion: cv.Number, ProviderVersion: pvNumber}
				c.Label = fmt.Sprintf("%s %s with %s %s: %s", k.consumer, cv.Number, k.provider, orNone(pvNumber), c.Describe())
				if r.Verification != nil {
					c.Kind, c.URL = bidirectionalKind(r.Verification), p.resultURL(r)
				} else {
					c.URL = p.links.ContractVersion(k.consumer, k.provider, cv.Number)
				}
				gr.Cells = append(gr.Cells, c)
			}
			g.Rows = append(g.Rows, gr)
		}
		out = append(out, g)
	}
	return out
}

// markRunning notes, next to each version in the grids, the environments it runs in now.
func (p *Pages) markRunning(ctx context.Context, v *matrixView) error {
	var names []string
	seen := map[string]bool{}
	for _, g := range v.Grids {
		for _, n := range []string{g.Consumer, g.Provider} {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	deployed, released, err := p.store.CurrentVersions(ctx, names, "")
	if err != nil {
		return err
	}
	envs, err := p.store.Environments(ctx, "")
	if err != nil {
		return err
	}
	chips := p.chipsByPacticipant(deployed, released, envs)
	where := func(pacticipant, version string) []string {
		var out []string
		for _, c := range chips[pacticipant] {
			if c.Version == version && (len(out) == 0 || out[len(out)-1] != c.Environment) {
				out = append(out, c.Environment)
			}
		}
		return out
	}
	for i := range v.Grids {
		g := &v.Grids[i]
		for j := range g.ProviderVersions {
			if n := g.ProviderVersions[j].Number; n != "" {
				g.ProviderVersions[j].Envs = where(g.Provider, n)
			}
		}
		for j := range g.Rows {
			g.Rows[j].Envs = where(g.Consumer, g.Rows[j].ConsumerVersion)
		}
	}
	return nil
}

func orNone(version string) string {
	if version == "" {
		return "(no version)"
	}
	return version
}

// laterResult prefers a verified row, then the later verification.
func laterResult(a, b broker.MatrixRow) bool {
	switch {
	case a.Verification == nil:
		return false
	case b.Verification == nil:
		return true
	}
	return a.Verification.ID > b.Verification.ID
}

func sortedVersions(m map[int64]broker.VersionRef) []broker.VersionRef {
	out := make([]broker.VersionRef, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out
}

// canIDeployForm is the can-i-deploy question as its form shows it.
type canIDeployForm struct {
	Pacticipant string
	Version     string
	Environment string
	To          string
	Ignore      []string
}

type canIDeployData struct {
	Form         canIDeployForm
	Names        []string
	Environments []broker.Environment
	Versions     []string
	Errors       []string
	Answer       *canIDeployAnswer
}

type canIDeployAnswer struct {
	Verdict   verdict
	Matrix    *matrixView
	MatrixURL string
	JSONURL   string
}

// canIDeploy answers whether a version can be deployed to an environment (or, the legacy
// way, to the latest versions with a tag), with the reasons and the rows behind them.
func (p *Pages) canIDeploy(r *http.Request) (*page, error) {
	ctx := r.Context()
	in := readParams(r)
	f := canIDeployForm{Pacticipant: in.name("pacticipant"), Version: in.name("version"), Environment: in.name("environment"), To: in.name("to")}
	for _, key := range []string{"ignore[]", "ignore"} {
		for _, v := range in.values[key] {
			if err := broker.CheckName(key, v); err != nil {
				in.errs = append(in.errs, err.Error())
			} else {
				f.Ignore = append(f.Ignore, v)
			}
		}
	}
	if err := in.err(); err != nil {
		return nil, err
	}
	d := canIDeployData{Form: f}
	if err := p.formLists(ctx, &d.Names, &d.Environments); err != nil {
		return nil, err
	}
	pg := &page{template: "can-i-deploy", title: "Can I deploy?", nav: "can-i-deploy", data: &d}
	if f.Pacticipant == "" && f.Version == "" && f.Environment == "" && f.To == "" {
		return pg, nil
	}
	if f.Pacticipant == "" {
		d.Errors = append(d.Errors, "Choose the pacticipant to deploy.")
	}
	if f.Version == "" {
		d.Errors = append(d.Errors, "Give the version to deploy.")
	}
	if (f.Environment == "") == (f.To == "") {
		d.Errors = append(d.Errors, "Choose an environment, or give a tag (but not both).")
	}
	if len(d.Errors) > 0 {
		pg.status = http.StatusBadRequest
		return pg, nil
	}
	q := broker.MatrixQuery{Selectors: []broker.Selector{{Pacticipant: f.Pacticipant, Version: f.Version}}}
	for _, name := range f.Ignore {
		q.Ignore = append(q.Ignore, broker.IgnoreSelector{Pacticipant: name})
	}
	if f.Environment != "" {
		q.Environment, q.LatestBy = f.Environment, broker.LatestByCVPV
	} else {
		q.Tag, q.Latest, q.LatestBy = f.To, true, broker.LatestByCVP
	}
	if missing, err := p.unknownNames(ctx, q); err != nil {
		return nil, err
	} else if len(missing) > 0 {
		d.Errors, pg.status = missing, http.StatusNotFound
		return pg, nil
	}
	if versions, _, err := p.store.Versions(ctx, f.Pacticipant, broker.ListQuery{Size: 20}); err == nil {
		for _, v := range versions {
			d.Versions = append(d.Versions, v.Number)
		}
	}
	res, err := broker.Matrix(ctx, p.store, q)
	if err != nil {
		return nil, err
	}
	target := f.Environment
	if target == "" {
		target = "the versions tagged " + f.To
	}
	a := &canIDeployAnswer{Verdict: matrixVerdict(res), Matrix: p.matrixView(res, maxMatrixRows), MatrixURL: p.links.MatrixOf(q),
		JSONURL: p.links.CanIDeployJSON(f.Pacticipant, f.Version, f.Environment, f.To)}
	if err := p.markRunning(ctx, a.Matrix); err != nil {
		return nil, err
	}
	subject := f.Pacticipant + " " + f.Version
	switch a.Verdict.Class {
	case "yes":
		a.Verdict.Heading = fmt.Sprintf("Yes: %s can be deployed to %s", subject, target)
	case "no":
		a.Verdict.Heading = fmt.Sprintf("No: %s cannot be deployed to %s", subject, target)
	default:
		a.Verdict.Heading = fmt.Sprintf("Unknown: there are not enough verification results to deploy %s to %s", subject, target)
	}
	d.Answer = a
	pg.title = "Can I deploy " + subject + "?"
	return pg, nil
}
