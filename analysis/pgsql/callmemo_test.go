package pgsql

import (
	"context"
	"sync"
	"testing"
	"time"
)

// changingCatalog is a ProcCatalog whose rows change with a new
// generation, counting the look-ups made of it.
type changingCatalog struct {
	mu      sync.Mutex
	rows    procTable
	gen     uint64
	lookups int
}

func (c *changingCatalog) Procs(ctx context.Context, schema, name string, reload bool) ([]Proc, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lookups++
	return c.rows.Procs(ctx, schema, name, reload)
}

func (c *changingCatalog) Generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *changingCatalog) set(rows procTable) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rows, c.gen = rows, c.gen+1
}

// TestCallMemoFollowsTheCatalog: a statement served from the classifier's
// cache is judged from the memo while the catalog stays the same, and
// afresh as soon as the catalog changes (a function redefined VOLATILE no
// longer reads as read-only).
func TestCallMemoFollowsTheCatalog(t *testing.T) {
	immutable := procTable{
		"f":    {{Schema: "pg_catalog", FnSchema: "pg_catalog", Volatile: 'i', Lang: "internal", Fn: "f"}},
		"op:=": {{Schema: "pg_catalog", FnSchema: "pg_catalog", Volatile: 'i', Lang: "internal", Fn: "int4eq"}},
	}
	volatile := procTable{
		"f":    {{Schema: "pg_catalog", FnSchema: "pg_catalog", Volatile: 'v', Lang: "internal", Fn: "f"}},
		"op:=": immutable["op:="],
	}
	cat := &changingCatalog{}
	cat.set(immutable)
	cls := WithProcCatalog(NewClassifier(0), cat)
	classify := func(sql string) Statement {
		t.Helper()
		cl, err := cls.Classify(sql)
		if err != nil {
			t.Fatal(err)
		}
		return cl.Statements[0]
	}
	for i := 0; i < 3; i++ {
		if st := classify("SELECT f(id) FROM t WHERE id = 1"); !st.ReadOnly || st.Volatile {
			t.Fatalf("immutable f: read_only=%v volatile=%v", st.ReadOnly, st.Volatile)
		}
	}
	first := cat.lookups
	for i := 0; i < 100; i++ {
		classify("SELECT f(id) FROM t WHERE id = 2")
	}
	if cat.lookups != first {
		t.Errorf("100 cached classifications made %d catalog look-ups; the memo should answer them", cat.lookups-first)
	}
	cat.set(volatile)
	if st := classify("SELECT f(id) FROM t WHERE id = 3"); st.ReadOnly || !st.Volatile {
		t.Fatalf("after f became volatile: read_only=%v volatile=%v (a stale verdict)", st.ReadOnly, st.Volatile)
	}
}

// TestCallMemoAge: a verdict is reused while the memo is younger than
// callMemoAge and judged again (a catalog look-up) once it is older, so
// the catalog's own reloads still happen within that age.
func TestCallMemoAge(t *testing.T) {
	cat := &changingCatalog{}
	cat.set(procTable{"f": {{Schema: "pg_catalog", FnSchema: "pg_catalog", Volatile: 'i', Lang: "internal", Fn: "f"}}})
	k := &funcJudge{cat: cat}
	calls := []funcName{{name: "f"}}
	ctx := context.Background()
	k.calls.verdict(ctx, k, calls)
	first := cat.lookups
	if first == 0 {
		t.Fatal("the first verdict made no catalog look-up")
	}
	k.calls.verdict(ctx, k, calls)
	if cat.lookups != first {
		t.Fatalf("a verdict within callMemoAge looked the catalog up again (%d look-ups)", cat.lookups-first)
	}
	for _, age := range []time.Duration{callMemoAge + 1, 10 * callMemoAge} {
		k.calls.mu.Lock()
		k.calls.started = memoNow() - int64(age) // the memo began age ago
		k.calls.mu.Unlock()
		before := cat.lookups
		k.calls.verdict(ctx, k, calls)
		if cat.lookups == before {
			t.Fatalf("a memo %v old answered without the catalog", age)
		}
	}
	k.calls.mu.Lock()
	k.calls.started = memoNow() - int64(callMemoAge) + int64(100*time.Millisecond)
	k.calls.mu.Unlock()
	before := cat.lookups
	k.calls.verdict(ctx, k, calls)
	if cat.lookups != before {
		t.Fatal("a memo younger than callMemoAge was started over")
	}
}
