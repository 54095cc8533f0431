// Package pgtest gives tests a throwaway PostgreSQL database: created with a
// random name, dropped when the test ends, so runs never depend on each
// other or on leftovers.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
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
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, AdminURL)
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("PostgreSQL not reachable: %v", err)
		}
		t.Fatalf("PostgreSQL not reachable: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := prefix + "_" + hex.EncodeToString(b)
	_, err = admin.Exec(ctx, "CREATE DATABASE "+name)
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
