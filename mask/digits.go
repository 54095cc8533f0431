package mask

import (
	"encoding/binary"
	"math/bits"
)

const (
	ones8 = 0x0101010101010101
	low7  = ones8 * 127
	high8 = ones8 * 128
)

// hasDigit8 reports whether any of the eight bytes in x is an ASCII digit,
// without a branch per byte (bytes >= 0x80 never count).
func hasDigit8(x uint64) bool { return digitBytes(x) != 0 }

// digitBytes marks with its high bit each byte of x that is an ASCII
// digit. The high bits are cleared before the sums, so no carry or borrow
// runs from one byte to the next: every mark is exact.
func digitBytes(x uint64) uint64 {
	const m, n = '0' - 1, '9' + 1
	return (ones8*(127+n) - (x & low7)) &^ x & ((x & low7) + ones8*(127-m)) & high8
}

// nextDigit returns the index of the first ASCII digit in t at or after i,
// or len(t). Clean text is skipped eight bytes at a time, and the first
// digit of eight found from its mark.
func nextDigit(t []byte, i int) int {
	for ; i+8 <= len(t); i += 8 {
		if m := digitBytes(binary.LittleEndian.Uint64(t[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(t); i++ {
		if isDigit(t[i]) {
			return i
		}
	}
	return len(t)
}

// digitRunEnd returns the end of the run of digits starting at i.
func digitRunEnd(t []byte, i int) int {
	for i < len(t) && isDigit(t[i]) {
		i++
	}
	return i
}

// nextDigitOrHigh is nextDigit that also stops at any byte >= 0x80, where
// a look-alike digit may begin.
func nextDigitOrHigh(t []byte, i int) int {
	for ; i+8 <= len(t); i += 8 {
		x := binary.LittleEndian.Uint64(t[i:])
		if x&high8 != 0 || hasDigit8(x) {
			break
		}
	}
	for ; i < len(t); i++ {
		if c := t[i]; isDigit(c) || c >= 0x80 {
			return i
		}
	}
	return len(t)
}
