package pgsink

import (
	"context"
	"fmt"

	"github.com/airlock-sdk/airlock/internal/pgtables"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Schema is the table a Sink writes (%s is the table name). One row per
// entry; (session_id, seq) is the key, so a retried batch is stored once.
// The event column is json, not jsonb: json keeps the text byte for byte,
// and the hash covers those bytes. Query it with ->, ->> as usual (cast to
// jsonb for indexing).
const Schema = `CREATE TABLE IF NOT EXISTS %s (
	session_id  text        NOT NULL,
	seq         bigint      NOT NULL CHECK (seq > 0),
	version     integer     NOT NULL,
	prev_hash   text        NOT NULL,
	hash        text        NOT NULL,
	kind        text        NOT NULL,
	ts          bigint      NOT NULL, -- event time, Unix nanoseconds, UTC
	event       json        NOT NULL, -- the gate.Event or checkpoint, as hashed
	recorded_at timestamptz NOT NULL DEFAULT now(),
	log_id      text,                 -- the sink-level log (NULL before sink integrity)
	log_index   bigint,               -- the entry's leaf index in its log
	PRIMARY KEY (session_id, seq)
)`

// migration adds the sink-level log columns to a table created before them.
const migration = `ALTER TABLE %s ADD COLUMN IF NOT EXISTS log_id text, ADD COLUMN IF NOT EXISTS log_index bigint`

// Options configures a Sink; Migrate and New take the same.
type Options struct {
	// Table is the table name, optionally schema-qualified (default
	// "airlock_record").
	Table string
}

func (o Options) table() string {
	if o.Table == "" {
		return "airlock_record"
	}
	return o.Table
}

// Migrate creates the table (Schema) when it is missing and adds the log
// columns to a table created before them. It is idempotent, and it changes
// the database only when it must: a role that may insert into an
// up-to-date table but not own it (as a recorder's role should be) can call
// it, or skip it.
func Migrate(ctx context.Context, pool *pgxpool.Pool, opts Options) error {
	ident, err := identifier(opts.table())
	if err != nil {
		return err
	}
	table := opts.table()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("pgsink: connect to postgres: %w", err)
	}
	defer conn.Release()
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, ident.Sanitize()).Scan(&exists); err != nil {
		return fmt.Errorf("pgsink: look up table %s: %w", table, err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, fmt.Sprintf(Schema, table)); err != nil {
			return fmt.Errorf("pgsink: create table %s: %w", table, err)
		}
	}
	if err := pgtables.Check(ctx, conn, "pgsink", ident.Sanitize()); err != nil {
		return err
	}
	var have int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_attribute WHERE attrelid = $1::regclass AND attname IN ('log_id', 'log_index') AND NOT attisdropped`,
		ident.Sanitize()).Scan(&have); err != nil {
		return fmt.Errorf("pgsink: inspect table %s: %w", table, err)
	}
	if have < 2 {
		if _, err := conn.Exec(ctx, fmt.Sprintf(migration, table)); err != nil {
			return fmt.Errorf("pgsink: add the log columns to table %s: %w", table, err)
		}
	}
	return nil
}
