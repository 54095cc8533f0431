package postgres

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

// TestFreshUntilOracle compares the lock-free bound with the catalogs' own
// tests (catalog.fresh, funcCatalog.refresh) written as they read them:
// answers at most ttl old (time.Since(loaded) > ttl starts over), a
// version compared less than every ago (time.Since(checked) < every
// skips the check). Over generated offsets, the ones at each edge among
// them, the bound must say fresh exactly when both hold.
func TestFreshUntilOracle(t *testing.T) {
	const ttl, every = 5 * time.Minute, time.Second
	edges := []time.Duration{0, 1, -1, every - 1, every, every + 1, ttl - 1, ttl, ttl + 1, -ttl, 2 * ttl}
	pick := func(r *rand.Rand) time.Duration {
		if r.IntN(2) == 0 {
			return edges[r.IntN(len(edges))]
		}
		return time.Duration(r.Int64N(int64(3 * ttl)))
	}
	r := rand.New(rand.NewPCG(1, 2))
	base := monoBase.Add(time.Hour) // every reading below carries the monotonic clock
	for i := 0; i < 100000; i++ {
		loadedAgo, checkedAgo := pick(r), pick(r)
		now := base
		loaded, checked := now.Add(-loadedAgo), now.Add(-checkedAgo)
		if r.IntN(50) == 0 {
			checked = time.Time{} // checkNow's zero: a check is due
		}
		var f freshUntil
		f.set(loaded, ttl, checked, every)
		want := !(now.Sub(loaded) > ttl) && now.Sub(checked) < every
		if got := f.freshAt(monoOf(now)); got != want {
			t.Fatalf("loaded %v ago, checked %v ago (zero %v): fast path %v, catalog's test %v", loadedAgo, checkedAgo, checked.IsZero(), got, want)
		}
	}
	var f freshUntil
	f.set(base, ttl, base, every)
	f.clear()
	if f.freshAt(monoOf(base)) {
		t.Fatal("a cleared bound is still fresh")
	}
	if (&freshUntil{}).fresh() {
		t.Fatal("a bound never set is fresh")
	}
}

// TestCatalogFreshness: on a real catalog, Refresh answers from its fast
// path (the generation kept) while the version was compared less than
// catalogCheckEvery ago, even after the schema changed outside; once the
// interval passed, the change is seen (a new generation), and checkNow
// sees one at once.
func TestCatalogFreshness(t *testing.T) {
	ctx := context.Background()
	cfg, exec := ownDatabase(t, "airlock_fresh")
	cat := newCatalog(cfg)
	defer cat.close()
	gen := cat.Refresh(ctx)
	checked := time.Now()
	if !cat.until.fresh() {
		t.Fatal("no fast path right after a check")
	}
	exec("CREATE TABLE fresh_a (x int)")
	// (A machine too slow to get here within the interval makes the
	// check due: then there is nothing to compare.)
	if g := cat.Refresh(ctx); g != gen && time.Since(checked) < catalogCheckEvery/2 {
		t.Fatalf("a change within catalogCheckEvery started the cache over (generation %d -> %d): the check ran early", gen, g)
	}
	time.Sleep(catalogCheckEvery + 100*time.Millisecond)
	if cat.until.fresh() {
		t.Fatal("the fast path outlived catalogCheckEvery")
	}
	g := cat.Refresh(ctx)
	if g == gen {
		t.Fatal("a change made outside was not seen after catalogCheckEvery")
	}
	exec("CREATE TABLE fresh_b (x int)")
	if !cat.checkNow(ctx) || cat.Refresh(ctx) == g {
		t.Fatal("checkNow did not see the change at once")
	}
}
