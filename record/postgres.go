package record

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"regexp"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// PostgresSchema is the table the Postgres sink writes (%s is the table
// name). One row per entry; (session_id, seq) is the key, so a retried batch
// is stored once. The event column is json, not jsonb: json keeps the text
// byte for byte, and the hash covers those bytes. Query it with ->, ->> as
// usual (cast to jsonb for indexing).
const PostgresSchema = `CREATE TABLE IF NOT EXISTS %s (
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

// postgresMigration adds the sink-level log columns to a table created
// before them.
const postgresMigration = `ALTER TABLE %s ADD COLUMN IF NOT EXISTS log_id text, ADD COLUMN IF NOT EXISTS log_index bigint`

// PostgresOptions configures a Postgres sink.
type PostgresOptions struct {
	// Table is the table name, optionally schema-qualified (default
	// "airlock_record"). It is created when missing.
	Table string
}

var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$`)

// Postgres is a Sink that stores entries in a PostgreSQL table (see
// PostgresSchema), one transaction per batch, loaded with COPY. It is also a
// Reader of that table. It holds one connection, reconnecting after a
// failure.
type Postgres struct {
	connString string
	table      string
	cols       []string

	mu   sync.Mutex
	conn *pgx.Conn
}

// OpenPostgres connects with connString (a libpq URL or key=value string) and
// creates the table when missing.
func OpenPostgres(ctx context.Context, connString string, opts PostgresOptions) (*Postgres, error) {
	if opts.Table == "" {
		opts.Table = "airlock_record"
	}
	if !tableName.MatchString(opts.Table) {
		return nil, fmt.Errorf("record: bad table name %q", opts.Table)
	}
	p := &Postgres{connString: connString, table: opts.Table,
		cols: []string{"session_id", "seq", "version", "prev_hash", "hash", "kind", "ts", "event", "log_id", "log_index"}}
	conn, err := p.connect(ctx)
	if err != nil {
		return nil, err
	}
	// The table is created, or altered, only when it must be: a role that
	// may insert into it but not own it (as a recorder's role should be)
	// never needs to.
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, p.tableIdent().Sanitize()).Scan(&exists); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("record: look up table %s: %w", p.table, err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, fmt.Sprintf(PostgresSchema, p.table)); err != nil {
			conn.Close(ctx)
			return nil, fmt.Errorf("record: create table %s: %w", p.table, err)
		}
	}
	var have int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_attribute WHERE attrelid = $1::regclass AND attname IN ('log_id', 'log_index') AND NOT attisdropped`,
		p.tableIdent().Sanitize()).Scan(&have); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("record: inspect table %s: %w", p.table, err)
	}
	if have < 2 {
		if _, err := conn.Exec(ctx, fmt.Sprintf(postgresMigration, p.table)); err != nil {
			conn.Close(ctx)
			return nil, fmt.Errorf("record: add the log columns to table %s: %w", p.table, err)
		}
	}
	p.conn = conn
	return p, nil
}

func (p *Postgres) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, p.connString)
	if err != nil {
		return nil, fmt.Errorf("record: connect to postgres: %w", err)
	}
	return conn, nil
}

// Table returns the table name.
func (p *Postgres) Table() string { return p.table }

func (p *Postgres) tableIdent() pgx.Identifier {
	return pgx.Identifier(splitTable(p.table))
}

func splitTable(t string) []string {
	for i := 0; i < len(t); i++ {
		if t[i] == '.' {
			return []string{t[:i], t[i+1:]}
		}
	}
	return []string{t}
}

// Write implements Sink: the batch is committed in one transaction.
func (p *Postgres) Write(ctx context.Context, batch []Event) error {
	if len(batch) == 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil || p.conn.IsClosed() {
		conn, err := p.connect(ctx)
		if err != nil {
			return err
		}
		p.conn = conn
	}
	err := p.copy(ctx, batch)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		// Part of the batch is already stored (a retry): insert the rest.
		err = p.merge(ctx, batch)
	}
	if err != nil && p.conn.IsClosed() {
		p.conn = nil
	}
	return err
}

func (p *Postgres) rows(batch []Event) pgx.CopyFromSource {
	return pgx.CopyFromSlice(len(batch), func(i int) ([]any, error) {
		e := &batch[i]
		var logID, logIndex any
		if e.Log != "" {
			logID, logIndex = e.Log, int64(e.Index)
		}
		return []any{e.SessionID, int64(e.Seq), e.Version, e.PrevHash, e.Hash, e.Kind, e.Time, string(e.Body), logID, logIndex}, nil
	})
}

func (p *Postgres) copy(ctx context.Context, batch []Event) error {
	tx, err := p.conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("record: postgres begin: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.CopyFrom(ctx, p.tableIdent(), p.cols, p.rows(batch)); err != nil {
		return fmt.Errorf("record: postgres copy: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("record: postgres commit: %w", err)
	}
	return nil
}

// merge stores the entries of batch that are missing, and fails when a
// stored entry has another hash.
func (p *Postgres) merge(ctx context.Context, batch []Event) error {
	tx, err := p.conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("record: postgres begin: %w", err)
	}
	defer tx.Rollback(ctx)
	tbl := p.tableIdent().Sanitize()
	if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TEMP TABLE airlock_record_stage (LIKE %s INCLUDING DEFAULTS) ON COMMIT DROP`, tbl)); err != nil {
		return fmt.Errorf("record: postgres stage: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"airlock_record_stage"}, p.cols, p.rows(batch)); err != nil {
		return fmt.Errorf("record: postgres copy: %w", err)
	}
	var conflicts int
	if err := tx.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM airlock_record_stage s JOIN %s t USING (session_id, seq) WHERE t.hash <> s.hash`, tbl)).Scan(&conflicts); err != nil {
		return fmt.Errorf("record: postgres check: %w", err)
	}
	if conflicts > 0 {
		return fmt.Errorf("%w: %d entries differ from the stored ones", ErrConflict, conflicts)
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf(`INSERT INTO %s (session_id, seq, version, prev_hash, hash, kind, ts, event, log_id, log_index)
		SELECT session_id, seq, version, prev_hash, hash, kind, ts, event, log_id, log_index FROM airlock_record_stage ON CONFLICT (session_id, seq) DO NOTHING`, tbl)); err != nil {
		return fmt.Errorf("record: postgres insert: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("record: postgres commit: %w", err)
	}
	return nil
}

// Close implements Sink.
func (p *Postgres) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		return nil
	}
	err := p.conn.Close(context.Background())
	p.conn = nil
	return err
}

// Sessions implements Reader.
func (p *Postgres) Sessions(ctx context.Context) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		return nil, errors.New("record: postgres sink closed")
	}
	rows, err := p.conn.Query(ctx, fmt.Sprintf(`SELECT session_id FROM %s WHERE session_id NOT LIKE 'airlock-log/%%' GROUP BY session_id ORDER BY min(ts), session_id`, p.tableIdent().Sanitize()))
	if err != nil {
		return nil, fmt.Errorf("record: postgres sessions: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("record: postgres sessions: %w", err)
	}
	return ids, nil
}

// Read implements Reader: the session's rows in sequence order.
func (p *Postgres) Read(ctx context.Context, session string) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		evs, err := p.readAll(ctx, session)
		for _, e := range evs {
			if !yield(e, nil) {
				return
			}
		}
		if err != nil {
			yield(Event{}, err)
		}
	}
}

func (p *Postgres) readAll(ctx context.Context, session string) ([]Event, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		return nil, errors.New("record: postgres sink closed")
	}
	return p.query(ctx, fmt.Sprintf(`SELECT %s FROM %s WHERE session_id = $1 ORDER BY seq`, postgresReadCols, p.tableIdent().Sanitize()), session)
}

const postgresReadCols = `session_id, seq, version, prev_hash, hash, kind, ts, event::text, log_id, log_index`

func (p *Postgres) query(ctx context.Context, sql string, args ...any) ([]Event, error) {
	rows, err := p.conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("record: postgres read: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var seq int64
		var body string
		var logID *string
		var logIndex *int64
		if err := rows.Scan(&e.SessionID, &seq, &e.Version, &e.PrevHash, &e.Hash, &e.Kind, &e.Time, &body, &logID, &logIndex); err != nil {
			return out, fmt.Errorf("record: postgres read: %w", err)
		}
		e.Seq = uint64(seq)
		e.Body = []byte(body)
		if logID != nil && logIndex != nil {
			e.Log, e.Index = *logID, uint64(*logIndex)
		}
		_ = e.decode() // Verify reports bodies that do not decode
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("record: postgres read: %w", err)
	}
	return out, nil
}

// Stored yields every row of the table: those of each log in leaf order,
// with its checkpoints after the leaves they cover, the logs in the order
// they started, then the rows written before sink integrity.
func (p *Postgres) Stored(ctx context.Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		p.mu.Lock()
		var evs []Event
		var err error
		if p.conn == nil {
			err = errors.New("record: postgres sink closed")
		} else {
			t := p.tableIdent().Sanitize()
			evs, err = p.query(ctx, fmt.Sprintf(`WITH starts AS (SELECT log_id, min(recorded_at) AS started FROM %s WHERE log_id IS NOT NULL GROUP BY log_id)
				SELECT %s FROM %s LEFT JOIN starts USING (log_id)
				ORDER BY started NULLS LAST, log_id, log_index, (kind <> 'log_checkpoint'), session_id, seq`, t, postgresReadCols, t))
		}
		p.mu.Unlock()
		for _, e := range evs {
			if !yield(e, nil) {
				return
			}
		}
		if err != nil {
			yield(Event{}, err)
		}
	}
}

// LastLogCheckpoint implements CheckpointSource.
func (p *Postgres) LastLogCheckpoint(ctx context.Context) (*LogCheckpoint, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		return nil, errors.New("record: postgres sink closed")
	}
	evs, err := p.query(ctx, fmt.Sprintf(`SELECT %s FROM %s WHERE kind = 'log_checkpoint' ORDER BY recorded_at DESC, ts DESC, seq DESC LIMIT 1`, postgresReadCols, p.tableIdent().Sanitize()))
	if err != nil || len(evs) == 0 {
		return nil, err
	}
	return evs[0].LogCheckpoint, nil
}
