package httpgate

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// pdfTextPayload is a PDF text operator naming a value, as text, zlib or
// raw deflate by k mod 3, and the name of its form.
func pdfTextPayload(r *rand.Rand, k int) ([]byte, string) {
	plain := []byte("BT /F1 12 Tf 72 712 Td (name " + printableValue(r) + ") Tj ET")
	switch k % 3 {
	case 1:
		return zlibOf(plain), "zlib"
	case 2:
		return flateLevel(plain, 1+r.IntN(9)), "raw deflate"
	}
	return plain, "text"
}

// base85PrefixCases: a value as text, zlib or raw deflate, in ASCII85,
// Z85 or RFC 1924's alphabet, as a JSON string after members and a key
// of any length: in ASCII85 the quote, the key and the members before
// the string are characters of the string's run (a prefix of 5 to 60
// of them), and Z85 and RFC 1924 have no '"'.
func base85PrefixCases(r *rand.Rand, n int) []packedCase {
	var cases []packedCase
	for k := range n {
		data, kind := pdfTextPayload(r, k)
		names, encs := base85Encodings(data)
		e := []int{0, 0, 3, 4}[r.IntN(4)]
		var members string
		for range r.IntN(3) {
			members += fmt.Sprintf(`"n%d":%d,`, r.IntN(100), r.IntN(1e6))
		}
		key := strings.Repeat("k", 1+r.IntN(40))
		body := []byte(fmt.Sprintf(`{%s"%s":%q}`, members, key, encs[e]))
		q := []byte(fmt.Sprintf("%q", encs[e]))
		carrier := q[1 : len(q)-1]
		cases = append(cases, packedCase{fmt.Sprintf("%s of %s after %d characters", names[e], kind, len(members)+len(key)+4), "application/json", body,
			func(got []byte) bool { return bytes.Contains(got, carrier) }})
	}
	return cases
}

// TestBase85AfterLongPrefixUnderMask: a value in base85 text (packed or
// not) as a JSON string, however long the key and the members before it,
// never reaches the client. (Before, packed data was probed for in a
// run's first 25 characters only, and 12 of 48 ASCII85 bodies with a
// longer prefix reached it; found while making the reading cheap, issue
// #19.)
func TestBase85AfterLongPrefixUnderMask(t *testing.T) {
	servedUnderMaskBoth(t, base85PrefixCases(rand.New(rand.NewPCG(5, 6)), 60), base85PrefixCases(rand.New(rand.NewPCG(7, 8)), 16))
}
