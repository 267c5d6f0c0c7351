package store

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/treaty-dev/treaty/broker"
)

func (s *Store) CreateEnvironment(ctx context.Context, env broker.Environment) (broker.Environment, error) {
	if err := env.Validate(); err != nil {
		return broker.Environment{}, err
	}
	if env.UUID == "" {
		env.UUID = uuid.NewString()
	}
	if env.DisplayName == "" {
		env.DisplayName = broker.DefaultDisplayName(env.Name)
	}
	var out broker.Environment
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := uniqueEnvironment(tx, env, 0); err != nil {
			return err
		}
		now := s.now()
		row := environmentRow{UUID: env.UUID, Name: env.Name, DisplayName: env.DisplayName, Production: env.Production,
			Contacts: contactsJSON(env.Contacts), CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		out = toEnvironment(row)
		return nil
	})
	return out, err
}

func uniqueEnvironment(tx *gorm.DB, env broker.Environment, exceptID int64) error {
	var rows []environmentRow
	if err := tx.Where("(name = ? OR uuid = ?) AND id <> ?", env.Name, env.UUID, exceptID).Find(&rows).Error; err != nil {
		return err
	}
	v := &broker.ValidationError{}
	for _, r := range rows {
		if r.Name == env.Name {
			v.Add("name", "name '%s' is already used by an existing environment.", env.Name)
		}
		if r.UUID == env.UUID {
			v.Add("uuid", "uuid '%s' is already used by an existing environment.", env.UUID)
		}
	}
	return v.Err()
}

func (s *Store) Environment(ctx context.Context, id string) (broker.Environment, error) {
	row, err := environmentByUUID(s.read(ctx), id)
	return toEnvironment(row), err
}

func (s *Store) Environments(ctx context.Context, name string) ([]broker.Environment, error) {
	db := s.read(ctx).Order("name")
	if name != "" {
		db = db.Where("name = ?", name)
	}
	var rows []environmentRow
	if err := db.Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]broker.Environment, len(rows))
	for i, r := range rows {
		out[i] = toEnvironment(r)
	}
	return out, nil
}

func (s *Store) ReplaceEnvironment(ctx context.Context, id string, env broker.Environment) (broker.Environment, error) {
	env.UUID = id
	if err := env.Validate(); err != nil {
		return broker.Environment{}, err
	}
	if env.DisplayName == "" {
		env.DisplayName = broker.DefaultDisplayName(env.Name)
	}
	var out broker.Environment
	err := s.write(ctx, func(tx *gorm.DB) error {
		row, err := environmentByUUID(tx, id)
		if err != nil {
			return err
		}
		if err := uniqueEnvironment(tx, env, row.ID); err != nil {
			return err
		}
		row.Name, row.DisplayName, row.Production = env.Name, env.DisplayName, env.Production
		row.Contacts, row.UpdatedAt = contactsJSON(env.Contacts), s.now()
		if err := tx.Save(&row).Error; err != nil {
			return err
		}
		out = toEnvironment(row)
		return nil
	})
	return out, err
}

func (s *Store) DeleteEnvironment(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		row, err := environmentByUUID(tx, id)
		if err != nil {
			return err
		}
		return tx.Delete(&environmentRow{}, row.ID).Error
	})
}

func environmentByUUID(db *gorm.DB, id string) (environmentRow, error) {
	var row environmentRow
	err := db.Where("uuid = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return row, broker.NotFound("environment %q", id)
	}
	return row, translate(err)
}

func contactsJSON(c []broker.Contact) string {
	if c == nil {
		c = []broker.Contact{}
	}
	b, _ := json.Marshal(c)
	return string(b)
}

func toEnvironment(r environmentRow) broker.Environment {
	var contacts []broker.Contact
	_ = json.Unmarshal([]byte(r.Contacts), &contacts)
	return broker.Environment{ID: r.ID, UUID: r.UUID, Name: r.Name, DisplayName: r.DisplayName, Production: r.Production,
		Contacts: contacts, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}
