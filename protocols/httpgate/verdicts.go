package httpgate

import "sync/atomic"

// verdicts remembers what a judgement that depends on nothing but the
// bytes judged (the detectors' Finds on a window, the packed-data probes
// on a decoded run) said of each text, so that text a body repeats (its
// records' keys and framing) is judged once. It holds at most
// maxVerdicts texts of at most maxVerdictText bytes; past that it starts
// again, and a longer text is judged each time.
type verdicts struct {
	m map[string]bool
}

const (
	maxVerdicts    = 256
	maxVerdictText = 256
)

// judgeAfresh is set only by tests that judge every text afresh, to
// compare (verdicts_test.go).
var judgeAfresh atomic.Bool

// get returns what was said of t, and whether it was.
func (v *verdicts) get(t []byte) (found, ok bool) {
	if judgeAfresh.Load() {
		return false, false
	}
	found, ok = v.m[string(t)]
	return found, ok
}

// put remembers what was said of t.
func (v *verdicts) put(t []byte, found bool) {
	if len(t) > maxVerdictText {
		return
	}
	if v.m == nil || len(v.m) >= maxVerdicts {
		v.m = make(map[string]bool, 16)
	}
	v.m[string(t)] = found
}
