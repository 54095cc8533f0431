package pgruns

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/pgtables"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options configures a Store; Migrate and New take the same. There are none
// yet: the parameter keeps the shape of every PostgreSQL-backed store.
type Options struct{}

// Store is a gate.RunStore in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool

	mu    sync.Mutex
	swept time.Time
}

var _ gate.RunStore = (*Store)(nil)

// New returns a Store over pool. It does not touch the database: call
// Migrate first, once.
func New(pool *pgxpool.Pool, _ Options) (*Store, error) {
	if pool == nil {
		return nil, errors.New("pgruns: no pool")
	}
	return &Store{pool: pool}, nil
}

// Migrate creates the tables when they do not exist. It is idempotent.
func Migrate(ctx context.Context, pool *pgxpool.Pool, _ Options) error {
	// A relation of a table's name made before the store's would be
	// what the store uses: it must be a table the store could have made.
	if err := pgtables.Check(ctx, pool, "pgruns", "airlock_runs", "airlock_run_identities", "airlock_run_labels", "airlock_run_counters"); err != nil {
		return err
	}
	_, err := pool.Exec(ctx, `
CREATE TABLE IF NOT EXISTS airlock_runs (
    run  text        PRIMARY KEY,
    last timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS airlock_run_identities (
    subject text        PRIMARY KEY,
    run     text        NOT NULL,
    last    timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS airlock_run_labels (
    run         text        NOT NULL,
    name        text        NOT NULL,
    set_at      timestamptz NOT NULL,
    source      text        NOT NULL,
    session_id  text        NOT NULL,
    decision_id text        NOT NULL,
    request     text        NOT NULL,
    PRIMARY KEY (run, name)
);
CREATE TABLE IF NOT EXISTS airlock_run_counters (
    scope  "char" NOT NULL,
    id     text   NOT NULL,
    metric text   NOT NULL,
    bucket bigint NOT NULL,
    n      bigint NOT NULL,
    PRIMARY KEY (scope, id, metric, bucket)
);`)
	if err != nil {
		return fmt.Errorf("pgruns: migrate: %w", err)
	}
	return nil
}

// Resolve implements gate.RunStore: one statement, so two replicas opening
// sessions of the same identity at once agree on its run.
func (s *Store) Resolve(ctx context.Context, subject string, now time.Time, idle time.Duration) (string, error) {
	var run string
	err := s.pool.QueryRow(ctx, `
INSERT INTO airlock_run_identities AS r (subject, run, last) VALUES ($1, $2, $3)
ON CONFLICT (subject) DO UPDATE
   SET run  = CASE WHEN r.last < $3 - make_interval(secs => $4) THEN EXCLUDED.run ELSE r.run END,
       last = GREATEST(r.last, EXCLUDED.last)
RETURNING run`, subject, gate.NewID(), now, idle.Seconds()).Scan(&run)
	if err != nil {
		return "", fmt.Errorf("pgruns: resolve run: %w", err)
	}
	return run, s.touch(ctx, run, now)
}

// AddLabel implements gate.RunStore.
func (s *Store) AddLabel(ctx context.Context, run string, l gate.Label) (bool, error) {
	tag, err := s.pool.Exec(ctx, `
INSERT INTO airlock_run_labels (run, name, set_at, source, session_id, decision_id, request) VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (run, name) DO NOTHING`, run, l.Name, l.Time, l.Source, l.SessionID, l.DecisionID, l.Request)
	if err != nil {
		return false, fmt.Errorf("pgruns: add label: %w", err)
	}
	return tag.RowsAffected() == 1, s.touch(ctx, run, l.Time)
}

