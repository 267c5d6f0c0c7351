package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/treaty-dev/treaty/broker"
)

// Each selector's query starts from a small set (the provider's integrations, the current
// deployments, the pacts published recently) and reaches pacts through primary keys, so the
// cost does not grow with a pacticipant's history.

var _ broker.ForVerificationData = (*Store)(nil)

const candidateColumns = `SELECT c.name AS consumer, v.id AS version_id, v.number AS version_number, v.created_at AS version_created,
	lp.pact_version_id, pv.sha, pp.created_at AS published_at`

const candidateJoins = ` JOIN versions v ON v.id = lp.consumer_version_id
	JOIN pact_versions pv ON pv.id = lp.pact_version_id
	JOIN pact_publications pp ON pp.id = lp.publication_id`

type candidateRow struct {
	Consumer       string
	VersionID      int64
	VersionNumber  string
	VersionCreated time.Time
	PactVersionID  int64
	SHA            string `gorm:"column:sha"`
	PublishedAt    time.Time
	Environment    string
}

func (s *Store) SelectPacts(ctx context.Context, providerID int64, sel broker.ConsumerVersionSelector, env *broker.Environment) ([]broker.VerifiableCandidate, error) {
	var query string
	var args []any
	fromIntegrations := candidateColumns + ` FROM integrations i JOIN pacticipants c ON c.id = i.consumer_id `
	switch {
	case sel.MainBranch:
		query = fromIntegrations + `JOIN branches b ON b.pacticipant_id = c.id AND b.name = c.main_branch
			JOIN latest_pact_publications lp ON lp.consumer_version_id = b.head_version_id AND lp.provider_id = i.provider_id` + candidateJoins
	case sel.AllBranches:
		query = fromIntegrations + `JOIN branches b ON b.pacticipant_id = c.id
			JOIN latest_pact_publications lp ON lp.consumer_version_id = b.head_version_id AND lp.provider_id = i.provider_id` + candidateJoins
	case sel.Branch != "":
		query = fromIntegrations + `JOIN branches b ON b.pacticipant_id = c.id AND b.name = ?
			JOIN latest_pact_publications lp ON lp.consumer_version_id = b.head_version_id AND lp.provider_id = i.provider_id` + candidateJoins
		args = append(args, sel.Branch)
	case sel.Tag != "" && sel.Latest:
		query = fromIntegrations + `JOIN latest_pact_publications lp ON lp.provider_id = i.provider_id
			AND lp.consumer_version_id = (SELECT MAX(t.version_id) FROM tags t WHERE t.pacticipant_id = c.id AND t.name = ?)` + candidateJoins
		args = append(args, sel.Tag)
	case sel.Tag != "":
		query = fromIntegrations + `JOIN tags t ON t.pacticipant_id = c.id AND t.name = ?
			JOIN latest_pact_publications lp ON lp.consumer_version_id = t.version_id AND lp.provider_id = i.provider_id` + candidateJoins
		args = append(args, sel.Tag)
	case sel.Deployed || sel.Released || env != nil:
		// Driven from the provider's consumers to their current deployments and releases,
		// never from every deployment there is.
		var found []broker.VerifiableCandidate
		for _, source := range runSources(sel) {
			q := candidateColumns + `, e.name AS environment FROM integrations i JOIN pacticipants c ON c.id = i.consumer_id
				JOIN ` + source.table + ` run ON run.pacticipant_id = c.id AND run.` + source.current + ` IS NULL
				JOIN environments e ON e.id = run.environment_id`
			var qargs []any
			if env != nil {
				q += ` AND run.environment_id = ?`
				qargs = append(qargs, env.ID)
			}
			q += ` JOIN latest_pact_publications lp ON lp.consumer_version_id = run.version_id AND lp.provider_id = i.provider_id` + candidateJoins +
				` WHERE i.provider_id = ?`
			qargs = append(qargs, providerID)
			if sel.Consumer != "" {
				q += ` AND c.name = ?`
				qargs = append(qargs, sel.Consumer)
			}
			var rows []candidateRow
			if err := s.read(ctx).Raw(q, qargs...).Scan(&rows).Error; err != nil {
				return nil, translate(err)
			}
			found = append(found, toCandidates(rows)...)
		}
		return found, nil
	case sel.Latest:
		query = fromIntegrations + `JOIN latest_pact_publications lp ON lp.provider_id = i.provider_id
			AND lp.consumer_version_id = (SELECT MAX(lp2.consumer_version_id) FROM latest_pact_publications lp2
				WHERE lp2.provider_id = i.provider_id AND lp2.consumer_id = c.id)` + candidateJoins
	default:
		return nil, fmt.Errorf("selector %+v selects nothing", sel)
	}
	query += ` WHERE i.provider_id = ?`
	args = append(args, providerID)
	if sel.Consumer != "" {
		query += ` AND c.name = ?`
		args = append(args, sel.Consumer)
	}
	var rows []candidateRow
	if err := s.read(ctx).Raw(query, args...).Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	return toCandidates(rows), nil
}

type runSource struct{ table, current string }

// runSources are the tables that say what runs where: deployments, releases, or both.
func runSources(sel broker.ConsumerVersionSelector) []runSource {
	deployed := runSource{"deployed_versions", "undeployed_at"}
	released := runSource{"released_versions", "support_ended_at"}
	switch {
	case sel.Deployed:
		return []runSource{deployed}
	case sel.Released:
		return []runSource{released}
	}
	return []runSource{deployed, released}
}

