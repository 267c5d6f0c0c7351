package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/pipelines"
)

// The pipelines' storage: runs and their steps, and the deploy locks. Runs name their service
// by name rather than by reference, as the decision log does, so history outlives a deleted
// pacticipant. A deploy lock is one row per (service, environment) whose lease is taken or
// renewed by a single conditional upsert, so two processes or replicas can never both hold
// it.

var _ pipelines.Store = (*Store)(nil)

type pipelineRunRow struct {
	ID         int64 `gorm:"primaryKey"`
	Service    string
	Version    string
	CommitID   string
	Branch     string
	FromStage  string
	UntilStage string
	Status     string
	Stage      string
	Message    string
	Author     string
	StartedAt  time.Time
	FinishedAt *time.Time
	DurationMs *int64
}

func (pipelineRunRow) TableName() string { return "pipeline_runs" }

func (r pipelineRunRow) run() pipelines.Run {
	out := pipelines.Run{ID: r.ID, Service: r.Service, Version: r.Version, Commit: r.CommitID, Branch: r.Branch, From: r.FromStage,
		Until: r.UntilStage, Status: pipelines.Status(r.Status), Stage: r.Stage, Message: r.Message, Author: r.Author,
		StartedAt: r.StartedAt.UTC(), FinishedAt: utcPtr(r.FinishedAt)}
	if r.DurationMs != nil {
		out.DurationMillis = *r.DurationMs
	}
	return out
}

type pipelineStepRow struct {
	ID          int64 `gorm:"primaryKey"`
	RunID       int64
	Stage       string
	Name        string
	Uses        string
	Environment string
	Status      string
	Attempts    int
	Message     string
	LogTail     string
	StartedAt   time.Time
	FinishedAt  *time.Time
	DurationMs  *int64
}

func (pipelineStepRow) TableName() string { return "pipeline_steps" }

func (r pipelineStepRow) step() pipelines.StepRun {
	out := pipelines.StepRun{ID: r.ID, Stage: r.Stage, Name: r.Name, Uses: r.Uses, Environment: r.Environment,
		Status: pipelines.Status(r.Status), Attempts: r.Attempts, Message: r.Message, LogTail: r.LogTail,
		StartedAt: r.StartedAt.UTC(), FinishedAt: utcPtr(r.FinishedAt)}
	if r.DurationMs != nil {
		out.DurationMillis = *r.DurationMs
	}
	return out
}

type pipelineLockRow struct {
	Service     string `gorm:"primaryKey"`
	Environment string `gorm:"primaryKey"`
	Holder      string
	AcquiredAt  time.Time
	ExpiresAt   time.Time
}

func (pipelineLockRow) TableName() string { return "pipeline_locks" }

func (r pipelineLockRow) lock() pipelines.Lock {
	return pipelines.Lock{Service: r.Service, Environment: r.Environment, Holder: r.Holder, AcquiredAt: r.AcquiredAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func durationPtr(r pipelines.Run) *int64 {
	if r.FinishedAt == nil {
		return nil
	}
	d := r.DurationMillis
	return &d
}

func (s *Store) CreateRun(ctx context.Context, r pipelines.Run) (pipelines.Run, error) {
	if r.Status == "" {
		r.Status = pipelines.Running
	}
	if err := r.Validate(); err != nil {
		return pipelines.Run{}, err
	}
	row := pipelineRunRow{Service: r.Service, Version: r.Version, CommitID: r.Commit, Branch: r.Branch, FromStage: r.From,
		UntilStage: r.Until, Status: string(r.Status), Stage: r.Stage, Message: r.Message, Author: r.Author,
		StartedAt: s.now(), FinishedAt: utcPtr(r.FinishedAt), DurationMs: durationPtr(r)}
	err := s.write(ctx, func(tx *gorm.DB) error { return tx.Create(&row).Error })
	if err != nil {
		return pipelines.Run{}, fmt.Errorf("record the run of %s %s: %w", r.Service, r.Version, err)
	}
	return row.run(), nil
}

func (s *Store) UpdateRun(ctx context.Context, r pipelines.Run) (pipelines.Run, error) {
	if err := r.Validate(); err != nil {
		return pipelines.Run{}, err
	}
	var out pipelines.Run
	err := s.write(ctx, func(tx *gorm.DB) error {
		var row pipelineRunRow
		if err := tx.Where("id = ?", r.ID).Take(&row).Error; err != nil {
			return runNotFound(err, r.ID)
		}
		if row.Service != r.Service || row.Version != r.Version {
			return broker.Invalid("service", "run %d is of %s %s, not %s %s", r.ID, row.Service, row.Version, r.Service, r.Version)
		}
		if pipelines.Status(row.Status).Done() && row.Status != string(r.Status) {
			return &broker.ConflictError{Field: "status", Message: fmt.Sprintf("run %d is already %s", r.ID, row.Status)}
		}
		updates := map[string]any{"status": string(r.Status), "stage": r.Stage, "message": r.Message}
		if r.Status.Done() {
			end := s.now()
			if r.FinishedAt != nil {
				end = r.FinishedAt.UTC()
			}
			d := end.Sub(row.StartedAt).Milliseconds()
			updates["finished_at"], updates["duration_ms"] = end, d
		}
		if err := tx.Model(&pipelineRunRow{}).Where("id = ?", r.ID).Updates(updates).Error; err != nil {
			return err
		}
		var err error
		out, err = runWithSteps(tx, r.ID)
		return err
	})
	return out, err
}

func runNotFound(err error, id int64) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return broker.NotFound("pipeline run %d", id)
	}
	return err
}

