package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/treaty-dev/treaty/broker"
)

func (s *Store) RecordDeployment(ctx context.Context, pacticipant, number, envUUID string, instance *string) (broker.DeployedVersion, error) {
	if instance != nil {
		if err := broker.CheckName("applicationInstance", *instance); err != nil {
			return broker.DeployedVersion{}, err
		}
	}
	var out broker.DeployedVersion
	err := s.write(ctx, func(tx *gorm.DB) error {
		p, err := pacticipantByName(tx, pacticipant)
		if err != nil {
			return err
		}
		v, err := versionByNumber(tx, p, number)
		if err != nil {
			return err
		}
		env, err := environmentByUUID(tx, envUUID)
		if err != nil {
			return err
		}
		current := tx.Model(&deployedVersionRow{}).Where("pacticipant_id = ? AND environment_id = ? AND undeployed_at IS NULL", p.ID, env.ID)
		if instance == nil {
			current = current.Where("target IS NULL")
		} else {
			current = current.Where("target = ?", *instance)
		}
		var existing []deployedVersionRow
		if err := current.Session(&gorm.Session{}).Clauses(lockForUpdate(s.dialect)...).Find(&existing).Error; err != nil {
			return err
		}
		for _, d := range existing {
			if d.VersionID == v.ID {
				// Already running there: recording it again changes nothing.
				found, err := deployedVersionsWhere(tx, "d.id = ?", d.ID)
				if err != nil {
					return err
				}
				out = found[0].DeployedVersion
				return nil
			}
		}
		// The new deployment replaces whatever ran on the same instance.
		if err := current.Update("undeployed_at", s.now()).Error; err != nil {
			return err
		}
		row := deployedVersionRow{UUID: uuid.NewString(), VersionID: v.ID, PacticipantID: p.ID, EnvironmentID: env.ID, Target: instance, CreatedAt: s.now()}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		found, err := deployedVersionsWhere(tx, "d.id = ?", row.ID)
		if err != nil {
			return err
		}
		out = found[0].DeployedVersion
		return nil
	})
	return out, err
}

func lockForUpdate(dialect string) []clause.Expression {
	if dialect == "postgres" {
		return []clause.Expression{clause.Locking{Strength: "UPDATE"}}
	}
	return nil
}

func (s *Store) CurrentlyDeployed(ctx context.Context, envUUID string, f broker.DeploymentFilter) ([]broker.DeployedVersion, error) {
	db := s.read(ctx)
	env, err := environmentByUUID(db, envUUID)
	if err != nil {
		return nil, err
	}
	where := "d.environment_id = ? AND d.undeployed_at IS NULL"
	args := []any{env.ID}
	if f.Pacticipant != "" {
		where += " AND p.name = ?"
		args = append(args, f.Pacticipant)
	}
	if f.InstanceSet {
		if f.Instance == nil {
			where += " AND d.target IS NULL"
		} else {
			where += " AND d.target = ?"
			args = append(args, *f.Instance)
		}
	}
	rows, err := deployedVersionsWhere(db, where, args...)
	return unwrapDeployed(rows), translate(err)
}

func (s *Store) DeployedVersion(ctx context.Context, id string) (broker.DeployedVersion, error) {
	rows, err := deployedVersionsWhere(s.read(ctx), "d.uuid = ?", id)
	if err != nil {
		return broker.DeployedVersion{}, translate(err)
	}
	if len(rows) == 0 {
		return broker.DeployedVersion{}, broker.NotFound("deployed version %q", id)
	}
	return rows[0].DeployedVersion, nil
}

func (s *Store) DeployedVersionsOf(ctx context.Context, pacticipant, number, envUUID string) ([]broker.DeployedVersion, error) {
	db := s.read(ctx)
	p, err := pacticipantByName(db, pacticipant)
	if err != nil {
		return nil, err
	}
	v, err := versionByNumber(db, p, number)
	if err != nil {
		return nil, err
	}
	env, err := environmentByUUID(db, envUUID)
	if err != nil {
		return nil, err
	}
	rows, err := deployedVersionsWhere(db, "d.version_id = ? AND d.environment_id = ?", v.ID, env.ID)
	return unwrapDeployed(rows), translate(err)
}

