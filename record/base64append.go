package record

import (
	"encoding/base64"
	"encoding/binary"
	"slices"
)

// base64Pairs maps twelve bits (two base64 digits) to the two bytes of
// standard base64 that spell them, first digit in the low byte.
var base64Pairs = func() (t [1 << 12]uint16) {
	const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range t {
		t[i] = uint16(digits[i>>6]) | uint16(digits[i&63])<<8
	}
	return t
}()

// appendBase64 appends the standard base64 (padded) of p to b, byte for
// byte what base64.StdEncoding.AppendEncode writes: the byte fields of an
// event (an output's data, a request's payload) are stored so. It writes
// eight digits per six bytes of p (four such words a turn, read and
// written at indices) from a table of digit pairs, where encoding/base64
// writes four per three digit by digit; the last bytes (fewer than eight
// left) are encoding/base64's.
func appendBase64(b, p []byte) []byte {
	n := base64.StdEncoding.EncodedLen(len(p))
	b = slices.Grow(b, n)
	dst := b[len(b) : len(b)+n]
	// Four words a turn; p[i:] and dst[j:] are left (indices cost less
	// than slices moved on).
	i, j := 0, 0
	for ; i <= len(p)-26 && j <= len(dst)-32; i, j = i+24, j+32 {
		q, d := (*[26]byte)(p[i:]), (*[32]byte)(dst[j:])
		binary.LittleEndian.PutUint64(d[:], base64Word(binary.BigEndian.Uint64(q[:])))
		binary.LittleEndian.PutUint64(d[8:], base64Word(binary.BigEndian.Uint64(q[6:])))
		binary.LittleEndian.PutUint64(d[16:], base64Word(binary.BigEndian.Uint64(q[12:])))
		binary.LittleEndian.PutUint64(d[24:], base64Word(binary.BigEndian.Uint64(q[18:])))
	}
	p, dst = p[i:], dst[j:]
	for len(p) >= 8 && len(dst) >= 8 {
		binary.LittleEndian.PutUint64(dst, base64Word(binary.BigEndian.Uint64(p)))
		p, dst = p[6:], dst[8:]
	}
	base64.StdEncoding.Encode(dst, p)
	return b[:len(b)+n]
}

// base64Word returns the eight base64 digits of the top 48 bits of w (six
// bytes read big-endian), to be stored little-endian.
func base64Word(w uint64) uint64 {
	t := &base64Pairs
	return uint64(t[w>>52]) | uint64(t[w>>40&0xfff])<<16 | uint64(t[w>>28&0xfff])<<32 | uint64(t[w>>16&0xfff])<<48
}
