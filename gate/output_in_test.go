package gate_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/stretchr/testify/require"
)

// outputHolder is a caller's value that holds its output writer.
type outputHolder struct {
	before int
	w      gate.OutputWriter
	after  int
}

// TestOutputInMatchesOutput is a differential test of OutputIn, the writer
// inside the caller's value, against Output as it was (OutputOracle): for generated
// options and writes (cards split across them, bounds hit, a refused
// decision) the client, the record and the writer's own account agree.
func TestOutputInMatchesOutput(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"card ", card[:5], card[5:], card, " done\n", "0123456789", "\n", ""}
	for run := range 60 {
		opts := gate.OutputOptions{Mode: gate.OutputMode(r.IntN(2)), Limit: []int64{0, -1, 1, 10, 100}[r.IntN(5)],
			Premasked: r.IntN(2) == 0, Input: r.IntN(5) == 0, SizeHint: []int{0, 1, 64, 128, 129, 4096}[r.IntN(6)]}
		var writes []string
		for range r.IntN(8) {
			writes = append(writes, pieces[r.IntN(len(pieces))])
		}
		refused := r.IntN(8) == 0
		type outcome struct {
			dst      string
			recorded []gate.Output
			findings []gate.Finding
			cut      bool
			errs     []string
		}
		run1 := func(in bool) outcome {
			c, log := openConn(t, false)
			d, err := c.Check(context.Background(), readReq())
			require.NoError(t, err)
			if refused {
				d = nil
			}
			var dst bytes.Buffer
			var w *gate.OutputWriter
			h := &outputHolder{before: 5, after: 7}
			if in {
				w = c.OutputIn(&h.w, d, "stdout", &dst, opts)
				require.Same(t, &h.w, w)
			} else {
				w = c.OutputOracle(d, "stdout", &dst, opts)
			}
			var o outcome
			for _, s := range writes {
				if _, err := w.Write([]byte(s)); err != nil {
					o.errs = append(o.errs, err.Error())
				}
			}
			if err := w.Close(); err != nil {
				o.errs = append(o.errs, err.Error())
			}
			o.dst, o.findings, o.cut = dst.String(), w.Findings(), w.Truncated()
			for _, out := range log.outputs() {
				out.DecisionID = ""
				o.recorded = append(o.recorded, out)
			}
			require.Equal(t, [2]int{5, 7}, [2]int{h.before, h.after}, "the writer stays inside its place")
			return o
		}
		require.Equal(t, run1(false), run1(true), "run %d: %+v %q refused=%v", run, opts, writes, refused)
	}
}
