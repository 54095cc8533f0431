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
	sink, pool, err := openPGStore(ctx, url, pgsink.Options{Table: table}, pgsink.Migrate,
		func(pool *pgxpool.Pool, opts pgsink.Options) (*pgsink.Sink, error) {
			sink, err := pgsink.New(pool, opts)
			if err != nil {
				return nil, fmt.Errorf("record table: %w", err)
			}
			return sink, nil
		})
	if err != nil {
		return nil, err
	}
	return &recordTable{Sink: sink, pool: pool}, nil
}

// openPGStore connects a pool of its own to url, creates or updates the
// store's tables with migrate and opens the store on the pool. On failure
// it closes the pool; else the caller closes it after the store.
func openPGStore[S, O any](ctx context.Context, url string, opts O,
	migrate func(context.Context, *pgxpool.Pool, O) error, open func(*pgxpool.Pool, O) (S, error)) (S, *pgxpool.Pool, error) {
	var none S
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return none, nil, err
	}
	if err := migrate(ctx, pool, opts); err != nil {
		pool.Close()
		return none, nil, err
	}
	store, err := open(pool, opts)
	if err != nil {
		pool.Close()
		return none, nil, err
	}
	return store, pool, nil
}

// Close closes the sink, then its pool.
func (t *recordTable) Close() error {
	err := t.Sink.Close()
	t.pool.Close()
	return err
}
