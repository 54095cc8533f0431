package packed

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// The readers made cheap for the base85 probes (issue #19) against the
// plain readings they replaced: Magic's index by first byte against a
// walk of every signature, bitReader's word reads and fixed blocks'
// symbol table against reading a bit at a time. The same answers on
// random heads, heads that start with a signature (or its first bytes),
// and random reads of random bytes.

// magicByWalk is Magic read signature by signature, in magics' order.
func magicByWalk(head []byte, text bool) string {
	for _, m := range magics {
		if text && len(m.magic) < 3 {
			continue
		}
		if bytes.HasPrefix(head, []byte(m.magic)) {
			return m.name
		}
	}
	saved := magicsByFirst
	magicsByFirst = [256][]uint8{}
	defer func() { magicsByFirst = saved }()
	return Magic(head, text) // the checks after the table
}

func TestMagicIndexAgreesWithWalk(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 1))
	var heads [][]byte
	for range 20000 {
		h := make([]byte, r.IntN(20))
		for i := range h {
			h[i] = byte(r.Uint32())
		}
		heads = append(heads, h)
	}
	for _, m := range magics {
		for cut := 0; cut <= len(m.magic); cut++ {
			tail := make([]byte, r.IntN(12))
			for i := range tail {
				tail[i] = byte(r.Uint32())
			}
			heads = append(heads, append([]byte(m.magic[:cut]), tail...))
		}
	}
	found := 0
	for _, h := range heads {
		for _, text := range []bool{false, true} {
			want := magicByWalk(h, text)
			if got := Magic(h, text); got != want {
				t.Fatalf("Magic(%q, %v) = %q, the walk %q", h, text, got, want)
			}
			if want != "" {
				found++
			}
		}
	}
	if found < len(magics) {
		t.Fatalf("only %d heads with a signature", found)
	}
}

// bitsOneByOne is bitReader.bits read a bit at a time.
func bitsOneByOne(b []byte, pos *uint, n uint) (uint, bool) {
	if *pos+n > uint(len(b))*8 {
		return 0, false
	}
	v := uint(0)
	for i := range n {
		p := *pos + i
		v |= uint(b[p>>3]>>(p&7)&1) << i
	}
	*pos += n
	return v, true
}

func TestBitReaderAgreesBitByBit(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 2))
	for range 5000 {
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		br := bitReader{b: b}
		pos := uint(0)
		for range 40 {
			n := uint(r.IntN(16))
			code := r.IntN(2) == 0
			var got, want uint
			var gok, wok bool
			if code {
				got, gok = br.codeBits(n)
				wok = true
				want = 0
				for range n {
					x, ok := bitsOneByOne(b, &pos, 1)
					if !ok {
						want, wok = 0, false
						break
					}
					want = want<<1 | x
				}
			} else {
				got, gok = br.bits(n)
				want, wok = bitsOneByOne(b, &pos, n)
			}
			if got != want || gok != wok {
				t.Fatalf("%x: read %d bits (code %v) = %d %v, one by one %d %v", b, n, code, got, gok, want, wok)
			}
			if !gok {
				break // callers stop at a short read
			}
			if br.pos != pos {
				t.Fatalf("%x: at bit %d, one by one %d", b, br.pos, pos)
			}
		}
	}
}

func TestFixedSymbolTableAgreesBitByBit(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 3))
	for range 20000 {
		b := make([]byte, 1+r.IntN(10))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		pos := uint(r.IntN(len(b) * 8))
		fast, slow := bitReader{b: b, pos: pos}, bitReader{b: b, pos: pos}
		got, gok := fixedSymbol(&fast)
		want, wok := fixedSymbolByBits(&slow)
		if gok != wok || gok && (got != want || fast.pos != slow.pos) {
			t.Fatalf("%x at bit %d: %d %v (bit %d), bit by bit %d %v (bit %d)", b, pos, got, gok, fast.pos, want, wok, slow.pos)
		}
	}
}
