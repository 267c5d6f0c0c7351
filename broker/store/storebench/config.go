package storebench

import (
	"fmt"
	"time"
)

// Config sizes a seeded broker.
type Config struct {
	Pacticipants  int `json:"pacticipants"`
	Integrations  int `json:"integrations"`  // consumer→provider pairs
	Versions      int `json:"versions"`      // across all pacticipants
	Verifications int `json:"verifications"` // verification results, re-runs included
	Environments  int `json:"environments"`
	// RandSeed makes the broker reproducible: the same seed and sizes give the same rows.
	RandSeed uint64 `json:"randSeed"`
	// End is when the simulated history ends (default: now) and Span how long it lasts
	// (default: a year).
	End  time.Time     `json:"-"`
	Span time.Duration `json:"-"`
	// AnalyzeSQLite runs ANALYZE on SQLite after seeding. Treaty never does, so the default
	// leaves the planner without statistics, as on a real SQLite broker. PostgreSQL is always
	// vacuumed and analysed, as autovacuum would do within a minute of such a load.
	AnalyzeSQLite bool `json:"analyzeSQLite,omitempty"`
	// Progress, when set, receives a line per phase.
	Progress func(format string, args ...any) `json:"-"`
}

// Full is the size the issue asks the benchmark to reach.
func Full() Config {
	return Config{Pacticipants: 200, Integrations: 400, Versions: 100_000, Verifications: 1_000_000, Environments: 4, RandSeed: 1}
}

// Validate reports sizes the simulation cannot honour.
func (c Config) Validate() error {
	switch {
	case c.Pacticipants < 2:
		return fmt.Errorf("pacticipants must be at least 2 (got %d)", c.Pacticipants)
	case c.Integrations < 0 || c.Integrations > c.Pacticipants*(c.Pacticipants-1):
		return fmt.Errorf("integrations must be between 0 and %d for %d pacticipants (got %d)", c.Pacticipants*(c.Pacticipants-1), c.Pacticipants, c.Integrations)
	case c.Versions < c.Pacticipants:
		return fmt.Errorf("versions must be at least the number of pacticipants, %d (got %d)", c.Pacticipants, c.Versions)
	case c.Verifications < 0:
		return fmt.Errorf("verifications cannot be negative (got %d)", c.Verifications)
	case c.Verifications > 0 && c.Integrations == 0:
		return fmt.Errorf("verifications need integrations")
	case c.Environments < 0 || c.Environments > 50:
		return fmt.Errorf("environments must be between 0 and 50 (got %d)", c.Environments)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.End.IsZero() {
		c.End = time.Now()
	}
	if c.Span <= 0 {
		c.Span = 365 * 24 * time.Hour
	}
	if c.Progress == nil {
		c.Progress = func(string, ...any) {}
	}
	c.End = c.End.UTC().Truncate(time.Microsecond)
	return c
}
