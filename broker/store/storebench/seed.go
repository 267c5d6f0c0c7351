package storebench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/treaty-dev/treaty/broker/store"
)

// Manifest describes a seeded broker: its size, how long seeding took, and the names a load
// generator needs to pick realistic targets without asking the broker.
type Manifest struct {
	Kind            string            `json:"kind"` // "seed"
	Backend         string            `json:"backend"`
	Label           string            `json:"label,omitempty"`
	Config          Config            `json:"config"`
	Rows            map[string]int    `json:"rows"`
	SimulateSeconds float64           `json:"simulateSeconds"`
	WriteSeconds    float64           `json:"writeSeconds"`
	SeedSeconds     float64           `json:"seedSeconds"`
	SeededAt        time.Time         `json:"seededAt"`
	Environments    []string          `json:"environments"`
	Pacticipants    []PacticipantInfo `json:"pacticipants"`
}

// PacticipantInfo is one pacticipant as a client sees it.
type PacticipantInfo struct {
	Name       string `json:"name"`
	MainBranch string `json:"mainBranch"`
	// Providers are the pacts its main branch holds, by content serial (see PactContent).
	Providers []ContractInfo `json:"providers,omitempty"`
	Consumers []string       `json:"consumers,omitempty"`
	// RecentVersions are its newest main builds, newest first.
	RecentVersions []string          `json:"recentVersions"`
	Deployed       map[string]string `json:"deployed"` // environment → version
}

// ContractInfo names the content of a consumer's pact with a provider.
type ContractInfo struct {
	Provider string `json:"provider"`
	Serial   int    `json:"serial"`
}

// Seed fills an empty, migrated store with a simulated broker of cfg's size.
func Seed(ctx context.Context, st *store.Store, cfg Config) (*Manifest, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	db, err := st.DB()
	if err != nil {
		return nil, err
	}
	if err := checkEmpty(ctx, db); err != nil {
		return nil, err
	}
	start := time.Now()
	s, err := simulate(cfg)
	if err != nil {
		return nil, err
	}
	simulated := time.Since(start)
	cfg.Progress("simulated %d versions, %d pacts, %d verifications in %v", len(s.versions), len(s.pactVersions), len(s.verifications), simulated.Round(time.Millisecond))
	tables := s.tables()
	writeStart := time.Now()
	if st.Dialect() == "postgres" {
		err = writePostgres(ctx, db, tables, cfg.Progress)
	} else {
		err = writeSQLite(ctx, db, tables, cfg.AnalyzeSQLite, cfg.Progress)
	}
	if err != nil {
		return nil, fmt.Errorf("seed %s: %w", st.Dialect(), err)
	}
	m := s.manifest(st.Dialect(), tables)
	m.SimulateSeconds = simulated.Seconds()
	m.WriteSeconds = time.Since(writeStart).Seconds()
	m.SeedSeconds = time.Since(start).Seconds()
	return m, nil
}

func checkEmpty(ctx context.Context, db *sql.DB) error {
	var n int64
	err := db.QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM pacticipants) + (SELECT COUNT(*) FROM environments)").Scan(&n)
	if err != nil {
		return fmt.Errorf("check that the database is empty: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("the database already holds pacticipants or environments: seed an empty one")
	}
	return nil
}

func (s *sim) manifest(backend string, tables []table) *Manifest {
	m := &Manifest{Kind: "seed", Backend: backend, Config: s.cfg, Rows: map[string]int{}, SeededAt: time.Now().UTC()}
	m.Config.Progress = nil
	for _, t := range tables {
		m.Rows[t.name] = t.rows
	}
	for _, e := range s.envs {
		m.Environments = append(m.Environments, e.name)
	}
	for _, p := range s.parts {
		info := PacticipantInfo{Name: p.name, MainBranch: p.mainBranch, Deployed: map[string]string{}}
		for j, ii := range p.providers {
			info.Providers = append(info.Providers, ContractInfo{Provider: s.parts[s.integrations[ii].provider].name, Serial: p.pvSerial[p.mainPV[j]]})
		}
		for _, ii := range p.consumers {
			info.Consumers = append(info.Consumers, s.parts[s.integrations[ii].consumer].name)
		}
		recent := slices.Clone(p.recentMain)
		slices.Reverse(recent)
		for _, v := range recent[:min(20, len(recent))] {
			info.RecentVersions = append(info.RecentVersions, s.versions[v].number)
		}
		for e, d := range p.deployed {
			if d >= 0 {
				info.Deployed[s.envs[e].name] = s.versions[s.deployments[d].version].number
			}
		}
		m.Pacticipants = append(m.Pacticipants, info)
	}
	return m
}

// WriteFile saves the manifest as JSON.
func (m *Manifest) WriteFile(path string) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// ReadManifest loads a manifest written by WriteFile.
func ReadManifest(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", path, err)
	}
	if m.Kind != "seed" || len(m.Pacticipants) == 0 {
		return nil, fmt.Errorf("read manifest %s: not a seed manifest", path)
	}
	return &m, nil
}
