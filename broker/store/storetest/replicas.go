package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/treaty-dev/treaty/broker/store"
)

// Replicas are several stores on one database, as broker replicas (or a broker and its
// restarted self) share it.
type Replicas struct {
	Name   string
	Stores []*store.Store
}

// OpenReplicas returns, per available database, n stores opened separately on one fresh
// database, each with its own connection pool; all are closed after the test.
func OpenReplicas(t testing.TB, n int, opts Options) []Replicas {
	t.Helper()
	path := filepath.Join(t.TempDir(), "treaty.db")
	sqlite := Replicas{Name: "sqlite"}
	for range n {
		s, err := store.Open(context.Background(), path, store.Options{Now: opts.Now})
		if err != nil {
			t.Fatalf("open sqlite replica: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		sqlite.Stores = append(sqlite.Stores, s)
	}
	out := []Replicas{sqlite}
	if dsn := os.Getenv(DSNVariable); dsn != "" {
		out = append(out, Replicas{Name: "postgres", Stores: openPostgresReplicas(t, dsn, n, opts)})
	}
	return out
}

func openPostgresReplicas(t testing.TB, dsn string, n int, opts Options) []*store.Store {
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
	var stores []*store.Store
	// Registered first, so it runs last: the stores close before the schema goes.
	t.Cleanup(func() {
		_, _ = admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
		admin.Close(ctx)
	})
	for range n {
		s, err := store.Open(ctx, u.String(), store.Options{Now: opts.Now, MaxOpenConns: 4})
		if err != nil {
			t.Fatalf("open postgres replica: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	return stores
}
