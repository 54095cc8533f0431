package postgres

import (
	"context"
	"testing"

	"github.com/airlock-sdk/airlock/internal/pgtest"
	"github.com/jackc/pgx/v5/pgconn"
)

// ownDatabase makes a database of the test's own (named after prefix,
// dropped at the end) and returns its connection config, for a catalog
// to ask, and exec, which runs SQL on an admin connection to it and
// returns the last result's rows (failing the test on an error).
func ownDatabase(t *testing.T, prefix string) (*pgconn.Config, func(sql string) [][][]byte) {
	t.Helper()
	ctx := context.Background()
	url := pgtest.Database(t, prefix)
	admin, err := pgconn.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close(ctx) })
	cfg, err := pgconn.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(sql string) [][][]byte {
		t.Helper()
		res, err := admin.Exec(ctx, sql).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return res[len(res)-1].Rows
	}
	return cfg, exec
}
