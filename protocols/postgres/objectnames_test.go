package postgres

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
)

// objectShapes are statements that give a database object a name or a
// text: %1$I is the name, %1$L the same as a literal.
var objectShapes = map[string]string{
	"table":      "CREATE TABLE %1$I (x int)",
	"schema":     "CREATE SCHEMA %1$I",
	"sequence":   "CREATE SEQUENCE %1$I",
	"type":       "CREATE TYPE %1$I AS (a int)",
	"enum":       "CREATE TYPE %1$I AS ENUM (%1$L)",
	"domain":     "CREATE DOMAIN %1$I AS text CHECK (VALUE <> %1$L)",
	"index":      "CREATE INDEX %1$I ON scratch (id)",
	"column":     "ALTER TABLE scratch ADD COLUMN %1$I int",
	"constraint": "ALTER TABLE scratch ADD CONSTRAINT %1$I CHECK (true)",
	"comment":    "COMMENT ON TABLE victims IS %1$L",
	"view":       "CREATE VIEW %1$I AS SELECT %1$L::text AS c",
	"function":   "CREATE FUNCTION %1$I() RETURNS text LANGUAGE sql AS $b$ SELECT %1$L $b$",
	"default":    "ALTER TABLE held ALTER COLUMN v SET DEFAULT %1$L",
	"role":       "CREATE ROLE %1$I NOLOGIN",
}

// objectCarriers run the DDL the expression s (over customers row 1)
// computes: only code the gateway cannot see can.
func objectCarriers(s string) map[string][]string {
	return map[string][]string{
		"do":      {"DO $$ BEGIN EXECUTE (SELECT " + s + " FROM customers WHERE id = 1); END $$"},
		"run_sql": {"SELECT run_sql(" + s + ") FROM customers WHERE id = 1"},
		"trigger": {"INSERT INTO trig SELECT " + s + " FROM customers WHERE id = 1"},
		// The value through a function whose result the gateway cannot
		// trace (opaque_name, PL/pgSQL).
		"opaque":         {"SELECT run_sql(" + strings.Replace(s, "md5(name ||", "md5(opaque_name(1) ||", 1) + ")"},
		"opaque_trigger": {"INSERT INTO trig SELECT " + strings.Replace(s, "md5(name ||", "md5(opaque_name(1) ||", 1)},
		// A volatile function's result handed to another, or to itself.
		"volatile": {"SELECT run_sql(" + strings.Replace(s, "md5(name ||", "md5(vname(1) ||", 1) + ")"},
		"nested":   {"SELECT twice(" + strings.Replace(s, "md5(name ||", "md5(twice('') ||", 1) + ")"},
		// The agent's own function, reading the value itself.
		"function": {"CREATE OR REPLACE FUNCTION mk() RETURNS int LANGUAGE plpgsql AS $f$ BEGIN EXECUTE (SELECT " + s +
			" FROM customers WHERE id = 1); RETURN 1; END $f$", "SELECT mk()"},
	}
}

// objectFixture: a VOLATILE function that returns a masked value, and
// one that also runs the SQL it is given.
const objectFixture = `
CREATE FUNCTION vname(i int) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT name FROM customers WHERE id = i); END $$;
CREATE FUNCTION twice(q text) RETURNS text LANGUAGE plpgsql AS $$
  BEGIN IF q <> '' THEN EXECUTE q; END IF; RETURN (SELECT name FROM customers WHERE id = 1); END $$;
`

// catalogReaders read names and texts of the catalog back.
var catalogReaders = []string{
	"SELECT relname FROM pg_class",
	"SELECT nspname FROM pg_namespace",
	"SELECT typname FROM pg_type",
	"SELECT enumlabel FROM pg_enum",
	"SELECT attname FROM pg_attribute",
	"SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint",
	"SELECT proname, prosrc FROM pg_proc",
	"SELECT description FROM pg_description",
	"SELECT obj_description('victims'::regclass)",
	"SELECT pg_get_viewdef(oid) FROM pg_class WHERE relkind = 'v'",
	"SELECT viewname, definition FROM pg_views",
	"SELECT table_name FROM information_schema.tables",
	"SELECT column_name, column_default FROM information_schema.columns",
	"SELECT rolname FROM pg_roles",
	"SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef",
	"SELECT oid::regclass::text FROM pg_class",
	"SELECT format_type(oid, NULL) FROM pg_type",
	"SELECT indexname FROM pg_indexes",
	"SELECT sequencename FROM pg_sequences",
	"SELECT schema_name FROM information_schema.schemata",
}

// objectTag is the name case k gives its object: letters and digits of
// an md5 of customers row 1's masked name, unique to the case.
func objectTag(k int) string {
	sum := md5.Sum([]byte(fmt.Sprintf("%s%d", lineageNames[0], k)))
	return "o" + hex.EncodeToString(sum[:])[:16]
}

// tagForms are the pieces of a tag a leak would show.
func tagForms(tag string) []string {
	var out []string
	for i := 1; i+10 <= len(tag); i++ {
		out = append(out, tag[i:i+10])
	}
	return out
}

type objectCase struct {
	shape, carrier string
	write, forms   []string
}

// objectExpr is the DDL of shape tmpl naming the object objectTag(k),
// computed from customers.name.
func objectExpr(tmpl string, k int) string {
	return fmt.Sprintf("format('%s', 'o' || left(md5(name || '%d'), 16))", strings.ReplaceAll(tmpl, "'", "''"), k)
}