func (s *Store) RecordUndeployment(ctx context.Context, id string) (broker.DeployedVersion, error) {
	var out broker.DeployedVersion
	err := s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&deployedVersionRow{}).Where("uuid = ? AND undeployed_at IS NULL", id).Update("undeployed_at", s.now())
		if res.Error != nil {
			return res.Error
		}
		rows, err := deployedVersionsWhere(tx, "d.uuid = ?", id)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return broker.NotFound("deployed version %q", id)
		}
		out = rows[0].DeployedVersion
		return nil
	})
	return out, err
}

func (s *Store) RecordRelease(ctx context.Context, pacticipant, number, envUUID string) (broker.ReleasedVersion, bool, error) {
	var out broker.ReleasedVersion
	var created bool
	err := s.write(ctx, func(tx *gorm.DB) error {
		p, err := pacticipantByName(tx, pacticipant)
		if err != nil {
			return err
		}
		v, err := versionByNumber(tx, p, number)
		if err != nil {
			return err
		}
		env, err := environmentByUUID(tx, envUUID)
		if err != nil {
			return err
		}
		row := releasedVersionRow{UUID: uuid.NewString(), VersionID: v.ID, PacticipantID: p.ID, EnvironmentID: env.ID, CreatedAt: s.now()}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil {
			return res.Error
		}
		created = res.RowsAffected == 1
		if !created {
			// Releasing again re-supports a version whose support had ended.
			if err := tx.Model(&releasedVersionRow{}).Where("version_id = ? AND environment_id = ?", v.ID, env.ID).
				Update("support_ended_at", nil).Error; err != nil {
				return err
			}
		}
		rows, err := releasedVersionsWhere(tx, "r.version_id = ? AND r.environment_id = ?", v.ID, env.ID)
		if err != nil {
			return err
		}
		out = rows[0].ReleasedVersion
		return nil
	})
	return out, created, err
}

func (s *Store) CurrentlySupported(ctx context.Context, envUUID string, f broker.ReleaseFilter) ([]broker.ReleasedVersion, error) {
	db := s.read(ctx)
	env, err := environmentByUUID(db, envUUID)
	if err != nil {
		return nil, err
	}
	where := "r.environment_id = ? AND r.support_ended_at IS NULL"
	args := []any{env.ID}
	if f.Pacticipant != "" {
		where += " AND p.name = ?"
		args = append(args, f.Pacticipant)
	}
	if f.Version != "" {
		where += " AND v.number = ?"
		args = append(args, f.Version)
	}
	rows, err := releasedVersionsWhere(db, where, args...)
	return unwrapReleased(rows), translate(err)
}

func (s *Store) ReleasedVersion(ctx context.Context, id string) (broker.ReleasedVersion, error) {
	rows, err := releasedVersionsWhere(s.read(ctx), "r.uuid = ?", id)
	if err != nil {
		return broker.ReleasedVersion{}, translate(err)
	}
	if len(rows) == 0 {
		return broker.ReleasedVersion{}, broker.NotFound("released version %q", id)
	}
	return rows[0].ReleasedVersion, nil
}

func (s *Store) ReleasedVersionsOf(ctx context.Context, pacticipant, number, envUUID string) ([]broker.ReleasedVersion, error) {
	db := s.read(ctx)
	p, err := pacticipantByName(db, pacticipant)
	if err != nil {
		return nil, err
	}
	v, err := versionByNumber(db, p, number)
	if err != nil {
		return nil, err
	}
	env, err := environmentByUUID(db, envUUID)
	if err != nil {
		return nil, err
	}
	rows, err := releasedVersionsWhere(db, "r.version_id = ? AND r.environment_id = ?", v.ID, env.ID)
	return unwrapReleased(rows), translate(err)
}

func (s *Store) RecordSupportEnded(ctx context.Context, id string) (broker.ReleasedVersion, error) {
	var out broker.ReleasedVersion
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&releasedVersionRow{}).Where("uuid = ? AND support_ended_at IS NULL", id).Update("support_ended_at", s.now()).Error; err != nil {
			return err
		}
		rows, err := releasedVersionsWhere(tx, "r.uuid = ?", id)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return broker.NotFound("released version %q", id)
		}
		out = rows[0].ReleasedVersion
		return nil
	})
	return out, err
}

