package pgsink

import (
	"context"
	"fmt"

	"github.com/airlock-sdk/airlock/internal/pgtables"
	"github.com/airlock-sdk/airlock/record"
	"github.com/jackc/pgx/v5"
)

// AnchorSchema is the table an Anchor writes (%s is the table).
const AnchorSchema = `CREATE TABLE IF NOT EXISTS %s (
	origin       text        NOT NULL,
	size         bigint      NOT NULL,
	note         text        NOT NULL,
	published_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (origin, size, note)
)`

// Anchor is a record.Anchor that stores checkpoints in a table of a
// PostgreSQL database that the record's operator cannot write (another
// server, or a role with INSERT only). Unlike the Sink it holds no pool: a
// witness is written rarely, so it connects for each call, and creates its
// table (AnchorSchema) when missing.
type Anchor struct {
	// ConnString is a libpq URL or key=value string.
	ConnString string
	// Table defaults to "airlock_anchor".
	Table string
}

var _ record.Anchor = (*Anchor)(nil)

func (a *Anchor) conn(ctx context.Context) (*pgx.Conn, string, error) {
	t := a.Table
	if t == "" {
		t = "airlock_anchor"
	}
	if !tableName.MatchString(t) {
		return nil, "", fmt.Errorf("pgsink: bad anchor table name %q", t)
	}
	c, err := pgx.Connect(ctx, a.ConnString)
	if err != nil {
		return nil, "", fmt.Errorf("pgsink: anchor: %w", err)
	}
	id, _ := identifier(t)
	ident := id.Sanitize()
	// Created only when missing: the anchor's role should be able to
	// insert and read, and nothing more.
	var exists bool
	if err := c.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, ident).Scan(&exists); err != nil {
		c.Close(ctx)
		return nil, "", fmt.Errorf("pgsink: anchor table: %w", err)
	}
	if !exists {
		if _, err := c.Exec(ctx, fmt.Sprintf(AnchorSchema, ident)); err != nil {
			c.Close(ctx)
			return nil, "", fmt.Errorf("pgsink: anchor table: %w", err)
		}
	}
	if err := pgtables.Check(ctx, c, "pgsink: anchor", ident); err != nil {
		c.Close(ctx)
		return nil, "", err
	}
	return c, ident, nil
}

// Publish implements record.Anchor.
func (a *Anchor) Publish(ctx context.Context, cp *record.LogCheckpoint) error {
	c, t, err := a.conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, fmt.Sprintf(`INSERT INTO %s (origin, size, note) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, t),
		cp.Origin, int64(cp.Size), string(cp.Note())); err != nil {
		return fmt.Errorf("pgsink: anchor insert: %w", err)
	}
	return nil
}

// Latest implements record.Anchor.
func (a *Anchor) Latest(ctx context.Context) ([]*record.LogCheckpoint, error) {
	c, t, err := a.conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, fmt.Sprintf(`SELECT note FROM %s ORDER BY published_at, size`, t))
	if err != nil {
		return nil, fmt.Errorf("pgsink: anchor read: %w", err)
	}
	notes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("pgsink: anchor read: %w", err)
	}
	var cps []*record.LogCheckpoint
	for _, n := range notes {
		cp, err := record.ParseLogCheckpoint([]byte(n))
		if err != nil {
			return nil, fmt.Errorf("pgsink: anchor row: %w", err)
		}
		cps = append(cps, cp)
	}
	return record.NewestCheckpoints(cps), nil
}
