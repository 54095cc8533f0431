package pgsink

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/airlock-sdk/airlock/record"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrClosed is returned by every method of a Sink after Close.
var ErrClosed = errors.New("pgsink: sink closed")

// columns are the columns a Sink writes, in COPY order.
var columns = []string{"session_id", "seq", "version", "prev_hash", "hash", "kind", "ts", "event", "log_id", "log_index"}

// Sink is a record.Sink that stores entries in a PostgreSQL table (see
// Schema), one transaction per batch, loaded with COPY. It is also a
// record.StoredReader and a record.CheckpointSource of that table. Calls
// are serialised, as one connection's would be; the pool replaces a
// connection that failed.
type Sink struct {
	pool  *pgxpool.Pool
	table string
	ident pgx.Identifier

	mu     sync.Mutex
	closed bool
}

var (
	_ record.Sink             = (*Sink)(nil)
	_ record.StoredReader     = (*Sink)(nil)
	_ record.CheckpointSource = (*Sink)(nil)
)

// New returns a Sink over pool. It checks the options and does not touch
// the database: call Migrate first (once, with a role that may create the
// table) unless the table exists.
func New(pool *pgxpool.Pool, opts Options) (*Sink, error) {
	if pool == nil {
		return nil, errors.New("pgsink: no pool")
	}
	ident, err := identifier(opts.table())
	if err != nil {
		return nil, err
	}
	return &Sink{pool: pool, table: opts.table(), ident: ident}, nil
}

// Table returns the table name.
func (p *Sink) Table() string { return p.table }

// Write implements record.Sink: the batch is committed in one transaction.
func (p *Sink) Write(ctx context.Context, batch []record.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if len(batch) == 0 {
		return nil
	}
	err := p.copy(ctx, batch)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		// Part of the batch is already stored (a retry): insert the rest.
		err = p.merge(ctx, batch)
	}
	return err
}

func rows(batch []record.Event) pgx.CopyFromSource {
	return pgx.CopyFromSlice(len(batch), func(i int) ([]any, error) {
		e := &batch[i]
		var logID, logIndex any
		if e.Log != "" {
			logID, logIndex = e.Log, int64(e.Index)
		}
		return []any{e.SessionID, int64(e.Seq), e.Version, e.PrevHash, e.Hash, e.Kind, e.Time, string(e.Body), logID, logIndex}, nil
	})
}

func (p *Sink) copy(ctx context.Context, batch []record.Event) error {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgsink: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.CopyFrom(ctx, p.ident, columns, rows(batch)); err != nil {
		return fmt.Errorf("pgsink: copy: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgsink: commit: %w", err)
	}
	return nil
}

// merge stores the entries of batch that are missing, and fails when a
// stored entry has another hash.
func (p *Sink) merge(ctx context.Context, batch []record.Event) error {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgsink: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	tbl := p.ident.Sanitize()
	if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TEMP TABLE airlock_record_stage (LIKE %s INCLUDING DEFAULTS) ON COMMIT DROP`, tbl)); err != nil {
		return fmt.Errorf("pgsink: stage: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"airlock_record_stage"}, columns, rows(batch)); err != nil {
		return fmt.Errorf("pgsink: copy: %w", err)
	}
	var conflicts int
	if err := tx.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM airlock_record_stage s JOIN %s t USING (session_id, seq) WHERE t.hash <> s.hash`, tbl)).Scan(&conflicts); err != nil {
		return fmt.Errorf("pgsink: check: %w", err)
	}
	if conflicts > 0 {
		return fmt.Errorf("%w: %d entries differ from the stored ones", record.ErrConflict, conflicts)
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf(`INSERT INTO %s (session_id, seq, version, prev_hash, hash, kind, ts, event, log_id, log_index)
		SELECT session_id, seq, version, prev_hash, hash, kind, ts, event, log_id, log_index FROM airlock_record_stage ON CONFLICT (session_id, seq) DO NOTHING`, tbl)); err != nil {
		return fmt.Errorf("pgsink: insert: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgsink: commit: %w", err)
	}
	return nil
}

// Close implements record.Sink: later calls fail with ErrClosed. The pool
// stays open; it belongs to the caller.
func (p *Sink) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	return nil
}
