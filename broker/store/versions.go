package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/treaty-dev/treaty/broker"
)

func (s *Store) Version(ctx context.Context, pacticipant, number string) (broker.Version, error) {
	db := s.read(ctx)
	p, err := pacticipantByName(db, pacticipant)
	if err != nil {
		return broker.Version{}, err
	}
	v, err := versionByNumber(db, p, number)
	if err != nil {
		return broker.Version{}, err
	}
	out, err := s.loadVersions(db, p.Name, []versionRow{v})
	if err != nil {
		return broker.Version{}, translate(err)
	}
	return out[0], nil
}

func (s *Store) LatestVersion(ctx context.Context, pacticipant string, sel broker.VersionSelector) (broker.Version, error) {
	db := s.read(ctx)
	p, err := pacticipantByName(db, pacticipant)
	if err != nil {
		return broker.Version{}, err
	}
	v, err := latestVersion(db, p, sel)
	if err != nil {
		return broker.Version{}, err
	}
	out, err := s.loadVersions(db, p.Name, []versionRow{v})
	if err != nil {
		return broker.Version{}, translate(err)
	}
	return out[0], nil
}

// latestVersion resolves a selector to one version row, or a not-found error that says what
// was missing.
func latestVersion(db *gorm.DB, p pacticipantRow, sel broker.VersionSelector) (versionRow, error) {
	var v versionRow
	var err error
	switch {
	case sel.Tag != "":
		err = db.Raw(`SELECT * FROM versions WHERE id = (SELECT MAX(version_id) FROM tags WHERE pacticipant_id = ? AND name = ?)`, p.ID, sel.Tag).Take(&v).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return v, broker.NotFound("version of %q with tag %q", p.Name, sel.Tag)
		}
	case sel.Branch != "":
		err = db.Raw(`SELECT v.* FROM versions v JOIN branches b ON b.head_version_id = v.id WHERE b.pacticipant_id = ? AND b.name = ?`, p.ID, sel.Branch).Take(&v).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return v, broker.NotFound("version of %q on branch %q", p.Name, sel.Branch)
		}
	default:
		err = db.Where("pacticipant_id = ?", p.ID).Order("id DESC").Take(&v).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return v, broker.NotFound("version of %q", p.Name)
		}
	}
	return v, err
}

func (s *Store) Versions(ctx context.Context, pacticipant string, q broker.ListQuery) ([]broker.Version, int, error) {
	db := s.read(ctx)
	p, err := pacticipantByName(db, pacticipant)
	if err != nil {
		return nil, 0, err
	}
	var total int64
	if err := db.Model(&versionRow{}).Where("pacticipant_id = ?", p.ID).Count(&total).Error; err != nil {
		return nil, 0, translate(err)
	}
	var rows []versionRow
	if err := paginate(db.Where("pacticipant_id = ?", p.ID).Order("id DESC"), q).Find(&rows).Error; err != nil {
		return nil, 0, translate(err)
	}
	out, err := s.loadVersions(db, p.Name, rows)
	return out, int(total), translate(err)
}

func (s *Store) PutVersion(ctx context.Context, pacticipant, number string, patch broker.VersionPatch) (broker.Version, bool, error) {
	if err := broker.CheckVersionNumber("version", number); err != nil {
		return broker.Version{}, false, err
	}
	var out broker.Version
	var created bool
	err := s.write(ctx, func(tx *gorm.DB) error {
		p, _, err := s.ensurePacticipant(tx, pacticipant)
		if err != nil {
			return err
		}
		v, c, err := s.ensureVersion(tx, p, number, "")
		if err != nil {
			return err
		}
		created = c
		if patch.BuildURL != nil && *patch.BuildURL != v.BuildURL {
			v.BuildURL, v.UpdatedAt = *patch.BuildURL, s.now()
			if err := tx.Save(&v).Error; err != nil {
				return err
			}
		}
		for _, t := range patch.Tags {
			if _, err := s.addTag(tx, p, v, t); err != nil {
				return err
			}
		}
		loaded, err := s.loadVersions(tx, p.Name, []versionRow{v})
		if err != nil {
			return err
		}
		out = loaded[0]
		return nil
	})
	return out, created, err
}

