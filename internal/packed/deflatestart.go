package packed

import (
	"encoding/binary"
	"math/bits"
)

// Raw deflate has no signature, and a stream may start at any byte of
// a body: after a text header of any length, inside a binary container,
// two bytes after a zlib header of any window. Inflating at every offset
// costs too much; deflateStart judges an offset by its first blocks'
// structure, as an inflater would read them, and rejects all but a few
// in ten thousand offsets of random bytes before anything is inflated:
// a stored block's length and its complement, a fixed block's first
// symbols (literals, and back-references within what was written), a
// dynamic block's code tables (complete prefix codes, an end-of-block
// code).

// bitReader reads b's bits, least significant first, as deflate does.
type bitReader struct {
	b   []byte
	pos uint // bits read
}

func (r *bitReader) bits(n uint) (uint, bool) {
	at := r.pos >> 3
	if at+8 > uint(len(r.b)) {
		return r.bitsNearEnd(n)
	}
	// n is at most 57: with the bit's offset in its byte, eight bytes.
	v := binary.LittleEndian.Uint64(r.b[at:]) >> (r.pos & 7)
	r.pos += n
	return uint(v) & (1<<n - 1), true
}

// bitsNearEnd is bits in b's last eight bytes, read byte by byte; not
// inlined, so that bits is.
//
//go:noinline
func (r *bitReader) bitsNearEnd(n uint) (uint, bool) {
	if r.pos+n > uint(len(r.b))*8 {
		return 0, false
	}
	at, shift := r.pos>>3, r.pos&7
	var v uint64
	for k := uint(0); 8*k < shift+n; k++ {
		v |= uint64(r.b[at+k]) << (8 * k)
	}
	r.pos += n
	return uint(v>>shift) & (1<<n - 1), true
}

// codeBits reads n bits of a Huffman code, most significant first (n is
// at most 16).
func (r *bitReader) codeBits(n uint) (uint, bool) {
	v, ok := r.bits(n)
	if !ok || n == 0 {
		return 0, ok
	}
	if n <= 8 {
		return uint(bits.Reverse8(uint8(v))) >> (8 - n), true
	}
	return uint(bits.Reverse16(uint16(v))) >> (16 - n), true
}

// startSymbols is how many symbols of fixed blocks deflateStart decodes,
// and minLiterals how many of them must be literals as text: random bytes
// that pass spell a few characters, then repeat them by back-references
// (about one offset in a few megabytes when text needed 16 symbols).
const (
	startSymbols = 16
	minLiterals  = 24
)

// enough reports whether a fixed block's first symbols, literals of them,
// are enough to judge.
func enough(text bool, symbols, literals int) bool {
	if text {
		return literals >= minLiterals
	}
	return symbols >= startSymbols
}

