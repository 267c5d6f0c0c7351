package store

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"github.com/treaty-dev/treaty/broker"
)

// The store's side of the matrix: small indexed look-ups the rules in broker/matrix.go are
// computed from. Every "latest" comes from a head table or a MAX over an index.

var _ broker.MatrixData = (*Store)(nil)

func (s *Store) MatrixPacticipant(ctx context.Context, name string) (broker.PacticipantRef, error) {
	p, err := pacticipantByName(s.read(ctx), name)
	if err != nil {
		return broker.PacticipantRef{}, translate(err)
	}
	return broker.PacticipantRef{ID: p.ID, Name: p.Name, MainBranch: p.MainBranch}, nil
}

func (s *Store) MatrixEnvironment(ctx context.Context, name string) (broker.Environment, error) {
	var row environmentRow
	err := s.read(ctx).Where("name = ?", name).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return broker.Environment{}, broker.NotFound("environment %q", name)
	}
	return toEnvironment(row), translate(err)
}

// MatrixVersions resolves criteria for several pacticipants in one query.
func (s *Store) MatrixVersions(ctx context.Context, ps []broker.PacticipantRef, c broker.VersionCriteria) (map[int64][]broker.VersionRef, error) {
	out := map[int64][]broker.VersionRef{}
	if len(ps) == 0 {
		return out, nil
	}
	ids := make([]int64, 0, len(ps))
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	const cols = "SELECT v.pacticipant_id, v.id, v.number, v.created_at FROM versions v "
	var query string
	var args []any
	switch {
	case c.Number != "":
		query, args = cols+"WHERE v.pacticipant_id IN ? AND v.number = ?", []any{ids, c.Number}
	case c.Tag != "" && c.Latest:
		query, args = cols+"WHERE v.id IN (SELECT MAX(version_id) FROM tags WHERE pacticipant_id IN ? AND name = ? GROUP BY pacticipant_id)", []any{ids, c.Tag}
	case c.Tag != "":
		query, args = cols+"WHERE v.id IN (SELECT version_id FROM tags WHERE pacticipant_id IN ? AND name = ?)", []any{ids, c.Tag}
	case c.MainBranch && c.Latest:
		query, args = cols+`JOIN branches b ON b.head_version_id = v.id JOIN pacticipants p ON p.id = b.pacticipant_id AND b.name = p.main_branch
			WHERE b.pacticipant_id IN ?`, []any{ids}
	case c.MainBranch:
		query, args = cols+`JOIN branch_versions bv ON bv.version_id = v.id JOIN branches b ON b.id = bv.branch_id
			JOIN pacticipants p ON p.id = b.pacticipant_id AND b.name = p.main_branch WHERE b.pacticipant_id IN ?`, []any{ids}
	case c.Branch != "" && c.Latest:
		query, args = cols+"JOIN branches b ON b.head_version_id = v.id WHERE b.pacticipant_id IN ? AND b.name = ?", []any{ids, c.Branch}
	case c.Branch != "":
		query, args = cols+`JOIN branch_versions bv ON bv.version_id = v.id JOIN branches b ON b.id = bv.branch_id
			WHERE b.pacticipant_id IN ? AND b.name = ?`, []any{ids, c.Branch}
	case c.Environment != nil:
		query, args = cols+`WHERE v.id IN (SELECT version_id FROM deployed_versions WHERE pacticipant_id IN ? AND environment_id = ? AND undeployed_at IS NULL
			UNION SELECT version_id FROM released_versions WHERE pacticipant_id IN ? AND environment_id = ? AND support_ended_at IS NULL)`,
			[]any{ids, c.Environment.ID, ids, c.Environment.ID}
	case c.Latest:
		query, args = cols+"WHERE v.id IN (SELECT MAX(id) FROM versions WHERE pacticipant_id IN ? GROUP BY pacticipant_id)", []any{ids}
	default:
		query, args = cols+"WHERE v.pacticipant_id IN ?", []any{ids}
	}
	rows, err := s.read(ctx).Raw(query+" ORDER BY v.id DESC", args...).Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var pid int64
		var v broker.VersionRef
		if err := rows.Scan(&pid, &v.ID, &v.Number, &v.CreatedAt); err != nil {
			return nil, translate(err)
		}
		out[pid] = append(out[pid], v)
	}
	return out, translate(rows.Err())
}

func (s *Store) MatrixProviders(ctx context.Context, consumerID int64, versionIDs []int64) ([]broker.PacticipantRef, error) {
	db := s.read(ctx)
	var rows []pacticipantRow
	var err error
	if versionIDs == nil {
		err = db.Raw(`SELECT p.* FROM pacticipants p JOIN integrations i ON i.provider_id = p.id WHERE i.consumer_id = ? ORDER BY p.name`, consumerID).Scan(&rows).Error
	} else {
		err = inChunks(versionIDs, func(chunk []int64) error {
			var part []pacticipantRow
			err := db.Raw(`SELECT * FROM pacticipants WHERE id IN (SELECT DISTINCT provider_id FROM latest_pact_publications
				WHERE consumer_id = ? AND consumer_version_id IN ?) ORDER BY name`, consumerID, chunk).Scan(&part).Error
			rows = append(rows, part...)
			return err
		})
	}
	return toRefs(uniqueRows(rows)), translate(err)
}

