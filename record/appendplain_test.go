package record

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// referenceLine is appendLine as it was before appendPlain: every string
// field quoted by appendString.
func referenceLine(b []byte, e *Event) []byte {
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, int64(e.Version), 10)
	b = append(b, `,"session":`...)
	b = appendString(b, e.SessionID)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"prev":`...)
	b = appendString(b, e.PrevHash)
	b = append(b, `,"hash":`...)
	b = appendString(b, e.Hash)
	b = append(b, `,"kind":`...)
	b = appendString(b, e.Kind)
	b = append(b, `,"ts":`...)
	b = strconv.AppendInt(b, e.Time, 10)
	if e.Log != "" {
		b = append(b, `,"log":`...)
		b = appendString(b, e.Log)
		b = append(b, `,"idx":`...)
		b = strconv.AppendUint(b, e.Index, 10)
	}
	b = append(b, `,"event":`...)
	b = append(b, e.Body...)
	return append(b, "}\n"...)
}

// TestAppendLineMatchesReference: the lines of entries sealed by a chain
// and a log (whose hex fields appendPlain writes without the escaping
// check) are those of the reference, also after their Hash, PrevHash and
// Log are changed to strings that need escaping, to equal copies, or to
// other hex.
func TestAppendLineMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 37))
	l := newLogState(nil, Hash{})
	c := &chain{version: Version}
	odd := []string{`"`, `a"b`, `\`, "<>&", "\x00", "é", "", "0123", "not hex at all",
		strings.Repeat(`"`, 64), strings.Repeat("a", 63) + "<", strings.Repeat("\\", 16), strings.Repeat("é", 8)} // the lengths of the hex fields
	for i := range 3000 {
		kinds := []string{"output", "decision", "checkpoint", "log_checkpoint", "session_start", `out"put`, ""}
		e := c.next("s-"+strconv.Itoa(i%3), kinds[rng.IntN(len(kinds))], rng.Int64(), []byte(`{"kind":"output"}`))
		if i%2 == 0 {
			l.add(&e)
		}
		switch rng.IntN(6) {
		case 0:
			e.Hash = odd[rng.IntN(len(odd))]
		case 1:
			e.PrevHash = odd[rng.IntN(len(odd))]
		case 2:
			e.Log = odd[rng.IntN(len(odd))]
		case 3:
			e.Hash = string(append([]byte(nil), e.Hash...)) // equal, other bytes
		case 4:
			e.Hash, e.PrevHash = e.PrevHash, e.Hash
		}
		got, err := appendLine(nil, &e)
		if err != nil {
			t.Fatal(err)
		}
		if want := referenceLine(nil, &e); !bytes.Equal(got, want) {
			t.Fatalf("entry %d:\ngot  %s\nwant %s", i, got, want)
		}
	}
}
