package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/treaty-dev/treaty/broker"
)

func (s *Store) AddBranchVersion(ctx context.Context, pacticipant, branch, number string) (broker.BranchVersion, bool, error) {
	if err := broker.CheckName("branch", branch); err != nil {
		return broker.BranchVersion{}, false, err
	}
	var out broker.BranchVersion
	var created bool
	err := s.write(ctx, func(tx *gorm.DB) error {
		p, _, err := s.ensurePacticipant(tx, pacticipant)
		if err != nil {
			return err
		}
		v, _, err := s.ensureVersion(tx, p, number, "")
		if err != nil {
			return err
		}
		created, err = s.addBranchVersion(tx, &p, v, branch)
		if err != nil {
			return err
		}
		out, err = branchVersion(tx, p, branch, v)
		return err
	})
	return out, created, err
}

// addBranchVersion records that v was built from branch. A version newly added becomes the
// branch's head; the first version on main, master or develop makes that branch the
// pacticipant's main branch if it has none.
func (s *Store) addBranchVersion(tx *gorm.DB, p *pacticipantRow, v versionRow, branch string) (bool, error) {
	if err := broker.CheckName("branch", branch); err != nil {
		return false, err
	}
	now := s.now()
	b := branchRow{PacticipantID: p.ID, Name: branch, CreatedAt: now, UpdatedAt: now}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&b).Error; err != nil {
		return false, err
	}
	if err := tx.Where("pacticipant_id = ? AND name = ?", p.ID, branch).Take(&b).Error; err != nil {
		return false, err
	}
	bv := branchVersionRow{BranchID: b.ID, VersionID: v.ID, PacticipantID: p.ID, CreatedAt: s.now()}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&bv)
	if res.Error != nil {
		return false, res.Error
	}
	if res.RowsAffected == 0 {
		return false, nil
	}
	if err := tx.Model(&branchRow{}).Where("id = ?", b.ID).Updates(map[string]any{"head_version_id": v.ID, "updated_at": s.now()}).Error; err != nil {
		return false, err
	}
	if p.MainBranch == "" && broker.IsMainBranchCandidate(branch) {
		p.MainBranch = branch
		if err := tx.Model(&pacticipantRow{}).Where("id = ? AND main_branch = ''", p.ID).Update("main_branch", branch).Error; err != nil {
			return false, err
		}
	}
	return true, nil
}

func (s *Store) BranchVersion(ctx context.Context, pacticipant, branch, number string) (broker.BranchVersion, error) {
	db := s.read(ctx)
	p, err := pacticipantByName(db, pacticipant)
	if err != nil {
		return broker.BranchVersion{}, err
	}
	v, err := versionByNumber(db, p, number)
	if err != nil {
		return broker.BranchVersion{}, err
	}
	out, err := branchVersion(db, p, branch, v)
	return out, translate(err)
}

func branchVersion(db *gorm.DB, p pacticipantRow, branch string, v versionRow) (broker.BranchVersion, error) {
	var row struct {
		HeadVersionID *int64
		CreatedAt     time.Time
	}
	err := db.Raw(`SELECT b.head_version_id, bv.created_at FROM branch_versions bv JOIN branches b ON b.id = bv.branch_id
		WHERE b.pacticipant_id = ? AND b.name = ? AND bv.version_id = ?`, p.ID, branch, v.ID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return broker.BranchVersion{}, broker.NotFound("version %q of %q on branch %q", v.Number, p.Name, branch)
	}
	if err != nil {
		return broker.BranchVersion{}, err
	}
	return broker.BranchVersion{Branch: branch, Version: v.Number, Latest: row.HeadVersionID != nil && *row.HeadVersionID == v.ID, CreatedAt: row.CreatedAt}, nil
}

func (s *Store) DeleteBranchVersion(ctx context.Context, pacticipant, branch, number string) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		p, err := pacticipantByName(tx, pacticipant)
		if err != nil {
			return err
		}
		b, err := branchByName(tx, p, branch)
		if err != nil {
			return err
		}
		v, err := versionByNumber(tx, p, number)
		if err != nil {
			return err
		}
		res := tx.Where("branch_id = ? AND version_id = ?", b.ID, v.ID).Delete(&branchVersionRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return broker.NotFound("version %q of %q on branch %q", number, pacticipant, branch)
		}
		return tx.Exec(`UPDATE branches SET head_version_id = (SELECT MAX(version_id) FROM branch_versions WHERE branch_id = ?) WHERE id = ?`, b.ID, b.ID).Error
	})
}

func (s *Store) Branch(ctx context.Context, pacticipant, branch string) (broker.Branch, error) {
	db := s.read(ctx)
	p, err := pacticipantByName(db, pacticipant)
	if err != nil {
		return broker.Branch{}, err
	}
	b, err := branchByName(db, p, branch)
	if err != nil {
		return broker.Branch{}, err
	}
	out, err := toBranches(db, p, []branchRow{b})
	if err != nil {
		return broker.Branch{}, translate(err)
	}
	return out[0], nil
}

func (s *Store) Branches(ctx context.Context, pacticipant string, q broker.ListQuery) ([]broker.Branch, int, error) {
	db := s.read(ctx)
	p, err := pacticipantByName(db, pacticipant)
	if err != nil {
		return nil, 0, err
	}
	base := db.Model(&branchRow{}).Where("pacticipant_id = ?", p.ID)
	if q.Q != "" {
		base = base.Where("name LIKE ?", "%"+escapeLike(q.Q)+"%")
	}
	var total int64
	if err := base.Count(&total).Error; err != nil {
		return nil, 0, translate(err)
	}
	var rows []branchRow
	if err := paginate(base.Order("updated_at DESC, id DESC"), q).Find(&rows).Error; err != nil {
		return nil, 0, translate(err)
	}
	out, err := toBranches(db, p, rows)
	return out, int(total), translate(err)
}

func (s *Store) DeleteBranch(ctx context.Context, pacticipant, branch string) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		p, err := pacticipantByName(tx, pacticipant)
		if err != nil {
			return err
		}
		b, err := branchByName(tx, p, branch)
		if err != nil {
			return err
		}
		// The branch and its membership go; the versions and their pacts stay.
		return tx.Delete(&branchRow{}, b.ID).Error
	})
}

func branchByName(db *gorm.DB, p pacticipantRow, name string) (branchRow, error) {
	var b branchRow
	err := db.Where("pacticipant_id = ? AND name = ?", p.ID, name).Take(&b).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return b, broker.NotFound("branch %q of %q", name, p.Name)
	}
	return b, err
}

func toBranches(db *gorm.DB, p pacticipantRow, rows []branchRow) ([]broker.Branch, error) {
	var headIDs []int64
	for _, b := range rows {
		if b.HeadVersionID != nil {
			headIDs = append(headIDs, *b.HeadVersionID)
		}
	}
	numbers := map[int64]string{}
	if len(headIDs) > 0 {
		var vs []versionRow
		if err := db.Select("id, number").Where("id IN ?", headIDs).Find(&vs).Error; err != nil {
			return nil, err
		}
		for _, v := range vs {
			numbers[v.ID] = v.Number
		}
	}
	out := make([]broker.Branch, len(rows))
	for i, b := range rows {
		out[i] = broker.Branch{Pacticipant: p.Name, Name: b.Name, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt}
		if b.HeadVersionID != nil {
			out[i].Head = numbers[*b.HeadVersionID]
		}
	}
	return out, nil
}
