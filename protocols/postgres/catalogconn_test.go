package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// shadowCatalogFunctions gives the database behind cfg a schema whose
// count(*) and sum(int8) always answer the same, listed before pg_catalog
// in the database's search_path: every catalog version query that
// resolves its functions through search_path then reads the same version
// whatever changes.
func shadowCatalogFunctions(t *testing.T, cfg *pgconn.Config, exec func(string) [][][]byte) {
	t.Helper()
	exec(`CREATE SCHEMA shadow`)
	exec(`CREATE FUNCTION shadow.one(int8) RETURNS int8 LANGUAGE sql IMMUTABLE AS 'SELECT 1::int8'`)
	exec(`CREATE FUNCTION shadow.zero(int8, int8) RETURNS int8 LANGUAGE sql IMMUTABLE AS 'SELECT 0::int8'`)
	exec(`CREATE AGGREGATE shadow.count(*) (sfunc = shadow.one, stype = int8, initcond = '0')`)
	exec(`CREATE AGGREGATE shadow.sum(int8) (sfunc = shadow.zero, stype = int8, initcond = '0')`)
	exec(`ALTER DATABASE "` + cfg.Database + `" SET search_path = shadow, pg_catalog`)
}

// readVersion runs a version query on a new connection made with cfg.
func readVersion(t *testing.T, cfg *pgconn.Config, sql string) string {
	t.Helper()
	ctx := context.Background()
	pc, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(ctx)
	res := pc.ExecParams(ctx, sql, nil, nil, nil, nil).Read()
	if res.Err != nil || len(res.Rows) != 1 {
		t.Fatalf("version: %v (%d rows)", res.Err, len(res.Rows))
	}
	return string(res.Rows[0][0])
}

// TestCatalogVersionIgnoresSearchPath: a database whose search_path puts
// another schema's count and sum before pg_catalog's cannot freeze the
// schema or function catalog's version: both still see a table and a
// function made outside the gateway. The shadow is checked to work on a
// connection without the pin first, so the test cannot pass for want of
// an attack.
func TestCatalogVersionIgnoresSearchPath(t *testing.T) {
	ctx := context.Background()
	cfg, exec := ownDatabase(t, "airlock_shadow")
	shadowCatalogFunctions(t, cfg, exec)

	plain := func() string { return readVersion(t, cfg, catalogVersion) }
	before := plain()
	exec(`CREATE TABLE shadow_probe (a int)`)
	if after := plain(); after != before || !strings.HasPrefix(before, "1:0/") {
		t.Fatalf("the shadow did not take: version %q then %q", before, after)
	}

	k := newCatalog(cfg)
	defer k.close()
	version := func() string {
		t.Helper()
		k.mu.Lock()
		defer k.mu.Unlock()
		rows, err := k.query(ctx, catalogVersion)
		if err != nil || len(rows) != 1 {
			t.Fatalf("catalog version: %v", err)
		}
		return rows[0][0]
	}
	v1 := version()
	exec(`CREATE TABLE shadow_probe2 (a int)`)
	if v2 := version(); v2 == v1 {
		t.Fatalf("the schema catalog's version did not change after CREATE TABLE: %q", v1)
	}

	f := funcCatalogFor(cfg, nil)
	defer f.release()
	if f.Current(ctx); f.procs == nil {
		t.Fatal("function catalog not loaded")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.changed(ctx) {
		t.Fatal("function catalog: changed with nothing changed")
	}
	exec(`CREATE FUNCTION shadow_probe_f() RETURNS int LANGUAGE sql AS 'SELECT 1'`)
	if !f.changed(ctx) {
		t.Fatal("the function catalog's version did not change after CREATE FUNCTION")
	}
	if v := readVersion(t, catalogConnConfig(cfg), procVersion); strings.HasPrefix(v, "1:0/") {
		t.Fatalf("function catalog version read through the shadow: %q", v)
	}
}
