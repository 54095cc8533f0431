package postgres

import (
	"fmt"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// shadowCase is one search_path attack: objects the agent makes (S the
// schema it puts first), then reads by an unqualified name that resolves
// to them rather than to what a model keyed on the bare name assumes.
type shadowCase struct {
	name  string
	make  []string
	reads []string
}

// shadowCases generates agent-made shadows (of the masked table, of
// catalog relations and views, of information_schema, temporary ones)
// × ways to put their schema first (SET, SET LOCAL, set_config, a
// startup-like RESET sequence), each in a schema of its own (n).
func shadowCases() []shadowCase {
	shadows := []struct {
		name  string
		make  string
		path  string // schemas after S
		reads []string
	}{
		{"view shadowing the masked table", "CREATE VIEW S.customers AS SELECT id, name AS note2, name AS card_num, card FROM public.customers", "public",
			[]string{"SELECT note2 FROM customers", "SELECT card_num FROM customers", "TABLE customers", "SELECT c.* FROM customers c"}},
		{"table shadowing a clean table", "CREATE TABLE S.orders AS SELECT 1 AS id; CREATE VIEW S.orders2 AS SELECT id, name AS total FROM public.customers", "public",
			[]string{"SELECT total FROM orders2", "SELECT o.total FROM orders2 o"}},
		{"view shadowing pg_class", "CREATE VIEW S.pg_class AS SELECT name AS relname, id AS oid FROM public.customers", "pg_catalog, public",
			[]string{"SELECT relname FROM pg_class", "SELECT relname FROM pg_class WHERE oid = 1"}},
		{"view shadowing pg_settings", "CREATE VIEW S.pg_settings AS SELECT 'x'::text AS name, name AS setting FROM public.customers", "pg_catalog, public",
			[]string{"SELECT setting FROM pg_settings", "SELECT * FROM pg_settings"}},
		{"view shadowing pg_tables", "CREATE VIEW S.pg_tables AS SELECT name AS tablename FROM public.customers", "pg_catalog, public",
			[]string{"SELECT tablename FROM pg_tables"}},
		{"view shadowing information_schema", "CREATE VIEW S.columns AS SELECT name AS column_name FROM public.customers", "information_schema, public",
			[]string{"SELECT column_name FROM columns"}},
		{"view shadowing a clean view", "CREATE VIEW S.harmless AS SELECT id, name AS card_num FROM public.customers", "public",
			[]string{"SELECT card_num FROM harmless"}},
		{"temporary view", "CREATE TEMP VIEW customers AS SELECT id, name AS note2 FROM public.customers", "public",
			[]string{"SELECT note2 FROM customers", "SELECT note2 FROM pg_temp.customers"}},
		{"temporary view of a clean name", "CREATE TEMP VIEW orders AS SELECT id, name AS total FROM public.customers", "public",
			[]string{"SELECT total FROM orders"}},
		{"prepared before the shadow", "PREPARE sp_S AS SELECT total FROM orders; CREATE VIEW S.orders AS SELECT id, name AS total FROM public.customers", "public",
			[]string{"EXECUTE sp_S"}},
		{"cursor after the shadow", "CREATE VIEW S.orders AS SELECT id, name AS total FROM public.customers", "public",
			[]string{"BEGIN", "DECLARE sc_S CURSOR FOR SELECT total FROM orders", "FETCH ALL FROM sc_S", "COMMIT"}},
	}
	setters := []struct {
		name string
		set  func(path string) []string
	}{
		{"SET", func(p string) []string { return []string{"SET search_path = " + p} }},
		{"set_config", func(p string) []string {
			return []string{fmt.Sprintf("SELECT set_config('search_path', '%s', false)", p)}
		}},
		{"SET LOCAL", func(p string) []string { return []string{"BEGIN", "SET LOCAL search_path = " + p} }},
	}
	var out []shadowCase
	n := 0
	for _, sh := range shadows {
		for _, st := range setters {
			n++
			s := fmt.Sprintf("sh%d", n)
			steps := []string{"CREATE SCHEMA " + s}
			set := st.set(s + ", " + sh.path)
			for _, m := range strings.Split(sh.make, "; ") {
				steps = append(steps, strings.ReplaceAll(m, "S.", s+".")) // made before the path changes
			}
			steps = append(steps, strings.Join(set, "\x00"))
			reads := replaceAll(sh.reads, "_S", "_"+s)
			if st.name == "SET LOCAL" {
				reads = append(reads, "COMMIT")
			}
			var flat []string
			for _, x := range steps {
				flat = append(flat, strings.Split(x, "\x00")...)
			}
			out = append(out, shadowCase{name: sh.name + " / " + st.name, make: replaceAll(flat, "sp_S", "sp_"+s), reads: reads})
		}
	}
	return out
}

// TestSearchPathShadowing: an agent that makes a view or table under a
// name that shadows the masked table, a catalog relation or a clean
// relation, and puts its schema first in search_path (SET, SET LOCAL,
// set_config; a temporary view shadows without), must get no masked
// value from any unqualified read: the gateway resolves a name in every
// schema at once. The admin's control (the same steps unmasked) shows
// each shadow is real.
func TestSearchPathShadowing(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(stateRules), func(_ *gate.Config, c *Config) {
		c.AllowServerReach, c.AllowClusterChanges = true, true
	})
	tg.adminExec(t, lineageFixture)
	r := testSeed(t)
	real, leaked := 0, 0
	cases := shadowCases()
	for _, sc := range cases {
		run := func(user string) []byte {
			tp := dialTap(t, tg, user)
			defer func() { _ = tp.c.Close(t.Context()) }()
			var got []byte
			for _, q := range sc.make {
				if _, err := tp.run(r, q); err != nil && user == "admin" {
					t.Errorf("%s: admin %s: %v", sc.name, q, err)
				}
			}
			for _, q := range sc.reads {
				b, _ := tp.run(r, q)
				got = append(got, b...)
			}
			return got
		}
		got := run("agent")
		tg.adminExec(t, "DROP SCHEMA "+strings.Fields(sc.make[0])[2]+" CASCADE")
		if leakIn(run("admin")) == "" {
			t.Logf("%s: not a carrier (the admin's control shows nothing)", sc.name)
			continue
		}
		real++
		if l := leakIn(got); l != "" {
			leaked++
			t.Errorf("%s: the agent received %q", sc.name, l)
		}
	}
	t.Logf("search_path shadows: %d of %d real carriers leaked (%d cases)", leaked, real, len(cases))
	if real < len(cases)*2/3 {
		t.Errorf("only %d of %d cases are real: the generator is broken", real, len(cases))
	}
}
