// Package gates decides whether a build may publish, deploy to an environment or be promoted
// to production, and explains why. It is pure: it evaluates a policy over the facts recorded
// about a candidate (a pacticipant version and its artifacts) at a given time, and never
// deploys anything.
//
// Read it in this order: candidate.go (what is judged), fact.go and scan.go (what is known
// about it: results, severity counts, reviews, holds), policy.go (what is required, per
// transition and environment), gate.go and the gate_*.go files (one file per gate type, each
// registered by name), evaluate.go (how gate results combine into allow, deny or pending),
// log.go (the hash-chained decision log) and engine.go (one check: gather, evaluate, record).
//
// Everything fails closed: a missing fact, an unknown can-i-deploy answer or an expression
// that cannot be evaluated is never an allow.
package gates
