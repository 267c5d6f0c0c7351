package store

import (
	"context"
	"errors"
	"time"

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

type versionRefRow struct {
	ID        int64
	Number    string
	CreatedAt time.Time
}

func (s *Store) MatrixVersions(ctx context.Context, p broker.PacticipantRef, c broker.VersionCriteria) ([]broker.VersionRef, error) {
	db := s.read(ctx)
	var rows []versionRefRow
	q := db.Model(&versionRow{}).Select("versions.id, versions.number, versions.created_at").Where("versions.pacticipant_id = ?", p.ID)
	branch := c.Branch
	if c.MainBranch {
		if p.MainBranch == "" {
			return nil, nil
		}
		branch = p.MainBranch
	}
	switch {
	case c.Number != "":
		q = q.Where("versions.number = ?", c.Number)
	case c.Tag != "" && c.Latest:
		q = q.Where("versions.id = (SELECT MAX(version_id) FROM tags WHERE pacticipant_id = ? AND name = ?)", p.ID, c.Tag)
	case c.Tag != "":
		q = q.Where("versions.id IN (SELECT version_id FROM tags WHERE pacticipant_id = ? AND name = ?)", p.ID, c.Tag)
	case branch != "" && c.Latest:
		q = q.Where("versions.id = (SELECT head_version_id FROM branches WHERE pacticipant_id = ? AND name = ?)", p.ID, branch)
	case branch != "":
		q = q.Where("versions.id IN (SELECT bv.version_id FROM branch_versions bv JOIN branches b ON b.id = bv.branch_id WHERE b.pacticipant_id = ? AND b.name = ?)", p.ID, branch)
	case c.Environment != nil:
		q = q.Where(`versions.id IN (SELECT version_id FROM deployed_versions WHERE pacticipant_id = ? AND environment_id = ? AND undeployed_at IS NULL
			UNION SELECT version_id FROM released_versions WHERE pacticipant_id = ? AND environment_id = ? AND support_ended_at IS NULL)`,
			p.ID, c.Environment.ID, p.ID, c.Environment.ID)
	case c.Latest:
		q = q.Where("versions.id = (SELECT MAX(id) FROM versions WHERE pacticipant_id = ?)", p.ID)
	}
	if err := q.Order("versions.id DESC").Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	return toVersionRefs(rows), nil
}

func toVersionRefs(rows []versionRefRow) []broker.VersionRef {
	out := make([]broker.VersionRef, len(rows))
	for i, r := range rows {
		out[i] = broker.VersionRef{ID: r.ID, Number: r.Number, CreatedAt: r.CreatedAt}
	}
	return out
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

func (s *Store) MatrixPacts(ctx context.Context, consumerID, providerID int64, consumerVersionIDs []int64) ([]broker.MatrixPact, error) {
	db := s.read(ctx)
	type row struct {
		PublicationID  int64
		PactVersionID  int64
		SHA            string `gorm:"column:sha"`
		VersionID      int64
		VersionNumber  string
		VersionCreated time.Time
		CreatedAt      time.Time
	}
	const query = `SELECT lp.publication_id, lp.pact_version_id, pv.sha, v.id AS version_id, v.number AS version_number,
		v.created_at AS version_created, pp.created_at
		FROM latest_pact_publications lp JOIN pact_publications pp ON pp.id = lp.publication_id
		JOIN pact_versions pv ON pv.id = lp.pact_version_id JOIN versions v ON v.id = lp.consumer_version_id
		WHERE lp.provider_id = ? AND lp.consumer_id = ?`
	var rows []row
	var err error
	if consumerVersionIDs == nil {
		err = db.Raw(query+" ORDER BY lp.consumer_version_id DESC", providerID, consumerID).Scan(&rows).Error
	} else {
		err = inChunks(consumerVersionIDs, func(chunk []int64) error {
			var part []row
			err := db.Raw(query+" AND lp.consumer_version_id IN ? ORDER BY lp.consumer_version_id DESC", providerID, consumerID, chunk).Scan(&part).Error
			rows = append(rows, part...)
			return err
		})
	}
	out := make([]broker.MatrixPact, len(rows))
	for i, r := range rows {
		out[i] = broker.MatrixPact{PublicationID: r.PublicationID, PactVersionID: r.PactVersionID, SHA: r.SHA, CreatedAt: r.CreatedAt,
			ConsumerVersion: broker.VersionRef{ID: r.VersionID, Number: r.VersionNumber, CreatedAt: r.VersionCreated}}
	}
	return out, translate(err)
}

func (s *Store) MatrixVerifications(ctx context.Context, pactVersionIDs, providerVersionIDs []int64, latestOnly bool) ([]broker.MatrixVerification, error) {
	db := s.read(ctx)
	type row struct {
		ID             int64
		PactVersionID  int64
		Success        bool
		CreatedAt      time.Time
		VersionID      int64
		VersionNumber  string
		VersionCreated time.Time
	}
	query := `SELECT vf.id, vf.pact_version_id, vf.success, vf.created_at, pver.id AS version_id, pver.number AS version_number,
		pver.created_at AS version_created FROM verifications vf JOIN versions pver ON pver.id = vf.provider_version_id WHERE `
	if latestOnly {
		query = `SELECT vf.id, vf.pact_version_id, vf.success, vf.created_at, pver.id AS version_id, pver.number AS version_number,
			pver.created_at AS version_created FROM latest_verifications lv JOIN verifications vf ON vf.id = lv.verification_id
			JOIN versions pver ON pver.id = lv.provider_version_id WHERE `
	}
	alias := "vf"
	if latestOnly {
		alias = "lv"
	}
	var rows []row
	err := inChunks(pactVersionIDs, func(chunk []int64) error {
		var part []row
		var err error
		if providerVersionIDs == nil {
			err = db.Raw(query+alias+".pact_version_id IN ?", chunk).Scan(&part).Error
		} else {
			err = inChunks(providerVersionIDs, func(pvChunk []int64) error {
				var p2 []row
				err := db.Raw(query+alias+".pact_version_id IN ? AND "+alias+".provider_version_id IN ?", chunk, pvChunk).Scan(&p2).Error
				part = append(part, p2...)
				return err
			})
		}
		rows = append(rows, part...)
		return err
	})
	out := make([]broker.MatrixVerification, len(rows))
	for i, r := range rows {
		out[i] = broker.MatrixVerification{ID: r.ID, PactVersionID: r.PactVersionID, Success: r.Success, VerifiedAt: r.CreatedAt,
			ProviderVersion: broker.VersionRef{ID: r.VersionID, Number: r.VersionNumber, CreatedAt: r.VersionCreated}}
	}
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
