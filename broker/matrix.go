package broker

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// The compatibility matrix: which consumer versions work with which provider versions, and
// whether a set of versions can be deployed together. The rules follow the reference Pact
// Broker (a consumer needs its providers, a provider does not need its consumers; an unknown
// result beats a failure; every version in the target environment is checked), with one
// deliberate difference: the verdict is computed over every relevant row, and a row limit
// only trims what is displayed.

// Selector picks versions of one pacticipant.
type Selector struct {
	Pacticipant string
	Version     string
	Latest      bool
	Tag         string
	Branch      string
	MainBranch  bool
	Environment string
}

// IgnoreSelector names a pacticipant, or one version of it, whose rows do not count.
type IgnoreSelector struct {
	Pacticipant string
	Version     string
}

// Latest-by groupings of rows.
const (
	LatestByCVP  = "cvp"  // the latest provider version for each consumer version
	LatestByCVPV = "cvpv" // the latest verification for each consumer and provider version
	LatestByCP   = "cp"   // the latest row for each consumer and provider
)

// MatrixQuery is a matrix or can-i-deploy question. The top-level Latest, Tag, Branch,
// MainBranch and Environment describe the target: the versions of every integrated
// pacticipant that was not specified.
type MatrixQuery struct {
	Selectors   []Selector
	Ignore      []IgnoreSelector
	LatestBy    string
	Latest      bool
	Tag         string
	Branch      string
	MainBranch  bool
	Environment string
	// Success keeps only rows with these results (nil means unknown); empty keeps all.
	Success []*bool
	// Limit bounds the rows returned, never the rows judged; 0 means no limit.
	Limit int
}

func (q MatrixQuery) infers() bool {
	return q.Latest || q.Tag != "" || q.Branch != "" || q.MainBranch || q.Environment != ""
}

// PacticipantRef, VersionRef, MatrixPact and MatrixVerification are the facts the matrix is
// computed from.
type PacticipantRef struct {
	ID         int64
	Name       string
	MainBranch string
}

// VersionRef is a version; its ID orders versions by creation.
type VersionRef struct {
	ID        int64
	Number    string
	CreatedAt time.Time
}

// MatrixPact is the latest revision of a consumer version's pact with a provider.
type MatrixPact struct {
	ConsumerID      int64
	ProviderID      int64
	PublicationID   int64
	PactVersionID   int64
	SHA             string
	ConsumerVersion VersionRef
	CreatedAt       time.Time
}

// MatrixVerification is a provider version's result for a pact's content: one it published
// after replaying the pact (Kind VerificationPact), or the broker's comparison of the pact
// with the provider version's OpenAPI document (Kind VerificationBidirectional), whose
// Success needs both Compatible and a successful self-verification.
type MatrixVerification struct {
	ID              int64 // the verification's, or the comparison's
	PactVersionID   int64
	ProviderVersion VersionRef
	Success         bool
	VerifiedAt      time.Time
	Kind            string // VerificationPact ("" reads as it) or VerificationBidirectional

	// For bidirectional results: whether the pact is compatible with the document (and, when
	// not, the first findings in a line), and whether its self-verification succeeded (nil:
	// no results were published).
	Compatible   bool
	Findings     string
	SelfVerified *bool
}

// IsBidirectional reports whether the result is the comparison with a provider contract.
func (v *MatrixVerification) IsBidirectional() bool { return v.Kind == VerificationBidirectional }

// VersionCriteria describe which versions of a pacticipant a selector means.
type VersionCriteria struct {
	Number      string
	Latest      bool
	Tag         string
	Branch      string
	MainBranch  bool
	Environment *Environment
}

// MatrixData is what the matrix reads from storage. The reads are batched: a can-i-deploy
// question costs a fixed handful of queries however many integrations are involved.
type MatrixData interface {
	MatrixPacticipant(ctx context.Context, name string) (PacticipantRef, error)
	MatrixEnvironment(ctx context.Context, name string) (Environment, error)
	// MatrixVersions resolves criteria to versions of each pacticipant, newest first.
	MatrixVersions(ctx context.Context, ps []PacticipantRef, c VersionCriteria) (map[int64][]VersionRef, error)
	// MatrixProviders are the providers of the given consumer versions' pacts (of any of its
	// versions when versionIDs is nil).
	MatrixProviders(ctx context.Context, consumerID int64, versionIDs []int64) ([]PacticipantRef, error)
	// MatrixConsumers are the pacticipants with pacts with the provider.
	MatrixConsumers(ctx context.Context, providerID int64) ([]PacticipantRef, error)
	// MatrixPacts are the latest pacts of the given consumer versions with any of the
	// providers, or with All set, of every version of one consumer with one provider.
	MatrixPacts(ctx context.Context, q PactRowsQuery) ([]MatrixPact, error)
	// MatrixVerifications are the results for the pact contents by the provider versions
	// (any version when nil); latestOnly keeps the latest per content and provider version.
	MatrixVerifications(ctx context.Context, pactVersionIDs, providerVersionIDs []int64, latestOnly bool) ([]MatrixVerification, error)
	// MatrixComparisons are the bidirectional results for the pact contents with the provider
	// versions (every version of the pacts' providers when nil) that published a provider
	// contract: one per pact content and provider version, of Kind VerificationBidirectional.
	// Pairs never compared before are compared now, and the results stored.
	MatrixComparisons(ctx context.Context, pactVersionIDs, providerVersionIDs []int64) ([]MatrixVerification, error)
}