func (s *Store) DeleteVersion(ctx context.Context, pacticipant, number string) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		p, err := pacticipantByName(tx, pacticipant)
		if err != nil {
			return err
		}
		v, err := versionByNumber(tx, p, number)
		if err != nil {
			return err
		}
		if err := tx.Delete(&versionRow{}, v.ID).Error; err != nil {
			return err
		}
		// A branch whose head was this version falls back to its newest remaining version.
		return tx.Exec(`UPDATE branches SET head_version_id = (SELECT MAX(version_id) FROM branch_versions bv WHERE bv.branch_id = branches.id)
			WHERE pacticipant_id = ? AND head_version_id IS NULL`, p.ID).Error
	})
}

func versionByNumber(db *gorm.DB, p pacticipantRow, number string) (versionRow, error) {
	var v versionRow
	err := db.Where("pacticipant_id = ? AND number = ?", p.ID, number).Take(&v).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return v, broker.NotFound("version %q of %q", number, p.Name)
	}
	return v, err
}

// ensureVersion finds or creates a version, setting the build URL on a new version.
func (s *Store) ensureVersion(tx *gorm.DB, p pacticipantRow, number, buildURL string) (versionRow, bool, error) {
	if err := broker.CheckVersionNumber("version", number); err != nil {
		return versionRow{}, false, err
	}
	now := s.now()
	v := versionRow{PacticipantID: p.ID, Number: number, BuildURL: buildURL, CreatedAt: now, UpdatedAt: now}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&v)
	if res.Error != nil {
		return v, false, fmt.Errorf("create version %q of %q: %w", number, p.Name, res.Error)
	}
	if res.RowsAffected == 1 {
		return v, true, nil
	}
	v, err := versionByNumber(tx, p, number)
	return v, false, err
}

// loadVersions fills in branches, tags, deployments and releases for versions of one
// pacticipant, a fixed number of queries however many versions.
func (s *Store) loadVersions(db *gorm.DB, pacticipant string, rows []versionRow) ([]broker.Version, error) {
	out := make([]broker.Version, len(rows))
	byID := make(map[int64]*broker.Version, len(rows))
	ids := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = broker.Version{ID: r.ID, Pacticipant: pacticipant, Number: r.Number, BuildURL: r.BuildURL, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
		byID[r.ID] = &out[i]
		ids[i] = r.ID
	}
	if len(ids) == 0 {
		return out, nil
	}
	var branches []struct {
		VersionID     int64
		Name          string
		HeadVersionID *int64
		CreatedAt     time.Time
	}
	if err := db.Raw(`SELECT bv.version_id, b.name, b.head_version_id, bv.created_at FROM branch_versions bv
		JOIN branches b ON b.id = bv.branch_id WHERE bv.version_id IN ? ORDER BY bv.id`, ids).Scan(&branches).Error; err != nil {
		return nil, err
	}
	for _, b := range branches {
		v := byID[b.VersionID]
		v.Branches = append(v.Branches, broker.BranchVersion{Branch: b.Name, Version: v.Number,
			Latest: b.HeadVersionID != nil && *b.HeadVersionID == b.VersionID, CreatedAt: b.CreatedAt})
	}
	var tags []tagRow
	if err := db.Where("version_id IN ?", ids).Order("id").Find(&tags).Error; err != nil {
		return nil, err
	}
	for _, t := range tags {
		v := byID[t.VersionID]
		v.Tags = append(v.Tags, broker.Tag{Pacticipant: pacticipant, Version: v.Number, Name: t.Name, CreatedAt: t.CreatedAt})
	}
	deployed, err := deployedVersionsWhere(db, "d.version_id IN ?", ids)
	if err != nil {
		return nil, err
	}
	for _, d := range deployed {
		v := byID[d.versionID]
		v.Deployments = append(v.Deployments, d.DeployedVersion)
	}
	released, err := releasedVersionsWhere(db, "r.version_id IN ?", ids)
	if err != nil {
		return nil, err
	}
	for _, r := range released {
		v := byID[r.versionID]
		v.Releases = append(v.Releases, r.ReleasedVersion)
	}
	return out, nil
}