var (
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	distBase    = [30]uint32{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
)

// deflateStart reports whether b may start a raw deflate stream. text
// asks that what its first symbols write be text (printable ASCII and
// white space).
func deflateStart(b []byte, text bool) bool {
	r := bitReader{b: b}
	out, symbols, literals := 0, 0, 0
	for blocks := 0; blocks < 8; blocks++ {
		final, ok := r.bits(1)
		if !ok {
			return false
		}
		typ, ok := r.bits(2)
		if !ok {
			return false
		}
		switch typ {
		case 0:
			r.pos = (r.pos + 7) &^ 7
			at := int(r.pos / 8)
			if at+4 > len(b) {
				return false
			}
			n := int(b[at]) | int(b[at+1])<<8
			if n != int(^(uint16(b[at+2]) | uint16(b[at+3])<<8)) {
				return false
			}
			if n == 0 && final == 0 {
				r.pos += 32
				continue
			}
			if n == 0 {
				return false
			}
			data := b[at+4 : min(len(b), at+4+n)]
			if text && !printableText(data[:min(len(data), 64)]) {
				return false
			}
			return true
		case 1:
			for !enough(text, symbols, literals) {
				sym, ok := fixedSymbol(&r)
				if !ok {
					return false
				}
				symbols++
				switch {
				case sym < 256:
					if text && !textByte(byte(sym)) {
						return false
					}
					out++
					literals++
					continue
				case sym == 256:
				case sym > 285:
					return false
				default:
					e, _ := r.bits(uint(lengthExtra[sym-257]))
					d, ok := r.codeBits(5)
					if !ok || d >= 30 {
						return false
					}
					de := uint(0)
					if d >= 4 {
						de = uint(d/2 - 1)
					}
					x, ok := r.bits(de)
					if !ok || int(distBase[d])+int(x) > out {
						return false
					}
					out += int(lengthBase[sym-257]) + int(e)
					continue
				}
				break // end of block
			}
			if enough(text, symbols, literals) {
				return true
			}
			if final == 1 {
				// A short stream: long enough to hold a value, and as
				// text, of enough different bytes.
				return out >= minInflated && (!text || literals >= minLiterals/2)
			}
		case 2:
			return dynamicHeader(&r)
		default:
			return false
		}
	}
	return false
}

// fixedSymbol decodes one literal/length symbol of a fixed block: by
// the next nine bits' entry in fixedCodes, or a bit at a time near b's
// end.
func fixedSymbol(r *bitReader) (int, bool) {
	if r.pos+9 > uint(len(r.b))*8 {
		return fixedSymbolByBits(r)
	}
	v, _ := r.bits(9)
	c := fixedCodes[v]
	r.pos -= 9 - uint(c.bits)
	return int(c.sym), true
}

// fixedCodes are the symbol each nine bits of a fixed block start with
// (as read from the stream, least significant first), and the bits its
// code takes: fixedSymbolByBits on them.
var fixedCodes = func() (t [512]struct {
	sym  uint16
	bits uint8
}) {
	for v := range t {
		r := bitReader{b: []byte{byte(v), byte(v >> 8)}}
		sym, _ := fixedSymbolByBits(&r)
		t[v].sym, t[v].bits = uint16(sym), uint8(r.pos)
	}
	return t
}()

// fixedSymbolByBits is fixedSymbol reading its code a bit at a time.
func fixedSymbolByBits(r *bitReader) (int, bool) {
	c, ok := r.codeBits(7)
	if !ok {
		return 0, false
	}
	if c <= 23 {
		return 256 + int(c), true
	}
	b, ok := r.codeBits(1)
	if !ok {
		return 0, false
	}
	c = c<<1 | b
	switch {
	case c >= 0x30 && c <= 0xbf:
		return int(c - 0x30), true
	case c >= 0xc0 && c <= 0xc7:
		return 280 + int(c-0xc0), true
	}
	b, ok = r.codeBits(1)
	if !ok {
		return 0, false
	}
	return 144 + int(c<<1|b) - 0x190, true
}

// huffman is a canonical prefix code, decoded a bit at a time.
type huffman struct {
	count  [16]uint16
	symbol [320]uint16
}

// build makes the code of lengths; it reports whether the code is
// complete (or a single code of one bit, which inflaters accept).
func (h *huffman) build(lengths []uint8) bool {
	h.count = [16]uint16{}
	for _, l := range lengths {
		h.count[l]++
	}
	left := 1
	for l := 1; l < 16; l++ {
		left = left<<1 - int(h.count[l])
		if left < 0 {
			return false
		}
	}
	var offs [16]uint16
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + h.count[l]
	}
	for s, l := range lengths {
		if l != 0 {
			h.symbol[offs[l]] = uint16(s)
			offs[l]++
		}
	}
	n := len(lengths) - int(h.count[0])
	return left == 0 || n == 1 && h.count[1] == 1
}

func (h *huffman) decode(r *bitReader) (int, bool) {
	code, first, index := 0, 0, 0
	for l := 1; l < 16; l++ {
		b, ok := r.bits(1)
		if !ok {
			return 0, false
		}
		code |= int(b)
		count := int(h.count[l])
		if code-count < first {
			return int(h.symbol[index+code-first]), true
		}
		index += count
		first = (first + count) << 1
		code <<= 1
	}
	return 0, false
}

// clOrder is the order of the code length code's lengths.
var clOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// dynamicHeader reads a dynamic block's code tables and reports whether
// they are ones an inflater accepts.
func dynamicHeader(r *bitReader) bool {
	hlit, ok1 := r.bits(5)
	hdist, ok2 := r.bits(5)
	hclen, ok3 := r.bits(4)
	if !ok1 || !ok2 || !ok3 || hlit > 29 || hdist > 29 {
		return false
	}
	var cl [19]uint8
	for i := range hclen + 4 {
		v, ok := r.bits(3)
		if !ok {
			return false
		}
		cl[clOrder[i]] = uint8(v)
	}
	var h huffman
	if !h.build(cl[:]) {
		return false
	}
	nlit, n := int(hlit)+257, int(hlit)+257+int(hdist)+1
	var lengths [320]uint8
	for i := 0; i < n; {
		sym, ok := h.decode(r)
		if !ok {
			return false
		}
		rep, val := 1, uint8(sym)
		switch sym {
		case 16:
			if i == 0 {
				return false
			}
			x, ok := r.bits(2)
			if !ok {
				return false
			}
			rep, val = 3+int(x), lengths[i-1]
		case 17:
			x, ok := r.bits(3)
			if !ok {
				return false
			}
			rep, val = 3+int(x), 0
		case 18:
			x, ok := r.bits(7)
			if !ok {
				return false
			}
			rep, val = 11+int(x), 0
		}
		if i+rep > n {
			return false
		}
		for range rep {
			lengths[i] = val
			i++
		}
	}
	if lengths[256] == 0 || !h.build(lengths[:nlit]) {
		return false
	}
	var d huffman
	dist := lengths[nlit:n]
	used := 0
	for _, l := range dist {
		if l != 0 {
			used++
		}
	}
	return used <= 1 || d.build(dist)
}

// textByte reports whether c is printable ASCII or white space.
func textByte(c byte) bool {
	return c >= 0x20 && c < 0x7f || c == '\t' || c == '\n' || c == '\r'
}

func printableText(b []byte) bool {
	for _, c := range b {
		if !textByte(c) {
			return false
		}
	}
	return true
}
