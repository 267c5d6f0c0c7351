package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"

	"github.com/treaty-dev/treaty/broker"
)

// pactRow is a pact publication joined with everything a reader needs.
type pactRow struct {
	PublicationID     int64
	ConsumerID        int64
	ProviderID        int64
	ConsumerVersionID int64
	PactVersionID     int64
	Revision          int
	CreatedAt         time.Time
	Consumer          string
	Provider          string
	ConsumerVersion   string
	SHA               string `gorm:"column:sha"`
	Content           string
}

func (r pactRow) pact() broker.Pact {
	return broker.Pact{ID: r.PublicationID, Consumer: r.Consumer, Provider: r.Provider, ConsumerVersion: r.ConsumerVersion,
		Revision: r.Revision, SHA: r.SHA, Content: []byte(r.Content), CreatedAt: r.CreatedAt}
}

// pactSelect reads the latest revision of publications; content only when asked, as it can
// be large and lists do not show it.
func pactSelect(withContent bool) string {
	content := "'' AS content"
	if withContent {
		content = "pv.content"
	}
	return `SELECT pp.id AS publication_id, pp.consumer_id, pp.provider_id, pp.consumer_version_id, pp.pact_version_id,
		pp.revision, pp.created_at, c.name AS consumer, pr.name AS provider, v.number AS consumer_version, pv.sha, ` + content + `
		FROM latest_pact_publications lp
		JOIN pact_publications pp ON pp.id = lp.publication_id
		JOIN pact_versions pv ON pv.id = lp.pact_version_id
		JOIN versions v ON v.id = lp.consumer_version_id
		JOIN pacticipants c ON c.id = lp.consumer_id
		JOIN pacticipants pr ON pr.id = lp.provider_id `
}

func (s *Store) Pact(ctx context.Context, q broker.PactQuery) (broker.Pact, error) {
	db := s.read(ctx)
	consumer, err := pacticipantByName(db, q.Consumer)
	if err != nil {
		return broker.Pact{}, err
	}
	provider, err := pacticipantByName(db, q.Provider)
	if err != nil {
		return broker.Pact{}, err
	}
	var rows []pactRow
	switch {
	case q.SHA != "":
		// The content, as published by the latest consumer version that has it.
		err = db.Raw(pactSelect(true)+`WHERE lp.provider_id = ? AND lp.consumer_id = ? AND pv.sha = ?
			ORDER BY lp.consumer_version_id DESC LIMIT 1`, provider.ID, consumer.ID, q.SHA).Scan(&rows).Error
	case q.Version != "":
		err = db.Raw(pactSelect(true)+`WHERE lp.provider_id = ? AND lp.consumer_id = ? AND v.number = ?`,
			provider.ID, consumer.ID, q.Version).Scan(&rows).Error
	default:
		filter, fargs := versionFilter(q.Tag, q.Branch, false)
		args := append(fargs, provider.ID, consumer.ID, provider.ID)
		err = db.Raw(pactSelect(true)+`WHERE lp.consumer_version_id = (SELECT MAX(lp2.consumer_version_id)
			FROM latest_pact_publications lp2 `+filter+`WHERE lp2.provider_id = ? AND lp2.consumer_id = ?)
			AND lp.provider_id = ?`, args...).Scan(&rows).Error
	}
	if err != nil {
		return broker.Pact{}, translate(err)
	}
	if len(rows) == 0 {
		return broker.Pact{}, broker.NotFound("pact between %q and %q%s", q.Consumer, q.Provider, describePactQuery(q))
	}
	return rows[0].pact(), nil
}

func describePactQuery(q broker.PactQuery) string {
	switch {
	case q.SHA != "":
		return fmt.Sprintf(" with content %s", q.SHA)
	case q.Version != "":
		return fmt.Sprintf(" for consumer version %q", q.Version)
	case q.Tag != "":
		return fmt.Sprintf(" for the latest consumer version tagged %q", q.Tag)
	case q.Branch != "":
		return fmt.Sprintf(" for the latest consumer version on branch %q", q.Branch)
	}
	return ""
}

