package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/treaty-dev/treaty/broker"
)

func (s *Store) CreatePacticipant(ctx context.Context, name string, patch broker.PacticipantPatch) (broker.Pacticipant, error) {
	if err := broker.CheckName("name", name); err != nil {
		return broker.Pacticipant{}, err
	}
	if err := patch.Validate(); err != nil {
		return broker.Pacticipant{}, err
	}
	var out broker.Pacticipant
	err := s.write(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&pacticipantRow{}).Where("name = ?", name).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return broker.Invalid("name", "a pacticipant named %q already exists", name)
		}
		p := broker.Pacticipant{Name: name}
		patch.Apply(&p)
		now := s.now()
		row := pacticipantRow{Name: name, DisplayName: p.DisplayName, MainBranch: p.MainBranch, RepositoryURL: p.RepositoryURL,
			RepositoryName: p.RepositoryName, RepositoryNamespace: p.RepositoryNamespace, CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		out = toPacticipant(row, "")
		return nil
	})
	return out, err
}

func (s *Store) PatchPacticipant(ctx context.Context, name string, patch broker.PacticipantPatch) (broker.Pacticipant, bool, error) {
	if err := broker.CheckName("name", name); err != nil {
		return broker.Pacticipant{}, false, err
	}
	if err := patch.Validate(); err != nil {
		return broker.Pacticipant{}, false, err
	}
	var out broker.Pacticipant
	var created bool
	err := s.write(ctx, func(tx *gorm.DB) error {
		row, c, err := s.ensurePacticipant(tx, name)
		if err != nil {
			return err
		}
		created = c
		out, err = s.updatePacticipant(tx, row, patch)
		return err
	})
	return out, created, err
}

func (s *Store) ReplacePacticipant(ctx context.Context, name string, patch broker.PacticipantPatch) (broker.Pacticipant, error) {
	if err := patch.Validate(); err != nil {
		return broker.Pacticipant{}, err
	}
	empty := ""
	for _, f := range []**string{&patch.DisplayName, &patch.MainBranch, &patch.RepositoryURL, &patch.RepositoryName, &patch.RepositoryNamespace} {
		if *f == nil {
			*f = &empty
		}
	}
	var out broker.Pacticipant
	err := s.write(ctx, func(tx *gorm.DB) error {
		row, err := pacticipantByName(tx, name)
		if err != nil {
			return err
		}
		out, err = s.updatePacticipant(tx, row, patch)
		return err
	})
	return out, err
}

func (s *Store) updatePacticipant(tx *gorm.DB, row pacticipantRow, patch broker.PacticipantPatch) (broker.Pacticipant, error) {
	p := toPacticipant(row, "")
	patch.Apply(&p)
	if p.Name != row.Name {
		var n int64
		if err := tx.Model(&pacticipantRow{}).Where("name = ?", p.Name).Count(&n).Error; err != nil {
			return broker.Pacticipant{}, err
		}
		if n > 0 {
			return broker.Pacticipant{}, broker.Invalid("name", "a pacticipant named %q already exists", p.Name)
		}
	}
	row.Name, row.DisplayName, row.MainBranch = p.Name, p.DisplayName, p.MainBranch
	row.RepositoryURL, row.RepositoryName, row.RepositoryNamespace = p.RepositoryURL, p.RepositoryName, p.RepositoryNamespace
	row.UpdatedAt = s.now()
	if err := tx.Save(&row).Error; err != nil {
		return broker.Pacticipant{}, err
	}
	latest, err := latestVersionNumber(tx, row.ID)
	if err != nil {
		return broker.Pacticipant{}, err
	}
	return toPacticipant(row, latest), nil
}

func (s *Store) Pacticipant(ctx context.Context, name string) (broker.Pacticipant, error) {
	db := s.read(ctx)
	row, err := pacticipantByName(db, name)
	if err != nil {
		return broker.Pacticipant{}, err
	}
	latest, err := latestVersionNumber(db, row.ID)
	if err != nil {
		return broker.Pacticipant{}, translate(err)
	}
	return toPacticipant(row, latest), nil
}

