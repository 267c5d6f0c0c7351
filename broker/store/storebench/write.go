package storebench

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// SQLite: multi-row INSERTs through one connection, in transactions of rowsPerTx rows, with
// durability relaxed for the load only.
const (
	sqliteMaxParams = 32_000 // below SQLITE_MAX_VARIABLE_NUMBER (32766)
	sqliteMaxRows   = 500    // rows per INSERT
	rowsPerTx       = 250_000
)

func writeSQLite(ctx context.Context, db *sql.DB, tables []table, analyze bool, progress func(string, ...any)) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, pragma := range []string{"PRAGMA cache_size = -262144", "PRAGMA synchronous = OFF", "PRAGMA temp_store = MEMORY"} {
		if _, err := conn.ExecContext(ctx, pragma); err != nil {
			return fmt.Errorf("%s: %w", pragma, err)
		}
	}
	// The connection goes back to the store's pool: give it its usual settings again.
	defer func() {
		for _, pragma := range []string{"PRAGMA cache_size = -2000", "PRAGMA synchronous = NORMAL", "PRAGMA temp_store = DEFAULT"} {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), pragma)
		}
	}()
	for _, t := range tables {
		start := time.Now()
		if err := insertSQLite(ctx, conn, t); err != nil {
			return fmt.Errorf("insert into %s: %w", t.name, err)
		}
		progress("wrote %9d rows to %-24s in %v", t.rows, t.name, time.Since(start).Round(time.Millisecond))
	}
	if analyze {
		start := time.Now()
		if _, err := conn.ExecContext(ctx, "ANALYZE"); err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
		progress("analysed in %v", time.Since(start).Round(time.Millisecond))
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

func insertSQLite(ctx context.Context, conn *sql.Conn, t table) error {
	per := min(sqliteMaxRows, sqliteMaxParams/len(t.cols))
	args := make([]any, per*len(t.cols))
	for start := 0; start < t.rows; start += rowsPerTx {
		end := min(start+rowsPerTx, t.rows)
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		stmts := map[int]*sql.Stmt{}
		for i := start; i < end; i += per {
			n := min(per, end-i)
			stmt := stmts[n]
			if stmt == nil {
				if stmt, err = tx.PrepareContext(ctx, insertSQL(t, n)); err != nil {
					_ = tx.Rollback()
					return err
				}
				stmts[n] = stmt
			}
			a := args[:n*len(t.cols)]
			for k := range n {
				t.row(i+k, a[k*len(t.cols):(k+1)*len(t.cols)])
			}
			if _, err := stmt.ExecContext(ctx, a...); err != nil {
				_ = tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// insertSQL is INSERT INTO t (cols) VALUES (?, …), … for n rows.
func insertSQL(t table, n int) string {
	row := "(" + strings.Repeat("?, ", len(t.cols)-1) + "?)"
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES %s", t.name, strings.Join(t.cols, ", "), strings.Repeat(row+", ", n-1)+row)
}

// writePostgres copies every table in one transaction on one of the store's own connections
// (so it lands in whatever schema the store uses), moves the id sequences past the ids
// written, then vacuums and analyses, as autovacuum would soon after such a load.
func writePostgres(ctx context.Context, db *sql.DB, tables []table, progress func(string, ...any)) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		sc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("PostgreSQL connection is a %T, not pgx", driverConn)
		}
		pc := sc.Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
		for _, t := range tables {
			start := time.Now()
			buf := make([]any, len(t.cols))
			// pgx encodes each row before asking for the next, so one buffer serves them all.
			n, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromSlice(t.rows, func(i int) ([]any, error) {
				t.row(i, buf)
				return buf, nil
			}))
			if err != nil {
				return fmt.Errorf("copy into %s: %w", t.name, err)
			}
			if int(n) != t.rows {
				return fmt.Errorf("copy into %s: %d rows written, %d expected", t.name, n, t.rows)
			}
			if t.identity {
				if _, err := tx.Exec(ctx, fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM %s", t.name, t.name)); err != nil {
					return fmt.Errorf("move the id sequence of %s: %w", t.name, err)
				}
			}
			progress("wrote %9d rows to %-24s in %v", t.rows, t.name, time.Since(start).Round(time.Millisecond))
		}
		if err := tx.Commit(ctx); err != nil {
			return err
		}
		start := time.Now()
		for _, t := range tables {
			if _, err := pc.Exec(ctx, "VACUUM (ANALYZE) "+t.name); err != nil {
				return fmt.Errorf("vacuum %s: %w", t.name, err)
			}
		}
		progress("vacuumed and analysed in %v", time.Since(start).Round(time.Millisecond))
		return nil
	})
}