// versionFilter joins lp2 (a latest_pact_publications alias) to the tag, branch or main
// branch that selects consumer versions.
func versionFilter(tag, branch string, mainBranch bool) (string, []any) {
	switch {
	case tag != "":
		return "JOIN tags t2 ON t2.version_id = lp2.consumer_version_id AND t2.name = ? ", []any{tag}
	case branch != "":
		return `JOIN branch_versions bv2 ON bv2.version_id = lp2.consumer_version_id
			JOIN branches b2 ON b2.id = bv2.branch_id AND b2.name = ? `, []any{branch}
	case mainBranch:
		return `JOIN branch_versions bv2 ON bv2.version_id = lp2.consumer_version_id
			JOIN branches b2 ON b2.id = bv2.branch_id
			JOIN pacticipants c2 ON c2.id = b2.pacticipant_id AND b2.name = c2.main_branch `, nil
	}
	return "", nil
}

func (s *Store) ProviderPacts(ctx context.Context, provider string, q broker.ProviderPactsQuery) ([]broker.Pact, error) {
	db := s.read(ctx)
	prov, err := pacticipantByName(db, provider)
	if err != nil {
		return nil, err
	}
	filter, fargs := versionFilter(q.Tag, q.Branch, q.MainBranch)
	var sql string
	var args []any
	if q.Latest {
		sql = pactSelect(false) + `WHERE lp.provider_id = ? AND lp.consumer_version_id = (SELECT MAX(lp2.consumer_version_id)
			FROM latest_pact_publications lp2 ` + filter + ` WHERE lp2.provider_id = lp.provider_id AND lp2.consumer_id = lp.consumer_id)`
		args = append([]any{prov.ID}, fargs...)
	} else {
		sql = pactSelect(false) + `WHERE lp.provider_id = ? AND lp.consumer_version_id IN (SELECT lp2.consumer_version_id
			FROM latest_pact_publications lp2 ` + filter + ` WHERE lp2.provider_id = lp.provider_id AND lp2.consumer_id = lp.consumer_id)`
		args = append([]any{prov.ID}, fargs...)
	}
	if q.Consumer != "" {
		sql += " AND c.name = ?"
		args = append(args, q.Consumer)
	}
	sql += " ORDER BY c.name, lp.consumer_version_id DESC"
	var rows []pactRow
	if err := db.Raw(sql, args...).Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]broker.Pact, len(rows))
	for i, r := range rows {
		out[i] = r.pact()
	}
	return out, nil
}

func (s *Store) LatestPacts(ctx context.Context) ([]broker.Pact, error) {
	var rows []pactRow
	err := s.read(ctx).Raw(pactSelect(false) + `WHERE lp.consumer_version_id = (SELECT MAX(lp2.consumer_version_id)
		FROM latest_pact_publications lp2 WHERE lp2.provider_id = lp.provider_id AND lp2.consumer_id = lp.consumer_id)
		ORDER BY c.name, pr.name`).Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make([]broker.Pact, len(rows))
	for i, r := range rows {
		out[i] = r.pact()
	}
	return out, nil
}

func (s *Store) PactVersions(ctx context.Context, consumer, provider string) ([]broker.Pact, error) {
	db := s.read(ctx)
	c, err := pacticipantByName(db, consumer)
	if err != nil {
		return nil, err
	}
	p, err := pacticipantByName(db, provider)
	if err != nil {
		return nil, err
	}
	var rows []pactRow
	if err := db.Raw(pactSelect(false)+`WHERE lp.provider_id = ? AND lp.consumer_id = ? ORDER BY lp.consumer_version_id DESC`, p.ID, c.ID).Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	if len(rows) == 0 {
		return nil, broker.NotFound("pacts between %q and %q", consumer, provider)
	}
	out := make([]broker.Pact, len(rows))
	for i, r := range rows {
		out[i] = r.pact()
	}
	return out, nil
}

