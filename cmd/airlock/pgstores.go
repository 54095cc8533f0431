package main

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/airlock-sdk/airlock/record/pgsink"
)

// recordTable is a PostgreSQL record sink over a pool of its own, which it
// closes with itself (the command owns both). Embedding keeps the sink's
// reader and checkpoint-source methods.
type recordTable struct {
	*pgsink.Sink
	pool *pgxpool.Pool
}

// openRecordTable connects to url, creates or updates the record table
// (a no-op when it is up to date) and returns a sink on it.
func openRecordTable(ctx context.Context, url, table string) (*recordTable, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, err
	}
	opts := pgsink.Options{Table: table}
	if err := pgsink.Migrate(ctx, pool, opts); err != nil {
		pool.Close()
		return nil, err
	}
	sink, err := pgsink.New(pool, opts)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("record table: %w", err)
	}
	return &recordTable{Sink: sink, pool: pool}, nil
}

// Close closes the sink, then its pool.
func (t *recordTable) Close() error {
	err := t.Sink.Close()
	t.pool.Close()
	return err
}
