package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/openapi"
)

// Comparisons of pacts with provider contracts. Each is computed once per (pact content,
// contract content, profile) and stored in contract_comparisons: when a pact or a contract is
// published, against the versions that matter (deployed, released, the main branch's latest,
// the latest), and otherwise when the matrix or a read resource first needs it.

// comparisonProfile is what the comparisons are judged with: Treaty's default profile (a
// document's own x-opc-config-* settings override it). comparisonKey names it, with the
// comparator's version, in the stored rows: a new comparator or profile compares again.
var (
	comparisonProfile = openapi.DefaultProfile
	comparisonKey     = "treaty-openapi/1 " + comparisonProfile.String()
)

type comparisonRow struct {
	ID                int64 `gorm:"primaryKey"`
	PactVersionID     int64
	ContractVersionID int64
	Profile           string
	Success           bool
	Errors            int
	Warnings          int
	Summary           string
	Results           string
	CreatedAt         time.Time
}

func (comparisonRow) TableName() string { return "contract_comparisons" }

// contentPair is a pact content and a contract content to compare.
type contentPair struct{ pact, contract int64 }

// documents keeps the provider contracts loaded last, by content SHA: loading and indexing a
// large document costs far more than comparing a pact with it. A loaded document is a pure
// function of its content, so one cache serves every store in the process.
var documents = &documentCache{docs: map[string]*openapi.Document{}}

type documentCache struct {
	mu    sync.Mutex
	docs  map[string]*openapi.Document
	order []string // least recently used first
}

const documentCacheSize = 32

func (c *documentCache) get(sha string) *openapi.Document {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.docs[sha]
	if d != nil {
		c.touch(sha)
	}
	return d
}

func (c *documentCache) put(d *openapi.Document) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sha := d.SHA()
	if _, ok := c.docs[sha]; !ok && len(c.docs) >= documentCacheSize {
		delete(c.docs, c.order[0])
		c.order = c.order[1:]
	}
	c.docs[sha] = d
	c.touch(sha)
}

