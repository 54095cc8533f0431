package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestCatalogViewOracle compares column and ownerCode (their lock-free
// path) with columnLocked and ownerCodeLocked on a real catalog over a
// generated run of lookups (columns of tables, views and generated
// columns, attribute numbers past the last, OIDs of nothing) mixed with
// changes made outside: a column renamed, a view redefined, a function
// made. The two paths must agree on every lookup, and once the catalog
// must read its version again (the check interval passed: expire; or
// checkNow; or invalidate) the change must be seen by the lock-free path
// at once: the renamed column under its new name, the new function in
// the owner's code.
func TestCatalogViewOracle(t *testing.T) {
	ctx := context.Background()
	cfg, exec := ownDatabase(t, "airlock_cview")
	cat := newCatalog(cfg)
	defer cat.close()
	exec(`CREATE TABLE cv_a (id int, name text, g int GENERATED ALWAYS AS (id * 2) STORED);
		CREATE TABLE cv_b (x int, y text);
		CREATE VIEW cv_v AS SELECT id, name FROM cv_a`)
	var oids []uint32
	for _, r := range exec(`SELECT oid FROM pg_class WHERE relname IN ('cv_a', 'cv_b', 'cv_v') ORDER BY relname`) {
		o, _ := strconv.ParseUint(string(r[0]), 10, 32)
		oids = append(oids, uint32(o))
	}
	oids = append(oids, 1, 4294967295)
	// expire makes the version check due, as time passing would.
	expire := func() {
		cat.mu.Lock()
		cat.checked = cat.checked.Add(-2 * catalogCheckEvery)
		cat.until.clear()
		cat.mu.Unlock()
	}
	r := rand.New(rand.NewPCG(3, 4))
	renamed, fn := 0, 0
	for i := 0; i < 600; i++ {
		switch r.IntN(20) {
		case 0: // a rename outside, seen once the version is read again
			renamed++
			exec(fmt.Sprintf(`ALTER TABLE cv_b RENAME COLUMN %s TO y%d`, map[bool]string{true: "y", false: "y" + strconv.Itoa(renamed-1)}[renamed == 1], renamed))
			exec(fmt.Sprintf(`CREATE OR REPLACE VIEW cv_v AS SELECT id, name || '%d' AS name FROM cv_a`, renamed))
			switch r.IntN(3) {
			case 0:
				expire()
			case 1:
				if !cat.checkNow(ctx) {
					t.Fatal("checkNow did not see a rename")
				}
			default:
				cat.invalidate()
			}
			n, err := cat.column(ctx, oids[1], 2)
			if err != nil {
				t.Fatal(err)
			}
			if want := "cv_b.y" + strconv.Itoa(renamed); n.name != want {
				t.Fatalf("after a rename and a version check: %q, want %q", n.name, want)
			}
		case 1: // a function made outside
			fn++
			exec(fmt.Sprintf(`CREATE FUNCTION cv_f%d() RETURNS int LANGUAGE sql AS 'SELECT 1'`, fn))
			expire()
			oc, err := cat.ownerCode(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if oc.funcs["cv_f"+strconv.Itoa(fn)] == nil {
				t.Fatalf("cv_f%d not in the owner's code after a version check", fn)
			}
		case 2:
			fast, err := cat.ownerCode(ctx)
			if err != nil {
				t.Fatal(err)
			}
			locked, err := cat.ownerCodeLocked(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if fast != locked {
				t.Fatal("ownerCode and ownerCodeLocked answer different maps")
			}
		default:
			key := [2]uint32{oids[r.IntN(len(oids))], uint32(r.IntN(6))}
			fast, err := cat.column(ctx, key[0], uint16(key[1]))
			if err != nil {
				t.Fatal(err)
			}
			locked, err := cat.columnLocked(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if fast != locked {
				t.Fatalf("column %v: lock-free %+v, locked %+v", key, fast, locked)
			}
		}
	}
	if renamed == 0 || fn == 0 {
		t.Fatalf("the run made %d renames and %d functions", renamed, fn)
	}
}

// TestCatalogViewPerGeneration: a reset publishes a new, empty view with
// the next generation, and the lock-free path serves nothing while the
// bound is cleared; a view's columns start over past maxCatalogEntries.
func TestCatalogViewPerGeneration(t *testing.T) {
	cat := newCatalog(&pgconn.Config{})
	v := cat.view.Load()
	v.rememberColumn([2]uint32{1, 1}, columnName{name: "t.c"})
	v.owner.Store(&ownerCode{})
	if cat.cached() != nil {
		t.Fatal("a view served before any version check")
	}
	cat.until.set(time.Now(), catalogTTL, time.Now(), catalogCheckEvery) // as a check just made
	if cat.cached() != v {
		t.Fatal("a fresh catalog's view not served")
	}
	cat.until.clear()
	if cat.cached() != nil {
		t.Fatal("a view served while the bound is cleared")
	}
	cat.invalidate()
	w := cat.view.Load()
	if w == v || w.gen != v.gen+1 || cat.Generation() != w.gen {
		t.Fatalf("reset: view %p gen %d after %p gen %d", w, w.gen, v, v.gen)
	}
	if _, ok := w.cachedColumn([2]uint32{1, 1}); ok || w.owner.Load() != nil {
		t.Fatal("a new generation's view holds the last one's answers")
	}
	for i := 0; i <= maxCatalogEntries; i++ {
		w.rememberColumn([2]uint32{uint32(i), 1}, columnName{name: "x"})
	}
	if _, ok := w.cachedColumn([2]uint32{0, 1}); ok || len(w.cols) != 1 {
		t.Fatalf("past maxCatalogEntries the columns did not start over (%d entries)", len(w.cols))
	}
}

// TestCatalogViewCopyOracle: over generated lookups and stores, the copy
// published for lookups without the mutex only ever answers what cols
// holds (never a name cols started over without), and a key asked under
// the mutex often enough is found in it.
func TestCatalogViewCopyOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for run := 0; run < 50; run++ {
		v := &catalogView{}
		space := 1 + r.IntN(200)
		for i := 0; i < 2000; i++ {
			key := [2]uint32{uint32(r.IntN(space)), uint32(run)}
			if n, ok := v.cachedColumn(key); ok {
				if want, in := v.cols[key]; !in || want != n {
					t.Fatalf("the copy answers %v for %v, cols %v (%v)", n, key, want, in)
				}
				continue
			}
			if _, ok := v.lockedColumn(key); !ok {
				v.rememberColumn(key, columnName{name: fmt.Sprint("t.c", key[0], "_", i), view: i%2 == 0})
			}
			if r.IntN(500) == 0 {
				v.startOver() // as past maxCatalogEntries
			}
		}
		for key := range v.cols {
			for j := 0; j <= len(v.cols); j++ {
				if _, ok := v.cachedColumn(key); ok {
					break
				}
				v.lockedColumn(key)
			}
			if n, ok := v.cachedColumn(key); !ok || n != v.cols[key] {
				t.Fatalf("%v asked under the mutex %d times: not in the copy", key, len(v.cols)+1)
			}
		}
	}
}
