package postgres

import (
	"context"
	"strings"
	"testing"
	"time"
)

// launderRules let agents write to scratch unless a statement computes on,
// or stores, a column a field rule masks (the strict policy of the package
// documentation).
var launderRules = `
default: deny
rules:
  - name: reads-and-scratch-writes
    when: >
      sql.statements.all(s, s.read_only || s.kind in ["BEGIN", "COMMIT", "ROLLBACK"] ||
        (s.kind in ["INSERT", "UPDATE", "DELETE", "MERGE"] && s.tables.all(t, t.name in ["scratch", "customers"])))
    action: allow
  - name: no-computing-on-masked-columns
    when: identity.kind == "agent" && sql.statements.exists(s, s.masked_columns_computed.size() > 0)
    action: deny
  - name: mask-for-agents
    when: identity.groups.exists(g, g == "agents")
    mask: [credit_card, email, card_column]
masking:
  fields:
    - name: card_column
      columns: ["customers.card", "customers.pin"]
`

// launderWrites store the masked pin column, bare or computed, where no
// field rule covers it: a later read of scratch would return it unmasked.
var launderWrites = []string{
	"INSERT INTO scratch SELECT id, pin FROM customers",
	"INSERT INTO scratch (v) SELECT pin FROM customers",
	"INSERT INTO scratch SELECT id, lower(pin) FROM customers",
	"INSERT INTO scratch VALUES (1, (SELECT pin FROM customers WHERE id = 1))",
	"INSERT INTO scratch SELECT * FROM (SELECT id, pin FROM customers) s",
	"WITH s AS (SELECT id, pin FROM customers) INSERT INTO scratch SELECT * FROM s",
	"UPDATE scratch SET v = (SELECT pin FROM customers WHERE id = 1) WHERE id = 7",
	"UPDATE scratch SET v = c.pin FROM customers c WHERE scratch.id = 7 AND c.id = 1",
	"UPDATE customers SET note = pin WHERE id = 1",
	"MERGE INTO scratch t USING customers c ON t.id = c.id + 100 WHEN NOT MATCHED THEN INSERT VALUES (c.id, c.pin)",
	"WITH w AS (INSERT INTO scratch SELECT id, pin FROM customers RETURNING 1) SELECT count(*) FROM w",
}

// TestLaunderingWritesRefused checks, by the database's state, that no
// write stores a masked column's values where a read returns them
// unmasked, while a write of the client's own literals still passes.
func TestLaunderingWritesRefused(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(launderRules))
	tg.adminExec(t, `UPDATE customers SET pin = 'Zorblat-7731' WHERE id = 1; UPDATE customers SET pin = 'Zorblat-0042' WHERE id = 2; INSERT INTO scratch VALUES (7, 'seven')`)
	c := tg.connect(t, "agent", simpleMode)
	ctx := context.Background()
	for _, q := range launderWrites {
		_, _ = c.Exec(ctx, q)
		if n := tg.count(t, "scratch WHERE v LIKE '%orblat%'") + tg.count(t, "customers WHERE note LIKE '%orblat%'"); n != 0 {
			t.Errorf("%q stored the masked pin where reads return it", q)
			tg.adminExec(t, `DELETE FROM scratch WHERE v LIKE '%orblat%'; UPDATE customers SET note = '' WHERE note LIKE '%orblat%'`)
		}
	}
	if _, err := c.Exec(ctx, "INSERT INTO scratch VALUES (8, 'eight')"); err != nil {
		t.Fatalf("a write of literals is refused: %v", err)
	}
	ctx2, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var got string
	if err := c.QueryRow(ctx2, "SELECT string_agg(v, ',' ORDER BY id) FROM scratch").Scan(&got); err != nil || strings.Contains(got, "orblat") {
		t.Fatalf("scratch reads %q (%v)", got, err)
	}
}
