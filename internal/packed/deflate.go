package packed

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
)

// Raw deflate (RFC 1951, what zlib and gzip wrap) has no signature: a
// body of it is known by what it inflates to. RawDeflateSniffLen bytes
// of a body that inflate to at least minInflated bytes of text are raw
// deflate of text; random binary data fails to inflate or inflates to
// bytes of every value.

// RawDeflateSniffLen is how many bytes RawDeflate reads.
const RawDeflateSniffLen = 512

// minInflated is the text a head must inflate to.
const minInflated = 24

// RawDeflate reports whether head, the first bytes of binary data,
// inflates as raw deflate to text.
func RawDeflate(head []byte) bool {
	if len(head) < 4 {
		return false
	}
	var out [256]byte
	n, err := io.ReadFull(flate.NewReader(bytes.NewReader(head)), out[:])
	var corrupt flate.CorruptInputError
	if n < minInflated || errors.As(err, &corrupt) {
		return false
	}
	return looksLikeText(out[:n])
}

// looksLikeText reports whether out, what a stream inflated to, is text:
// printable, and not a few bytes repeated by a back-reference that random
// bits happened to spell.
func looksLikeText(out []byte) bool {
	n := len(out)
	printable, distinct, most := 0, 0, 0
	var count [256]int
	for _, c := range out {
		if c >= 0x20 && c < 0x7f || c == '\t' || c == '\n' || c == '\r' {
			printable++
		}
		if count[c] == 0 {
			distinct++
		}
		count[c]++
		most = max(most, count[c])
	}
	return printable*20 >= n*19 && distinct >= minDistinct && most*2 <= n && bigrams(out) >= minBigrams
}

// bigrams counts the distinct pairs of adjacent bytes of b, up to
// minBigrams.
func bigrams(b []byte) int {
	var seen [minBigrams]uint16
	n := 0
	for i := 1; i < len(b) && n < len(seen); i++ {
		p := uint16(b[i-1])<<8 | uint16(b[i])
		found := false
		for _, q := range seen[:n] {
			if q == p {
				found = true
				break
			}
		}
		if !found {
			seen[n] = p
			n++
		}
	}
	return n
}

// minDistinct is how many different bytes inflated text holds at least,
// and minBigrams how many different pairs of adjacent bytes.
const (
	minDistinct = 10
	minBigrams  = 15
)
