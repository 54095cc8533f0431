// Package pgapproval keeps reviews and grants in PostgreSQL, shared by
// gateway replicas: a gate.Approver (and approval.Reviewable and
// approval.Granter) on which a request held on one replica is approved
// through any other, waiters wake through LISTEN/NOTIFY, and an approval
// is consumed by exactly one replica.
//
// It has the shape of every PostgreSQL-backed store of Airlock
// (record/pgsink, gate/pgrules): the caller owns a *pgxpool.Pool, Migrate
// creates the schema (idempotent, separately callable), and New builds the
// store over the pool without touching the database:
//
//	pool, err := pgxpool.New(ctx, "postgres://airlock@db/airlock")
//	if err := pgapproval.Migrate(ctx, pool, pgapproval.Options{}); err != nil { ... }
//	ap, err := pgapproval.New(pool, pgapproval.Options{})
//	g := gate.New(gate.Config{Rules: rules, Approver: ap, Recorder: rec})
//	console := &approval.Console{Approver: ap, Authenticate: auth}
//
// Reviewers vote under the same policy as with approval.Memory
// (approval.Pending.Vote), and the same errors (approval.ErrNotPending,
// approval.ErrConsumed, ...) report what went wrong.
package pgapproval