// PactRowsQuery selects pacts for the matrix: of the consumer versions with the providers,
// or (All) every pact between one consumer and one provider.
type PactRowsQuery struct {
	ConsumerVersionIDs []int64
	ProviderIDs        []int64
	All                bool
	ConsumerID         int64
	ProviderID         int64
}

// MatrixRow pairs a consumer version's pact with a provider version's result for it. A row
// without a verification is an unknown; ProviderVersion may then be nil too.
type MatrixRow struct {
	Consumer        string
	Provider        string
	ConsumerVersion VersionRef
	ProviderVersion *VersionRef
	Pact            MatrixPact
	Verification    *MatrixVerification
	Ignored         bool
}

// Success is the row's result: true, false or nil for unknown.
func (r MatrixRow) Success() *bool {
	if r.Verification == nil {
		return nil
	}
	s := r.Verification.Success
	return &s
}

// MatrixCounts summarise the considered rows.
type MatrixCounts struct {
	Success int
	Failed  int
	Unknown int
	Ignored *int
}

// MatrixResult is the answer: the rows, and whether the selected versions can be deployed.
type MatrixResult struct {
	Rows       []MatrixRow // considered rows, then ignored ones; trimmed to the limit
	TotalRows  int
	Deployable *bool
	Counts     MatrixCounts
	Notices    []Notice
}

// Reason joins the notices' texts, one per line.
func (r *MatrixResult) Reason() string {
	texts := make([]string, len(r.Notices))
	for i, n := range r.Notices {
		texts[i] = n.Text
	}
	return strings.Join(texts, "\n")
}

// QueryErrors are problems with a matrix query, reported as a list.
type QueryErrors []string

func (e QueryErrors) Error() string        { return strings.Join(e, "; ") }
func (e QueryErrors) Is(target error) bool { return target == ErrInvalid }

// resolved is a selector turned into versions.
type resolved struct {
	pacticipant PacticipantRef
	sel         Selector // the criteria (for inferred selectors, the query's target)
	specified   bool
	all         bool // every version: only the name was given
	versions    []VersionRef
	missing     bool // the criteria matched no version
	ignored     bool // an ignore selector names the whole pacticipant
}

type integration struct {
	consumer, provider PacticipantRef
	required           bool
}

// Matrix answers a matrix query.
func Matrix(ctx context.Context, data MatrixData, q MatrixQuery) (*MatrixResult, error) {
	if err := validateMatrixQuery(q); err != nil {
		return nil, err
	}
	var env *Environment
	if q.Environment != "" {
		e, err := data.MatrixEnvironment(ctx, q.Environment)
		if errors.Is(err, ErrNotFound) {
			return nil, QueryErrors{fmt.Sprintf("Environment with name '%s' does not exist", q.Environment)}
		}
		if err != nil {
			return nil, err
		}
		env = &e
	}
	m := &matrix{ctx: ctx, data: data, q: q, env: env, byName: map[string]*resolved{}}
	if err := m.resolveSpecified(); err != nil {
		return nil, err
	}
	if err := m.findIntegrations(); err != nil {
		return nil, err
	}
	if err := m.resolveInferred(); err != nil {
		return nil, err
	}
	if err := m.buildRows(); err != nil {
		return nil, err
	}
	ignoreWarnings, err := m.markIgnored()
	if err != nil {
		return nil, err
	}
	return m.summarise(ignoreWarnings), nil
}