// ClearLabel implements gate.RunStore.
func (s *Store) ClearLabel(ctx context.Context, run, name string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM airlock_run_labels WHERE run = $1 AND name = $2`, run, name); err != nil {
		return fmt.Errorf("pgruns: clear label: %w", err)
	}
	return nil
}

// bucketSeconds is the width of a counter bucket, as gate.MemoryRuns's.
const bucketSeconds = 10

func bucketOf(t time.Time) int64 { return t.Unix() - t.Unix()%bucketSeconds }

// Count implements gate.RunStore: the run's and the identity's counters in
// one statement.
func (s *Store) Count(ctx context.Context, run, subject string, m gate.Metric, n int64, at time.Time) error {
	_, err := s.pool.Exec(ctx, `
WITH c AS (
  INSERT INTO airlock_run_counters AS c (scope, id, metric, bucket, n)
  VALUES ('r', $1, $3, $4, $5), ('i', $2, $3, $4, $5)
  ON CONFLICT (scope, id, metric, bucket) DO UPDATE SET n = c.n + EXCLUDED.n
  RETURNING 1)
INSERT INTO airlock_runs (run, last) VALUES ($1, $6)
ON CONFLICT (run) DO UPDATE SET last = GREATEST(airlock_runs.last, EXCLUDED.last)`,
		run, subject, string(m), bucketOf(at), n, at)
	if err != nil {
		return fmt.Errorf("pgruns: count: %w", err)
	}
	return s.sweep(ctx, at)
}

// State implements gate.RunStore: labels and counters in one round trip.
func (s *Store) State(ctx context.Context, run, subject string, now time.Time) (gate.RunState, error) {
	st := gate.RunState{ID: run, Labels: map[string]gate.Label{}, Run: usage(), Identity: usage()}
	b := bucketOf(now)
	batch := &pgx.Batch{}
	batch.Queue(`SELECT name, set_at, source, session_id, decision_id, request FROM airlock_run_labels WHERE run = $1`, run)
	batch.Queue(`
SELECT scope, metric, coalesce(sum(n) FILTER (WHERE bucket > $3 - 60), 0), sum(n)
  FROM airlock_run_counters
 WHERE ((scope = 'r' AND id = $1) OR (scope = 'i' AND id = $2)) AND bucket > $3 - 3600
 GROUP BY scope, metric`, run, subject, b)
	br := s.pool.SendBatch(ctx, batch)
	defer br.Close()
	rows, err := br.Query()
	if err != nil {
		return st, fmt.Errorf("pgruns: labels: %w", err)
	}
	for rows.Next() {
		var l gate.Label
		if err := rows.Scan(&l.Name, &l.Time, &l.Source, &l.SessionID, &l.DecisionID, &l.Request); err != nil {
			rows.Close()
			return st, fmt.Errorf("pgruns: labels: %w", err)
		}
		l.Time = l.Time.UTC()
		st.Labels[l.Name] = l
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("pgruns: labels: %w", err)
	}
	rows, err = br.Query()
	if err != nil {
		return st, fmt.Errorf("pgruns: counters: %w", err)
	}
	for rows.Next() {
		var scope byte
		var metric string
		var minute, hour int64
		if err := rows.Scan(&scope, &metric, &minute, &hour); err != nil {
			rows.Close()
			return st, fmt.Errorf("pgruns: counters: %w", err)
		}
		u := st.Run
		if scope == 'i' {
			u = st.Identity
		}
		u.LastMinute[gate.Metric(metric)], u.LastHour[gate.Metric(metric)] = minute, hour
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("pgruns: counters: %w", err)
	}
	return st, nil
}

func usage() gate.Usage {
	u := gate.Usage{LastMinute: map[gate.Metric]int64{}, LastHour: map[gate.Metric]int64{}}
	for _, m := range gate.Metrics {
		u.LastMinute[m], u.LastHour[m] = 0, 0
	}
	return u
}

// touch notes activity on run.
func (s *Store) touch(ctx context.Context, run string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `
INSERT INTO airlock_runs (run, last) VALUES ($1, $2)
ON CONFLICT (run) DO UPDATE SET last = GREATEST(airlock_runs.last, EXCLUDED.last)`, run, at)
	if err != nil {
		return fmt.Errorf("pgruns: note activity: %w", err)
	}
	return nil
}

// sweep deletes, once a minute per Store, counters older than an hour and
// the runs (with their labels) nothing touched for gate.RunRetention.
func (s *Store) sweep(ctx context.Context, now time.Time) error {
	s.mu.Lock()
	due := now.Sub(s.swept) >= time.Minute
	if due {
		s.swept = now
	}
	s.mu.Unlock()
	if !due {
		return nil
	}
	batch := &pgx.Batch{}
	batch.Queue(`DELETE FROM airlock_run_counters WHERE bucket <= $1 - 3600`, bucketOf(now))
	batch.Queue(`
WITH gone AS (DELETE FROM airlock_runs WHERE last < $1 RETURNING run)
DELETE FROM airlock_run_labels WHERE run IN (SELECT run FROM gone)`, now.Add(-gate.RunRetention))
	batch.Queue(`DELETE FROM airlock_run_identities WHERE last < $1`, now.Add(-gate.RunRetention))
	err := s.pool.SendBatch(ctx, batch).Close()
	if err != nil {
		return fmt.Errorf("pgruns: sweep: %w", err)
	}
	return nil
}
