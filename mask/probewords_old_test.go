package mask

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
)

// probeCodes tells atWordOf what it learnt of a word (whether it may start
// a word dump, whether it may be a code of text) rather than have it ask
// again, and codeWordOf turns a word away by its first two letters
// before its table search (issue #19). Against the forms they replaced,
// kept here: generated code lists, cut and among words, JSON documents,
// and words of every two first bytes.

// probeCodesAsking is probeCodes as it was: the word's tests asked again
// after its own.
func probeCodesAsking(t []byte, stride int, digits bool) bool {
	var cp codeProber
	scanned := 0 // cp.scanned, kept here
	for p := 0; p < len(t); {
		i := p
		if digits {
			i = nextDigit(t, p)
		}
		for i < len(t) && codeByte[t[i]]&cbAlnum == 0 {
			i++
		}
		if i >= len(t) {
			break
		}
		s := i
		for s > scanned && codeByte[t[s-1]]&cbAlnum != 0 {
			s--
		}
		m, e := uint8(0), s
		for ; e < len(t) && codeByte[t[e]]&cbAlnum != 0; e++ {
			m |= codeByte[t[e]]
		}
		if n := e - s; (n < 5 || !mayStartWordDump(t, s, e)) && (n < 2 || n > 5 || n == 5 && m&cbLetter == 0 || !mayBeTextCode(t, s, e, m)) {
			p = max(e, p+stride)
			continue
		}
		if cp.atWordOf(t, s, e, m, e-s >= 5 && mayStartWordDump(t, s, e), mayBeTextCode(t, s, e, m)); cp.found {
			return true
		}
		scanned, p = cp.scanned, max(cp.next, p+stride)
	}
	return false
}

// codeWordOfSearching is codeWordOf as it was: every word of two to eight
// bytes searched for in the table.
func codeWordOfSearching(w []byte) (digit byte, glue bool) {
	if len(w) > 8 {
		return 0, glueWordLong(w)
	}
	if len(w) < 2 {
		return 0, false
	}
	var v uint64
	if cap(w) >= 8 {
		v = bits.ReverseBytes64(binary.LittleEndian.Uint64(w[:8])|ones8*0x20) >> (64 - 8*len(w))
	} else {
		v = packWord(w)
	}
	for h := hashWord(v); ; h = (h + 1) % uint64(len(codeWordTable)) {
		e := &codeWordTable[h]
		if e.key == v {
			return e.digit, e.glue
		}
		if e.key == 0 {
			return 0, false
		}
	}
}

func TestProbeCodesAgreesWithAsking(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 2111))
	texts := codeListTexts(r)
	for range 300 {
		j := joinJSON(r)
		texts = append(texts, j, strings.Repeat(j, 1+r.IntN(4)))
	}
	texts = append(texts, string(findsDoc), strings.Repeat(`{"id":12345,"price":9.99,"n":"four one one"},`, 12))
	found := 0
	for _, s := range texts {
		b := []byte(s)
		for _, stride := range []int{1, 3, spellProbe} {
			for _, digits := range []bool{false, true} {
				got := probeCodes(b, stride, digits)
				if want := probeCodesAsking(b, stride, digits); got != want {
					t.Fatalf("probeCodes(%q, %d, %v) = %v, asking again %v", s, stride, digits, got, want)
				}
				if got {
					found++
				}
			}
		}
	}
	if found < len(texts) {
		t.Fatalf("only %d probes of %d texts found a list", found, len(texts))
	}
}

func TestCodeWordOfAgreesWithSearching(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 2113))
	check := func(w []byte) {
		d, g := codeWordOf(w)
		if wd, wg := codeWordOfSearching(w); d != wd || g != wg {
			t.Fatalf("codeWordOf(%q) = %q %v, searching %q %v", w, d, g, wd, wg)
		}
	}
	// Every word of the table in every case, alone and cut from a text.
	var words []string
	words = append(words, spelledDigits[:]...)
	for _, ws := range callWords {
		words = append(words, ws...)
	}
	hits := 0
	for _, w := range words {
		for range 20 {
			b := []byte(w)
			for k := range b {
				if r.IntN(2) == 0 {
					b[k] ^= 0x20
				}
			}
			check(b)
			buf := append(append([]byte{}, b...), "xxxxxxxx"...)
			check(buf[:len(b)])
			if d, g := codeWordOf(b); d != 0 || g {
				hits++
			}
		}
	}
	if hits != 20*len(words) {
		t.Fatalf("only %d of %d words of the table found", hits, 20*len(words))
	}
	// Every two first bytes, before the rest of a word of the table and
	// alone; and random words of bytes near the letters.
	for a := range 256 {
		for c := range 256 {
			check([]byte{byte(a), byte(c)})
			w := words[r.IntN(len(words))]
			check(append([]byte{byte(a), byte(c)}, w[min(2, len(w)):]...))
		}
	}
	near := []byte("aAzZeEoOnNtTcC@[`{01_\x80\xc1\xe1")
	for range 100000 {
		b := make([]byte, r.IntN(10))
		for k := range b {
			b[k] = near[r.IntN(len(near))]
		}
		check(b)
	}
}