func (s *Store) Pacticipants(ctx context.Context, q broker.ListQuery) ([]broker.Pacticipant, int, error) {
	db := s.read(ctx).Model(&pacticipantRow{})
	if q.Q != "" {
		db = db.Where("LOWER(name) LIKE ?", "%"+strings.ToLower(escapeLike(q.Q))+"%")
	}
	var total int64
	if err := db.Count(&total).Error; err != nil {
		return nil, 0, translate(err)
	}
	var rows []pacticipantRow
	if err := paginate(db.Order("name"), q).Find(&rows).Error; err != nil {
		return nil, 0, translate(err)
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	latest, err := latestVersionNumbers(s.read(ctx), ids)
	if err != nil {
		return nil, 0, translate(err)
	}
	out := make([]broker.Pacticipant, len(rows))
	for i, r := range rows {
		out[i] = toPacticipant(r, latest[r.ID])
	}
	return out, int(total), nil
}

func (s *Store) DeletePacticipant(ctx context.Context, name string) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		row, err := pacticipantByName(tx, name)
		if err != nil {
			return err
		}
		// Versions reference their pacticipant's branches through head pointers; the
		// cascade on pacticipant_id removes everything that belongs to it.
		return tx.Delete(&pacticipantRow{}, row.ID).Error
	})
}

func pacticipantByName(db *gorm.DB, name string) (pacticipantRow, error) {
	var row pacticipantRow
	err := db.Where("name = ?", name).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return row, broker.NotFound("pacticipant %q", name)
	}
	return row, err
}

// ensurePacticipant finds or creates a pacticipant; concurrent creators both succeed.
func (s *Store) ensurePacticipant(tx *gorm.DB, name string) (pacticipantRow, bool, error) {
	if err := broker.CheckName("pacticipant", name); err != nil {
		return pacticipantRow{}, false, err
	}
	now := s.now()
	row := pacticipantRow{Name: name, CreatedAt: now, UpdatedAt: now}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return row, false, fmt.Errorf("create pacticipant %q: %w", name, res.Error)
	}
	if res.RowsAffected == 1 {
		return row, true, nil
	}
	row, err := pacticipantByName(tx, name)
	return row, false, err
}

func latestVersionNumber(db *gorm.DB, pacticipantID int64) (string, error) {
	var numbers []string
	err := db.Model(&versionRow{}).Where("pacticipant_id = ?", pacticipantID).Order("id DESC").Limit(1).Pluck("number", &numbers).Error
	if err != nil || len(numbers) == 0 {
		return "", err
	}
	return numbers[0], nil
}

func latestVersionNumbers(db *gorm.DB, pacticipantIDs []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(pacticipantIDs) == 0 {
		return out, nil
	}
	var rows []versionRow
	err := db.Raw(`SELECT v.pacticipant_id, v.number FROM versions v
		WHERE v.id IN (SELECT MAX(id) FROM versions WHERE pacticipant_id IN ? GROUP BY pacticipant_id)`, pacticipantIDs).Scan(&rows).Error
	for _, r := range rows {
		out[r.PacticipantID] = r.Number
	}
	return out, err
}

func toPacticipant(r pacticipantRow, latest string) broker.Pacticipant {
	return broker.Pacticipant{ID: r.ID, Name: r.Name, DisplayName: r.DisplayName, MainBranch: r.MainBranch,
		RepositoryURL: r.RepositoryURL, RepositoryName: r.RepositoryName, RepositoryNamespace: r.RepositoryNamespace,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, LatestVersion: latest}
}

func paginate(db *gorm.DB, q broker.ListQuery) *gorm.DB {
	if q.Size <= 0 {
		return db
	}
	page := max(q.Page, 1)
	return db.Limit(q.Size).Offset((page - 1) * q.Size)
}

func escapeLike(s string) string {
	var out []rune
	for _, r := range s {
		if r == '%' || r == '_' || r == '\\' {
			continue
		}
		out = append(out, r)
	}
	return string(out)
}
