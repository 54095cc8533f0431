// Package pgsink stores session records in PostgreSQL: a record.Sink that
// loads each batch with COPY in one transaction, a reader of that table
// (replay, verification), and an Anchor that publishes log checkpoints to a
// table elsewhere.
//
// It has the shape of every PostgreSQL-backed store of Airlock
// (approval/pgapproval, gate/pgrules): the caller owns a *pgxpool.Pool,
// Migrate creates or updates the schema (idempotent, and separately
// callable so that a role that may only insert never needs to), and New
// builds the store over the pool without touching the database:
//
//	pool, err := pgxpool.New(ctx, "postgres://airlock@db/airlock")
//	if err := pgsink.Migrate(ctx, pool, pgsink.Options{}); err != nil { ... }
//	sink, err := pgsink.New(pool, pgsink.Options{})
//	rec := record.New(sink, record.Options{SigningKey: priv, HMACKey: hmacKey})
//	defer pool.Close()
//	defer rec.Close() // flushes, then closes the sink (not the pool)
//
// The table is documented by Schema. One row per entry; (session_id, seq)
// is the key, so a retried batch is stored once and an entry that differs
// from the stored one is refused (record.ErrConflict).
package pgsink
