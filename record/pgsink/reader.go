package pgsink

import (
	"context"
	"fmt"
	"iter"

	"github.com/airlock-sdk/airlock/record"
	"github.com/jackc/pgx/v5"
)

// readColumns are the columns query scans.
const readColumns = `session_id, seq, version, prev_hash, hash, kind, ts, event::text, log_id, log_index`

// Sessions implements record.Reader.
func (p *Sink) Sessions(ctx context.Context) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	rows, err := p.pool.Query(ctx, fmt.Sprintf(`SELECT session_id FROM %s WHERE session_id NOT LIKE 'airlock-log/%%' GROUP BY session_id ORDER BY min(ts), session_id`, p.ident.Sanitize()))
	if err != nil {
		return nil, fmt.Errorf("pgsink: sessions: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("pgsink: sessions: %w", err)
	}
	return ids, nil
}

// Read implements record.Reader: the session's rows in sequence order.
func (p *Sink) Read(ctx context.Context, session string) iter.Seq2[record.Event, error] {
	return p.yieldAll(func() ([]record.Event, error) {
		return p.query(ctx, fmt.Sprintf(`SELECT %s FROM %s WHERE session_id = $1 ORDER BY seq`, readColumns, p.ident.Sanitize()), session)
	})
}

// Stored implements record.StoredReader: every row of the table, those of
// each log in leaf order, with its checkpoints after the leaves they
// cover, the logs in the order they started, then the rows written before
// sink integrity.
func (p *Sink) Stored(ctx context.Context) iter.Seq2[record.Event, error] {
	return p.yieldAll(func() ([]record.Event, error) {
		t := p.ident.Sanitize()
		return p.query(ctx, fmt.Sprintf(`WITH starts AS (SELECT log_id, min(recorded_at) AS started FROM %s WHERE log_id IS NOT NULL GROUP BY log_id)
				SELECT %s FROM %s LEFT JOIN starts USING (log_id)
				ORDER BY started NULLS LAST, log_id, log_index, (kind <> 'log_checkpoint'), session_id, seq`, t, readColumns, t))
	})
}

// yieldAll runs load under the lock, then yields what it read and its
// error last.
func (p *Sink) yieldAll(load func() ([]record.Event, error)) iter.Seq2[record.Event, error] {
	return func(yield func(record.Event, error) bool) {
		p.mu.Lock()
		var evs []record.Event
		err := ErrClosed
		if !p.closed {
			evs, err = load()
		}
		p.mu.Unlock()
		for _, e := range evs {
			if !yield(e, nil) {
				return
			}
		}
		if err != nil {
			yield(record.Event{}, err)
		}
	}
}

// LastLogCheckpoint implements record.CheckpointSource.
func (p *Sink) LastLogCheckpoint(ctx context.Context) (*record.LogCheckpoint, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	evs, err := p.query(ctx, fmt.Sprintf(`SELECT %s FROM %s WHERE kind = 'log_checkpoint' ORDER BY recorded_at DESC, ts DESC, seq DESC LIMIT 1`, readColumns, p.ident.Sanitize()))
	if err != nil || len(evs) == 0 {
		return nil, err
	}
	return evs[0].LogCheckpoint, nil
}

func (p *Sink) query(ctx context.Context, sql string, args ...any) ([]record.Event, error) {
	rows, err := p.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("pgsink: read: %w", err)
	}
	defer rows.Close()
	var out []record.Event
	for rows.Next() {
		var e record.Event
		var seq int64
		var body string
		var logID *string
		var logIndex *int64
		if err := rows.Scan(&e.SessionID, &seq, &e.Version, &e.PrevHash, &e.Hash, &e.Kind, &e.Time, &body, &logID, &logIndex); err != nil {
			return out, fmt.Errorf("pgsink: read: %w", err)
		}
		e.Seq = uint64(seq)
		e.Body = []byte(body)
		if logID != nil && logIndex != nil {
			e.Log, e.Index = *logID, uint64(*logIndex)
		}
		_ = e.Decode() // Verify reports bodies that do not decode
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("pgsink: read: %w", err)
	}
	return out, nil
}
