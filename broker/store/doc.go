// Package store is the gorm implementation of broker.Store, on an embedded SQLite file or on
// PostgreSQL when several broker replicas share one database. Its schema is versioned
// (migrations.go); "latest" answers come from maintained head tables and indexes rather than
// self-joins, so they stay fast as history grows.
package store
