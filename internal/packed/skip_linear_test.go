package packed

import (
	"strings"
	"testing"
	"time"
)

// TestSkipLinear: over texts made of one unit repeated (the bytes the
// walk stops at: signature and zlib start bytes, encoded runs broken
// just short of decoding, joins inside runs, printable heads), a walk
// that asks skip at every offset where it stops takes about four times
// as long for four times the text, never the sixteen times of a reading
// quadratic in such a run (skip once read a run of "a+a+…" again from
// each of its offsets: 330 ms for 64 KiB). The fastest of three runs of
// each size is compared.
func TestSkipLinear(t *testing.T) {
	units := []string{
		"a+", "a/", "a-b_", "x", "xx ", "%", "(", "7", "B", "M", "O", "P", "R", "S",
		"aaaaaaaaaa+", "aaaaaaaaaaa ", "0123456789a.", "eJ", "H4sI", "%PDF", "PK", "=",
		"\x00", "\xff", "a\x00",
	}
	skipEverywhere := func(b []byte) {
		var h printableHeads
		for i := 0; i < len(b); i++ {
			if i = h.skip(b, i); i == len(b) {
				return
			}
		}
	}
	fastest := func(read func([]byte), b []byte) time.Duration {
		best := time.Duration(1 << 62)
		for range 5 {
			start := time.Now()
			read(b)
			best = min(best, time.Since(start))
		}
		return best
	}
	for _, unit := range units {
		small := []byte(strings.Repeat(unit, (8<<10)/len(unit)))
		big := []byte(strings.Repeat(unit, (128<<10)/len(unit)))
		ts, tb := fastest(skipEverywhere, small), fastest(skipEverywhere, big)
		// Linear: about 16×. Quadratic: 256×. Two milliseconds of slack
		// for texts read in microseconds.
		if tb > 64*ts+2*time.Millisecond {
			t.Errorf("%q repeated: 16 KiB in %v, 64 KiB in %v (%.1f×): not linear", unit, ts, tb, float64(tb)/float64(ts))
		}
	}
}
