package packed

import (
	"math/rand/v2"
	"testing"
)

// skipOld is skip as it was before it read runs whole (issue #19), the
// oracle of TestSkipAgreesWithOld. It returns the first offset of data at or after i where walk may
// find something: a byte that starts a signature or a zlib header, a run
// of encoded characters (after no letter or digit) long enough to be
// decoded (decodeRun, walkStretch), or a head that is not all printable
// (where raw deflate may start). At the offsets it passes over walk's
// tests all fail; it reads one table entry a byte where they would read
// each byte several times.
func (h *printableHeads) skipOld(data []byte, i int) int {
	ok := -1 // heads are printable up to this offset
	if h.next != 0 {
		ok = h.printableUpTo(len(data))
	}
	end, m := 0, uint8(0) // data[i:end] are encoded characters, of classes m, when i < end
	prev := uint8(0)
	if i > 0 {
		prev = walkClass[data[i-1]]
	}
	for ; i < len(data); i++ {
		k := walkClass[data[i]]
		if k&wcStart != 0 {
			return i
		}
		if i > ok {
			if !h.at(data, i) {
				return i
			}
			ok = h.printableUpTo(len(data))
		}
		if k&wcEncoded != 0 && prev&wcAlnum == 0 {
			if end <= i {
				end, m = i+1, k
				for end < len(data) && walkClass[data[end]]&wcEncoded != 0 {
					m |= walkClass[data[end]]
					end++
				}
			}
			if end-i >= minEncoded {
				return i
			}
			if m&wcStart == 0 && end-1 <= ok {
				// Every offset of the run is idle: a run that starts
				// inside it is shorter still.
				i = end - 1
				prev = walkClass[data[i]]
				continue
			}
		}
		prev = k
	}
	return i
}

// skip answers as skipOld from every offset of the walk inputs and of
// buffers of short runs of encoded characters broken by every kind of
// byte (signature starts, '+' and '/' inside runs, control bytes), with
// the heads state carried on as walk carries it, and fresh.
func TestSkipAgreesWithOld(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 77))
	inputs := walkInputs(r)
	const alpha = "abcxyzBP7RMSO09+/-_=%\"{}:, \n\x00\x1f\x78\x9c\xff"
	for n := range 3000 {
		b := make([]byte, r.IntN(200))
		for i := range b {
			switch {
			case r.IntN(4) > 0 && n%3 != 0:
				b[i] = "abcdefghij0123456789"[r.IntN(20)]
			default:
				b[i] = alpha[r.IntN(len(alpha))]
			}
			if r.IntN(1+n%300) == 0 {
				b[i] = byte(r.IntN(256))
			}
		}
		inputs = append(inputs, b)
	}
	for n, data := range inputs {
		var h, o printableHeads
		for i := 0; i <= len(data); i++ {
			if got, want := h.skip(data, i), o.skipOld(data, i); got != want {
				t.Fatalf("input %d (%q), carried heads, from %d: %d, skipOld says %d", n, data, i, got, want)
			}
			var h2, o2 printableHeads
			if got, want := h2.skip(data, i), o2.skipOld(data, i); got != want {
				t.Fatalf("input %d (%q), fresh heads, from %d: %d, skipOld says %d", n, data, i, got, want)
			}
		}
	}
}

// printableStarts are every printable byte walkClass marks wcStart.
func TestPrintableStarts(t *testing.T) {
	var want []byte
	for c := range 256 {
		if printable(byte(c)) && walkClass[c]&wcStart != 0 {
			want = append(want, byte(c))
		}
	}
	if string(want) != string(printableStarts[:]) {
		t.Fatalf("printableStarts %q, walkClass's printable starts %q", printableStarts[:], want)
	}
}
