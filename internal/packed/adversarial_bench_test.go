package packed

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"testing"
	"time"
)

// BenchmarkAdversarialReport measures, for each size, Unpack's worst
// families: time (the fastest of three runs) and work (bytes inflated,
// compressed bytes read, bytes visited, bytes walked), old and new. Run
// with -bench AdversarialReport -benchtime 1x -v.
func BenchmarkAdversarialReport(b *testing.B) {
	limit := 1 << 20
	if os.Getenv("ADV_LIMIT") != "" {
		fmt.Sscan(os.Getenv("ADV_LIMIT"), &limit)
	}
	units := newAdvUnits(rand.New(rand.NewPCG(1, 1)))
	for range b.N {
		for _, n := range []int{4 << 10, 16 << 10, 64 << 10} {
			type row struct {
				family        string
				oldT, newT    time.Duration
				oldW, newW    int
				oldErr, newEr bool
			}
			var rows []row
			for _, in := range adversarialInputs(units, rand.New(rand.NewPCG(1, uint64(n))), n) {
				never := func([]byte) bool { return false }
				var rw row
				rw.family = in.family
				rw.oldT, rw.newT = time.Hour, time.Hour
				t0 := time.Now()
				o, err := unpackOld(in.data, limit, never)
				rw.oldT = min(rw.oldT, time.Since(t0))
				rw.oldW = o.inflated + o.consumed + o.visited + o.walked
				rw.oldErr = err != nil
				for range 3 {
					t0 = time.Now()
					w, err := unpackWork(in.data, limit, never)
					rw.newT = min(rw.newT, time.Since(t0))
					rw.newW = w.work
					rw.newEr = err != nil
				}
				rows = append(rows, rw)
			}
			sort.Slice(rows, func(i, j int) bool { return rows[i].oldW > rows[j].oldW })
			for _, rw := range rows[:8] {
				b.Logf("%3d KiB old %8.2f ms %9d units (%.0f/byte, opaque %v) new %8.2f ms %9d units (%.1f/byte, opaque %v)  %s",
					n>>10, rw.oldT.Seconds()*1e3, rw.oldW, float64(rw.oldW)/float64(n), rw.oldErr,
					rw.newT.Seconds()*1e3, rw.newW, float64(rw.newW)/float64(n), rw.newEr, rw.family)
			}
			sort.Slice(rows, func(i, j int) bool { return rows[i].newW > rows[j].newW })
			for _, rw := range rows[:4] {
				b.Logf("%3d KiB worst new: %8.2f ms %9d units (%.1f/byte, opaque %v) %s", n>>10, rw.newT.Seconds()*1e3, rw.newW, float64(rw.newW)/float64(n), rw.newEr, rw.family)
			}
		}
	}
}

// BenchmarkUnpackRepeatedUnit is Unpack on 16 KiB of "a-b_" repeated
// under MCP's budget (the denial of service), and BenchmarkUnpackOld...
// the walk as it was: for instruction counts (/tmp/cgb.sh).
func BenchmarkUnpackRepeatedUnit(b *testing.B) {
	data := repeatTo([]byte("a-b_"), 16<<10)
	for range b.N {
		Unpack(data, 8<<20, func([]byte) bool { return false })
	}
}

func BenchmarkUnpackOldRepeatedUnit(b *testing.B) {
	data := repeatTo([]byte("a-b_"), 16<<10)
	for range b.N {
		unpackOld(data, 8<<20, func([]byte) bool { return false })
	}
}
