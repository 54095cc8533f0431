package pgrules

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/pgtables"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Channel is the NOTIFY channel a publish signals on.
const Channel = "airlock_rules"

// ErrNoRuleSet is returned when the store has no active version of the name.
var ErrNoRuleSet = errors.New("pgrules: no active rule set")

// Store keeps versioned rule sets in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	opts Options
}

// Options configures a Store; Migrate and New take the same.
type Options struct {
	// Name selects the rule set (default "default").
	Name string
	// RuleOptions apply when rule files are compiled (mask hash key, ...).
	RuleOptions []gate.RuleOption
	// Retry is the wait before Watch reconnects after an error (default 2s).
	Retry time.Duration
}

// New returns a Store over pool. It does not touch the database: call
// Migrate first, once, with a role that may create the table.
func New(pool *pgxpool.Pool, opts Options) (*Store, error) {
	if pool == nil {
		return nil, errors.New("pgrules: no pool")
	}
	return &Store{pool: pool, opts: opts}, nil
}

func (s *Store) name() string {
	if s.opts.Name == "" {
		return "default"
	}
	return s.opts.Name
}

// Migrate creates the table and index when they do not exist. It is
// idempotent. The schema depends on none of opts; it takes them so that
// every PostgreSQL-backed store of Airlock is set up alike.
func Migrate(ctx context.Context, pool *pgxpool.Pool, opts Options) error {
	// A relation of a table's name made before the store's would be
	// what the store uses: it must be a table the store could have made.
	if err := pgtables.Check(ctx, pool, "pgrules", "airlock_rule_sets"); err != nil {
		return err
	}
	_, err := pool.Exec(ctx, `
CREATE TABLE IF NOT EXISTS airlock_rule_sets (
    name         text        NOT NULL,
    version      text        NOT NULL,
    content      text        NOT NULL,
    published_by text        NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    active       boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (name, version)
);
CREATE UNIQUE INDEX IF NOT EXISTS airlock_rule_sets_active ON airlock_rule_sets (name) WHERE active;`)
	if err != nil {
		return fmt.Errorf("pgrules: migrate: %w", err)
	}
	return nil
}

// Publish validates content as a rule file, stores it and makes it the
// active version, in one transaction, then notifies every watcher. It
// returns the version. Publishing the active content again is a no-op.
func (s *Store) Publish(ctx context.Context, content []byte, publishedBy string) (string, error) {
	rs, err := gate.ParseRules(s.name()+".yaml", content, s.opts.RuleOptions...)
	if err != nil {
		return "", fmt.Errorf("pgrules: publish: %w", err)
	}
	version := rs.Version()
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Serialise publishers of the same name.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('airlock_rule_sets:' || $1))`, s.name()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE airlock_rule_sets SET active = false WHERE name = $1 AND active AND version <> $2`, s.name(), version); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
INSERT INTO airlock_rule_sets (name, version, content, published_by, active) VALUES ($1, $2, $3, $4, true)
ON CONFLICT (name, version) DO UPDATE SET active = true`, s.name(), version, string(content), publishedBy); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, Channel, s.name()+" "+version)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("pgrules: publish %s: %w", version, err)
	}
	return version, nil
}

// Active loads and compiles the active rule set.
func (s *Store) Active(ctx context.Context) (*gate.RuleSet, error) {
	var version, content string
	err := s.pool.QueryRow(ctx, `SELECT version, content FROM airlock_rule_sets WHERE name = $1 AND active`, s.name()).Scan(&version, &content)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w named %q", ErrNoRuleSet, s.name())
	}
	if err != nil {
		return nil, fmt.Errorf("pgrules: load: %w", err)
	}
	rs, err := gate.ParseRules(s.name()+"@"+version, []byte(content), s.opts.RuleOptions...)
	if err != nil {
		return nil, fmt.Errorf("pgrules: active version %s does not compile: %w", version, err)
	}
	return rs, nil
}

// Versions lists the stored versions of the rule set, newest first.
func (s *Store) Versions(ctx context.Context) ([]Version, error) {
	rows, err := s.pool.Query(ctx, `SELECT version, published_by, published_at, active FROM airlock_rule_sets WHERE name = $1 ORDER BY published_at DESC`, s.name())
	if err != nil {
		return nil, fmt.Errorf("pgrules: versions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Version, error) {
		var v Version
		err := r.Scan(&v.Version, &v.PublishedBy, &v.PublishedAt, &v.Active)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("pgrules: versions: %w", err)
	}
	return out, nil
}

// Version describes one stored version.
type Version struct {
	Version     string
	PublishedBy string
	PublishedAt time.Time
	Active      bool
}

// Watch loads the active rule set into g, then listens for publishes and
// swaps in each new version, until ctx ends. Errors are logged through the
// gate's logger and retried; g keeps its last good rules meanwhile.
func (s *Store) Watch(ctx context.Context, g *gate.Gate) {
	retry := s.opts.Retry
	if retry <= 0 {
		retry = 2 * time.Second
	}
	log := g.Logger()
	for ctx.Err() == nil {
		err := s.watchOnce(ctx, g)
		if ctx.Err() != nil {
			return
		}
		log.Error("rule store watch failed; keeping the current rules", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry):
		}
	}
}

func (s *Store) watchOnce(ctx context.Context, g *gate.Gate) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	defer func() {
		// The connection goes back to the pool: stop listening on it.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_, _ = conn.Exec(uctx, "UNLISTEN "+Channel)
	}()
	// Load after LISTEN, so no publish falls between the two.
	if err := s.reload(ctx, g); err != nil && !errors.Is(err, ErrNoRuleSet) {
		g.Logger().Error("active rule set not loaded; keeping the current rules", "error", err)
	}
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Channel != Channel {
			continue
		}
		if err := s.reload(ctx, g); err != nil {
			g.Logger().Error("published rule set not loaded; keeping the current rules", "error", err)
		}
	}
}

func (s *Store) reload(ctx context.Context, g *gate.Gate) error {
	rs, err := s.Active(ctx)
	if err != nil {
		return err
	}
	if cur := g.Rules(); cur != nil && cur.Version() == rs.Version() {
		return nil
	}
	g.SetRules(rs)
	return nil
}