func validateMatrixQuery(q MatrixQuery) error {
	var errs QueryErrors
	if len(q.Selectors) == 0 {
		errs = append(errs, "Please provide 1 or more version selectors.")
	}
	for _, s := range q.Selectors {
		if strings.TrimSpace(s.Pacticipant) == "" {
			errs = append(errs, "Please specify the pacticipant name")
			continue
		}
		if s.Version != "" && (s.Latest || s.Tag != "" || s.Branch != "" || s.MainBranch || s.Environment != "") {
			errs = append(errs, fmt.Sprintf("A version number and latest/tag/branch/environment cannot both be specified for %s", s.Pacticipant))
		}
		if s.Tag != "" && s.Branch != "" {
			errs = append(errs, fmt.Sprintf("A tag and a branch cannot both be specified for %s", s.Pacticipant))
		}
	}
	for _, s := range q.Ignore {
		if strings.TrimSpace(s.Pacticipant) == "" {
			errs = append(errs, "Please specify the pacticipant name to ignore")
		}
	}
	targets := 0
	for _, set := range []bool{q.Tag != "", q.Environment != "", q.MainBranch, q.Branch != ""} {
		if set {
			targets++
		}
	}
	if targets > 1 {
		errs = append(errs, "Cannot specify more than one of tag, branch, mainBranch and environment as the target")
	}
	if q.Latest && q.Environment != "" {
		errs = append(errs, "Cannot specify both latest=true and an environment.")
	}
	switch q.LatestBy {
	case "", LatestByCVP, LatestByCVPV, LatestByCP:
	default:
		errs = append(errs, fmt.Sprintf("latestby must be one of cvp, cvpv or cp (got %q)", q.LatestBy))
	}
	if q.Limit < 0 {
		errs = append(errs, "limit must be at least 1")
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

type matrix struct {
	ctx          context.Context
	data         MatrixData
	q            MatrixQuery
	env          *Environment
	specified    []*resolved
	byName       map[string]*resolved
	integrations []integration
	rows         []MatrixRow
}

func (m *matrix) resolveSpecified() error {
	var errs QueryErrors
	for _, sel := range m.q.Selectors {
		p, err := m.data.MatrixPacticipant(m.ctx, sel.Pacticipant)
		if errors.Is(err, ErrNotFound) {
			errs = append(errs, fmt.Sprintf("Pacticipant %s not found", sel.Pacticipant))
			continue
		}
		if err != nil {
			return err
		}
		var selEnv *Environment
		if sel.Environment != "" {
			e, err := m.data.MatrixEnvironment(m.ctx, sel.Environment)
			if errors.Is(err, ErrNotFound) {
				errs = append(errs, fmt.Sprintf("Environment with name '%s' does not exist", sel.Environment))
				continue
			}
			if err != nil {
				return err
			}
			selEnv = &e
		}
		r, err := m.resolve(p, sel, selEnv, true)
		if err != nil {
			return err
		}
		m.specified = append(m.specified, r)
		if _, ok := m.byName[p.Name]; !ok {
			m.byName[p.Name] = r
		} else {
			m.byName[p.Name].versions = append(m.byName[p.Name].versions, r.versions...)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func (m *matrix) resolve(p PacticipantRef, sel Selector, env *Environment, specified bool) (*resolved, error) {
	r := &resolved{pacticipant: p, sel: sel, specified: specified}
	if isAll(sel) {
		r.all = true
		return r, nil
	}
	found, err := m.data.MatrixVersions(m.ctx, []PacticipantRef{p}, criteria(sel, env))
	if err != nil {
		return nil, fmt.Errorf("resolve versions of %s: %w", p.Name, err)
	}
	r.versions, r.missing = found[p.ID], len(found[p.ID]) == 0
	return r, nil
}

func criteria(sel Selector, env *Environment) VersionCriteria {
	return VersionCriteria{Number: sel.Version, Latest: sel.Latest, Tag: sel.Tag, Branch: sel.Branch, MainBranch: sel.MainBranch, Environment: env}
}

func isAll(sel Selector) bool {
	return sel.Version == "" && !sel.Latest && sel.Tag == "" && sel.Branch == "" && !sel.MainBranch && sel.Environment == ""
}

// findIntegrations decides which pairs matter. With a target, or a single selector, each
// specified pacticipant brings its providers (required) and its consumers (not required);
// otherwise only pairs among the specified pacticipants count.
func (m *matrix) findIntegrations() error {
	seen := map[[2]int64]int{}
	add := func(in integration) {
		key := [2]int64{in.consumer.ID, in.provider.ID}
		if i, ok := seen[key]; ok {
			m.integrations[i].required = m.integrations[i].required || in.required
			return
		}
		seen[key] = len(m.integrations)
		m.integrations = append(m.integrations, in)
	}
	inferring := m.q.infers() || len(m.specified) == 1
	for _, s := range m.specified {
		var versionIDs []int64
		if !s.all {
			versionIDs = ids(s.versions)
		}
		var providers []PacticipantRef
		if s.all || len(versionIDs) > 0 {
			var err error
			if providers, err = m.data.MatrixProviders(m.ctx, s.pacticipant.ID, versionIDs); err != nil {
				return err
			}
		}
		for _, p := range providers {
			if inferring || m.byName[p.Name] != nil {
				add(integration{consumer: s.pacticipant, provider: p, required: true})
			}
		}
		consumers, err := m.data.MatrixConsumers(m.ctx, s.pacticipant.ID)
		if err != nil {
			return err
		}
		for _, c := range consumers {
			if inferring {
				add(integration{consumer: c, provider: s.pacticipant, required: false})
			} else if m.byName[c.Name] != nil {
				add(integration{consumer: c, provider: s.pacticipant, required: true})
			}
		}
	}
	return nil
}

// resolveInferred picks, for every integrated pacticipant that was not specified, the
// versions the target means (with no target: all of them), in one batch.
func (m *matrix) resolveInferred() error {
	target := Selector{Latest: m.q.Latest, Tag: m.q.Tag, Branch: m.q.Branch, MainBranch: m.q.MainBranch, Environment: m.q.Environment}
	if target.Branch != "" || target.MainBranch {
		target.Latest = true // a target branch means its head
	}
	var pending []PacticipantRef
	for _, in := range m.integrations {
		for _, p := range []PacticipantRef{in.consumer, in.provider} {
			if m.byName[p.Name] == nil {
				m.byName[p.Name] = &resolved{pacticipant: p, sel: target, all: isAll(target)}
				pending = append(pending, p)
			}
		}
	}
	if len(pending) == 0 || isAll(target) {
		return nil
	}
	found, err := m.data.MatrixVersions(m.ctx, pending, criteria(target, m.env))
	if err != nil {
		return fmt.Errorf("resolve the target's versions: %w", err)
	}
	for _, p := range pending {
		r := m.byName[p.Name]
		r.sel.Pacticipant = p.Name
		r.versions, r.missing = found[p.ID], len(found[p.ID]) == 0
	}
	return nil
}

// buildRows pairs each integration's pacts with the provider versions' results. Pacts and
// results are each read in one batch for every integration whose versions are known; only
// "every version" selectors read per integration.
func (m *matrix) buildRows() error {
	pacts := map[[2]int64][]MatrixPact{}
	var cvIDs, providerIDs []int64
	seenCV, seenProvider := map[int64]bool{}, map[int64]bool{}
	for _, in := range m.integrations {
		cs := m.byName[in.consumer.Name]
		if cs.all {
			found, err := m.data.MatrixPacts(m.ctx, PactRowsQuery{All: true, ConsumerID: in.consumer.ID, ProviderID: in.provider.ID})
			if err != nil {
				return err
			}
			pacts[[2]int64{in.consumer.ID, in.provider.ID}] = found
			continue
		}
		for _, v := range cs.versions {
			if !seenCV[v.ID] {
				seenCV[v.ID] = true
				cvIDs = append(cvIDs, v.ID)
			}
		}
		if !seenProvider[in.provider.ID] {
			seenProvider[in.provider.ID] = true
			providerIDs = append(providerIDs, in.provider.ID)
		}
	}
	if len(cvIDs) > 0 {
		found, err := m.data.MatrixPacts(m.ctx, PactRowsQuery{ConsumerVersionIDs: cvIDs, ProviderIDs: providerIDs})
		if err != nil {
			return err
		}
		for _, p := range found {
			key := [2]int64{p.ConsumerID, p.ProviderID}
			pacts[key] = append(pacts[key], p)
		}
	}

	// The results: one batch for concrete provider versions, one for "any version".
	var concretePacts, anyPacts, pvIDs []int64
	seenPV := map[int64]bool{}
	for _, in := range m.integrations {
		ps := m.byName[in.provider.Name]
		for _, p := range pacts[[2]int64{in.consumer.ID, in.provider.ID}] {
			if ps.all {
				anyPacts = append(anyPacts, p.PactVersionID)
			} else if len(ps.versions) > 0 {
				concretePacts = append(concretePacts, p.PactVersionID)
			}
		}
		if !ps.all {
			for _, v := range ps.versions {
				if !seenPV[v.ID] {
					seenPV[v.ID] = true
					pvIDs = append(pvIDs, v.ID)
				}
			}
		}
	}
	latestOnly := m.q.LatestBy != ""
	type key struct{ pactVersion, providerVersion int64 }
	latest := map[key]*MatrixVerification{}
	byContent := map[int64][]*MatrixVerification{}
	// Bidirectional results: at most one per pact content and provider version.
	compared := map[key]*MatrixVerification{}
	comparedByContent := map[int64][]*MatrixVerification{}
	for _, batch := range []struct {
		pacts    []int64
		versions []int64
	}{{dedupe(concretePacts), pvIDs}, {dedupe(anyPacts), nil}} {
		if len(batch.pacts) == 0 {
			continue
		}
		found, err := m.data.MatrixVerifications(m.ctx, batch.pacts, batch.versions, latestOnly)
		if err != nil {
			return err
		}
		for i := range found {
			v := &found[i]
			if v.Kind == "" {
				v.Kind = VerificationPact
			}
			k := key{v.PactVersionID, v.ProviderVersion.ID}
			if cur := latest[k]; cur == nil || v.ID > cur.ID {
				latest[k] = v
			}
			byContent[v.PactVersionID] = append(byContent[v.PactVersionID], v)
		}
		comparisons, err := m.data.MatrixComparisons(m.ctx, batch.pacts, batch.versions)
		if err != nil {
			return err
		}
		for i := range comparisons {
			v := &comparisons[i]
			k := key{v.PactVersionID, v.ProviderVersion.ID}
			if compared[k] == nil {
				compared[k] = v
				comparedByContent[v.PactVersionID] = append(comparedByContent[v.PactVersionID], v)
			}
		}
	}

	for _, in := range m.integrations {
		ps := m.byName[in.provider.Name]
		for _, pact := range pacts[[2]int64{in.consumer.ID, in.provider.ID}] {
			row := MatrixRow{Consumer: in.consumer.Name, Provider: in.provider.Name, ConsumerVersion: pact.ConsumerVersion, Pact: pact}
			if ps.all {
				vs := withComparisons(byContent[pact.PactVersionID], comparedByContent[pact.PactVersionID])
				if len(vs) == 0 {
					m.rows = append(m.rows, row)
				}
				for _, v := range vs {
					r := row
					r.ProviderVersion, r.Verification = &v.ProviderVersion, v
					m.rows = append(m.rows, r)
				}
				continue
			}
			if len(ps.versions) == 0 {
				m.rows = append(m.rows, row) // no provider version there: unknown
				continue
			}
			// Every selected provider version must have verified the content: each is a row.
			for i := range ps.versions {
				r := row
				r.ProviderVersion = &ps.versions[i]
				k := key{pact.PactVersionID, ps.versions[i].ID}
				r.Verification = eitherResult(latest[k], compared[k])
				m.rows = append(m.rows, r)
			}
		}
	}
	m.rows = latestBy(m.rows, m.q.LatestBy)
	m.rows = filterSuccess(m.rows, m.q.Success)
	sortRows(m.rows)
	return nil
}

// eitherResult picks a provider version's result for a pact content: it is compatible when
// it verified the pact or when the pact is compatible with its provider contract (whose
// self-verification succeeded), so a success of either kind wins; then a failed verification,
// then a failed comparison.
func eitherResult(verified, compared *MatrixVerification) *MatrixVerification {
	switch {
	case verified != nil && verified.Success:
		return verified
	case compared != nil && compared.Success:
		return compared
	case verified != nil:
		return verified
	}
	return compared
}

// withComparisons adds a content's bidirectional results to its verifications, by the same
// rule as eitherResult: a provider version's successful comparison replaces its failed
// verifications, a failed one counts only where the version verified nothing.
func withComparisons(verified, compared []*MatrixVerification) []*MatrixVerification {
	if len(compared) == 0 {
		return verified
	}
	succeeded, tried := map[int64]bool{}, map[int64]bool{}
	for _, v := range verified {
		tried[v.ProviderVersion.ID] = true
		succeeded[v.ProviderVersion.ID] = succeeded[v.ProviderVersion.ID] || v.Success
	}
	replaced := map[int64]bool{}
	var out []*MatrixVerification
	for _, c := range compared {
		pv := c.ProviderVersion.ID
		switch {
		case !tried[pv]:
			out = append(out, c)
		case c.Success && !succeeded[pv]:
			replaced[pv] = true
			out = append(out, c)
		}
	}
	for _, v := range verified {
		if !replaced[v.ProviderVersion.ID] {
			out = append(out, v)
		}
	}
	return out
}

// latestBy keeps, per group, the row of the latest provider version (an unverified row of the
// group wins, as it must not hide behind an older success).
func latestBy(rows []MatrixRow, by string) []MatrixRow {
	if by == "" || by == LatestByCVPV {
		// cvpv: one row per consumer version and provider version already.
		return rows
	}
	type key struct {
		consumer, provider string
		cv                 int64
	}
	best := map[key]int{}
	var out []MatrixRow
	for _, r := range rows {
		k := key{consumer: r.Consumer, provider: r.Provider}
		if by == LatestByCVP {
			k.cv = r.ConsumerVersion.ID
		}
		i, ok := best[k]
		if !ok {
			best[k] = len(out)
			out = append(out, r)
			continue
		}
		if betterRow(r, out[i], by) {
			out[i] = r
		}
	}
	return out
}

func betterRow(a, b MatrixRow, by string) bool {
	if by == LatestByCP && a.ConsumerVersion.ID != b.ConsumerVersion.ID {
		return a.ConsumerVersion.ID > b.ConsumerVersion.ID
	}
	return providerOrder(a) > providerOrder(b)
}

func providerOrder(r MatrixRow) int64 {
	if r.ProviderVersion == nil {
		return 1 << 62 // unverified first
	}
	return r.ProviderVersion.ID
}

func filterSuccess(rows []MatrixRow, want []*bool) []MatrixRow {
	if len(want) == 0 {
		return rows
	}
	var out []MatrixRow
	for _, r := range rows {
		got := r.Success()
		for _, w := range want {
			if (w == nil && got == nil) || (w != nil && got != nil && *w == *got) {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// sortRows puts the most recent activity first, as the reference broker does.
func sortRows(rows []MatrixRow) {
	lastAction := func(r MatrixRow) time.Time {
		if r.Verification != nil && r.Verification.VerifiedAt.After(r.Pact.CreatedAt) {
			return r.Verification.VerifiedAt
		}
		return r.Pact.CreatedAt
	}
	sort.SliceStable(rows, func(i, j int) bool {
		ai, aj := lastAction(rows[i]), lastAction(rows[j])
		if !ai.Equal(aj) {
			return ai.After(aj)
		}
		if rows[i].Pact.PublicationID != rows[j].Pact.PublicationID {
			return rows[i].Pact.PublicationID > rows[j].Pact.PublicationID
		}
		return providerOrder(rows[i]) > providerOrder(rows[j])
	})
}

// markIgnored flags the rows an ignore selector names, and warns about ignore selectors that
// name nothing.
func (m *matrix) markIgnored() ([]string, error) {
	type ignored struct {
		name    string
		version int64 // 0: every version
	}
	var list []ignored
	var warnings []string
	for _, ig := range m.q.Ignore {
		p, err := m.data.MatrixPacticipant(m.ctx, ig.Pacticipant)
		if errors.Is(err, ErrNotFound) {
			warnings = append(warnings, fmt.Sprintf("WARNING: Cannot ignore any version of %s (no such pacticipant exists)", ig.Pacticipant))
			continue
		}
		if err != nil {
			return nil, err
		}
		if ig.Version == "" {
			list = append(list, ignored{name: p.Name})
			continue
		}
		found, err := m.data.MatrixVersions(m.ctx, []PacticipantRef{p}, VersionCriteria{Number: ig.Version})
		if err != nil {
			return nil, err
		}
		vs := found[p.ID]
		if len(vs) == 0 {
			warnings = append(warnings, fmt.Sprintf("WARNING: Cannot ignore version %s of %s (no such version exists)", ig.Version, p.Name))
			continue
		}
		list = append(list, ignored{name: p.Name, version: vs[0].ID})
	}
	matches := func(name string, v *VersionRef) bool {
		for _, ig := range list {
			if ig.name == name && (ig.version == 0 || (v != nil && v.ID == ig.version)) {
				return true
			}
		}
		return false
	}
	for i := range m.rows {
		r := &m.rows[i]
		r.Ignored = matches(r.Consumer, &r.ConsumerVersion) || matches(r.Provider, r.ProviderVersion)
	}
	for _, s := range m.specified {
		s.ignored = matches(s.pacticipant.Name, nil)
	}
	return warnings, nil
}

// summarise applies the deployability rules.
func (m *matrix) summarise(ignoreWarnings []string) *MatrixResult {
	res := &MatrixResult{}
	var considered, ignoredRows []MatrixRow
	for _, r := range m.rows {
		if r.Ignored {
			ignoredRows = append(ignoredRows, r)
		} else {
			considered = append(considered, r)
		}
	}
	for _, r := range considered {
		switch s := r.Success(); {
		case s == nil:
			res.Counts.Unknown++
		case *s:
			res.Counts.Success++
		default:
			res.Counts.Failed++
		}
	}
	var missingIntegrations []integration
	for _, in := range m.integrations {
		if !in.required || m.hasRow(in) {
			continue
		}
		cs := m.byName[in.consumer.Name]
		if !cs.all && len(cs.versions) == 0 {
			continue // the consumer version does not exist: reported as such
		}
		missingIntegrations = append(missingIntegrations, in)
	}
	res.Counts.Unknown += len(missingIntegrations)
	if len(m.q.Ignore) > 0 {
		n := len(ignoredRows)
		res.Counts.Ignored = &n
	}

	var missingSpecified []*resolved
	for _, s := range m.specified {
		if s.missing && !s.ignored {
			missingSpecified = append(missingSpecified, s)
		}
	}
	var deployable *bool
	switch {
	case len(missingSpecified) > 0:
		deployable = boolPtr(false)
	case res.Counts.Unknown > 0:
		deployable = nil
	default:
		deployable = boolPtr(res.Counts.Failed == 0)
	}
	res.Deployable = deployable

	var notices []Notice
	warn := func(text string) { notices = append(notices, Notice{Type: NoticeWarning, Text: text}) }
	if len(m.specified) == 1 && m.q.Tag == "" && m.q.Environment == "" && !m.q.MainBranch && m.q.Branch == "" {
		warn("WARN: It is recommended to specify the environment into which you are deploying. Without the environment, this result will not be reliable.")
	}
	hasVersion := false
	for _, s := range m.q.Selectors {
		hasVersion = hasVersion || s.Version != ""
	}
	if !hasVersion {
		warn("WARN: It is recommended to specify the version number (rather than the tag or branch) of the pacticipant you wish to deploy to avoid race conditions. Without a version number, this result will not be reliable.")
	}
	var errs []Notice
	addErr := func(ignored bool, text string) {
		if ignored {
			errs = append(errs, Notice{Type: NoticeInfo, Text: "[IGNORED] " + text})
		} else {
			errs = append(errs, Notice{Type: NoticeError, Text: text})
		}
	}
	for _, s := range m.specified {
		if s.missing {
			addErr(s.ignored, describeMissing(s))
		}
	}
	if len(errs) == 0 {
		for _, in := range missingIntegrations {
			addErr(false, fmt.Sprintf("There is no verified pact between %s and %s", m.describe(in.consumer.Name, nil), m.describe(in.provider.Name, nil)))
		}
		for _, group := range [][]MatrixRow{considered, ignoredRows} {
			for _, r := range group {
				s := r.Success()
				switch {
				case s == nil || *s:
				case r.Verification.IsBidirectional():
					for _, text := range m.bidirectionalFailures(r) {
						addErr(r.Ignored, text)
					}
				default:
					addErr(r.Ignored, fmt.Sprintf("The verification for the pact between %s and %s failed",
						m.describe(r.Consumer, &r.ConsumerVersion), m.describe(r.Provider, r.ProviderVersion)))
				}
			}
		}
		for _, group := range [][]MatrixRow{considered, ignoredRows} {
			for _, r := range group {
				if r.Success() == nil {
					addErr(r.Ignored, fmt.Sprintf("There is no verified pact between %s and %s",
						m.describe(r.Consumer, &r.ConsumerVersion), m.describe(r.Provider, r.ProviderVersion)))
				}
			}
		}
	}
	switch {
	case len(errs) > 0:
		notices = append(notices, uniqueNotices(errs)...)
	case len(considered) > 0:
		notices = append(notices, Notice{Type: NoticeSuccess, Text: "All required verification results are published and successful"})
	default:
		notices = append(notices, Notice{Type: NoticeSuccess, Text: "There are no missing dependencies"})
	}
	for _, w := range ignoreWarnings {
		warn(w)
	}
	res.Notices = notices

	res.Rows = append(considered, ignoredRows...)
	res.TotalRows = len(res.Rows)
	if m.q.Limit > 0 && len(res.Rows) > m.q.Limit {
		res.Rows = res.Rows[:m.q.Limit]
	}
	return res
}

// bidirectionalFailures says which checks of a failed bidirectional row failed: the pact's
// compatibility with the provider contract, the contract's self-verification, or both.
func (m *matrix) bidirectionalFailures(r MatrixRow) []string {
	v := r.Verification
	contract := fmt.Sprintf("the OpenAPI document of version %s of %s", v.ProviderVersion.Number, r.Provider)
	var out []string
	if !v.Compatible {
		text := fmt.Sprintf("The pact between %s and %s is not compatible with %s",
			m.describe(r.Consumer, &r.ConsumerVersion), m.describe(r.Provider, r.ProviderVersion), contract)
		if v.Findings != "" {
			text += ": " + v.Findings
		}
		out = append(out, text)
	}
	switch {
	case v.SelfVerified == nil:
		out = append(out, fmt.Sprintf("No self-verification results were published for %s", contract))
	case !*v.SelfVerified:
		out = append(out, fmt.Sprintf("The self-verification of %s failed", contract))
	}
	return out
}

func (m *matrix) hasRow(in integration) bool {
	for _, r := range m.rows {
		if r.Consumer == in.consumer.Name && r.Provider == in.provider.Name {
			return true
		}
	}
	return false
}

// describe names the versions of a pacticipant a row or integration is about, in the words
// of the selector that chose them.
func (m *matrix) describe(name string, v *VersionRef) string {
	r := m.byName[name]
	if r == nil {
		if v != nil {
			return fmt.Sprintf("version %s of %s", v.Number, name)
		}
		return "any version of " + name
	}
	sel := r.sel
	number := ""
	if v != nil {
		number = v.Number
	} else if len(r.versions) == 1 {
		number = r.versions[0].Number
	}
	if number == "" && sel.Version != "" {
		number = sel.Version
	}
	suffix := func(none string) string {
		if number != "" && !(r.missing && sel.Version != "") {
			return " (" + number + ")"
		}
		return " (" + none + ")"
	}
	prefix := "the version"
	if len(r.versions) > 1 {
		prefix = "one of the versions"
	}
	switch {
	case sel.Latest && sel.Tag != "":
		return fmt.Sprintf("the latest version of %s with tag %s%s", name, sel.Tag, suffix("no such version exists"))
	case sel.MainBranch && sel.Latest:
		return fmt.Sprintf("the latest version of %s from the main branch%s", name, suffix("no such version exists"))
	case sel.MainBranch:
		if number == "" {
			return fmt.Sprintf("a version of %s from the main branch (no such version exists)", name)
		}
		return fmt.Sprintf("%s of %s from the main branch (%s)", prefix, name, number)
	case sel.Latest && sel.Branch != "":
		return fmt.Sprintf("the latest version of %s from branch %s%s", name, sel.Branch, suffix("no such version exists"))
	case sel.Branch != "":
		if number == "" {
			return fmt.Sprintf("a version of %s from branch %s (no such version exists)", name, sel.Branch)
		}
		return fmt.Sprintf("%s of %s from branch %s (%s)", prefix, name, sel.Branch, number)
	case sel.Latest:
		return fmt.Sprintf("the latest version of %s%s", name, suffix("no such version exists"))
	case sel.Tag != "":
		return fmt.Sprintf("a version of %s with tag %s%s", name, sel.Tag, suffix("no such version exists"))
	case sel.Environment != "":
		if number == "" {
			return fmt.Sprintf("a version of %s currently in %s (no version is currently recorded as deployed/released in this environment)", name, sel.Environment)
		}
		return fmt.Sprintf("%s of %s currently in %s (%s)", prefix, name, sel.Environment, number)
	case sel.Version != "" && r.missing:
		return fmt.Sprintf("version %s of %s (no such version exists)", sel.Version, name)
	case number != "":
		return fmt.Sprintf("version %s of %s", number, name)
	}
	return "any version of " + name
}

func describeMissing(s *resolved) string {
	name, orig := s.pacticipant.Name, s.sel
	switch {
	case orig.Tag != "":
		return fmt.Sprintf("No version with tag %s exists for %s", orig.Tag, name)
	case orig.Branch != "":
		return fmt.Sprintf("No version of %s from branch %s exists", name, orig.Branch)
	case orig.MainBranch:
		return fmt.Sprintf("No version of %s from the main branch exists", name)
	case orig.Environment != "":
		return fmt.Sprintf("No version of %s is currently recorded as deployed or released in environment %s", name, orig.Environment)
	case orig.Version != "":
		return fmt.Sprintf("No pacts or verifications have been published for version %s of %s", orig.Version, name)
	}
	return fmt.Sprintf("No pacts or verifications have been published for %s", name)
}

func uniqueNotices(list []Notice) []Notice {
	seen := map[string]bool{}
	var out []Notice
	for _, n := range list {
		if !seen[n.Text] {
			seen[n.Text] = true
			out = append(out, n)
		}
	}
	return out
}

func ids(vs []VersionRef) []int64 {
	out := make([]int64, len(vs))
	for i, v := range vs {
		out[i] = v.ID
	}
	return out
}

func dedupe(list []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, x := range list {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func boolPtr(b bool) *bool { return &b }