func (s *Store) RecordStep(ctx context.Context, runID int64, st pipelines.StepRun) (pipelines.StepRun, error) {
	if err := st.Validate(); err != nil {
		return pipelines.StepRun{}, err
	}
	var out pipelines.StepRun
	err := s.write(ctx, func(tx *gorm.DB) error {
		var run pipelineRunRow
		if err := tx.Where("id = ?", runID).Take(&run).Error; err != nil {
			return runNotFound(err, runID)
		}
		started := st.StartedAt.UTC()
		if started.IsZero() {
			started = s.now()
		}
		row := pipelineStepRow{RunID: runID, Stage: st.Stage, Name: st.Name, Uses: st.Uses, Environment: st.Environment,
			Status: string(st.Status), Attempts: st.Attempts, Message: st.Message, LogTail: st.LogTail, StartedAt: started,
			FinishedAt: utcPtr(st.FinishedAt)}
		if st.FinishedAt != nil {
			d := st.DurationMillis
			if d == 0 {
				d = st.FinishedAt.Sub(started).Milliseconds()
			}
			row.DurationMs = &d
		}
		var existing pipelineStepRow
		err := tx.Where("run_id = ? AND stage = ? AND name = ?", runID, st.Stage, st.Name).Limit(1).Find(&existing).Error
		if err != nil {
			return err
		}
		if existing.ID == 0 {
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
		} else {
			row.ID = existing.ID
			updates := map[string]any{"uses": row.Uses, "environment": row.Environment, "status": row.Status, "attempts": row.Attempts,
				"message": row.Message, "log_tail": row.LogTail, "started_at": row.StartedAt, "finished_at": row.FinishedAt, "duration_ms": row.DurationMs}
			if err := tx.Model(&pipelineStepRow{}).Where("id = ?", existing.ID).Updates(updates).Error; err != nil {
				return err
			}
		}
		out = row.step()
		return nil
	})
	return out, err
}

func (s *Store) Run(ctx context.Context, id int64) (pipelines.Run, error) {
	r, err := runWithSteps(s.read(ctx), id)
	return r, translate(err)
}

func runWithSteps(db *gorm.DB, id int64) (pipelines.Run, error) {
	var row pipelineRunRow
	if err := db.Where("id = ?", id).Take(&row).Error; err != nil {
		return pipelines.Run{}, runNotFound(err, id)
	}
	var steps []pipelineStepRow
	if err := db.Where("run_id = ?", id).Order("started_at, id").Find(&steps).Error; err != nil {
		return pipelines.Run{}, err
	}
	r := row.run()
	r.Steps = make([]pipelines.StepRun, len(steps))
	for i, st := range steps {
		r.Steps[i] = st.step()
	}
	return r, nil
}

func (s *Store) Runs(ctx context.Context, q pipelines.RunQuery) ([]pipelines.Run, error) {
	limit := q.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	db := s.read(ctx).Model(&pipelineRunRow{})
	if q.Service != "" {
		db = db.Where("service = ?", q.Service)
	}
	if q.Status != "" {
		db = db.Where("status = ?", string(q.Status))
	}
	if q.BeforeID > 0 {
		db = db.Where("id < ?", q.BeforeID)
	}
	var rows []pipelineRunRow
	if err := db.Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]pipelines.Run, len(rows))
	for i, r := range rows {
		out[i] = r.run()
	}
	return out, nil
}

func (s *Store) AcquireLock(ctx context.Context, service, environment, holder string, ttl time.Duration) (pipelines.Lock, error) {
	v := &broker.ValidationError{}
	for _, f := range []struct{ field, value string }{{"service", service}, {"environment", environment}, {"holder", holder}} {
		if err := broker.CheckName(f.field, f.value); err != nil {
			v.Add(f.field, "cannot be blank")
		}
	}
	if ttl < time.Second || ttl > 24*time.Hour {
		v.Add("ttl", "%s must be between 1s and 24h", ttl)
	}
	if err := v.Err(); err != nil {
		return pipelines.Lock{}, err
	}
	var out pipelines.Lock
	err := s.write(ctx, func(tx *gorm.DB) error {
		now := s.now()
		// One statement: insert the lease, or take it over when it is ours or has expired. The
		// database's row lock on the conflicting row makes the check and the write one step.
		res := tx.Exec(`INSERT INTO pipeline_locks (service, environment, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (service, environment) DO UPDATE SET
	acquired_at = CASE WHEN pipeline_locks.holder = excluded.holder THEN pipeline_locks.acquired_at ELSE excluded.acquired_at END,
	holder = excluded.holder, expires_at = excluded.expires_at
WHERE pipeline_locks.holder = excluded.holder OR pipeline_locks.expires_at <= ?`,
			service, environment, holder, now, now.Add(ttl), now)
		if res.Error != nil {
			return res.Error
		}
		var row pipelineLockRow
		if err := tx.Where("service = ? AND environment = ?", service, environment).Take(&row).Error; err != nil {
			return err
		}
		if res.RowsAffected == 0 || row.Holder != holder {
			return &broker.ConflictError{Field: "holder", Message: fmt.Sprintf("%s in %s is being deployed by %s (lease until %s)",
				service, environment, row.Holder, row.ExpiresAt.UTC().Format(time.RFC3339))}
		}
		out = row.lock()
		return nil
	})
	return out, err
}

func (s *Store) ReleaseLock(ctx context.Context, service, environment, holder string) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		return tx.Where("service = ? AND environment = ? AND holder = ?", service, environment, holder).Delete(&pipelineLockRow{}).Error
	})
}

func (s *Store) Locks(ctx context.Context) ([]pipelines.Lock, error) {
	var rows []pipelineLockRow
	if err := s.read(ctx).Where("expires_at > ?", s.now()).Order("service, environment").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]pipelines.Lock, len(rows))
	for i, r := range rows {
		out[i] = r.lock()
	}
	return out, nil
}
