package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/openapi"
)

// Read-only queries for the web pages (broker/ui): what a person browses but no Pact client
// asks for. Every list is bounded by a limit and walks an index; the matrix itself is never
// computed here (the pages call broker.Matrix over the MatrixData queries).

// Integration statuses, by the latest verification of an integration's latest pact.
const (
	StatusSuccess    = "success"
	StatusFailed     = "failed"
	StatusUnverified = "unverified"
)

// IntegrationQuery filters and pages the integrations.
type IntegrationQuery struct {
	Search      string // part of the consumer's or the provider's name, in any case
	Status      string // StatusSuccess, StatusFailed or StatusUnverified; "" for all
	Environment string // only integrations with a side deployed or released in this environment
	Limit       int    // at most this many (required)
	Offset      int
}

// IntegrationStatus is an integration, its latest pact (no content) and the latest
// verification of that pact's content.
type IntegrationStatus struct {
	Consumer     string
	Provider     string
	Pact         *broker.Pact         // nil when every pact of the integration was deleted
	Verification *broker.Verification // nil when the content was never verified
}

// PactStatus is a consumer version's pact (no content) and the latest verification of its
// content.
type PactStatus struct {
	Pact         broker.Pact
	Verification *broker.Verification
}

// statusRow is read by the integration and pact-history queries.
type statusRow struct {
	Consumer         string
	Provider         string
	PublicationID    *int64
	Revision         *int
	PublishedAt      *time.Time
	ConsumerVersion  *string
	SHA              *string `gorm:"column:sha"`
	VerificationID   *int64
	Success          *bool
	VerifiedAt       *time.Time
	ProviderVersion  *string
	VerificationPend *bool `gorm:"column:verification_pending"`
}

func (r statusRow) pact() *broker.Pact {
	if r.PublicationID == nil {
		return nil
	}
	return &broker.Pact{ID: *r.PublicationID, Consumer: r.Consumer, Provider: r.Provider, ConsumerVersion: deref(r.ConsumerVersion),
		Revision: deref(r.Revision), SHA: deref(r.SHA), CreatedAt: deref(r.PublishedAt)}
}

