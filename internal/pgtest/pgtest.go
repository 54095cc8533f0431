// Package pgtest gives tests a throwaway PostgreSQL database: created with a
// random name, dropped when the test ends, so runs never depend on each
// other or on leftovers.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

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
		ctx := context.Background()
		if admin, err := pgx.Connect(ctx, AdminURL); err == nil {
			_, _ = admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
			_ = admin.Close(ctx)
		}
	})
	return strings.Replace(AdminURL, "/test?", "/"+name+"?", 1)
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
