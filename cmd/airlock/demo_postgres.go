package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/protocols/postgres"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// demoPostgresRules are the PostgreSQL rules of the tour.
const demoPostgresRules = `
  - name: sql-reads
    when: request.protocol == "postgres" && sql.statements.all(s, s.kind == "SELECT" && s.read_only && !s.opaque)
    action: allow
  - name: no-ddl
    when: request.protocol == "postgres" && sql.statements.exists(s, s.kind in ["DROP", "TRUNCATE", "ALTER"])
    action: deny
    reason: schema changes go through migrations
`

// demoAdminURL is where the demo looks for a PostgreSQL to put behind the
// gateway; without one, that part of the tour is skipped.
const demoAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=2"

// demoDatabase creates a throwaway database with a customers table through
// admin, and returns its name, its URL and the func that drops it.
func demoDatabase(ctx context.Context, admin *pgx.Conn) (db, url string, drop func(), err error) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	db = "airlock_demo_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+db); err != nil {
		return "", "", nil, err
	}
	drop = func() { _, _ = admin.Exec(context.Background(), "DROP DATABASE "+db+" WITH (FORCE)") }
	url = "postgres://postgres@127.0.0.1:5432/" + db + "?sslmode=disable"
	seed, err := pgx.Connect(ctx, url)
	if err != nil {
		drop()
		return "", "", nil, err
	}
	_, err = seed.Exec(ctx, `CREATE TABLE customers (id int, name text, email text, card text);
INSERT INTO customers VALUES (1, 'Ada Lovelace', 'ada@example.com', '4111 1111 1111 1111')`)
	seed.Close(ctx)
	if err != nil {
		drop()
		return "", "", nil, err
	}
	return db, url, drop, nil
}

// demoPostgres puts the PostgreSQL gateway in front of a throwaway database.
func demoPostgres(ctx context.Context, w io.Writer, g *gate.Gate, agent gate.Identity, step demoStep) error {
	admin, err := pgx.Connect(ctx, demoAdminURL)
	if err != nil {
		fmt.Fprintf(w, "13. PostgreSQL: skipped, no server reachable at 127.0.0.1:5432 (%v)\n\n", err)
		return nil
	}
	defer admin.Close(context.Background())
	db, upURL, drop, err := demoDatabase(ctx, admin)
	if err != nil {
		return err
	}
	defer drop()
	up, err := pgconn.ParseConfig(upURL)
	if err != nil {
		return err
	}
	srv, err := postgres.New(postgres.Config{Gate: g, Upstream: up, Target: "customers-db", AllowInsecurePassword: true,
		Authenticator: gate.Tokens(map[string]gate.Identity{demoToken: agent, demoRunToken: demoRunAgent})})
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = srv.Serve(ctx, ln) }()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, fmt.Sprintf("postgres://%s:%s@%s:%s/%s?sslmode=disable", agent.Subject, demoToken, host, port, db))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	query := func(sql string) (any, error) {
		var out []string
		rows, err := conn.Query(cctx, sql, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				return nil, err
			}
			cols := make([]string, len(vals))
			for i, v := range vals {
				cols[i] = fmt.Sprint(v)
			}
			out = append(out, strings.Join(cols, " | "))
		}
		return out, rows.Err()
	}
	step(13, "PostgreSQL through the wire-protocol gateway (pgx): the card and the email are masked in the rows.",
		"SELECT name, email, card FROM customers", func() (any, error) { return query("SELECT name, email, card FROM customers") })
	step(14, "PostgreSQL: a DROP hidden behind a SELECT is refused with SQLSTATE 42501.",
		"SELECT 1; DROP TABLE customers", func() (any, error) { return query("SELECT 1; DROP TABLE customers") })
	step(15, "PostgreSQL: the session survives the refusal.", "SELECT count(*) FROM customers",
		func() (any, error) { return query("SELECT count(*) FROM customers") })
	return demoDataFlow(ctx, g, fmt.Sprintf("postgres://%s:%s@%s:%s/%s?sslmode=disable", demoRunAgent.Subject, demoRunToken, host, port, db), step)
}
