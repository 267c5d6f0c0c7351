package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/treaty-dev/treaty/broker"
)

// Store implements broker.Store.
type Store struct {
	db      *gorm.DB
	dialect string // "sqlite" or "postgres"
	now     func() time.Time
	log     *slog.Logger
	// writeMu serialises write transactions on SQLite, which allows one writer at a time:
	// waiting here is cheaper and fairer than SQLite's busy-retry loop.
	writeMu sync.Mutex
}

var _ broker.Store = (*Store)(nil)

// Options configure Open.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time // the clock; time.Now when nil
	// MaxOpenConns bounds the connection pool (default 16 on PostgreSQL, 8 on SQLite).
	MaxOpenConns int
}

// IsPostgres reports whether a database setting names PostgreSQL rather than a SQLite file.
func IsPostgres(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// Open connects to database (a SQLite file path, or a postgres:// URL) and migrates it.
func Open(ctx context.Context, database string, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cfg := &gorm.Config{
		TranslateError:         true,
		SkipDefaultTransaction: true,
		// The matrix and for-verification queries run many times with the same text:
		// preparing them once per connection saves a third of a can-i-deploy's time.
		PrepareStmt:        true,
		PrepareStmtMaxSize: 512,
		PrepareStmtTTL:     time.Hour,
		Logger:             logger.Discard,
		NowFunc:            func() time.Time { return opts.Now().UTC() },
	}
	s := &Store{now: func() time.Time { return opts.Now().UTC().Truncate(time.Microsecond) }, log: opts.Logger}
	var err error
	if IsPostgres(database) {
		s.dialect = "postgres"
		s.db, err = gorm.Open(postgres.Open(database), cfg)
	} else {
		s.dialect = "sqlite"
		s.db, err = gorm.Open(sqlite.Open(sqliteDSN(database)), cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", s.dialect, err)
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", s.dialect, err)
	}
	maxOpen := opts.MaxOpenConns
	if maxOpen == 0 {
		maxOpen = 16
		if s.dialect == "sqlite" {
			maxOpen = 8
		}
	}
	sqlDB.SetMaxOpenConns(maxOpen)
	sqlDB.SetMaxIdleConns(maxOpen)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	if err := s.Ping(ctx); err != nil {
		sqlDB.Close()
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		sqlDB.Close()
		return nil, err
	}
	if s.dialect == "sqlite" {
		// SQLite plans joins from statistics it only has after ANALYZE; without them it can
		// pick an index that reads a provider's whole history. A sampling limit keeps this
		// well under a second on a large database. (PostgreSQL's autovacuum analyses itself.)
		if err := s.db.WithContext(ctx).Exec("PRAGMA analysis_limit=1000").Error; err != nil {
			return nil, fmt.Errorf("analyse the database: %w", err)
		}
		if err := s.db.WithContext(ctx).Exec("ANALYZE").Error; err != nil {
			return nil, fmt.Errorf("analyse the database: %w", err)
		}
	}
	return s, nil
}

// sqliteDSN turns a file path into a DSN with the settings Treaty needs: WAL so readers never
// wait for the writer, foreign keys enforced, a busy timeout for other processes, and
// immediate transactions so a transaction that will write takes the lock up front.
func sqliteDSN(path string) string {
	path = strings.TrimPrefix(path, "sqlite://")
	params := "_journal_mode=WAL&_foreign_keys=on&_busy_timeout=10000&_txlock=immediate&_synchronous=NORMAL"
	if strings.Contains(path, "?") {
		return "file:" + path + "&" + params
	}
	return "file:" + path + "?" + params
}

// Dialect is "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// DB exposes the connection pool, for metrics.
func (s *Store) DB() (*sql.DB, error) { return s.db.DB() }

// Close closes the connection pool.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s database: %w", s.dialect, err)
	}
	return nil
}

// read runs fn on a plain session: reads need no transaction.
func (s *Store) read(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

// write runs fn in one transaction, so a failed request leaves nothing behind.
func (s *Store) write(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if s.dialect == "sqlite" {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	return translate(s.db.WithContext(ctx).Transaction(fn))
}

// translate maps driver errors onto the broker's vocabulary; errors already in it pass.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, broker.ErrNotFound), errors.Is(err, broker.ErrConflict), errors.Is(err, broker.ErrInvalid):
		return err
	case errors.Is(err, gorm.ErrRecordNotFound):
		return fmt.Errorf("%w: %v", broker.ErrNotFound, err)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("%w: %v", broker.ErrConflict, err)
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		return fmt.Errorf("%w: %v", broker.ErrConflict, err)
	}
	return err
}
