package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/gates"
)

// The release gates' storage: candidates (versions with artifacts and an author), facts,
// reviews, holds, the policy's versions, the hash-chained decision log and those waiting for
// decisions. The decision log names pacticipants and environments by name rather than by
// reference, so deleting them never deletes history.

var _ gates.Store = (*Store)(nil)

type gateCandidateRow struct {
	VersionID int64 `gorm:"primaryKey"`
	Author    string
	BuildURL  string `gorm:"column:build_url"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (gateCandidateRow) TableName() string { return "gate_candidates" }

type gateArtifactRow struct {
	ID        int64 `gorm:"primaryKey"`
	VersionID int64
	Name      string
	Tag       string
	Digest    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (gateArtifactRow) TableName() string { return "gate_artifacts" }

type gateFactRow struct {
	ID            int64 `gorm:"primaryKey"`
	VersionID     int64
	Name          string
	EnvironmentID *int64
	Status        string
	Counts        *string
	Format        string
	Digest        string
	URL           string `gorm:"column:url"`
	RecordedBy    string
	CreatedAt     time.Time
}

func (gateFactRow) TableName() string { return "gate_facts" }

type gateReviewRow struct {
	ID            int64 `gorm:"primaryKey"`
	VersionID     int64
	EnvironmentID int64
	Decision      string
	Reviewer      string
	Comment       string
	Digest        string
	CreatedAt     time.Time
}

func (gateReviewRow) TableName() string { return "gate_reviews" }

type gateHoldRow struct {
	ID            int64 `gorm:"primaryKey"`
	EnvironmentID int64
	PacticipantID *int64
	HeldBy        string
	Reason        string
	CreatedAt     time.Time
	ReleasedBy    *string
	ReleasedAt    *time.Time
}

func (gateHoldRow) TableName() string { return "gate_holds" }

type gatePolicyRow struct {
	Version   int `gorm:"primaryKey;autoIncrement:false"`
	Document  string
	Digest    string
	AppliedBy string
	Comment   string
	CreatedAt time.Time
}

func (gatePolicyRow) TableName() string { return "gate_policies" }

type gateDecisionRow struct {
	ID            int64 `gorm:"primaryKey;autoIncrement:false"`
	Pacticipant   string
	Version       string
	Environment   string
	Transition    string
	Result        string
	PolicyVersion int
	Body          string
	PrevHash      string
	Hash          string
	CreatedAt     time.Time
}

func (gateDecisionRow) TableName() string { return "gate_decisions" }

func (r gateDecisionRow) sealed() gates.SealedEntry {
	return gates.SealedEntry{ID: r.ID, Body: []byte(r.Body), Hash: r.Hash, PrevHash: r.PrevHash, Pacticipant: r.Pacticipant,
		Version: r.Version, Environment: r.Environment, Transition: r.Transition, Result: r.Result}
}

type gateWaitRow struct {
	ID           int64 `gorm:"primaryKey"`
	Kind         string
	WaitKey      string
	Pacticipant  string
	Version      string
	Environment  string
	Payload      string
	State        string
	Attempts     int
	NextCheckAt  *time.Time
	ClaimedUntil *time.Time
	// Nudges counts the facts that made the wait due; ClaimedNudges is the count when it was
	// last claimed, so a nudge while it is in hand is not lost.
	Nudges        int
	ClaimedNudges int
	LastDecision  *int64
	Message       string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (gateWaitRow) TableName() string { return "gate_waits" }

func (r gateWaitRow) wait() gates.Wait {
	w := gates.Wait{ID: r.ID, Kind: r.Kind, Key: r.WaitKey, Pacticipant: r.Pacticipant, Version: r.Version, Environment: r.Environment,
		Payload: json.RawMessage(r.Payload), State: r.State, Attempts: r.Attempts, NextCheck: r.NextCheckAt, Message: r.Message, CreatedAt: r.CreatedAt}
	if r.LastDecision != nil {
		w.LastDecision = *r.LastDecision
	}
	return w
}

// candidate is a version as the gates know it.
type candidate struct {
	p   pacticipantRow
	v   versionRow
	row gateCandidateRow // zero when nothing but the version is known
	c   gates.Candidate
}

// findCandidate looks up a candidate: an unknown pacticipant or version is an unknown
// candidate, which the gates can say nothing about.
func findCandidate(db *gorm.DB, pacticipant, version string) (candidate, error) {
	var c candidate
	var err error
	unknown := func() error {
		return broker.NotFound("candidate %s %s", pacticipant, version)
	}
	if c.p, err = pacticipantByName(db, pacticipant); err != nil {
		if errors.Is(err, broker.ErrNotFound) {
			return c, unknown()
		}
		return c, err
	}
	if c.v, err = versionByNumber(db, c.p, version); err != nil {
		if errors.Is(err, broker.ErrNotFound) {
			return c, unknown()
		}
		return c, err
	}
	if err := db.Where("version_id = ?", c.v.ID).Limit(1).Find(&c.row).Error; err != nil {
		return c, err
	}
	var artifacts []gateArtifactRow
	if err := db.Where("version_id = ?", c.v.ID).Order("name").Find(&artifacts).Error; err != nil {
		return c, err
	}
	c.c = gates.Candidate{Pacticipant: c.p.Name, Version: c.v.Number, Author: c.row.Author, BuildURL: c.row.BuildURL,
		Artifacts: make([]gates.Artifact, len(artifacts)), CreatedAt: c.v.CreatedAt}
	if c.c.BuildURL == "" {
		c.c.BuildURL = c.v.BuildURL
	}
	for i, a := range artifacts {
		c.c.Artifacts[i] = gates.Artifact{Name: a.Name, Tag: a.Tag, Digest: a.Digest, RecordedAt: a.CreatedAt}
	}
	return c, nil
}

// environmentNamed finds an environment named in a request body: an unknown one is invalid
// input for that field.
func environmentNamed(db *gorm.DB, field, name string) (environmentRow, error) {
	var row environmentRow
	err := db.Where("name = ?", name).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return row, broker.Invalid(field, "no environment is named %q (treaty environment create)", name)
	}
	return row, err
}

func (s *Store) Candidate(ctx context.Context, pacticipant, version string) (gates.Candidate, error) {
	c, err := findCandidate(s.read(ctx), pacticipant, version)
	return c.c, translate(err)
}

func (s *Store) RecordArtifact(ctx context.Context, req gates.ArtifactRequest) (gates.Candidate, error) {
	v := &broker.ValidationError{}
	if len(req.Author) > broker.MaxNameLength {
		v.Add("author", "must be at most %d characters", broker.MaxNameLength)
	}
	if len(req.BuildURL) > broker.MaxFieldLength {
		v.Add("buildUrl", "must be at most %d characters", broker.MaxFieldLength)
	}
	if err := broker.CheckVersionNumber("version", req.Version); err != nil {
		v.Add("version", "cannot be blank")
	}
	if err := v.Err(); err != nil {
		return gates.Candidate{}, err
	}
	var out gates.Candidate
	err := s.write(ctx, func(tx *gorm.DB) error {
		p, err := pacticipantByName(tx, req.Pacticipant)
		if err != nil {
			return err
		}
		ver, _, err := s.ensureVersion(tx, p, req.Version, req.BuildURL)
		if err != nil {
			return err
		}
		now := s.now()
		row := gateCandidateRow{VersionID: ver.ID, Author: req.Author, BuildURL: req.BuildURL, CreatedAt: now, UpdatedAt: now}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
			return err
		}
		c, err := findCandidate(tx, req.Pacticipant, req.Version)
		if err != nil {
			return err
		}
		// The author is who may not approve: once known it cannot be changed.
		switch {
		case req.Author != "" && c.row.Author != "" && c.row.Author != req.Author:
			return &broker.ConflictError{Field: "author", Message: fmt.Sprintf("%s %s is already recorded as authored by %s", req.Pacticipant, req.Version, c.row.Author)}
		case req.Author != "" && c.row.Author == "", req.BuildURL != "" && c.row.BuildURL == "":
			updates := map[string]any{"updated_at": now}
			if req.Author != "" {
				updates["author"] = req.Author
			}
			if req.BuildURL != "" {
				updates["build_url"] = req.BuildURL
			}
			if err := tx.Model(&gateCandidateRow{}).Where("version_id = ?", ver.ID).Updates(updates).Error; err != nil {
				return err
			}
		}
		merged, changed, err := gates.MergeArtifact(c.c.Artifacts, req.Artifact)
		if err != nil {
			return err
		}
		if changed {
			err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "version_id"}, {Name: "name"}},
				DoUpdates: clause.Assignments(map[string]any{"tag": merged.Tag, "digest": merged.Digest, "updated_at": now})}).
				Create(&gateArtifactRow{VersionID: ver.ID, Name: merged.Name, Tag: merged.Tag, Digest: merged.Digest, CreatedAt: now, UpdatedAt: now}).Error
			if err != nil {
				return fmt.Errorf("record artifact %s: %w", merged.Ref(), err)
			}
		}
		if err := s.nudgeWaits(tx, req.Pacticipant, req.Version); err != nil {
			return err
		}
		c, err = findCandidate(tx, req.Pacticipant, req.Version)
		out = c.c
		return err
	})
	return out, err
}

func (s *Store) RecordFact(ctx context.Context, pacticipant, version string, f gates.Fact) (gates.Fact, error) {
	if err := f.Validate(); err != nil {
		return gates.Fact{}, err
	}
	if len(f.RecordedBy) > broker.MaxNameLength {
		return gates.Fact{}, broker.Invalid("recordedBy", "must be at most %d characters", broker.MaxNameLength)
	}
	err := s.write(ctx, func(tx *gorm.DB) error {
		c, err := findCandidate(tx, pacticipant, version)
		if err != nil {
			return err
		}
		row := gateFactRow{VersionID: c.v.ID, Name: f.Name, Status: string(f.Status), Format: f.Format, Digest: c.c.Digest(),
			URL: f.URL, RecordedBy: f.RecordedBy, CreatedAt: s.now()}
		if f.Environment != "" {
			env, err := environmentNamed(tx, "environment", f.Environment)
			if err != nil {
				return err
			}
			row.EnvironmentID = &env.ID
		}
		if f.Counts != nil {
			data, _ := json.Marshal(f.Counts)
			counts := string(data)
			row.Counts = &counts
		}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("record %s of %s %s: %w", f.Name, pacticipant, version, err)
		}
		f.ID, f.Digest, f.RecordedAt = row.ID, row.Digest, row.CreatedAt
		return s.nudgeWaits(tx, pacticipant, version)
	})
	return f, err
}

func (s *Store) Facts(ctx context.Context, pacticipant, version string) ([]gates.Fact, error) {
	db := s.read(ctx)
	c, err := findCandidate(db, pacticipant, version)
	if err != nil {
		return nil, translate(err)
	}
	facts, err := factsOf(db, c.v.ID)
	return facts, translate(err)
}

func factsOf(db *gorm.DB, versionID int64) ([]gates.Fact, error) {
	var rows []struct {
		Row     gateFactRow `gorm:"embedded"`
		EnvName *string
	}
	err := db.Raw(`SELECT f.*, e.name AS env_name FROM gate_facts f LEFT JOIN environments e ON e.id = f.environment_id
		WHERE f.version_id = ? ORDER BY f.id`, versionID).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]gates.Fact, len(rows))
	for i, r := range rows {
		f := gates.Fact{ID: r.Row.ID, Name: r.Row.Name, Status: gates.Status(r.Row.Status), Format: r.Row.Format, Digest: r.Row.Digest,
			URL: r.Row.URL, RecordedBy: r.Row.RecordedBy, RecordedAt: r.Row.CreatedAt}
		if r.EnvName != nil {
			f.Environment = *r.EnvName
		}
		if r.Row.Counts != nil {
			f.Counts = &gates.SeverityCounts{}
			if err := json.Unmarshal([]byte(*r.Row.Counts), f.Counts); err != nil {
				return nil, fmt.Errorf("read the counts of fact %d: %w", r.Row.ID, err)
			}
		}
		out[i] = f
	}
	return out, nil
}

func (s *Store) RecordReview(ctx context.Context, pacticipant, version string, r gates.Review) (gates.Review, error) {
	err := s.write(ctx, func(tx *gorm.DB) error {
		c, err := findCandidate(tx, pacticipant, version)
		if err != nil {
			return err
		}
		if err := r.Validate(c.c.Author); err != nil {
			return err
		}
		env, err := environmentNamed(tx, "environment", r.Environment)
		if err != nil {
			return err
		}
		var rejection gateReviewRow
		if err := tx.Where("version_id = ? AND environment_id = ? AND decision = ?", c.v.ID, env.ID, gates.Reject).Order("id").Limit(1).Find(&rejection).Error; err != nil {
			return err
		}
		if rejection.ID != 0 && r.Decision == gates.Approve {
			return &broker.ConflictError{Field: "decision", Message: fmt.Sprintf("%s %s was rejected for %s by %s: a rejection is final, so it cannot be approved",
				pacticipant, version, r.Environment, rejection.Reviewer)}
		}
		row := gateReviewRow{VersionID: c.v.ID, EnvironmentID: env.ID, Decision: r.Decision, Reviewer: r.By, Comment: r.Comment,
			Digest: c.c.Digest(), CreatedAt: s.now()}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("record the review of %s %s: %w", pacticipant, version, err)
		}
		r.ID, r.Digest, r.At = row.ID, row.Digest, row.CreatedAt
		return s.nudgeWaits(tx, pacticipant, version)
	})
	return r, err
}

func (s *Store) Reviews(ctx context.Context, pacticipant, version string) ([]gates.Review, error) {
	db := s.read(ctx)
	c, err := findCandidate(db, pacticipant, version)
	if err != nil {
		return nil, translate(err)
	}
	reviews, err := reviewsOf(db, c.v.ID)
	return reviews, translate(err)
}

func reviewsOf(db *gorm.DB, versionID int64) ([]gates.Review, error) {
	var rows []struct {
		Row     gateReviewRow `gorm:"embedded"`
		EnvName string
	}
	err := db.Raw(`SELECT r.*, e.name AS env_name FROM gate_reviews r JOIN environments e ON e.id = r.environment_id
		WHERE r.version_id = ? ORDER BY r.id`, versionID).Scan(&rows).Error
	out := make([]gates.Review, len(rows))
	for i, r := range rows {
		out[i] = gates.Review{ID: r.Row.ID, Environment: r.EnvName, Decision: r.Row.Decision, By: r.Row.Reviewer, Comment: r.Row.Comment,
			Digest: r.Row.Digest, At: r.Row.CreatedAt}
	}
	return out, err
}

func (s *Store) PlaceHold(ctx context.Context, h gates.Hold) (gates.Hold, bool, error) {
	if err := h.Validate(); err != nil {
		return gates.Hold{}, false, err
	}
	var out gates.Hold
	var created bool
	err := s.write(ctx, func(tx *gorm.DB) error {
		env, err := environmentNamed(tx, "environment", h.Environment)
		if err != nil {
			return err
		}
		var pid *int64
		if h.Pacticipant != "" {
			p, err := pacticipantByName(tx, h.Pacticipant)
			if errors.Is(err, broker.ErrNotFound) {
				return broker.Invalid("pacticipant", "no pacticipant is named %q", h.Pacticipant)
			} else if err != nil {
				return err
			}
			pid = &p.ID
		}
		existing, err := activeHolds(tx, "h.environment_id = ? AND COALESCE(h.pacticipant_id, 0) = ?", env.ID, derefOr(pid, 0))
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			out = existing[0] // already held: holding again changes nothing
			return nil
		}
		row := gateHoldRow{EnvironmentID: env.ID, PacticipantID: pid, HeldBy: h.By, Reason: h.Reason, CreatedAt: s.now()}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("hold %s: %w", h.Environment, err)
		}
		created = true
		found, err := activeHolds(tx, "h.id = ?", row.ID)
		if err != nil {
			return err
		}
		out = found[0]
		return nil
	})
	return out, created, err
}

func derefOr(p *int64, def int64) int64 {
	if p == nil {
		return def
	}
	return *p
}

func (s *Store) ReleaseHold(ctx context.Context, environment, pacticipant, by string) (gates.Hold, error) {
	if err := broker.CheckName("by", by); err != nil {
		return gates.Hold{}, broker.Invalid("by", "cannot be blank: name who releases the hold")
	}
	var out gates.Hold
	err := s.write(ctx, func(tx *gorm.DB) error {
		where, args := "e.name = ? AND h.pacticipant_id IS NULL", []any{environment}
		if pacticipant != "" {
			where, args = "e.name = ? AND p.name = ?", []any{environment, pacticipant}
		}
		found, err := activeHolds(tx, where, args...)
		if err != nil {
			return err
		}
		if len(found) == 0 {
			what := environment
			if pacticipant != "" {
				what = pacticipant + " in " + environment
			}
			return broker.NotFound("hold on %s", what)
		}
		out = found[0]
		if err := tx.Model(&gateHoldRow{}).Where("id = ?", out.ID).Updates(map[string]any{"released_at": s.now(), "released_by": by}).Error; err != nil {
			return err
		}
		return s.nudgeAllWaits(tx)
	})
	return out, err
}

func (s *Store) Holds(ctx context.Context, environment string) ([]gates.Hold, error) {
	if environment == "" {
		list, err := activeHolds(s.read(ctx), "1 = 1")
		return list, translate(err)
	}
	list, err := activeHolds(s.read(ctx), "e.name = ?", environment)
	return list, translate(err)
}

func activeHolds(db *gorm.DB, where string, args ...any) ([]gates.Hold, error) {
	var rows []struct {
		Row     gateHoldRow `gorm:"embedded"`
		EnvName string
		PName   *string
	}
	err := db.Raw(`SELECT h.*, e.name AS env_name, p.name AS p_name FROM gate_holds h JOIN environments e ON e.id = h.environment_id
		LEFT JOIN pacticipants p ON p.id = h.pacticipant_id WHERE h.released_at IS NULL AND `+where+` ORDER BY h.id`, args...).Scan(&rows).Error
	out := make([]gates.Hold, len(rows))
	for i, r := range rows {
		out[i] = gates.Hold{ID: r.Row.ID, Environment: r.EnvName, By: r.Row.HeldBy, Reason: r.Row.Reason, At: r.Row.CreatedAt}
		if r.PName != nil {
			out[i].Pacticipant = *r.PName
		}
	}
	return out, err
}

func (s *Store) GateInput(ctx context.Context, pacticipant, version, environment string) (gates.Input, error) {
	db := s.read(ctx)
	c, err := findCandidate(db, pacticipant, version)
	if err != nil {
		return gates.Input{}, translate(err)
	}
	in := gates.Input{Candidate: c.c, Holds: []gates.Hold{}, Deployed: []string{}, Deployments: []gates.Deployment{}}
	if in.Facts, err = factsOf(db, c.v.ID); err != nil {
		return in, translate(err)
	}
	if in.Reviews, err = reviewsOf(db, c.v.ID); err != nil {
		return in, translate(err)
	}
	stays, err := deployedVersionsWhere(db, "d.version_id = ?", c.v.ID)
	if err != nil {
		return in, translate(err)
	}
	for _, d := range stays {
		in.Deployments = append(in.Deployments, gates.Deployment{Environment: d.Environment.Name, DeployedAt: d.CreatedAt, UndeployedAt: d.UndeployedAt})
	}
	if environment == "" {
		return in, nil
	}
	var env environmentRow
	err = db.Where("name = ?", environment).Take(&env).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return in, broker.NotFound("environment %q", environment)
	} else if err != nil {
		return in, translate(err)
	}
	in.Environment = &gates.Environment{Name: env.Name, Production: env.Production}
	if in.Holds, err = activeHolds(db, "h.environment_id = ? AND (h.pacticipant_id IS NULL OR h.pacticipant_id = ?)", env.ID, c.p.ID); err != nil {
		return in, translate(err)
	}
	current, err := deployedVersionsWhere(db, "d.environment_id = ? AND d.pacticipant_id = ? AND d.undeployed_at IS NULL", env.ID, c.p.ID)
	if err != nil {
		return in, translate(err)
	}
	for _, d := range current {
		if !contains(in.Deployed, d.Version) {
			in.Deployed = append(in.Deployed, d.Version)
		}
	}
	return in, nil
}

func (s *Store) ApplyPolicy(ctx context.Context, pv gates.PolicyVersion) (gates.PolicyVersion, bool, error) {
	if pv.Policy == nil {
		return pv, false, broker.Invalid("policy", "is missing")
	}
	v := &broker.ValidationError{}
	if len(pv.AppliedBy) > broker.MaxNameLength {
		v.Add("appliedBy", "must be at most %d characters", broker.MaxNameLength)
	}
	if len(pv.Comment) > broker.MaxFieldLength {
		v.Add("comment", "must be at most %d characters", broker.MaxFieldLength)
	}
	if err := v.Err(); err != nil {
		return pv, false, err
	}
	var out gates.PolicyVersion
	var created bool
	err := s.write(ctx, func(tx *gorm.DB) error {
		// Every environment the policy names must exist: a misspelt one would leave the real
		// one without the rule meant for it.
		missing := &broker.ValidationError{}
		for name, field := range pv.Policy.EnvironmentNames() {
			var n int64
			if err := tx.Model(&environmentRow{}).Where("name = ?", name).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				missing.Add(field, "no environment is named %q: create it first (treaty environment create), or fix the name", name)
			}
		}
		if err := missing.Err(); err != nil {
			return err
		}
		var latest gatePolicyRow
		if err := tx.Order("version DESC").Limit(1).Find(&latest).Error; err != nil {
			return err
		}
		digest := pv.Policy.Digest()
		if latest.Version > 0 && latest.Digest == digest {
			p, err := policyFromRow(latest)
			out = p
			return err
		}
		row := gatePolicyRow{Version: latest.Version + 1, Document: string(pv.Policy.Canonical()), Digest: digest,
			AppliedBy: pv.AppliedBy, Comment: pv.Comment, CreatedAt: s.now()}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("apply policy version %d: %w", row.Version, err)
		}
		created = true
		p, err := policyFromRow(row)
		out = p
		if err != nil {
			return err
		}
		return s.nudgeAllWaits(tx)
	})
	return out, created, err
}

func policyFromRow(r gatePolicyRow) (gates.PolicyVersion, error) {
	p, err := gates.ParsePolicy([]byte(r.Document))
	if err != nil {
		return gates.PolicyVersion{}, fmt.Errorf("policy version %d no longer parses: %v", r.Version, err)
	}
	return gates.PolicyVersion{Version: r.Version, Policy: p, Digest: r.Digest, AppliedBy: r.AppliedBy, Comment: r.Comment, AppliedAt: r.CreatedAt}, nil
}

func (s *Store) CurrentPolicy(ctx context.Context) (gates.PolicyVersion, error) {
	var row gatePolicyRow
	if err := s.read(ctx).Order("version DESC").Limit(1).Find(&row).Error; err != nil {
		return gates.PolicyVersion{}, translate(err)
	}
	if row.Version == 0 {
		return gates.DefaultPolicyVersion(), nil
	}
	return policyFromRow(row)
}

func (s *Store) PolicyVersion(ctx context.Context, version int) (gates.PolicyVersion, error) {
	if version == 0 {
		return gates.DefaultPolicyVersion(), nil
	}
	var row gatePolicyRow
	err := s.read(ctx).Where("version = ?", version).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return gates.PolicyVersion{}, broker.NotFound("policy version %d", version)
	} else if err != nil {
		return gates.PolicyVersion{}, translate(err)
	}
	return policyFromRow(row)
}

func (s *Store) PolicyVersions(ctx context.Context) ([]gates.PolicyVersion, error) {
	var rows []gatePolicyRow
	if err := s.read(ctx).Order("version DESC").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]gates.PolicyVersion, len(rows))
	for i, r := range rows {
		p, err := policyFromRow(r)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// decisionLogLock serialises appends on PostgreSQL, where several replicas may append at
// once; SQLite's single writer already does. prev_hash is unique besides, so the chain can
// never fork.
const decisionLogLock = 7412

func (s *Store) AppendDecision(ctx context.Context, e gates.Entry) (gates.Entry, error) {
	err := s.write(ctx, func(tx *gorm.DB) error {
		if s.dialect == "postgres" {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", decisionLogLock).Error; err != nil {
				return err
			}
		}
		var last gateDecisionRow
		if err := tx.Select("id", "hash").Order("id DESC").Limit(1).Find(&last).Error; err != nil {
			return err
		}
		prev := gates.GenesisHash
		if last.ID > 0 {
			prev = last.Hash
		}
		e.ID = last.ID + 1
		body, err := e.Seal(prev)
		if err != nil {
			return err
		}
		row := gateDecisionRow{ID: e.ID, Pacticipant: e.Pacticipant, Version: e.Version, Environment: e.Environment,
			Transition: string(e.Transition), Result: string(e.Decision.Result), PolicyVersion: e.PolicyVersion,
			Body: string(body), PrevHash: e.PrevHash, Hash: e.Hash, CreatedAt: e.Time}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("append decision %d: %w", e.ID, err)
		}
		return nil
	})
	return e, err
}

func (s *Store) Decision(ctx context.Context, id int64) (gates.Entry, error) {
	var row gateDecisionRow
	err := s.read(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return gates.Entry{}, broker.NotFound("decision %d", id)
	} else if err != nil {
		return gates.Entry{}, translate(err)
	}
	return row.sealed().Entry()
}

func (s *Store) Decisions(ctx context.Context, q gates.DecisionQuery) ([]gates.SealedEntry, error) {
	db := s.read(ctx).Model(&gateDecisionRow{})
	if q.Pacticipant != "" {
		db = db.Where("pacticipant = ?", q.Pacticipant)
	}
	if q.Version != "" {
		db = db.Where("version = ?", q.Version)
	}
	if q.Environment != "" {
		db = db.Where("environment = ?", q.Environment)
	}
	if q.Result != "" {
		db = db.Where("result = ?", string(q.Result))
	}
	if q.AfterID > 0 {
		db = db.Where("id > ?", q.AfterID)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	var rows []gateDecisionRow
	if err := db.Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]gates.SealedEntry, len(rows))
	for i, r := range rows {
		out[i] = r.sealed()
	}
	return out, nil
}

func (s *Store) WalkDecisions(ctx context.Context, fn func(gates.SealedEntry) error) error {
	var after int64
	for {
		var rows []gateDecisionRow
		if err := s.read(ctx).Where("id > ?", after).Order("id").Limit(500).Find(&rows).Error; err != nil {
			return translate(err)
		}
		for _, r := range rows {
			if err := fn(r.sealed()); err != nil {
				return err
			}
			after = r.ID
		}
		if len(rows) < 500 {
			return nil
		}
	}
}

func (s *Store) AddWait(ctx context.Context, w gates.Wait) (gates.Wait, bool, error) {
	var out gates.Wait
	var created bool
	err := s.write(ctx, func(tx *gorm.DB) error {
		now := s.now()
		next := now
		if w.NextCheck != nil {
			next = *w.NextCheck
		}
		payload := string(w.Payload)
		if payload == "" {
			payload = "null"
		}
		state := w.State
		if state == "" {
			state = gates.WaitWaiting
		}
		row := gateWaitRow{Kind: w.Kind, WaitKey: w.Key, Pacticipant: w.Pacticipant, Version: w.Version, Environment: w.Environment,
			Payload: payload, State: state, NextCheckAt: &next, Message: w.Message, CreatedAt: now, UpdatedAt: now}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil {
			return fmt.Errorf("add wait %s %s: %w", w.Kind, w.Key, res.Error)
		}
		created = res.RowsAffected == 1
		if err := tx.Where("kind = ? AND wait_key = ?", w.Kind, w.Key).Take(&row).Error; err != nil {
			return err
		}
		out = row.wait()
		return nil
	})
	return out, created, err
}

func (s *Store) ClaimWaits(ctx context.Context, kind string, limit int, lease time.Duration) ([]gates.Wait, error) {
	var out []gates.Wait
	err := s.write(ctx, func(tx *gorm.DB) error {
		now := s.now()
		q := tx.Where("kind = ? AND state = ? AND next_check_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)", kind, gates.WaitWaiting, now, now).
			Order("next_check_at").Limit(limit)
		if s.dialect == "postgres" {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		var rows []gateWaitRow
		if err := q.Find(&rows).Error; err != nil {
			return err
		}
		until := now.Add(lease)
		for _, r := range rows {
			if err := tx.Model(&gateWaitRow{}).Where("id = ?", r.ID).Updates(map[string]any{"claimed_nudges": r.Nudges, "claimed_until": until}).Error; err != nil {
				return err
			}
			out = append(out, r.wait())
		}
		return nil
	})
	return out, err
}

func (s *Store) UpdateWait(ctx context.Context, w gates.Wait) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		var row gateWaitRow
		if err := tx.Where("id = ?", w.ID).Take(&row).Error; err != nil {
			return err
		}
		next := w.NextCheck
		// A fact recorded while the wait was being handled makes it due again at once.
		if w.State == gates.WaitWaiting && row.Nudges > row.ClaimedNudges {
			now := s.now()
			next = &now
		}
		if w.State != gates.WaitWaiting {
			next = nil
		}
		updates := map[string]any{"state": w.State, "attempts": w.Attempts, "next_check_at": next, "claimed_until": nil,
			"message": w.Message, "updated_at": s.now()}
		if w.LastDecision != 0 {
			updates["last_decision"] = w.LastDecision
		}
		return tx.Model(&gateWaitRow{}).Where("id = ?", w.ID).Updates(updates).Error
	})
}

// nudgeWaits makes the waits for a candidate due now: a new fact may change the decision.
func (s *Store) nudgeWaits(tx *gorm.DB, pacticipant, version string) error {
	now := s.now()
	return tx.Model(&gateWaitRow{}).Where("pacticipant = ? AND version = ? AND next_check_at IS NOT NULL", pacticipant, version).
		Updates(map[string]any{"next_check_at": now, "nudges": gorm.Expr("nudges + 1")}).Error
}

// nudgeAllWaits makes every wait due now: a new policy or a released hold may change any
// decision.
func (s *Store) nudgeAllWaits(tx *gorm.DB) error {
	now := s.now()
	return tx.Model(&gateWaitRow{}).Where("next_check_at IS NOT NULL").
		Updates(map[string]any{"next_check_at": now, "nudges": gorm.Expr("nudges + 1")}).Error
}
