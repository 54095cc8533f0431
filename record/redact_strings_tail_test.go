package record

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// TestRedactStringsStopsWhereNothingIsLeft holds redactStrings, which stops
// reading strings at plainTail once no form of a secret is left ahead, to
// redactStringsWalk, which reads them all: the same output, moved spans
// and error on random events of every shape (eventGen), on plain-ASCII
// HTTP events with credentials in every field (plainHTTPEvent), with and
// without their byte fields' spans, and on their JSON cut short or with a
// byte changed to a quote, a backslash or a byte outside ASCII.
func TestRedactStringsStopsWhereNothingIsLeft(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 3))
	r := &redactor{key: []byte("k")}
	g := &eventGen{r: rng}
	var early, mutated int
	check := func(i int, src []byte, rep *secretReplacer, skip [][2]int) {
		t.Helper()
		got, gm, gerr := redactStrings(src, rep, skip)
		want, wm, werr := redactStringsWalk(src, rep, skip)
		if gerr != werr || !bytes.Equal(got, want) || !slices.Equal(gm, wm) {
			t.Fatalf("case %d: redactStrings = %q %v %v,\nwant %q %v %v\nsrc %q", i, got, gm, gerr, want, wm, werr, src)
		}
		if hit, _ := findBytes(rep.m, src, 0, false); hit < 0 && len(skip) == 0 && plainTail(src) < len(src) {
			early++
		}
	}
	for i := range 4000 {
		var e gate.Event
		var rep *secretReplacer
		if i%2 == 0 {
			var ok bool
			if e, _, rep, ok = g.eventWithSecrets(r); !ok {
				continue
			}
		} else {
			e, rep = plainHTTPEvent(rng, r)
		}
		b, spans, err := marshalEventSpans(&e)
		if err != nil {
			continue
		}
		check(i, b, rep, nil)
		check(i, b, rep, spans)
		for range 3 {
			m := append([]byte(nil), b...)
			switch rng.IntN(4) {
			case 0:
				m = m[:rng.IntN(len(m)+1)]
			default:
				m[rng.IntN(len(m))] = []byte{'"', '\\', 0xff}[rng.IntN(3)]
			}
			check(i, m, rep, nil)
			check(i, m, rep, spans)
			mutated++
		}
	}
	if early < 1000 {
		t.Fatalf("only %d cases could stop early", early)
	}
}

// TestPlainTail holds plainTail to its definition and to plainTailWords
// (its old form) on random bytes, and on
// plain text of every length to 100 with a backslash or a byte of 0x80 or
// above at every position (the edges of its 32-byte and 8-byte words).
func TestPlainTail(t *testing.T) {
	check := func(b []byte) {
		t.Helper()
		want := len(b)
		for want > 0 && b[want-1] != '\\' && b[want-1] < 0x80 {
			want--
		}
		if got := plainTail(b); got != want || got != plainTailWords(b) {
			t.Fatalf("plainTail(%q) = %d, want %d (plainTailWords: %d)", b, got, want, plainTailWords(b))
		}
	}
	rng := rand.New(rand.NewPCG(5, 8))
	for range 5000 {
		b := make([]byte, rng.IntN(200))
		for j := range b {
			b[j] = "ab\"{}:,\\\x7f\x80\xff"[rng.IntN(11)]
			if rng.IntN(3) > 0 || len(b) > 40 && rng.IntN(20) > 0 {
				b[j] = 'a'
			}
		}
		check(b)
	}
	for n := range 100 {
		for pos := range n {
			for _, c := range []byte{'\\', 0x80, 0xff, 0xc3, '[', '\\' ^ 0x80} {
				b := bytes.Repeat([]byte{'a'}, n)
				b[pos] = c
				check(b)
				if pos > 0 {
					b[rng.IntN(pos)] = '\\'
					check(b)
				}
			}
		}
	}
}
