package record

import "github.com/airlock-sdk/airlock/internal/jsontext"

// appendString appends s quoted exactly as json.Marshal quotes it.
//
// Most strings the record writes (names, ids, hashes, kinds, SQL texts)
// hold no byte to escape; for those the quoted form is s between quotes,
// which escPairs proves two bytes a look-up, where the general quoting
// pays a call and a word loop with a byte loop for its tail. Any other
// string is quoted by jsontext.AppendQuote.
func appendString[S string | []byte](b []byte, s S) []byte {
	var bad uint8
	n, i := len(s), 0 // s[i:] is left: an index costs less than a slice moved on
	for ; i <= n-8; i += 8 {
		w := s[i : i+8] // known length: no bounds checks
		bad |= escPairs[uint16(w[0])|uint16(w[1])<<8] | escPairs[uint16(w[2])|uint16(w[3])<<8] |
			escPairs[uint16(w[4])|uint16(w[5])<<8] | escPairs[uint16(w[6])|uint16(w[7])<<8]
	}
	for ; i <= n-2; i += 2 {
		bad |= escPairs[uint16(s[i])|uint16(s[i+1])<<8]
	}
	if i < n {
		bad |= escPairs[uint16(s[i])|'a'<<8]
	}
	if bad != 0 {
		return jsontext.AppendQuote(b, s, true)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// escPairs is 1 for the pairs of bytes (s[i] | s[i+1]<<8) json.Marshal
// does not write as they are, and 0 for those it does: both printable
// ASCII (DEL included) but '"', '\\', '<', '>' and '&'.
var escPairs = func() (t [1 << 16]uint8) {
	plain := func(c int) bool {
		return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	for a := range 256 {
		for b := range 256 {
			if !plain(a) || !plain(b) {
				t[a|b<<8] = 1
			}
		}
	}
	return t
}()