func (r statusRow) verification() *broker.Verification {
	if r.VerificationID == nil {
		return nil
	}
	return &broker.Verification{ID: *r.VerificationID, Consumer: r.Consumer, Provider: r.Provider, ProviderVersion: deref(r.ProviderVersion),
		PactSHA: deref(r.SHA), Success: deref(r.Success), Pending: deref(r.VerificationPend), ExecutionDate: deref(r.VerifiedAt),
		CreatedAt: deref(r.VerifiedAt), ConsumerVersion: deref(r.ConsumerVersion)}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// statusColumns reads a pact publication (pp, cv, pv) and its content's latest verification
// (vf, pver).
const statusColumns = `pp.id AS publication_id, pp.revision, pp.created_at AS published_at, cv.number AS consumer_version,
	pv.sha, vf.id AS verification_id, vf.success, vf.created_at AS verified_at, pver.number AS provider_version,
	vf.pact_pending AS verification_pending`

// withLatestVerification turns a query of publication_id, consumer_version_id and
// pact_version_id into the common table st with, for each row, the id of its content's
// latest verification: the newest by time, found with an index-only look-up on
// verifications_success, then the highest id of that time. In two materialised steps, so
// that neither database re-runs the first look-up for each row of the second.
func withLatestVerification(rows string) string {
	return `WITH st0 AS MATERIALIZED (SELECT r.*, (SELECT MAX(v2.created_at) FROM verifications v2 WHERE v2.pact_version_id = r.pact_version_id) AS verified_at
			FROM (` + rows + `) r),
		st AS MATERIALIZED (SELECT st0.*, (SELECT MAX(v3.id) FROM verifications v3
			WHERE v3.pact_version_id = st0.pact_version_id AND v3.created_at = st0.verified_at) AS verification_id FROM st0) `
}

// statusJoins adds to a row of publication_id, consumer_version_id, pact_version_id and
// verification_id (st) the publication, its version, its content and the verification.
const statusJoins = `
	LEFT JOIN pact_publications pp ON pp.id = st.publication_id
	LEFT JOIN versions cv ON cv.id = st.consumer_version_id
	LEFT JOIN pact_versions pv ON pv.id = st.pact_version_id
	LEFT JOIN verifications vf ON vf.id = st.verification_id
	LEFT JOIN versions pver ON pver.id = vf.provider_version_id`

// IntegrationStatuses lists integrations by consumer then provider name, with the total that
// match the query. Each integration's latest pact and verification are found first, in a
// materialised step (a few index look-ups each), so that a filter on the result never turns
// into a scan of every verification.
func (s *Store) IntegrationStatuses(ctx context.Context, q IntegrationQuery) ([]IntegrationStatus, int, error) {
	db := s.read(ctx)
	var where []string
	var args []any
	if q.Search != "" {
		like := "%" + strings.ToLower(escapeLike(q.Search)) + "%"
		where = append(where, "(LOWER(c.name) LIKE ? OR LOWER(p.name) LIKE ?)")
		args = append(args, like, like)
	}
	if q.Environment != "" {
		where = append(where, `(EXISTS (SELECT 1 FROM deployed_versions d WHERE d.environment_id = (SELECT id FROM environments WHERE name = ?)
			AND d.undeployed_at IS NULL AND d.pacticipant_id IN (st.consumer_id, st.provider_id))
		OR EXISTS (SELECT 1 FROM released_versions r WHERE r.environment_id = (SELECT id FROM environments WHERE name = ?)
			AND r.support_ended_at IS NULL AND r.pacticipant_id IN (st.consumer_id, st.provider_id)))`)
		args = append(args, q.Environment, q.Environment)
	}
	switch q.Status {
	case "":
	case StatusSuccess:
		where = append(where, "vf.success = ?")
		args = append(args, true)
	case StatusFailed:
		where = append(where, "vf.success = ?")
		args = append(args, false)
	case StatusUnverified:
		where = append(where, "vf.id IS NULL")
	default:
		return nil, 0, broker.Invalid("status", "must be %s, %s or %s", StatusSuccess, StatusFailed, StatusUnverified)
	}
	from := withLatestVerification(`SELECT i.consumer_id, i.provider_id, lp.publication_id, lp.consumer_version_id, lp.pact_version_id
		FROM integrations i
		LEFT JOIN latest_pact_publications lp ON lp.provider_id = i.provider_id AND lp.consumer_id = i.consumer_id
			AND lp.consumer_version_id = (SELECT MAX(lp2.consumer_version_id) FROM latest_pact_publications lp2
				WHERE lp2.provider_id = i.provider_id AND lp2.consumer_id = i.consumer_id)`) + `
		SELECT c.name AS consumer, p.name AS provider, ` + statusColumns + `, COUNT(*) OVER () AS total
		FROM st JOIN pacticipants c ON c.id = st.consumer_id JOIN pacticipants p ON p.id = st.provider_id` + statusJoins
	if len(where) > 0 {
		from += " WHERE " + strings.Join(where, " AND ")
	}
	var rows []struct {
		Row   statusRow `gorm:"embedded"`
		Total int
	}
	err := db.Raw(from+" ORDER BY c.name, p.name LIMIT ? OFFSET ?", append(args, max(q.Limit, 1), max(q.Offset, 0))...).Scan(&rows).Error
	if err != nil {
		return nil, 0, translate(err)
	}
	total := 0
	if len(rows) > 0 {
		total = rows[0].Total
	} else if q.Offset > 0 {
		// Past the last page: count without it.
		var all []struct{ Total int }
		if err := db.Raw(from+" LIMIT 1", args...).Scan(&all).Error; err != nil {
			return nil, 0, translate(err)
		}
		if len(all) > 0 {
			total = all[0].Total
		}
	}
	out := make([]IntegrationStatus, len(rows))
	for i, r := range rows {
		out[i] = IntegrationStatus{Consumer: r.Row.Consumer, Provider: r.Row.Provider, Pact: r.Row.pact(), Verification: r.Row.verification()}
	}
	return out, total, nil
}

// PactHistory lists the latest pacts of up to limit consumer versions of an integration,
// newest first, each with its content's latest verification, and how many there are in all.
func (s *Store) PactHistory(ctx context.Context, consumer, provider string, limit int) ([]PactStatus, int, error) {
	db := s.read(ctx)
	c, err := pacticipantByName(db, consumer)
	if err != nil {
		return nil, 0, err
	}
	p, err := pacticipantByName(db, provider)
	if err != nil {
		return nil, 0, err
	}
	var total int64
	if err := db.Raw(`SELECT COUNT(*) FROM latest_pact_publications WHERE provider_id = ? AND consumer_id = ?`, p.ID, c.ID).Scan(&total).Error; err != nil {
		return nil, 0, translate(err)
	}
	if total == 0 {
		return nil, 0, broker.NotFound("pacts between %q and %q", consumer, provider)
	}
	var rows []statusRow
	err = db.Raw(withLatestVerification(`SELECT lp.publication_id, lp.consumer_version_id, lp.pact_version_id
			FROM latest_pact_publications lp WHERE lp.provider_id = ? AND lp.consumer_id = ?
			ORDER BY lp.consumer_version_id DESC LIMIT ?`)+`SELECT ? AS consumer, ? AS provider, `+statusColumns+`
		FROM st`+statusJoins+` ORDER BY st.consumer_version_id DESC`, p.ID, c.ID, max(limit, 1), c.Name, p.Name).Scan(&rows).Error
	if err != nil {
		return nil, 0, translate(err)
	}
	out := make([]PactStatus, len(rows))
	for i, r := range rows {
		out[i] = PactStatus{Pact: *r.pact(), Verification: r.verification()}
	}
	return out, int(total), nil
}

// PreviousDistinctPact is the pact, with its content, of the latest consumer version older
// than the given one whose content differs from sha.
func (s *Store) PreviousDistinctPact(ctx context.Context, consumer, provider, version, sha string) (broker.Pact, error) {
	db := s.read(ctx)
	c, err := pacticipantByName(db, consumer)
	if err != nil {
		return broker.Pact{}, err
	}
	p, err := pacticipantByName(db, provider)
	if err != nil {
		return broker.Pact{}, err
	}
	v, err := versionByNumber(db, c, version)
	if err != nil {
		return broker.Pact{}, err
	}
	var rows []pactRow
	err = db.Raw(pactSelect(true)+`WHERE lp.provider_id = ? AND lp.consumer_id = ? AND lp.consumer_version_id < ? AND pv.sha <> ?
		ORDER BY lp.consumer_version_id DESC LIMIT 1`, p.ID, c.ID, v.ID, sha).Scan(&rows).Error
	if err != nil {
		return broker.Pact{}, translate(err)
	}
	if len(rows) == 0 {
		return broker.Pact{}, broker.NotFound("pact between %q and %q older than version %q with other content", consumer, provider, version)
	}
	return rows[0].pact(), nil
}

// PactVerifications lists up to limit results for a pact's content, newest first.
func (s *Store) PactVerifications(ctx context.Context, consumer, provider, sha string, limit int) ([]broker.Verification, error) {
	db := s.read(ctx)
	pv, _, _, err := pactVersionBySHA(db, consumer, provider, sha)
	if err != nil {
		return nil, err
	}
	var ids []int64
	if err := db.Raw(`SELECT id FROM verifications WHERE pact_version_id = ? ORDER BY id DESC LIMIT ?`, pv.ID, max(limit, 1)).Scan(&ids).Error; err != nil {
		return nil, translate(err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	found, err := verificationsWhere(db, "vf.id IN ?", ids)
	if err != nil {
		return nil, translate(err)
	}
	sort.Slice(found, func(i, j int) bool { return found[i].ID > found[j].ID })
	return found, nil
}

// VerificationByID finds a verification result by its number alone.
func (s *Store) VerificationByID(ctx context.Context, id int64) (broker.Verification, error) {
	found, err := verificationsWhere(s.read(ctx), "vf.id = ?", id)
	if err != nil {
		return broker.Verification{}, translate(err)
	}
	if len(found) == 0 {
		return broker.Verification{}, broker.NotFound("verification result %d", id)
	}
	return found[0], nil
}

// CurrentVersions lists what is deployed and released now: of the named pacticipants (all
// when names is nil), in one environment (all when environment is "").
func (s *Store) CurrentVersions(ctx context.Context, names []string, environment string) ([]broker.DeployedVersion, []broker.ReleasedVersion, error) {
	if names != nil && len(names) == 0 {
		return nil, nil, nil
	}
	db := s.read(ctx)
	dWhere, rWhere := "d.undeployed_at IS NULL", "r.support_ended_at IS NULL"
	var args []any
	if names != nil {
		dWhere += " AND p.name IN ?"
		rWhere += " AND p.name IN ?"
		args = append(args, names)
	}
	if environment != "" {
		dWhere += " AND e.name = ?"
		rWhere += " AND e.name = ?"
		args = append(args, environment)
	}
	deployed, err := deployedVersionsWhere(db, dWhere, args...)
	if err != nil {
		return nil, nil, translate(err)
	}
	released, err := releasedVersionsWhere(db, rWhere, args...)
	if err != nil {
		return nil, nil, translate(err)
	}
	return unwrapDeployed(deployed), unwrapReleased(released), nil
}

// Kinds of deployment events.
const (
	EventDeployed     = "deployed"
	EventUndeployed   = "undeployed"
	EventReleased     = "released"
	EventSupportEnded = "support-ended"
)

// HistoryQuery pages the deployment history, optionally of one environment or pacticipant.
type HistoryQuery struct {
	Environment string
	Pacticipant string
	Limit       int // required
	Offset      int
}

// DeploymentEvent is one change to what runs where.
type DeploymentEvent struct {
	Kind        string
	At          time.Time
	Pacticipant string
	Version     string
	VersionID   int64 // orders a pacticipant's versions by creation
	Environment broker.Environment
	Instance    *string // the application instance of a deployment
	Current     bool    // the deployment or release is still in place
	RecordID    int64   // the deployed or released version record
}

// DeploymentHistory lists deployments, undeployments, releases and ends of support, newest
// first.
func (s *Store) DeploymentHistory(ctx context.Context, q HistoryQuery) ([]DeploymentEvent, error) {
	db := s.read(ctx)
	n := max(q.Limit, 1) + max(q.Offset, 0)
	dFilter, rFilter, fargs := "", "", []any{}
	if q.Environment != "" {
		env, err := s.MatrixEnvironment(ctx, q.Environment)
		if err != nil {
			return nil, err
		}
		dFilter += " AND d.environment_id = ?"
		rFilter += " AND r.environment_id = ?"
		fargs = append(fargs, env.ID)
	}
	if q.Pacticipant != "" {
		p, err := pacticipantByName(db, q.Pacticipant)
		if err != nil {
			return nil, err
		}
		dFilter += " AND d.pacticipant_id = ?"
		rFilter += " AND r.pacticipant_id = ?"
		fargs = append(fargs, p.ID)
	}
	// Deployments and releases are recorded as they happen, so their ids follow time and
	// the primary key orders them; only the ends of each need a sort.
	branch := func(kind, at, table, alias, filter, cond, current, order string) string {
		target := "NULL"
		if table == "deployed_versions" {
			target = alias + ".target"
		}
		return `SELECT * FROM (SELECT '` + kind + `' AS kind, ` + at + ` AS at, ` + alias + `.id AS record_id, ` + alias + `.pacticipant_id,
			` + alias + `.version_id, ` + alias + `.environment_id, ` + target + ` AS instance, ` + current + ` AS current
			FROM ` + table + ` ` + alias + ` WHERE ` + cond + filter + ` ORDER BY ` + order + ` DESC LIMIT ?) AS ` + alias + `_` + strings.ReplaceAll(kind, "-", "_")
	}
	var parts []string
	var args []any
	add := func(sql string) {
		parts = append(parts, sql)
		args = append(args, fargs...)
		args = append(args, n)
	}
	add(branch(EventDeployed, "d.created_at", "deployed_versions", "d", dFilter, "1 = 1", "d.undeployed_at IS NULL", "d.id"))
	add(branch(EventUndeployed, "d.undeployed_at", "deployed_versions", "d", dFilter, "d.undeployed_at IS NOT NULL", "1 = 0", "d.undeployed_at"))
	add(branch(EventReleased, "r.created_at", "released_versions", "r", rFilter, "1 = 1", "r.support_ended_at IS NULL", "r.id"))
	add(branch(EventSupportEnded, "r.support_ended_at", "released_versions", "r", rFilter, "r.support_ended_at IS NOT NULL", "1 = 0", "r.support_ended_at"))
	var rows []struct {
		Kind          string
		At            time.Time
		RecordID      int64
		PacticipantID int64
		VersionID     int64
		EnvironmentID int64
		Instance      *string
		Current       bool
	}
	sql := `SELECT ev.* FROM (` + strings.Join(parts, " UNION ALL ") + `) ev ORDER BY ev.at DESC, ev.record_id DESC, ev.kind LIMIT ? OFFSET ?`
	if err := db.Raw(sql, append(args, max(q.Limit, 1), max(q.Offset, 0))...).Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	// Names, numbers and environments for the page's events, a query each.
	pIDs, vIDs, eIDs := map[int64]bool{}, map[int64]bool{}, map[int64]bool{}
	for _, r := range rows {
		pIDs[r.PacticipantID], vIDs[r.VersionID], eIDs[r.EnvironmentID] = true, true, true
	}
	var ps []pacticipantRow
	if err := db.Select("id, name").Where("id IN ?", keys(pIDs)).Find(&ps).Error; err != nil {
		return nil, translate(err)
	}
	var vs []versionRow
	if err := db.Select("id, number").Where("id IN ?", keys(vIDs)).Find(&vs).Error; err != nil {
		return nil, translate(err)
	}
	var es []environmentRow
	if err := db.Where("id IN ?", keys(eIDs)).Find(&es).Error; err != nil {
		return nil, translate(err)
	}
	names, numbers, envs := map[int64]string{}, map[int64]string{}, map[int64]broker.Environment{}
	for _, p := range ps {
		names[p.ID] = p.Name
	}
	for _, v := range vs {
		numbers[v.ID] = v.Number
	}
	for _, e := range es {
		envs[e.ID] = toEnvironment(e)
	}
	out := make([]DeploymentEvent, len(rows))
	for i, r := range rows {
		out[i] = DeploymentEvent{Kind: r.Kind, At: r.At, Pacticipant: names[r.PacticipantID], Version: numbers[r.VersionID], VersionID: r.VersionID,
			Environment: envs[r.EnvironmentID], Instance: r.Instance, Current: r.Current, RecordID: r.RecordID}
	}
	return out, nil
}

func keys(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Bi-directional results as the pages show them: the comparisons already stored, never
// computed here (the matrix and the API compare what was never compared when they need it).

// ComparisonDetail is a stored comparison of a pact with a provider version's contract, with
// that version's self-verification.
type ComparisonDetail struct {
	Comparison broker.Comparison
	// SelfVerification is nil when the provider version published none; SelfVerifiedAt is
	// when its contract publication was last updated.
	SelfVerification *broker.SelfVerification
	SelfVerifiedAt   time.Time
}

// ProviderComparisons are the stored comparisons of a provider version's contract with the
// pacts that matter to it.
type ProviderComparisons struct {
	Comparisons []broker.Comparison // newest pact content first, with their reports
	Total       int                 // pacts that matter with a stored comparison
	NotCompared int                 // pacts that matter never compared with this contract
}

// contractPublicationOf is a provider version's contract publication, with its
// self-verification as stored.
func contractPublicationOf(db *gorm.DB, provider pacticipantRow, version string) (contractPublication, *string, error) {
	var rows []struct {
		Pub              contractPublication `gorm:"embedded"`
		SelfVerification *string
	}
	err := db.Raw(`SELECT pcp.provider_id, pcp.provider_version_id, pcp.contract_version_id, pcp.self_verified, pcp.updated_at,
		v.number, v.created_at AS version_created_at, pcp.self_verification
		FROM provider_contract_publications pcp JOIN versions v ON v.id = pcp.provider_version_id
		WHERE pcp.provider_id = ? AND v.number = ?`, provider.ID, version).Scan(&rows).Error
	if err != nil {
		return contractPublication{}, nil, translate(err)
	}
	if len(rows) == 0 {
		return contractPublication{}, nil, broker.NotFound("provider contract for version %q of %q", version, provider.Name)
	}
	return rows[0].Pub, rows[0].SelfVerification, nil
}

// ProviderContractComparison is the stored comparison with this id, provided it judged the
// contract of the provider version: the id alone names a pair of contents, which many
// provider versions may share, and the self-verification belongs to one of them.
func (s *Store) ProviderContractComparison(ctx context.Context, provider, version string, id int64) (ComparisonDetail, error) {
	db := s.read(ctx)
	p, err := pacticipantByName(db, provider)
	if err != nil {
		return ComparisonDetail{}, err
	}
	pub, self, err := contractPublicationOf(db, p, version)
	if err != nil {
		return ComparisonDetail{}, err
	}
	var rows []comparisonRow
	if err := db.Where("id = ? AND contract_version_id = ?", id, pub.ContractVersionID).Limit(1).Find(&rows).Error; err != nil {
		return ComparisonDetail{}, translate(err)
	}
	if len(rows) == 0 {
		return ComparisonDetail{}, broker.NotFound("comparison %d with the provider contract of %q version %q", id, provider, version)
	}
	row := rows[0]
	found := map[contentPair]comparisonRow{{row.PactVersionID, row.ContractVersionID}: row}
	list, err := s.describeComparisons(ctx, p.Name, pub, []int64{row.PactVersionID}, found, nil)
	if err != nil {
		return ComparisonDetail{}, err
	}
	if len(list) == 0 { // the pact was deleted meanwhile
		return ComparisonDetail{}, broker.NotFound("comparison %d with the provider contract of %q version %q", id, provider, version)
	}
	out := ComparisonDetail{Comparison: list[0], SelfVerifiedAt: pub.UpdatedAt}
	if self != nil {
		out.SelfVerification = readSelfVerification(*self)
	}
	return out, nil
}

// ProviderContractComparisons lists the stored comparisons of a provider version's contract
// with the pacts that matter to it (those of consumer versions deployed or released, and of
// each consumer's latest version and latest on its main branch): at most limit, newest pact
// content first, with their reports, and how many of those pacts were never compared.
func (s *Store) ProviderContractComparisons(ctx context.Context, provider, version string, limit int) (ProviderComparisons, error) {
	db := s.read(ctx)
	p, err := pacticipantByName(db, provider)
	if err != nil {
		return ProviderComparisons{}, err
	}
	pub, _, err := contractPublicationOf(db, p, version)
	if err != nil {
		return ProviderComparisons{}, err
	}
	ids, err := pactsThatMatter(db, p.ID)
	if err != nil {
		return ProviderComparisons{}, translate(err)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] > ids[j] })
	pairs := make([]contentPair, len(ids))
	for i, id := range ids {
		pairs[i] = contentPair{id, pub.ContractVersionID}
	}
	// The verdicts first, then the reports of those shown only: a report can be large.
	verdicts := map[contentPair]comparisonRow{}
	if err := s.readComparisons(db, pairs, false, verdicts); err != nil {
		return ProviderComparisons{}, err
	}
	var shown []int64
	var shownPairs []contentPair
	out := ProviderComparisons{}
	for _, pair := range pairs {
		if _, ok := verdicts[pair]; !ok {
			out.NotCompared++
			continue
		}
		out.Total++
		if len(shown) < max(limit, 1) {
			shown = append(shown, pair.pact)
			shownPairs = append(shownPairs, pair)
		}
	}
	if len(shown) == 0 {
		return out, nil
	}
	reports := map[contentPair]comparisonRow{}
	if err := s.readComparisons(db, shownPairs, true, reports); err != nil {
		return ProviderComparisons{}, err
	}
	if out.Comparisons, err = s.describeComparisons(ctx, p.Name, pub, shown, reports, nil); err != nil {
		return ProviderComparisons{}, err
	}
	return out, nil
}

// PactComparisons lists up to limit stored comparisons of a pact's content with provider
// contracts (without their reports), newest contract first; each names the newest provider
// version that published the contract's content.
func (s *Store) PactComparisons(ctx context.Context, consumer, provider, sha string, limit int) ([]broker.Comparison, error) {
	db := s.read(ctx)
	pv, _, _, err := pactVersionBySHA(db, consumer, provider, sha)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ID              int64
		Success         bool
		Errors          int
		Warnings        int
		Summary         string
		CreatedAt       time.Time
		ContractSHA     string `gorm:"column:contract_sha"`
		ProviderVersion *string
	}
	err = db.Raw(`SELECT cc.id, cc.success, cc.errors, cc.warnings, cc.summary, cc.created_at, pcv.sha AS contract_sha,
		(SELECT v.number FROM provider_contract_publications pcp JOIN versions v ON v.id = pcp.provider_version_id
			WHERE pcp.contract_version_id = cc.contract_version_id ORDER BY pcp.provider_version_id DESC LIMIT 1) AS provider_version
		FROM contract_comparisons cc JOIN provider_contract_versions pcv ON pcv.id = cc.contract_version_id
		WHERE cc.pact_version_id = ? AND cc.profile = ? ORDER BY cc.contract_version_id DESC LIMIT ?`,
		pv.ID, comparisonKey, max(limit, 1)).Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make([]broker.Comparison, 0, len(rows))
	for _, r := range rows {
		if r.ProviderVersion == nil {
			continue // no provider version publishes that content any more
		}
		out = append(out, broker.Comparison{ID: r.ID, Consumer: consumer, Provider: provider, ProviderVersion: *r.ProviderVersion,
			PactSHA: sha, ContractSHA: r.ContractSHA, Profile: comparisonKey, Compatible: r.Success, Errors: r.Errors,
			Warnings: r.Warnings, Summary: r.Summary, CreatedAt: r.CreatedAt})
	}
	return out, nil
}

// LatestContractVersion is the number of a provider's latest version with a contract.
func (s *Store) LatestContractVersion(ctx context.Context, provider string) (string, error) {
	db := s.read(ctx)
	p, err := pacticipantByName(db, provider)
	if err != nil {
		return "", err
	}
	var numbers []string
	err = db.Raw(`SELECT v.number FROM provider_contract_publications pcp JOIN versions v ON v.id = pcp.provider_version_id
		WHERE pcp.provider_id = ? ORDER BY pcp.provider_version_id DESC LIMIT 1`, p.ID).Scan(&numbers).Error
	if err != nil {
		return "", translate(err)
	}
	if len(numbers) == 0 {
		return "", broker.NotFound("provider contract of %q", provider)
	}
	return numbers[0], nil
}

// ContractDocument is a provider contract's document, loaded: the one the comparisons keep
// in memory when it is there, so that a page does not parse a large document again.
func (s *Store) ContractDocument(ctx context.Context, pc broker.ProviderContract) (*openapi.Document, error) {
	if d := documents.get(pc.SHA); d != nil {
		return d, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d, err := openapi.Load(pc.Content)
	if err != nil {
		// It loaded when it was published; a newer loader refusing it is a bug to see.
		return nil, fmt.Errorf("load the provider contract of %s version %s: %w", pc.Provider, pc.ProviderVersion, err)
	}
	documents.put(d)
	return d, nil
}
