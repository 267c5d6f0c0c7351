// Package storetest opens real stores for tests: a fresh SQLite file always, and a fresh
// PostgreSQL schema too when TREATY_TEST_POSTGRES_DSN names a server, so every store and API
// test runs on both databases.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/treaty-dev/treaty/broker/store"
)

// DSNVariable names the PostgreSQL server tests may use.
const DSNVariable = "TREATY_TEST_POSTGRES_DSN"

// Backend is a named store under test.
type Backend struct {
	Name  string
	Store *store.Store
}

// Options adjust the stores opened.
type Options struct {
	Now func() time.Time
}

// Open returns one store per available database, each empty and removed after the test.
func Open(t testing.TB, opts Options) []Backend {
	t.Helper()
	backends := []Backend{{Name: "sqlite", Store: openSQLite(t, opts)}}
	if dsn := os.Getenv(DSNVariable); dsn != "" {
		backends = append(backends, Backend{Name: "postgres", Store: openPostgres(t, dsn, opts)})
	}
	return backends
}

// Run runs fn as a subtest on every available database.
func Run(t *testing.T, opts Options, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, b := range Open(t, opts) {
		t.Run(b.Name, func(t *testing.T) { fn(t, b.Store) })
	}
}

func openSQLite(t testing.TB, opts Options) *store.Store {
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "treaty.db"), store.Options{Now: opts.Now})
	if err != nil {
		t.Fatalf("open sqlite store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openPostgres gives the test a schema of its own, so tests can run in parallel on one server.
func openPostgres(t testing.TB, dsn string, opts Options) *store.Store {
	ctx := context.Background()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to %s: %v", DSNVariable, err)
	}
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", DSNVariable, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := store.Open(ctx, u.String(), store.Options{Now: opts.Now, MaxOpenConns: 4})
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() {
		s.Close()
		_, _ = admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
		admin.Close(ctx)
	})
	return s
}