func (c *documentCache) touch(sha string) {
	for i, x := range c.order {
		if x == sha {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
	c.order = append(c.order, sha)
}

// ensureComparisons returns the comparisons of the pairs, computing and storing the missing
// ones. withResults reads the full reports too (the matrix needs only the verdicts).
func (s *Store) ensureComparisons(ctx context.Context, pairs []contentPair, withResults bool) (map[contentPair]comparisonRow, error) {
	out := map[contentPair]comparisonRow{}
	if len(pairs) == 0 {
		return out, nil
	}
	if err := s.readComparisons(s.read(ctx), pairs, withResults, out); err != nil {
		return nil, err
	}
	var missing []contentPair
	seen := map[contentPair]bool{}
	for _, p := range pairs {
		if _, ok := out[p]; !ok && !seen[p] {
			seen[p] = true
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	computed, err := s.compareContents(ctx, missing)
	if err != nil {
		return nil, err
	}
	err = s.write(ctx, func(tx *gorm.DB) error {
		for i := range computed {
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&computed[i]).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store comparisons: %w", err)
	}
	var raced []contentPair
	for _, c := range computed {
		p := contentPair{c.PactVersionID, c.ContractVersionID}
		if c.ID == 0 { // another request stored it first: read its row
			raced = append(raced, p)
			continue
		}
		if !withResults {
			c.Results = ""
		}
		out[p] = c
	}
	if len(raced) > 0 {
		if err := s.readComparisons(s.read(ctx), raced, withResults, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) readComparisons(db *gorm.DB, pairs []contentPair, withResults bool, out map[contentPair]comparisonRow) error {
	pactIDs, contractIDs := pairIDs(pairs)
	cols := "id, pact_version_id, contract_version_id, profile, success, errors, warnings, summary, created_at"
	if withResults {
		cols += ", results"
	}
	want := map[contentPair]bool{}
	for _, p := range pairs {
		want[p] = true
	}
	return translate(inChunks(contractIDs, func(cc []int64) error {
		return inChunks(pactIDs, func(pc []int64) error {
			var rows []comparisonRow
			err := db.Select(cols).Where("profile = ? AND contract_version_id IN ? AND pact_version_id IN ?", comparisonKey, cc, pc).Find(&rows).Error
			for _, r := range rows {
				if p := (contentPair{r.PactVersionID, r.ContractVersionID}); want[p] {
					out[p] = r
				}
			}
			return err
		})
	}))
}

func pairIDs(pairs []contentPair) (pacts, contracts []int64) {
	for _, p := range pairs {
		pacts = append(pacts, p.pact)
		contracts = append(contracts, p.contract)
	}
	return dedupeIDs(pacts), dedupeIDs(contracts)
}

func dedupeIDs(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// compareContents loads the contents of the pairs and compares them.
func (s *Store) compareContents(ctx context.Context, pairs []contentPair) ([]comparisonRow, error) {
	db := s.read(ctx)
	pactIDs, contractIDs := pairIDs(pairs)
	pacts := map[int64]string{}
	err := inChunks(pactIDs, func(chunk []int64) error {
		var rows []pactVersionRow
		err := db.Select("id, content").Where("id IN ?", chunk).Find(&rows).Error
		for _, r := range rows {
			pacts[r.ID] = r.Content
		}
		return err
	})
	if err != nil {
		return nil, translate(err)
	}
	docs := map[int64]*openapi.Document{}
	var toLoad []int64
	err = inChunks(contractIDs, func(chunk []int64) error {
		var rows []contractVersionRow
		err := db.Select("id, sha").Where("id IN ?", chunk).Find(&rows).Error
		for _, r := range rows {
			if d := documents.get(r.SHA); d != nil {
				docs[r.ID] = d
			} else {
				toLoad = append(toLoad, r.ID)
			}
		}
		return err
	})
	if err != nil {
		return nil, translate(err)
	}
	err = inChunks(toLoad, func(chunk []int64) error {
		var rows []contractVersionRow
		if err := db.Select("id, content").Where("id IN ?", chunk).Find(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			d, err := openapi.Load([]byte(r.Content))
			if err != nil {
				// It loaded when it was published; a newer loader refusing it is a bug to see.
				return fmt.Errorf("load provider contract %d: %w", r.ID, err)
			}
			documents.put(d)
			docs[r.ID] = d
		}
		return nil
	})
	if err != nil {
		return nil, translate(err)
	}
	out := make([]comparisonRow, 0, len(pairs))
	for _, p := range pairs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		content, ok := pacts[p.pact]
		doc := docs[p.contract]
		if !ok || doc == nil {
			continue // deleted meanwhile
		}
		row := s.compare(ctx, []byte(content), doc)
		row.PactVersionID, row.ContractVersionID = p.pact, p.contract
		out = append(out, row)
	}
	return out, nil
}

// compare judges one pact against one document. A pact without HTTP interactions is not
// compatible: the document says nothing about what it expects, and a "yes" from can-i-deploy
// would vouch for interactions nobody checked.
func (s *Store) compare(ctx context.Context, pactContent []byte, doc *openapi.Document) (row comparisonRow) {
	row = comparisonRow{Profile: comparisonKey, CreatedAt: s.now()}
	defer func() {
		// The comparator is fuzzed, but a panic here would fail every can-i-deploy that
		// needs this pair: record the pair as failed instead, and log it.
		if r := recover(); r != nil {
			s.log.ErrorContext(ctx, "comparing a pact with a provider contract panicked", "panic", r)
			row.Success, row.Errors, row.Summary = false, 1, "the comparison failed: an internal error (the broker's log has the details)"
			row.Results = `{"results":[],"notices":["the comparison failed: an internal error"]}`
		}
	}()
	pact, err := openapi.ParsePact(pactContent)
	var res openapi.Result
	switch {
	case err != nil:
		res = openapi.Result{Findings: []openapi.Finding{}, Notices: []string{"the pact cannot be compared: " + err.Error()}}
		row.Errors, row.Summary = 1, "the pact cannot be compared: "+err.Error()
	default:
		res = openapi.Compare(pact, doc, comparisonProfile)
		row.Success = res.Compatible() && pact.HTTPInteractions() > 0
		row.Errors, row.Warnings = len(res.Errors()), len(res.Warnings())
		switch {
		case pact.HTTPInteractions() == 0:
			row.Summary = "the pact has no HTTP interactions: there is nothing to compare with the OpenAPI document"
		case !row.Success:
			row.Summary = summarise(res.Errors())
		}
	}
	data, err := json.Marshal(res)
	if err != nil {
		data = []byte(`{"results":[]}`)
	}
	row.Results = string(data)
	row.Summary = cleanText(row.Summary)
	return row
}

// summarise says in one line what the first errors are.
func summarise(errs []openapi.Finding) string {
	const shown = 2
	var parts []string
	for i, f := range errs {
		if i == shown {
			parts = append(parts, fmt.Sprintf("and %d more", len(errs)-shown))
			break
		}
		msg := f.Message
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		parts = append(parts, fmt.Sprintf("%s %s (%s)", f.Code, msg, f.MockDetails.Location))
	}
	return strings.Join(parts, "; ")
}

// cleanText makes text storable in any database: valid UTF-8, no NUL.
func cleanText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// contractPublication is a provider version's contract, as the matrix reads it.
type contractPublication struct {
	ProviderID        int64
	ProviderVersionID int64
	ContractVersionID int64
	SelfVerified      *bool
	UpdatedAt         time.Time
	Number            string
	VersionCreatedAt  time.Time
}

const contractPublicationSelect = `SELECT pcp.provider_id, pcp.provider_version_id, pcp.contract_version_id, pcp.self_verified,
	pcp.updated_at, v.number, v.created_at AS version_created_at
	FROM provider_contract_publications pcp JOIN versions v ON v.id = pcp.provider_version_id WHERE `

// MatrixComparisons pairs the pact contents with the provider contracts of the provider
// versions (of every version of the pacts' providers when nil).
func (s *Store) MatrixComparisons(ctx context.Context, pactVersionIDs, providerVersionIDs []int64) ([]broker.MatrixVerification, error) {
	if len(pactVersionIDs) == 0 {
		return nil, nil
	}
	db := s.read(ctx)
	var pubs []contractPublication
	var err error
	if providerVersionIDs == nil {
		err = inChunks(pactVersionIDs, func(chunk []int64) error {
			var part []contractPublication
			err := db.Raw(contractPublicationSelect+"pcp.provider_id IN (SELECT DISTINCT provider_id FROM pact_versions WHERE id IN ?)", chunk).Scan(&part).Error
			pubs = append(pubs, part...)
			return err
		})
	} else {
		err = inChunks(providerVersionIDs, func(chunk []int64) error {
			var part []contractPublication
			err := db.Raw(contractPublicationSelect+"pcp.provider_version_id IN ?", chunk).Scan(&part).Error
			pubs = append(pubs, part...)
			return err
		})
	}
	if err != nil || len(pubs) == 0 {
		return nil, translate(err)
	}
	uniquePubs := map[int64]contractPublication{}
	for _, p := range pubs {
		uniquePubs[p.ProviderVersionID] = p
	}
	providerOf := map[int64]int64{}
	err = inChunks(pactVersionIDs, func(chunk []int64) error {
		var rows []pactVersionRow
		err := db.Select("id, provider_id").Where("id IN ?", chunk).Find(&rows).Error
		for _, r := range rows {
			providerOf[r.ID] = r.ProviderID
		}
		return err
	})
	if err != nil {
		return nil, translate(err)
	}
	type match struct {
		pact int64
		pub  contractPublication
	}
	var matches []match
	var pairs []contentPair
	for _, pact := range dedupeIDs(pactVersionIDs) {
		for _, pub := range uniquePubs {
			if providerOf[pact] == pub.ProviderID {
				matches = append(matches, match{pact, pub})
				pairs = append(pairs, contentPair{pact, pub.ContractVersionID})
			}
		}
	}
	found, err := s.ensureComparisons(ctx, pairs, false)
	if err != nil {
		return nil, err
	}
	out := make([]broker.MatrixVerification, 0, len(matches))
	for _, m := range matches {
		c, ok := found[contentPair{m.pact, m.pub.ContractVersionID}]
		if !ok {
			continue
		}
		v := broker.MatrixVerification{ID: c.ID, PactVersionID: m.pact, Kind: broker.VerificationBidirectional,
			ProviderVersion: broker.VersionRef{ID: m.pub.ProviderVersionID, Number: m.pub.Number, CreatedAt: m.pub.VersionCreatedAt},
			Compatible:      c.Success, Findings: c.Summary, SelfVerified: m.pub.SelfVerified, VerifiedAt: c.CreatedAt}
		v.Success = c.Success && m.pub.SelfVerified != nil && *m.pub.SelfVerified
		if m.pub.UpdatedAt.After(v.VerifiedAt) {
			v.VerifiedAt = m.pub.UpdatedAt
		}
		out = append(out, v)
	}
	return out, nil
}

// ContractComparisons compares pacts with a provider version's contract: one consumer
// version's pact, one pact content, or (with no consumer) the pacts that matter, along with
// every comparison already stored for the contract's content.
func (s *Store) ContractComparisons(ctx context.Context, q broker.ComparisonQuery) ([]broker.Comparison, error) {
	db := s.read(ctx)
	provider, err := pacticipantByName(db, q.Provider)
	if err != nil {
		return nil, err
	}
	where, args := "pcp.provider_id = ? AND v.number = ?", []any{provider.ID, q.ProviderVersion}
	if q.ProviderVersion == "" {
		where, args = "pcp.provider_version_id = (SELECT MAX(provider_version_id) FROM provider_contract_publications WHERE provider_id = ?)", []any{provider.ID}
	}
	var pubs []contractPublication
	if err := db.Raw(contractPublicationSelect+where, args...).Scan(&pubs).Error; err != nil {
		return nil, translate(err)
	}
	if len(pubs) == 0 {
		if q.ProviderVersion == "" {
			return nil, broker.NotFound("provider contract of %q", q.Provider)
		}
		return nil, broker.NotFound("provider contract for version %q of %q", q.ProviderVersion, q.Provider)
	}
	pub := pubs[0]
	var pactIDs []int64
	consumerVersion := map[int64]string{} // the version asked about, when one was
	switch {
	case q.Consumer == "":
		if pactIDs, err = pactsThatMatter(db, provider.ID); err != nil {
			return nil, translate(err)
		}
		var stored []int64
		if err := db.Model(&comparisonRow{}).Where("contract_version_id = ? AND profile = ?", pub.ContractVersionID, comparisonKey).
			Pluck("pact_version_id", &stored).Error; err != nil {
			return nil, translate(err)
		}
		pactIDs = dedupeIDs(append(pactIDs, stored...))
	case q.PactSHA != "":
		pv, _, _, err := pactVersionBySHA(db, q.Consumer, q.Provider, q.PactSHA)
		if err != nil {
			return nil, err
		}
		pactIDs = []int64{pv.ID}
	default:
		consumer, err := pacticipantByName(db, q.Consumer)
		if err != nil {
			return nil, err
		}
		var heads []latestPactPublicationRow
		query := db.Where("consumer_id = ? AND provider_id = ?", consumer.ID, provider.ID)
		if q.ConsumerVersion != "" {
			v, err := versionByNumber(db, consumer, q.ConsumerVersion)
			if err != nil {
				return nil, err
			}
			query = query.Where("consumer_version_id = ?", v.ID)
		}
		if err := query.Order("consumer_version_id DESC").Limit(1).Find(&heads).Error; err != nil {
			return nil, translate(err)
		}
		if len(heads) == 0 {
			return nil, broker.NotFound("pact between %q and %q", q.Consumer, q.Provider)
		}
		pactIDs = []int64{heads[0].PactVersionID}
		consumerVersion[heads[0].PactVersionID] = q.ConsumerVersion
	}
	pairs := make([]contentPair, len(pactIDs))
	for i, id := range pactIDs {
		pairs[i] = contentPair{id, pub.ContractVersionID}
	}
	found, err := s.ensureComparisons(ctx, pairs, true)
	if err != nil {
		return nil, err
	}
	return s.describeComparisons(ctx, q.Provider, pub, pactIDs, found, consumerVersion)
}

// describeComparisons names the consumer, its latest version with the content, and the
// contents' SHAs of each comparison, in the order of pactIDs.
func (s *Store) describeComparisons(ctx context.Context, provider string, pub contractPublication, pactIDs []int64,
	found map[contentPair]comparisonRow, consumerVersion map[int64]string) ([]broker.Comparison, error) {
	db := s.read(ctx)
	var contractSHA string
	if err := db.Model(&contractVersionRow{}).Where("id = ?", pub.ContractVersionID).Pluck("sha", &contractSHA).Error; err != nil {
		return nil, translate(err)
	}
	type pactInfo struct {
		ID              int64
		SHA             string `gorm:"column:sha"`
		Consumer        string
		ConsumerVersion *string
	}
	info := map[int64]pactInfo{}
	err := inChunks(pactIDs, func(chunk []int64) error {
		var rows []pactInfo
		err := db.Raw(`SELECT pv.id, pv.sha, c.name AS consumer,
			(SELECT cv.number FROM latest_pact_publications lp JOIN versions cv ON cv.id = lp.consumer_version_id
				WHERE lp.pact_version_id = pv.id ORDER BY lp.consumer_version_id DESC LIMIT 1) AS consumer_version
			FROM pact_versions pv JOIN pacticipants c ON c.id = pv.consumer_id WHERE pv.id IN ?`, chunk).Scan(&rows).Error
		for _, r := range rows {
			info[r.ID] = r
		}
		return err
	})
	if err != nil {
		return nil, translate(err)
	}
	out := make([]broker.Comparison, 0, len(pactIDs))
	for _, id := range pactIDs {
		c, ok := found[contentPair{id, pub.ContractVersionID}]
		in, known := info[id]
		if !ok || !known {
			continue
		}
		cmp := broker.Comparison{ID: c.ID, Consumer: in.Consumer, Provider: provider, ProviderVersion: pub.Number,
			PactSHA: in.SHA, ContractSHA: contractSHA, Profile: c.Profile, Compatible: c.Success, Errors: c.Errors,
			Warnings: c.Warnings, Summary: c.Summary, Results: json.RawMessage(c.Results), CreatedAt: c.CreatedAt}
		switch {
		case consumerVersion[id] != "":
			cmp.ConsumerVersion = consumerVersion[id]
		case in.ConsumerVersion != nil:
			cmp.ConsumerVersion = *in.ConsumerVersion
		}
		out = append(out, cmp)
	}
	return out, nil
}

// pactsThatMatter are the pact contents a new provider contract is compared with at once: the
// pacts of consumer versions deployed or released, of each consumer's latest version on its
// main branch, and of its latest version.
func pactsThatMatter(db *gorm.DB, providerID int64) ([]int64, error) {
	var ids []int64
	err := db.Raw(`SELECT DISTINCT lp.pact_version_id FROM latest_pact_publications lp WHERE lp.provider_id = ? AND (
		lp.consumer_version_id IN (SELECT version_id FROM deployed_versions WHERE undeployed_at IS NULL
			AND pacticipant_id IN (SELECT consumer_id FROM integrations WHERE provider_id = ?))
		OR lp.consumer_version_id IN (SELECT version_id FROM released_versions WHERE support_ended_at IS NULL
			AND pacticipant_id IN (SELECT consumer_id FROM integrations WHERE provider_id = ?))
		OR lp.consumer_version_id IN (SELECT MAX(lp2.consumer_version_id) FROM latest_pact_publications lp2
			JOIN branch_versions bv ON bv.version_id = lp2.consumer_version_id JOIN branches b ON b.id = bv.branch_id
			JOIN pacticipants c ON c.id = b.pacticipant_id AND b.name = c.main_branch
			WHERE lp2.provider_id = ? GROUP BY lp2.consumer_id)
		OR lp.consumer_version_id IN (SELECT MAX(consumer_version_id) FROM latest_pact_publications WHERE provider_id = ? GROUP BY consumer_id))`,
		providerID, providerID, providerID, providerID, providerID).Scan(&ids).Error
	return ids, err
}

// contractsThatMatter are the contract contents a new pact is compared with at once: those of
// the provider versions deployed or released, of its latest version with a contract on its
// main branch, and of its latest version with a contract.
func contractsThatMatter(db *gorm.DB, providerID int64) ([]int64, error) {
	var ids []int64
	err := db.Raw(`SELECT DISTINCT pcp.contract_version_id FROM provider_contract_publications pcp WHERE pcp.provider_id = ? AND (
		pcp.provider_version_id IN (SELECT version_id FROM deployed_versions WHERE pacticipant_id = ? AND undeployed_at IS NULL)
		OR pcp.provider_version_id IN (SELECT version_id FROM released_versions WHERE pacticipant_id = ? AND support_ended_at IS NULL)
		OR pcp.provider_version_id = (SELECT MAX(pcp2.provider_version_id) FROM provider_contract_publications pcp2
			JOIN branch_versions bv ON bv.version_id = pcp2.provider_version_id JOIN branches b ON b.id = bv.branch_id
			JOIN pacticipants p ON p.id = b.pacticipant_id AND b.name = p.main_branch WHERE pcp2.provider_id = ?)
		OR pcp.provider_version_id = (SELECT MAX(provider_version_id) FROM provider_contract_publications WHERE provider_id = ?))`,
		providerID, providerID, providerID, providerID, providerID).Scan(&ids).Error
	return ids, err
}

// comparePublishedPacts compares newly published pacts with the provider contracts that
// matter. It runs after the publication has committed and never fails it: what it cannot do
// now is done when the matrix needs it.
func (s *Store) comparePublishedPacts(ctx context.Context, pacts []broker.Pact) {
	db := s.read(ctx)
	var pairs []contentPair
	for _, p := range pacts {
		var rows []pactVersionRow
		err := db.Raw(`SELECT pv.id, pv.provider_id FROM pact_versions pv JOIN pacticipants c ON c.id = pv.consumer_id
			JOIN pacticipants p ON p.id = pv.provider_id
			WHERE c.name = ? AND p.name = ? AND pv.sha = ?
			AND EXISTS (SELECT 1 FROM provider_contract_publications pcp WHERE pcp.provider_id = pv.provider_id)`,
			p.Consumer, p.Provider, p.SHA).Scan(&rows).Error
		if err != nil {
			s.log.WarnContext(ctx, "comparing a new pact with provider contracts", "consumer", p.Consumer, "provider", p.Provider, "error", err)
			return
		}
		for _, pv := range rows {
			contracts, err := contractsThatMatter(db, pv.ProviderID)
			if err != nil {
				s.log.WarnContext(ctx, "comparing a new pact with provider contracts", "consumer", p.Consumer, "provider", p.Provider, "error", err)
				return
			}
			for _, c := range contracts {
				pairs = append(pairs, contentPair{pv.ID, c})
			}
		}
	}
	if _, err := s.ensureComparisons(ctx, pairs, false); err != nil {
		s.log.WarnContext(ctx, "comparing new pacts with provider contracts", "error", err)
	}
}
