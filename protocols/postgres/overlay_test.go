package postgres

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// oldReset is overlay.reset before it kept the maps: the oracle of
// TestOverlayResetOracle.
func (o *overlay) oldReset() {
	o.stmts, o.portals = nil, nil
	o.clearedStmts, o.clearedPorts = false, false
}

// TestOverlayResetOracle runs generated sequences of overlay changes
// (statements and portals set and removed, the clearing effects, resets)
// on an overlay that keeps its maps and on one reset the old way, and
// compares every lookup a check makes after each step.
func TestOverlayResetOracle(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(19, 9))
	names := []string{"", "a", "b", "c"}
	for round := range 300 {
		var got, want overlay
		for step := range 60 {
			name := names[rng.IntN(len(names))]
			if rng.IntN(9) == 0 {
				// Now and then a large group, which reset drops.
				for i := range maxKeptOverlay + 2 {
					n, s := fmt.Sprintf("s%d", i), &stmtInfo{}
					got.setStmt(n, s)
					want.setStmt(n, s)
				}
			}
			switch k := rng.IntN(8); k {
			case 0:
				got.reset()
				want.oldReset()
			case 1:
				s := &stmtInfo{}
				got.setStmt(name, s)
				want.setStmt(name, s)
			case 2:
				got.setStmt(name, nil)
				want.setStmt(name, nil)
			case 3:
				p := &portalEntry{}
				got.setPortal(name, p)
				want.setPortal(name, p)
			case 4:
				got.setPortal(name, nil)
				want.setPortal(name, nil)
			default:
				e := sqlEffect{kind: []effectKind{effectDeallocateAll, effectDiscardAll, effectCursor}[k-5]}
				got.apply(e)
				want.apply(e)
			}
			if got.clearedStmts != want.clearedStmts || got.clearedPorts != want.clearedPorts ||
				len(got.stmts) != len(want.stmts) || len(got.portals) != len(want.portals) {
				t.Fatalf("round %d step %d: overlays differ: %+v, want %+v", round, step, got, want)
			}
			for _, n := range append(names, "s0") {
				gs, gok := got.stmts[n]
				ws, wok := want.stmts[n]
				gp, gpok := got.portals[n]
				wp, wpok := want.portals[n]
				if gs != ws || gok != wok || gp != wp || gpok != wpok {
					t.Fatalf("round %d step %d: lookups of %q differ", round, step, n)
				}
			}
		}
	}
}