func (s *Store) MatrixConsumers(ctx context.Context, providerID int64) ([]broker.PacticipantRef, error) {
	var rows []pacticipantRow
	err := s.read(ctx).Raw(`SELECT p.* FROM pacticipants p JOIN integrations i ON i.consumer_id = p.id WHERE i.provider_id = ? ORDER BY p.name`, providerID).Scan(&rows).Error
	return toRefs(rows), translate(err)
}

func (s *Store) MatrixPacts(ctx context.Context, q broker.PactRowsQuery) ([]broker.MatrixPact, error) {
	db := s.read(ctx)
	const query = `SELECT lp.consumer_id, lp.provider_id, lp.publication_id, lp.pact_version_id, pv.sha,
		v.id, v.number, v.created_at, pp.created_at
		FROM latest_pact_publications lp JOIN pact_publications pp ON pp.id = lp.publication_id
		JOIN pact_versions pv ON pv.id = lp.pact_version_id JOIN versions v ON v.id = lp.consumer_version_id WHERE `
	var out []broker.MatrixPact
	scan := func(sql string, args ...any) error {
		rows, err := db.Raw(sql, args...).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p broker.MatrixPact
			if err := rows.Scan(&p.ConsumerID, &p.ProviderID, &p.PublicationID, &p.PactVersionID, &p.SHA,
				&p.ConsumerVersion.ID, &p.ConsumerVersion.Number, &p.ConsumerVersion.CreatedAt, &p.CreatedAt); err != nil {
				return err
			}
			out = append(out, p)
		}
		return rows.Err()
	}
	var err error
	if q.All {
		err = scan(query+"lp.provider_id = ? AND lp.consumer_id = ? ORDER BY lp.consumer_version_id DESC", q.ProviderID, q.ConsumerID)
	} else {
		err = inChunks(q.ConsumerVersionIDs, func(chunk []int64) error {
			return scan(query+"lp.consumer_version_id IN ? AND lp.provider_id IN ?", chunk, q.ProviderIDs)
		})
	}
	return out, translate(err)
}

func (s *Store) MatrixVerifications(ctx context.Context, pactVersionIDs, providerVersionIDs []int64, latestOnly bool) ([]broker.MatrixVerification, error) {
	db := s.read(ctx)
	from, alias := "FROM verifications vf JOIN versions pver ON pver.id = vf.provider_version_id WHERE ", "vf"
	if latestOnly {
		from, alias = `FROM latest_verifications lv JOIN verifications vf ON vf.id = lv.verification_id
			JOIN versions pver ON pver.id = lv.provider_version_id WHERE `, "lv"
	}
	query := "SELECT vf.id, vf.pact_version_id, vf.success, vf.created_at, pver.id, pver.number, pver.created_at " + from
	var out []broker.MatrixVerification
	scan := func(sql string, args ...any) error {
		rows, err := db.Raw(sql, args...).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v broker.MatrixVerification
			if err := rows.Scan(&v.ID, &v.PactVersionID, &v.Success, &v.VerifiedAt,
				&v.ProviderVersion.ID, &v.ProviderVersion.Number, &v.ProviderVersion.CreatedAt); err != nil {
				return err
			}
			out = append(out, v)
		}
		return rows.Err()
	}
	err := inChunks(pactVersionIDs, func(chunk []int64) error {
		if providerVersionIDs == nil {
			return scan(query+alias+".pact_version_id IN ?", chunk)
		}
		return inChunks(providerVersionIDs, func(pvChunk []int64) error {
			return scan(query+alias+".pact_version_id IN ? AND "+alias+".provider_version_id IN ?", chunk, pvChunk)
		})
	})
	return out, translate(err)
}

// inChunks calls fn with slices of ids small enough for any database's parameter limit.
func inChunks(ids []int64, fn func([]int64) error) error {
	const size = 500
	for start := 0; start < len(ids); start += size {
		if err := fn(ids[start:min(start+size, len(ids))]); err != nil {
			return err
		}
	}
	return nil
}

func uniqueRows(rows []pacticipantRow) []pacticipantRow {
	seen := map[int64]bool{}
	var out []pacticipantRow
	for _, r := range rows {
		if !seen[r.ID] {
			seen[r.ID] = true
			out = append(out, r)
		}
	}
	return out
}

func toRefs(rows []pacticipantRow) []broker.PacticipantRef {
	out := make([]broker.PacticipantRef, len(rows))
	for i, r := range rows {
		out[i] = broker.PacticipantRef{ID: r.ID, Name: r.Name, MainBranch: r.MainBranch}
	}
	return out
}