// objectCases are every object shape through every carrier, each with a
// tag of its own from k on: a later case (or run: roles outlive the
// database) must not find an earlier one's object.
func objectCases(k int) []objectCase {
	var out []objectCase
	for _, shape := range slices.Sorted(maps.Keys(objectShapes)) {
		for _, carrier := range slices.Sorted(maps.Keys(objectCarriers(""))) {
			k++
			write := objectCarriers(objectExpr(objectShapes[shape], k))[carrier]
			out = append(out, objectCase{shape, carrier, write, tagForms(objectTag(k))})
		}
	}
	return out
}

// TestObjectsNamedAfterData: code the gateway cannot see (a DO block, a
// PL/pgSQL function, a trigger) gives an object a name or text made of a
// masked value; the agent then reads the catalog back, in the same
// session and in a new one. Judged by the bytes the agent received and
// by the record: no piece of the name may appear. The admin, unmasked,
// does the same and reads the name back (the writes are real).
func TestObjectsNamedAfterData(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(stateRules), func(_ *gate.Config, c *Config) {
		c.AllowServerReach, c.AllowClusterChanges = true, true
	})
	tg.adminExec(t, lineageFixture+stateFixture+objectFixture)
	r := testSeed(t)
	base := r.IntN(1 << 30)
	cases := objectCases(base)
	// Roles belong to the cluster, not the test's database.
	t.Cleanup(func() {
		up := tg.dialAdmin(t)
		defer up.Close(context.Background())
		for k := base; k <= base+len(cases)+len(objectShapes)+1; k++ {
			_ = up.Exec(context.Background(), "DROP ROLE IF EXISTS "+objectTag(k)).Close()
		}
	})
	// The cases of one carrier share a session (and the new one after
	// it): their objects are all of different kinds, so none replaces
	// another's, and the reads in the same session follow that carrier's
	// writes as they did one case at a time. The catalog reads, not the
	// writes, were the cost.
	leaked := 0
	var all []string
	byCarrier := map[string][]objectCase{}
	for _, oc := range cases {
		all = append(all, oc.forms...)
		byCarrier[oc.carrier] = append(byCarrier[oc.carrier], oc)
	}
	for _, carrier := range slices.Sorted(maps.Keys(byCarrier)) {
		group := byCarrier[carrier]
		var writes, forms [][]string
		for _, oc := range group {
			writes, forms = append(writes, oc.write), append(forms, oc.forms)
		}
		for i, leak := range runObjectCases(t, tg, r, "agent", writes, forms) {
			if leak != "" {
				leaked++
				t.Errorf("%s through %s: the agent received %q", group[i].shape, carrier, leak)
			}
		}
	}
	// Controls: the admin's writes are real and read back.
	var writes, forms [][]string
	shapes := slices.Sorted(maps.Keys(objectShapes))
	for i, shape := range shapes {
		k := base + len(cases) + 1 + i
		writes = append(writes, objectCarriers(objectExpr(objectShapes[shape], k))["do"])
		forms = append(forms, tagForms(objectTag(k)))
	}
	for i, leak := range runObjectCases(t, tg, r, "admin", writes, forms) {
		if leak == "" {
			t.Errorf("%s: the admin did not read the name back", shapes[i])
		}
	}
	// psql's own catalog reads (\d and its kin), after every case.
	psql := gatetest.NeedTool(t, "psql")
	describe := []string{"-X"}
	for _, m := range []string{`\d`, `\dn`, `\dT`, `\df`, `\dd`, `\dv`, `\ds`, `\di`, `\du`, `\d+ scratch`, `\dt+ victims`} {
		describe = append(describe, "-c", m)
	}
	out, _ := runTool(t, tg.clientEnv("agent"), "", psql, describe...)
	if leak := findLeak([]byte(out), all); leak != "" {
		leaked++
		t.Errorf("psql's \\d as the agent shows %q", leak)
	}
	var control []string
	for k := base + len(cases) + 1; k <= base+len(cases)+len(objectShapes); k++ {
		control = append(control, tagForms(objectTag(k))...)
	}
	if out, _ := runTool(t, tg.clientEnv("admin"), "", psql, describe...); findLeak([]byte(out), control) == "" {
		t.Errorf("psql's \\d as the admin shows none of the admin's objects: the reader proves nothing")
	}
	sessions := agentRecordsHolding(t, tg, all)
	t.Logf("%d of %d objects named after data leaked to the agent (and psql's \\d), %d agent sessions' records held a name", leaked, len(cases)+1, sessions)
}

// runObjectCases runs every write of writes as user in one session (a
// new one when the gateway ended it), then every catalog reader in that
// session and in a new one, and returns for each case the form of its
// forms the client received, or "".
func runObjectCases(t *testing.T, tg *testGateway, r *rand.Rand, user string, writes, forms [][]string) []string {
	tp := dialTap(t, tg, user)
	defer func() { tp.c.Close(t.Context()) }()
	var got []byte
	for _, write := range writes {
		if tp.c.IsClosed() {
			tp = dialTap(t, tg, user)
		}
		for _, q := range write {
			b, _ := tp.run(r, q)
			got = append(got, b...)
		}
	}
	for _, q := range catalogReaders {
		b, _ := tp.run(r, q)
		got = append(got, b...)
	}
	fresh := dialTap(t, tg, user)
	defer fresh.c.Close(t.Context())
	for _, q := range catalogReaders {
		b, _ := fresh.run(r, q)
		got = append(got, b...)
	}
	leaks := make([]string, len(forms))
	for i, f := range forms {
		leaks[i] = findLeak(got, f)
	}
	return leaks
}
