package postgres

import (
	"fmt"
	"testing"
)

// overRefusalFixture: relations named as the fixture's tables in other
// schemas, with other columns (fewer, or as many under other names).
const overRefusalFixture = `
CREATE SCHEMA s2; CREATE TABLE s2.customers (a int, b text); INSERT INTO s2.customers VALUES (1, 'x');
CREATE SCHEMA s3; CREATE TABLE s3.customers (id int, alias text, card2 text, pin2 text, n int8, remark text, j jsonb);
CREATE TABLE s3.scratch (v text, id int);
CREATE VIEW s2.orders AS SELECT 1 AS one;
`

// overRefusalCases are statements a masked session must be able to run
// (they reveal nothing unmasked): system columns beside masked ones, and
// COPY of a table whose name another schema uses too.
func overRefusalCases() []string {
	var out []string
	for _, sys := range []string{"ctid", "xmin", "xmax", "cmin", "cmax", "tableoid", "tableoid::regclass"} {
		out = append(out,
			fmt.Sprintf("SELECT %s, name FROM customers", sys),
			fmt.Sprintf("SELECT c.%s, c.card, c.id FROM customers c", sys),
			fmt.Sprintf("SELECT %s FROM orders", sys),
		)
	}
	for _, tbl := range []string{"customers", "scratch", "orders", "public.customers"} {
		out = append(out, "COPY "+tbl+" TO STDOUT")
	}
	out = append(out, "COPY customers (id, name) TO STDOUT")
	return out
}

// TestMaskedSessionOverRefusal: in a session that masks, system columns
// and COPY of a table whose name another schema's relation shares must
// neither end the session nor reveal a masked value.
func TestMaskedSessionOverRefusal(t *testing.T) {
	t.Parallel()
	tg := startLineageGateway(t, lineageRules)
	tg.adminExec(t, overRefusalFixture+"INSERT INTO scratch VALUES (1, 'one')")
	r := testSeed(t)
	failed, cases := 0, overRefusalCases()
	for range 2 {
		for _, q := range cases {
			agent := dialTap(t, tg, "agent")
			got, err := agent.run(r, q)
			if leak := leakIn(got); leak != "" {
				t.Errorf("%s: the agent received a masked value (%q)", q, leak)
			}
			_, err2 := agent.run(r, "SELECT 1")
			if err != nil || err2 != nil {
				failed++
				t.Errorf("%s: %v; then SELECT 1: %v", q, err, err2)
			}
		}
	}
	t.Logf("%d of %d statements failed or ended the session", failed, 2*len(cases))
}
