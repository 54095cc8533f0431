// Package pgruns keeps the gate's runs in PostgreSQL, so that replicas of a
// gateway share them: a label one replica gives a run stops egress through
// another, and budgets count the requests of every replica.
//
// It has the shape of every PostgreSQL-backed store of Airlock: Migrate
// creates the tables (idempotent, with a role that may), New wraps a pool the
// caller owns and does no I/O.
//
//	if err := pgruns.Migrate(ctx, pool, pgruns.Options{}); err != nil { ... }
//	runs, err := pgruns.New(pool, pgruns.Options{})
//	g := gate.New(gate.Config{Rules: rules, Recorder: rec, Runs: &gate.RunConfig{Store: runs}})
//
// What it promises. Every call is one round trip and is durable when it
// returns. Counting is exact for requests that follow each other (the
// N+1th request is refused whichever replica it reaches); requests decided
// at the same moment on several replicas read the counters before either
// counts, so a budget can be exceeded by at most the number of decisions in
// flight at once across the replicas. A label is visible to every replica
// once the request or result that set it has been decided or recorded.
// Counters older than an hour are deleted; a run nothing touched for
// gate.RunRetention is forgotten with its labels.
package pgruns
