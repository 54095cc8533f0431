package pgtables

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// TestCheckOwner: a plain table of a store's name passes Check only when
// the role checking (the one migrating the store) owns it; one another
// role made first, rows and all, is refused, in public or in a schema
// named after the checking role (first in its search_path).
func TestCheckOwner(t *testing.T) {
	ctx := context.Background()
	url := pgtest.Database(t, "airlock_pgtables")
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	store, other := "airlock_pts_"+hex.EncodeToString(b), "airlock_pto_"+hex.EncodeToString(b)
	for _, q := range []string{"CREATE ROLE " + store + " LOGIN", "CREATE ROLE " + other, "GRANT CREATE, USAGE ON SCHEMA public TO " + store + ", " + other} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, r := range []string{store, other} {
			_, _ = admin.Exec(context.Background(), "DROP OWNED BY "+r)
			_, _ = admin.Exec(context.Background(), "DROP ROLE IF EXISTS "+r)
		}
	})
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.User = store
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, schema := range []string{"public", store} {
		setup := "SET ROLE " + other + "; CREATE TABLE public.st (id int); INSERT INTO public.st VALUES (1); RESET ROLE"
		if schema != "public" {
			setup = "CREATE SCHEMA " + schema + " AUTHORIZATION " + other + "; GRANT USAGE ON SCHEMA " + schema + " TO PUBLIC; " +
				"SET ROLE " + other + "; CREATE TABLE " + schema + ".st (id int); RESET ROLE"
		}
		if _, err := admin.Exec(ctx, setup); err != nil {
			t.Fatal(err)
		}
		if err := Check(ctx, c, "test", "st"); err == nil || !strings.Contains(err.Error(), "owned by role "+other) {
			t.Errorf("%s: another role's table: %v", schema, err)
		}
		if _, err := admin.Exec(ctx, "DROP TABLE "+schema+".st"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Exec(ctx, "CREATE TABLE public.st (id int)"); err != nil {
		t.Fatal(err)
	}
	if err := Check(ctx, c, "test", "st", "missing"); err != nil {
		t.Errorf("the store's own table: %v", err)
	}
}
