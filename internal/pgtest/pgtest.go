// Package pgtest gives tests a throwaway PostgreSQL database: created with a
// random name, dropped when the test ends, so runs never depend on each
// other or on leftovers.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// AdminURL is the server the databases are created on (trust auth).
const AdminURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Database creates a database named prefix_<random> and returns its URL.
// Without a reachable server the test is skipped, except under CI (CI set),
// where it fails: integration tests must run there.
func Database(t testing.TB, prefix string) string {
	t.Helper()
	return database(t, prefix, "")
}

// DatabaseFrom is Database with the new database a copy of a template
// holding what setup (SQL statements) made: the template is made once
// per test binary for each prefix and setup, then no connection to it is
// allowed, so parallel tests copy it safely. Call DropTemplates from
// TestMain after m.Run.
func DatabaseFrom(t testing.TB, prefix, setup string) string {
	t.Helper()
	tm, _ := templates.LoadOrStore(prefix+"\x00"+setup, &template{})
	tmpl := tm.(*template)
	tmpl.once.Do(func() { tmpl.name, tmpl.err = makeTemplate(prefix, setup) })
	if tmpl.err != nil {
		if errors.Is(tmpl.err, errUnreachable) && os.Getenv("CI") == "" {
			t.Skipf("PostgreSQL not reachable: %v", tmpl.err)
		}
		t.Fatalf("pgtest: template for %s: %v", prefix, tmpl.err)
	}
	return database(t, prefix, tmpl.name)
}

// template is a database DatabaseFrom copies.
type template struct {
	once sync.Once
	name string
	err  error
}

// templates holds the templates made, by prefix and setup.
var templates sync.Map

var errUnreachable = errors.New("PostgreSQL not reachable")

func makeTemplate(prefix, setup string) (string, error) {
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, AdminURL)
	if err != nil {
		return "", fmt.Errorf("%w: %w", errUnreachable, err)
	}
	defer admin.Close(ctx)
	name := prefix + "_tmpl_" + randomHex()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	c, err := pgx.Connect(ctx, strings.Replace(AdminURL, "/test?", "/"+name+"?", 1))
	if err == nil {
		_, err = c.PgConn().Exec(ctx, setup).ReadAll()
		_ = c.Close(ctx)
	}
	if err == nil {
		// No connection may use the template while it is copied.
		_, err = admin.Exec(ctx, "ALTER DATABASE "+name+" WITH ALLOW_CONNECTIONS false")
	}
	if err != nil {
		_ = Drop(ctx, name, adminConnect, DropBound)
		return "", err
	}
	return name, nil
}

// DropTemplates drops the templates DatabaseFrom made in this process.
func DropTemplates() error {
	var errs []error
	templates.Range(func(_, v any) bool {
		if tm := v.(*template); tm.name != "" {
			errs = append(errs, Drop(context.Background(), tm.name, adminConnect, DropBound))
		}
		return true
	})
	return errors.Join(errs...)
}

func randomHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// database creates prefix_<random>, a copy of tmpl unless it is empty,
// dropped when t ends.
func database(t testing.TB, prefix, tmpl string) string {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, AdminURL)
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("PostgreSQL not reachable: %v", err)
		}
		t.Fatalf("PostgreSQL not reachable: %v", err)
	}
	name := prefix + "_" + randomHex()
	create := "CREATE DATABASE " + name
	if tmpl != "" {
		create += " TEMPLATE " + tmpl
	}
	_, err = admin.Exec(ctx, create)
	_ = admin.Close(ctx)
	if err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	// The drop connects anew: a connection held for the whole test would
	// take one of the server's slots from tests running in parallel.
	t.Cleanup(func() {
		if err := Drop(context.Background(), name, adminConnect, DropBound); err != nil {
			t.Errorf("pgtest: database %s left behind: %v", name, err)
		}
	})
	return strings.Replace(AdminURL, "/test?", "/"+name+"?", 1)
}

// DropBound is how long Database's cleanup keeps trying to drop its
// database (no free connection slot, the database still in use).
const DropBound = 30 * time.Second

func adminConnect(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, AdminURL) }

// Drop drops database name through a connection from connect, retrying
// with backoff (25 ms doubling to 1 s) until it is gone or bound has
// passed: a connect that fails (every slot taken) or a drop that fails
// (the database in use) is tried again. Each attempt first terminates the
// database's other backends, then drops it WITH (FORCE) on PostgreSQL 13
// and later. A database that does not exist is dropped.
func Drop(ctx context.Context, name string, connect func(context.Context) (*pgx.Conn, error), bound time.Duration) error {
	deadline := time.Now().Add(bound)
	wait := 25 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := dropOnce(ctx, name, connect)
		if err == nil {
			return nil
		}
		if time.Now().Add(wait).After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%d attempts in %v: %w", attempt, bound, err)
		}
		time.Sleep(wait)
		wait = min(2*wait, time.Second)
	}
}

func dropOnce(ctx context.Context, name string, connect func(context.Context) (*pgx.Conn, error)) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	admin, err := connect(ctx)
	if err != nil {
		return err
	}
	defer admin.Close(context.WithoutCancel(ctx))
	if _, err := admin.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name); err != nil {
		return err
	}
	var version int
	if err := admin.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil {
		return err
	}
	drop := "DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize()
	if version >= 130000 {
		drop += " WITH (FORCE)"
	}
	_, err = admin.Exec(ctx, drop)
	return err
}

// Pool returns a pool on a fresh database from Database(t, prefix),
// closed when the test ends.
func Pool(t testing.TB, prefix string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), Database(t, prefix))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// Store migrates pool with migrate and opens a store on it with open, both
// given opts: the way every PostgreSQL-backed store of the module (a pool
// and Migrate) is opened. Any error fails t.
func Store[S, O any](t testing.TB, pool *pgxpool.Pool, opts O,
	migrate func(context.Context, *pgxpool.Pool, O) error, open func(*pgxpool.Pool, O) (S, error)) S {
	t.Helper()
	if err := migrate(context.Background(), pool, opts); err != nil {
		t.Fatal(err)
	}
	s, err := open(pool, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