type deployedWithVersion struct {
	broker.DeployedVersion
	versionID int64
}

type releasedWithVersion struct {
	broker.ReleasedVersion
	versionID int64
}

type envColumns struct {
	EnvID          int64
	EnvUUID        string
	EnvName        string
	EnvDisplayName string
	EnvProduction  bool
	EnvContacts    string
	EnvCreatedAt   time.Time
	EnvUpdatedAt   time.Time
}

func (e envColumns) environment() broker.Environment {
	return toEnvironment(environmentRow{ID: e.EnvID, UUID: e.EnvUUID, Name: e.EnvName, DisplayName: e.EnvDisplayName,
		Production: e.EnvProduction, Contacts: e.EnvContacts, CreatedAt: e.EnvCreatedAt, UpdatedAt: e.EnvUpdatedAt})
}

const envSelect = `e.id AS env_id, e.uuid AS env_uuid, e.name AS env_name, e.display_name AS env_display_name,
	e.production AS env_production, e.contacts AS env_contacts, e.created_at AS env_created_at, e.updated_at AS env_updated_at`

func deployedVersionsWhere(db *gorm.DB, where string, args ...any) ([]deployedWithVersion, error) {
	var rows []struct {
		Row             deployedVersionRow `gorm:"embedded"`
		PacticipantName string
		VersionNumber   string
		Env             envColumns `gorm:"embedded"`
	}
	err := db.Raw(`SELECT d.*, p.name AS pacticipant_name, v.number AS version_number, `+envSelect+`
		FROM deployed_versions d JOIN versions v ON v.id = d.version_id JOIN pacticipants p ON p.id = d.pacticipant_id
		JOIN environments e ON e.id = d.environment_id WHERE `+where+` ORDER BY d.id`, args...).Scan(&rows).Error
	out := make([]deployedWithVersion, len(rows))
	for i, r := range rows {
		d := r.Row
		out[i] = deployedWithVersion{versionID: d.VersionID, DeployedVersion: broker.DeployedVersion{
			ID: d.ID, UUID: d.UUID, Pacticipant: r.PacticipantName, Version: r.VersionNumber, Environment: r.Env.environment(),
			ApplicationInstance: d.Target, CurrentlyDeployed: d.UndeployedAt == nil, CreatedAt: d.CreatedAt, UndeployedAt: d.UndeployedAt}}
	}
	return out, err
}

func releasedVersionsWhere(db *gorm.DB, where string, args ...any) ([]releasedWithVersion, error) {
	var rows []struct {
		Row             releasedVersionRow `gorm:"embedded"`
		PacticipantName string
		VersionNumber   string
		Env             envColumns `gorm:"embedded"`
	}
	err := db.Raw(`SELECT r.*, p.name AS pacticipant_name, v.number AS version_number, `+envSelect+`
		FROM released_versions r JOIN versions v ON v.id = r.version_id JOIN pacticipants p ON p.id = r.pacticipant_id
		JOIN environments e ON e.id = r.environment_id WHERE `+where+` ORDER BY r.id`, args...).Scan(&rows).Error
	out := make([]releasedWithVersion, len(rows))
	for i, r := range rows {
		rv := r.Row
		out[i] = releasedWithVersion{versionID: rv.VersionID, ReleasedVersion: broker.ReleasedVersion{
			ID: rv.ID, UUID: rv.UUID, Pacticipant: r.PacticipantName, Version: r.VersionNumber, Environment: r.Env.environment(),
			CurrentlySupported: rv.SupportEndedAt == nil, CreatedAt: rv.CreatedAt, SupportEndedAt: rv.SupportEndedAt}}
	}
	return out, err
}

func unwrapDeployed(rows []deployedWithVersion) []broker.DeployedVersion {
	out := make([]broker.DeployedVersion, len(rows))
	for i, r := range rows {
		out[i] = r.DeployedVersion
	}
	return out
}

func unwrapReleased(rows []releasedWithVersion) []broker.ReleasedVersion {
	out := make([]broker.ReleasedVersion, len(rows))
	for i, r := range rows {
		out[i] = r.ReleasedVersion
	}
	return out
}
