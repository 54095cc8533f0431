package pgtest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/internal/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestDatabaseIsFreshAndDropped(t *testing.T) {
	var url string
	t.Run("create", func(t *testing.T) {
		url = pgtest.Database(t, "airlock_pgtest")
		c, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		var n int
		if err := c.QueryRow(context.Background(), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil || n != 0 {
			t.Fatalf("want an empty database, got %d tables (%v)", n, err)
		}
	})
	if _, err := pgx.Connect(context.Background(), url); err == nil {
		t.Fatal("the database must be dropped when its test ends")
	}
}

func TestStoreMigratesThenOpens(t *testing.T) {
	pool := pgtest.Pool(t, "airlock_pgtest")
	migrate := func(ctx context.Context, p *pgxpool.Pool, table string) error {
		_, err := p.Exec(ctx, "CREATE TABLE "+table+" (n int)")
		return err
	}
	open := func(p *pgxpool.Pool, table string) (int, error) {
		var n int
		err := p.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n)
		return n, err
	}
	if n := pgtest.Store(t, pool, "t", migrate, open); n != 0 {
		t.Fatalf("fresh table holds %d rows", n)
	}
}

// TestDropRetriesThenForces: the drop outlasts a server with no free
// connection slot (the first connects fail as PostgreSQL refuses a client
// past max_connections) and a database another backend still uses in an
// open transaction; a single attempt, as the drop once made, leaves the
// database behind.
func TestDropRetriesThenForces(t *testing.T) {
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgtest.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	name := fmt.Sprintf("airlock_pgtest_drop_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	user, err := pgx.Connect(ctx, strings.Replace(pgtest.AdminURL, "/test?", "/"+name+"?", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer user.Close(ctx)
	if _, err := user.Exec(ctx, "BEGIN; CREATE TABLE held (n int)"); err != nil {
		t.Fatal(err)
	}
	exists := func() bool {
		var n int
		if err := admin.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	calls := 0
	full := func(fails int) func(context.Context) (*pgx.Conn, error) {
		return func(ctx context.Context) (*pgx.Conn, error) {
			calls++
			if calls <= fails {
				return nil, &pgconn.PgError{Severity: "FATAL", Code: "53300", Message: "sorry, too many clients already"}
			}
			return pgx.Connect(ctx, pgtest.AdminURL)
		}
	}
	if err := pgtest.Drop(ctx, name, full(1), 0); err == nil || !exists() {
		t.Fatalf("one attempt against a full server: err %v, database exists %v", err, exists())
	}
	calls = 0
	start := time.Now()
	if err := pgtest.Drop(ctx, name, full(4), 10*time.Second); err != nil {
		t.Fatalf("drop: %v", err)
	}
	if calls != 5 || exists() {
		t.Fatalf("%d connects, database exists %v", calls, exists())
	}
	if d := time.Since(start); d < 25*time.Millisecond*(1+2+4+8) {
		t.Errorf("four retries in %v: no backoff", d)
	}
	if err := user.Ping(ctx); err == nil {
		t.Error("the backend using the database was not ended")
	}
	// Dropping a database that is gone succeeds.
	if err := pgtest.Drop(ctx, name, full(0), time.Second); err != nil {
		t.Fatalf("drop again: %v", err)
	}
}

// TestDatabaseFromTemplate: parallel tests get copies of one template made
// once with the setup's tables, each its own (a write to one is not in
// another); no connection to the template is allowed, and DropTemplates
// drops it.
func TestDatabaseFromTemplate(t *testing.T) {
	ctx := context.Background()
	const setup = "CREATE TABLE t (n int); INSERT INTO t VALUES (1), (2);"
	t.Run("copies", func(t *testing.T) {
		for i := range 4 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				c, err := pgx.Connect(ctx, pgtest.DatabaseFrom(t, "airlock_pgtest", setup))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close(ctx)
				if _, err := c.Exec(ctx, "INSERT INTO t VALUES ($1)", 10+i); err != nil {
					t.Fatal(err)
				}
				var n, sum int
				if err := c.QueryRow(ctx, "SELECT count(*), sum(n) FROM t").Scan(&n, &sum); err != nil || n != 3 || sum != 13+i {
					t.Fatalf("copy holds %d rows summing to %d (%v), want the template's 2 and its own", n, sum, err)
				}
			})
		}
	})
	admin, err := pgx.Connect(ctx, pgtest.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	templates := func() []string {
		rows, err := admin.Query(ctx, "SELECT datname FROM pg_database WHERE datname LIKE 'airlock\\_pgtest\\_tmpl\\_%' AND NOT datallowconn")
		if err != nil {
			t.Fatal(err)
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	names := templates()
	if len(names) == 0 {
		t.Fatal("no template that refuses connections")
	}
	if err := pgtest.DropTemplates(); err != nil {
		t.Fatal(err)
	}
	for _, n := range templates() {
		for _, m := range names {
			if n == m {
				t.Fatalf("template %s not dropped", n)
			}
		}
	}
}
