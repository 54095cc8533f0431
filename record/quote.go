package record

import (
	"strings"

	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// plainJSON marks the bytes json.Marshal writes unescaped in a string:
// printable ASCII but the quote, the backslash and the HTML characters <, >
// and &. (DEL, which it writes as it is, is left to jsontext too.)
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = !strings.ContainsRune("\"\\<>&", rune(c))
	}
	return t
}()

// appendString appends s quoted exactly as json.Marshal quotes it: most
// strings of a record (ids, hashes, SQL, paths) need no escape and are
// copied; any other is quoted by jsontext.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !plainJSON[s[i]] {
			return jsontext.AppendQuote(b, s, true)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
