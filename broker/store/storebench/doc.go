// Package storebench builds large, realistic brokers quickly, for benchmarks. Seed simulates a
// year of an organisation's pipelines (consumers publishing pacts from main and feature
// branches, content that rarely changes, providers verifying what their consumers have on main
// and in each environment, deployments promoted from environment to environment, a few mobile
// releases) and writes the result straight into a migrated store's tables with bulk inserts
// (multi-row INSERTs on SQLite, COPY on PostgreSQL), keeping every head table the store
// maintains (latest pact publications, branch heads, latest verifications, integrations,
// current deployments) exactly as the store itself would.
//
// Workload then describes the requests a realistic client sends against such a broker, for the
// load generator (cmd/treaty-bench) and the Go benchmarks alike.
package storebench
