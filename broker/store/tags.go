package store

import (
	"context"
	"errors"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/treaty-dev/treaty/broker"
)

func (s *Store) AddTag(ctx context.Context, pacticipant, number, tag string) (broker.Tag, bool, error) {
	if err := broker.CheckName("tag", tag); err != nil {
		return broker.Tag{}, false, err
	}
	var out broker.Tag
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
		if created, err = s.addTag(tx, p, v, tag); err != nil {
			return err
		}
		out, err = tagOf(tx, p, v, tag)
		return err
	})
	return out, created, err
}

func (s *Store) addTag(tx *gorm.DB, p pacticipantRow, v versionRow, name string) (bool, error) {
	if err := broker.CheckName("tag", name); err != nil {
		return false, err
	}
	t := tagRow{VersionID: v.ID, PacticipantID: p.ID, Name: name, CreatedAt: s.now()}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&t)
	return res.RowsAffected == 1, res.Error
}

func (s *Store) Tag(ctx context.Context, pacticipant, number, tag string) (broker.Tag, error) {
	db := s.read(ctx)
	p, err := pacticipantByName(db, pacticipant)
	if err != nil {
		return broker.Tag{}, err
	}
	v, err := versionByNumber(db, p, number)
	if err != nil {
		return broker.Tag{}, err
	}
	out, err := tagOf(db, p, v, tag)
	return out, translate(err)
}

func (s *Store) DeleteTag(ctx context.Context, pacticipant, number, tag string) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		p, err := pacticipantByName(tx, pacticipant)
		if err != nil {
			return err
		}
		v, err := versionByNumber(tx, p, number)
		if err != nil {
			return err
		}
		res := tx.Where("version_id = ? AND name = ?", v.ID, tag).Delete(&tagRow{})
		if res.Error == nil && res.RowsAffected == 0 {
			return broker.NotFound("tag %q on version %q of %q", tag, number, pacticipant)
		}
		return res.Error
	})
}

func tagOf(db *gorm.DB, p pacticipantRow, v versionRow, name string) (broker.Tag, error) {
	var t tagRow
	err := db.Where("version_id = ? AND name = ?", v.ID, name).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return broker.Tag{}, broker.NotFound("tag %q on version %q of %q", name, v.Number, p.Name)
	}
	return broker.Tag{Pacticipant: p.Name, Version: v.Number, Name: t.Name, CreatedAt: t.CreatedAt}, err
}
