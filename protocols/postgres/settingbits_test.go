package postgres

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// settingBitsFixture: two schemas whose table of one name differs, for
// search_path as an oracle.
const settingBitsFixture = `
CREATE SCHEMA sa; CREATE TABLE sa.which (v text); INSERT INTO sa.which VALUES ('a');
CREATE SCHEMA sb; CREATE TABLE sb.which (v text); INSERT INTO sb.which VALUES ('b');
`

// settingBit is a setting with two values, a or b, and the statements
// that show which one the session holds by their effect.
type settingBit struct {
	name, a, b string
	show       []string
}

var settingBits = []settingBit{
	{"enable_seqscan", "off", "on", []string{"SHOW enable_seqscan", "EXPLAIN (COSTS OFF) SELECT id FROM customers WHERE id = 1"}},
	{"work_mem", "64kB", "4MB", []string{"SHOW work_mem"}},
	{"statement_timeout", "1ms", "0", []string{"SELECT pg_sleep(0.05)"}},
	{"DateStyle", "SQL, DMY", "ISO, MDY", []string{"SELECT '2026-01-02'::date", "SHOW DateStyle"}},
	{"search_path", "sa, public", "sb, public", []string{"SELECT v FROM which"}},
	{"extra_float_digits", "-3", "1", []string{"SELECT 0.1::float8 * 3"}},
	{"bytea_output", "escape", "hex", []string{"SELECT 'ab'::bytea"}},
	{"IntervalStyle", "sql_standard", "postgres", []string{"SELECT interval '1 day 2 hours'"}},
}

// bitPredicate is true for customers row 1's masked name, false for row 2's.
const bitPredicate = "name LIKE 'X%'"

// settingBitWriters set s to a when the masked predicate holds for row id
// (b otherwise), in the statement or in code the gateway cannot see.
func settingBitWriters(s settingBit, id int) map[string][]string {
	choose := fmt.Sprintf("CASE WHEN %s THEN '%s' ELSE '%s' END", bitPredicate, s.a, s.b)
	row := fmt.Sprintf("FROM customers WHERE id = %d", id)
	set := fmt.Sprintf("format('SELECT set_config(%%L, %%L, false)', '%s', %s)", s.name, choose)
	return map[string][]string{
		"set_config":  {fmt.Sprintf("SELECT set_config('%s', %s, false) %s", s.name, choose, row)},
		"filter":      {fmt.Sprintf("SELECT set_config('%s', '%s', false) %s AND %s", s.name, s.a, row, bitPredicate)},
		"local":       {"BEGIN", fmt.Sprintf("SELECT set_config('%s', %s, true) %s", s.name, choose, row)},
		"cte":         {fmt.Sprintf("WITH c AS (SELECT set_config('%s', %s, false) AS x %s) SELECT count(*) FROM c", s.name, choose, row)},
		"pg_settings": {fmt.Sprintf("UPDATE pg_settings SET setting = (SELECT %s %s) WHERE name = '%s'", choose, row, s.name)},
		"prepare":     {fmt.Sprintf("PREPARE pb AS SELECT set_config('%s', %s, false) %s", s.name, choose, row), "EXECUTE pb"},
		"cursor":      {"BEGIN", fmt.Sprintf("DECLARE cb CURSOR FOR SELECT set_config('%s', %s, true) %s", s.name, choose, row), "FETCH cb"},
		"opaque": {fmt.Sprintf("SELECT set_config('%s', CASE WHEN opaque_name(%d) LIKE 'X%%' THEN '%s' ELSE '%s' END, false)",
			s.name, id, s.a, s.b)},
		"explain": {fmt.Sprintf("EXPLAIN ANALYZE SELECT set_config('%s', %s, false) %s", s.name, choose, row)},
		"do":      {fmt.Sprintf("DO $$ BEGIN PERFORM set_config('%s', %s, false) %s; END $$", s.name, choose, row)},
		"run_sql": {fmt.Sprintf("SELECT run_sql(%s) %s", set, row)},
		"trigger": {fmt.Sprintf("INSERT INTO trig SELECT %s %s", set, row)},
	}
}

// TestSettingBits: code under a masking decision sets a setting to one of
// two values depending on a masked value (customers row 1's name starts
// with X, row 2's does not), then statements show the setting by its
// effect (a plan, a timeout, a date's or number's format, which table a
// name resolves to). Each case runs once for row 1 and once for row 2,
// on sessions of their own with the same protocol choices: the bytes the
// agent received must not differ (one bit of the masked value each
// statement otherwise). A case where the admin's bytes do not differ
// either proves nothing and is not counted.
func TestSettingBits(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(stateRules), func(_ *gate.Config, c *Config) {
		c.AllowServerReach, c.AllowClusterChanges = true, true
	})
	tg.adminExec(t, lineageFixture+stateFixture+settingBitsFixture)
	seed := testSeed(t).Uint64()
	leaked, total, vacuous := 0, 0, 0
	for _, s := range settingBits {
		for _, carrier := range slices.Sorted(maps.Keys(settingBitWriters(s, 1))) {
			run := func(user string, id int) []byte {
				r := rand.New(rand.NewPCG(seed, uint64(len(s.name)+len(carrier))))
				tp := dialTap(t, tg, user)
				defer tp.c.Close(t.Context())
				var got []byte
				for _, q := range append(append([]string{}, settingBitWriters(s, id)[carrier]...), s.show...) {
					b, err := tp.run(r, q)
					got = append(got, b...)
					if err != nil {
						got = append(got, err.Error()...)
					}
				}
				return got
			}
			if bytes.Equal(run("admin", 1), run("admin", 2)) {
				vacuous++
				t.Logf("%s through %s: the admin sees no difference", s.name, carrier)
				continue
			}
			total++
			if a, b := run("agent", 1), run("agent", 2); !bytes.Equal(a, b) {
				leaked++
				t.Errorf("%s through %s: the agent's bytes differ with the masked value:\n%q\n%q", s.name, carrier, a, b)
			}
		}
	}
	t.Logf("%d of %d setting channels leaked a bit of a masked value (%d cases the admin could not tell apart)", leaked, total, vacuous)
}