func (s *Store) DeletePact(ctx context.Context, consumer, provider, number string) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		c, err := pacticipantByName(tx, consumer)
		if err != nil {
			return err
		}
		p, err := pacticipantByName(tx, provider)
		if err != nil {
			return err
		}
		v, err := versionByNumber(tx, c, number)
		if err != nil {
			return err
		}
		res := tx.Where("consumer_version_id = ? AND provider_id = ?", v.ID, p.ID).Delete(&pactPublicationRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return broker.NotFound("pact between %q and %q for consumer version %q", consumer, provider, number)
		}
		return nil
	})
}

func (s *Store) DeleteIntegration(ctx context.Context, consumer, provider string) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		c, err := pacticipantByName(tx, consumer)
		if err != nil {
			return err
		}
		p, err := pacticipantByName(tx, provider)
		if err != nil {
			return err
		}
		if err := tx.Where("consumer_id = ? AND provider_id = ?", c.ID, p.ID).Delete(&pactPublicationRow{}).Error; err != nil {
			return err
		}
		res := tx.Where("consumer_id = ? AND provider_id = ?", c.ID, p.ID).Delete(&integrationRow{})
		if res.Error == nil && res.RowsAffected == 0 {
			return broker.NotFound("integration between %q and %q", consumer, provider)
		}
		return res.Error
	})
}

func (s *Store) Integrations(ctx context.Context) ([]broker.Integration, error) {
	var rows []struct {
		Consumer              string
		Provider              string
		CreatedAt             time.Time
		ContractDataUpdatedAt time.Time
	}
	err := s.read(ctx).Raw(`SELECT c.name AS consumer, p.name AS provider, i.created_at, i.contract_data_updated_at
		FROM integrations i JOIN pacticipants c ON c.id = i.consumer_id JOIN pacticipants p ON p.id = i.provider_id
		ORDER BY c.name, p.name`).Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make([]broker.Integration, len(rows))
	for i, r := range rows {
		out[i] = broker.Integration{Consumer: r.Consumer, Provider: r.Provider, CreatedAt: r.CreatedAt, ContractDataUpdatedAt: r.ContractDataUpdatedAt}
	}
	return out, nil
}

// ProviderStates gathers the provider states of each consumer's latest pact (on its main
// branch when it has one), sorted by name.
func (s *Store) ProviderStates(ctx context.Context, provider string) ([]broker.ProviderState, error) {
	db := s.read(ctx)
	prov, err := pacticipantByName(db, provider)
	if err != nil {
		return nil, err
	}
	var rows []pactRow
	err = db.Raw(pactSelect(true)+`WHERE lp.provider_id = ? AND lp.consumer_version_id = COALESCE(
		(SELECT MAX(lp2.consumer_version_id) FROM latest_pact_publications lp2
			JOIN branch_versions bv2 ON bv2.version_id = lp2.consumer_version_id
			JOIN branches b2 ON b2.id = bv2.branch_id JOIN pacticipants c2 ON c2.id = b2.pacticipant_id AND b2.name = c2.main_branch
			WHERE lp2.provider_id = lp.provider_id AND lp2.consumer_id = lp.consumer_id),
		(SELECT MAX(lp3.consumer_version_id) FROM latest_pact_publications lp3
			WHERE lp3.provider_id = lp.provider_id AND lp3.consumer_id = lp.consumer_id))`, prov.ID).Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	type key struct{ name, params string }
	states := map[key]*broker.ProviderState{}
	for _, r := range rows {
		doc, err := broker.ParsePact([]byte(r.Content))
		if err != nil {
			continue
		}
		for _, st := range broker.ProviderStatesOf(doc) {
			k := key{st.Name, fmt.Sprint(st.Params)}
			if states[k] == nil {
				states[k] = &broker.ProviderState{Name: st.Name, Params: st.Params}
			}
			if !contains(states[k].Consumers, r.Consumer) {
				states[k].Consumers = append(states[k].Consumers, r.Consumer)
			}
		}
	}
	out := make([]broker.ProviderState, 0, len(states))
	for _, st := range states {
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return fmt.Sprint(out[i].Params) < fmt.Sprint(out[j].Params)
	})
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
