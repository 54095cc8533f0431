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
//	opts := pgapproval.Options{SealKey: key} // 32+ secret bytes, the same on every replica
//	if err := pgapproval.Migrate(ctx, pool, opts); err != nil { ... }
//	ap, err := pgapproval.New(pool, opts)
//	g := gate.New(gate.Config{Rules: rules, Approver: ap, Recorder: rec})
//	console := &approval.Console{Approver: ap, Authenticate: auth}
//
// The one thing not to forget: the tables are not a trusted place. Anyone
// who can write them (an agent whose gated SQL reaches the same database
// among them) could write a vote in a real reviewer's name. With
// Options.SealKey every review, vote and grant carries an HMAC made with
// a key the database never sees, and a row without a valid one approves
// and allows nothing (approval.ErrUnproven). New refuses to run without
// a key unless Options.Unsealed says so. What a verdict carries to the
// gate and its record (votes, reason, break-glass, grant) is rebuilt from
// the sealed votes, never read from the other columns. A forged row or
// vote does not block the real ones either: a forged vote beside real
// votes is ignored and the review stays votable, a forged grant is left
// out and the subject's real grants still count, a forged review hides no
// real review of its request; each is reported (Options.Logger,
// Approver.UnprovenSeen), and Grants lists forged grants marked Unproven.
//
// Reviewers vote under the same policy as with approval.Memory
// (approval.Pending.Vote), and the same errors (approval.ErrNotPending,
// approval.ErrConsumed, ...) report what went wrong.
package pgapproval
