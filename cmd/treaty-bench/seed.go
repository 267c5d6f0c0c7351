package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/broker/store"
	"github.com/treaty-dev/treaty/broker/store/storebench"
)

type seedOptions struct {
	database string
	manifest string
	label    string
	reset    bool
	cfg      storebench.Config
}

func newSeedCmd() *cobra.Command {
	o := seedOptions{}
	full := storebench.Full()
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Build a large, realistic broker in an empty database",
		Long: `Build a large, realistic broker: the store is opened once (so the migrations run), then a
simulated year of pipelines is bulk-inserted, with every head table maintained as the store
maintains it. A manifest describing the broker (names, recent versions, deployments) is written
for the load generator.

A database that is a file path is SQLite; a postgres:// URL is PostgreSQL. With --reset the
SQLite file is deleted first, or the PostgreSQL schema named by the DSN's search_path is
dropped and created again (the database too, when it does not exist).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), cmd) },
	}
	f := cmd.Flags()
	f.StringVar(&o.database, "database", envOr("TREATY_BENCH_DATABASE", ""), "SQLite file path or postgres:// URL (TREATY_BENCH_DATABASE)")
	f.StringVar(&o.manifest, "manifest", envOr("TREATY_BENCH_MANIFEST", ""), "where to write the manifest; default: DATABASE.manifest.json for SQLite (TREATY_BENCH_MANIFEST)")
	f.StringVar(&o.label, "label", envOr("TREATY_BENCH_LABEL", ""), "a name for this size in reports, such as full or growth (TREATY_BENCH_LABEL)")
	f.BoolVar(&o.reset, "reset", false, "start from an empty database: delete the SQLite file, or recreate the PostgreSQL schema")
	f.IntVar(&o.cfg.Pacticipants, "pacticipants", envInt("TREATY_BENCH_PACTICIPANTS", full.Pacticipants), "pacticipants (TREATY_BENCH_PACTICIPANTS)")
	f.IntVar(&o.cfg.Integrations, "integrations", envInt("TREATY_BENCH_INTEGRATIONS", full.Integrations), "consumer→provider integrations (TREATY_BENCH_INTEGRATIONS)")
	f.IntVar(&o.cfg.Versions, "versions", envInt("TREATY_BENCH_VERSIONS", full.Versions), "versions across all pacticipants (TREATY_BENCH_VERSIONS)")
	f.IntVar(&o.cfg.Verifications, "verifications", envInt("TREATY_BENCH_VERIFICATIONS", full.Verifications), "verification results (TREATY_BENCH_VERIFICATIONS)")
	f.IntVar(&o.cfg.Environments, "environments", envInt("TREATY_BENCH_ENVIRONMENTS", full.Environments), "environments (TREATY_BENCH_ENVIRONMENTS)")
	f.Uint64Var(&o.cfg.RandSeed, "seed", full.RandSeed, "random seed: the same seed and sizes build the same broker")
	f.BoolVar(&o.cfg.AnalyzeSQLite, "sqlite-analyze", false, "run ANALYZE on SQLite afterwards (Treaty itself never does)")
	return cmd
}

func (o *seedOptions) run(ctx context.Context, cmd *cobra.Command) error {
	if o.database == "" {
		return usageError{errors.New("--database is required")}
	}
	if err := o.cfg.Validate(); err != nil {
		return usageError{err}
	}
	postgres := store.IsPostgres(o.database)
	if o.manifest == "" {
		if postgres {
			return usageError{errors.New("--manifest is required with PostgreSQL")}
		}
		o.manifest = sqlitePath(o.database) + ".manifest.json"
	}
	stderr := cmd.ErrOrStderr()
	progress := func(format string, args ...any) { fmt.Fprintf(stderr, "seed: "+format+"\n", args...) }
	o.cfg.Progress = progress
	if o.reset {
		if err := resetDatabase(ctx, o.database); err != nil {
			return err
		}
	}
	start := time.Now()
	st, err := store.Open(ctx, o.database, store.Options{Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return err
	}
	defer st.Close()
	progress("opened and migrated the %s database in %v", st.Dialect(), time.Since(start).Round(time.Millisecond))
	m, err := storebench.Seed(ctx, st, o.cfg)
	if err != nil {
		return err
	}
	m.Label = o.label
	if err := m.WriteFile(o.manifest); err != nil {
		return fmt.Errorf("write the manifest: %w", err)
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "seeded a %s broker in %.1fs (simulation %.1fs, writing %.1fs); manifest: %s\n",
		m.Backend, m.SeedSeconds, m.SimulateSeconds, m.WriteSeconds, o.manifest)
	names := make([]string, 0, len(m.Rows))
	for name := range m.Rows {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(out, "  %-26s %10d\n", name, m.Rows[name])
	}
	return nil
}

// sqlitePath is the file a SQLite database setting names.
func sqlitePath(database string) string {
	path, _, _ := strings.Cut(strings.TrimPrefix(database, "sqlite://"), "?")
	return strings.TrimPrefix(path, "file:")
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// resetDatabase empties the database a benchmark is about to seed.
func resetDatabase(ctx context.Context, database string) error {
	if !store.IsPostgres(database) {
		path := sqlitePath(database)
		for _, p := range []string{path, path + "-wal", path + "-shm", path + ".manifest.json"} {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("reset: %w", err)
			}
		}
		return nil
	}
	u, err := url.Parse(database)
	if err != nil {
		return usageError{fmt.Errorf("--database: %w", err)}
	}
	schema := u.Query().Get("search_path")
	if !schemaName.MatchString(schema) || schema == "public" || strings.HasPrefix(schema, "pg_") {
		return usageError{errors.New("--reset on PostgreSQL needs the DSN to name a schema of its own with search_path=<schema> (lower case, not public)")}
	}
	conn, err := pgx.Connect(ctx, database)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "3D000" { // invalid_catalog_name: no such database
		if err := createDatabase(ctx, u); err != nil {
			return err
		}
		conn, err = pgx.Connect(ctx, database)
	}
	if err != nil {
		return fmt.Errorf("reset: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, stmt := range []string{"DROP SCHEMA IF EXISTS " + schema + " CASCADE", "CREATE SCHEMA " + schema} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("reset: %s: %w", stmt, err)
		}
	}
	return nil
}

func createDatabase(ctx context.Context, u *url.URL) error {
	name := strings.TrimPrefix(u.Path, "/")
	if !schemaName.MatchString(name) {
		return fmt.Errorf("reset: database %q does not exist and its name is not one to create", name)
	}
	admin := *u
	admin.Path = "/postgres"
	q := admin.Query()
	q.Del("search_path")
	admin.RawQuery = q.Encode()
	conn, err := pgx.Connect(ctx, admin.String())
	if err != nil {
		return fmt.Errorf("reset: connect to create database %s: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return fmt.Errorf("reset: create database %s: %w", name, err)
	}
	return nil
}