// WIPCandidates starts from the provider's pacts published since the date (an index range)
// and keeps those whose consumer version is the head of a branch or of a tag.
func (s *Store) WIPCandidates(ctx context.Context, providerID int64, since time.Time) ([]broker.VerifiableCandidate, error) {
	var rows []candidateRow
	err := s.read(ctx).Raw(candidateColumns+` FROM pact_publications recent
		JOIN latest_pact_publications lp ON lp.publication_id = recent.id
		JOIN pacticipants c ON c.id = lp.consumer_id`+candidateJoins+`
		WHERE recent.provider_id = ? AND recent.created_at > ?
		AND (EXISTS (SELECT 1 FROM branches b WHERE b.head_version_id = lp.consumer_version_id)
			OR EXISTS (SELECT 1 FROM tags t WHERE t.version_id = lp.consumer_version_id
				AND t.version_id = (SELECT MAX(t2.version_id) FROM tags t2 WHERE t2.pacticipant_id = t.pacticipant_id AND t2.name = t.name)))
		ORDER BY lp.consumer_version_id`, providerID, since.UTC()).Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := toCandidates(rows)
	if len(out) == 0 {
		return out, nil
	}
	// Which branches and tags each candidate heads, for the notice that explains it.
	ids := make([]int64, len(out))
	for i, c := range out {
		ids[i] = c.ConsumerVersion.ID
	}
	var heads []struct {
		VersionID int64
		Name      string
		Kind      string
	}
	err = s.read(ctx).Raw(`SELECT head_version_id AS version_id, name, 'branch' AS kind FROM branches WHERE head_version_id IN ?
		UNION ALL SELECT t.version_id, t.name, 'tag' AS kind FROM tags t WHERE t.version_id IN ?
			AND t.version_id = (SELECT MAX(t2.version_id) FROM tags t2 WHERE t2.pacticipant_id = t.pacticipant_id AND t2.name = t.name)
		ORDER BY name`, ids, ids).Scan(&heads).Error
	if err != nil {
		return nil, translate(err)
	}
	for i := range out {
		for _, h := range heads {
			if h.VersionID != out[i].ConsumerVersion.ID {
				continue
			}
			if h.Kind == "branch" {
				out[i].HeadOfBranches = append(out[i].HeadOfBranches, h.Name)
			} else {
				out[i].HeadOfTags = append(out[i].HeadOfTags, h.Name)
			}
		}
	}
	return out, nil
}

// VerifiedContents asks, per content, whether one successful verification outside WIP
// exists: EXISTS stops at the first, however many verifications a content has.
func (s *Store) VerifiedContents(ctx context.Context, providerID int64, pactVersionIDs []int64, c broker.VerifiedCriteria) (map[int64]bool, error) {
	out := map[int64]bool{}
	db := s.read(ctx)
	exists := `SELECT 1 FROM verifications vf `
	var args []any
	switch {
	case c.Branch != "":
		exists += `JOIN branch_versions bv ON bv.version_id = vf.provider_version_id
			JOIN branches b ON b.id = bv.branch_id AND b.pacticipant_id = ? AND b.name = ? `
		args = append(args, providerID, c.Branch)
	case c.Tag != "":
		exists += `JOIN tags t ON t.version_id = vf.provider_version_id AND t.pacticipant_id = ? AND t.name = ? `
		args = append(args, providerID, c.Tag)
	}
	exists += `WHERE vf.pact_version_id = pv.id AND vf.success = ? AND vf.wip = ?`
	args = append(args, true, false)
	if c.Before != nil {
		exists += ` AND vf.created_at < ?`
		args = append(args, c.Before.UTC())
	}
	err := inChunks(pactVersionIDs, func(chunk []int64) error {
		var ids []int64
		if err := db.Raw(`SELECT pv.id FROM pact_versions pv WHERE pv.id IN ? AND EXISTS (`+exists+`)`,
			append([]any{chunk}, args...)...).Scan(&ids).Error; err != nil {
			return err
		}
		for _, id := range ids {
			out[id] = true
		}
		return nil
	})
	return out, translate(err)
}

func (s *Store) ProviderBranchCreated(ctx context.Context, providerID int64, branch string) (*time.Time, error) {
	var b branchRow
	err := s.read(ctx).Where("pacticipant_id = ? AND name = ?", providerID, branch).Take(&b).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err)
	}
	return &b.CreatedAt, nil
}

func (s *Store) ProviderTagFirstUsed(ctx context.Context, providerID int64, tag string) (*time.Time, error) {
	var t tagRow
	err := s.read(ctx).Where("pacticipant_id = ? AND name = ?", providerID, tag).Order("created_at, id").Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err)
	}
	return &t.CreatedAt, nil
}

func toCandidates(rows []candidateRow) []broker.VerifiableCandidate {
	out := make([]broker.VerifiableCandidate, len(rows))
	for i, r := range rows {
		out[i] = broker.VerifiableCandidate{Consumer: r.Consumer, PactVersionID: r.PactVersionID, SHA: r.SHA, PublishedAt: r.PublishedAt, Environment: r.Environment,
			ConsumerVersion: broker.VersionRef{ID: r.VersionID, Number: r.VersionNumber, CreatedAt: r.VersionCreated}}
	}
	return out
}
