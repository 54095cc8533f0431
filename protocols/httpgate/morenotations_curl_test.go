package httpgate

import (
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// moreNotationBodies are responses that write a card or an SSN in the
// notations the masker reads since mask/encmore_test.go: code lists, hex
// dumps, encodings of encodings, base32 in lower case, base64 in joined
// pieces, and a value split across the leaves of a JSON document. Each
// comes with a piece of the encoded value that must not reach the client
// and the label that must.
func moreNotationBodies() map[string]maskedBody {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	card := "4111111111111111"
	var hexList, dump []string
	for _, c := range []byte(card) {
		hexList = append(hexList, fmt.Sprintf("%02x", c))
	}
	line := []byte("card " + card + " on file")
	for off := 0; off < len(line); off += 16 {
		b := line[off:min(off+16, len(line))]
		var h strings.Builder
		for _, c := range b {
			fmt.Fprintf(&h, "%02x ", c)
		}
		dump = append(dump, fmt.Sprintf("%08x  %-48s |%s|", off, h.String(), b))
	}
	twice := b64(b64(card))
	pieces := strings.Split(b64(card), "")
	var joined []string
	for i := 0; i < len(pieces); i += 4 {
		joined = append(joined, `"`+strings.Join(pieces[i:min(i+4, len(pieces))], "")+`"`)
	}
	return map[string]maskedBody{
		"/hex-list":    {"text/plain", "bytes: " + strings.Join(hexList, " "), "31 31 31 31", "[CREDIT_CARD]"},
		"/hex-dump":    {"text/plain", strings.Join(dump, "\n") + "\n", "31 31 31 31", "[CREDIT_CARD]"},
		"/codes":       {"text/plain", "s = String.fromCharCode(52,49,49,49,49,49,49,49,49,49,49,49,49,49,49,49);", "49,49,49", "[CREDIT_CARD]"},
		"/spelled":     {"text/plain", "ssn: one, two, three, four, five, six, seven, eight, nine", "seven, eight", "[US_SSN]"},
		"/b64-b64":     {"text/plain", "token " + twice + " end", twice[4:20], "[CREDIT_CARD]"},
		"/b32-lower":   {"text/plain", "id " + strings.ToLower(base32.StdEncoding.EncodeToString([]byte(card))) + " end", "gq", "[CREDIT_CARD]"},
		"/b64-pieces":  {"text/plain", "parts = [" + strings.Join(joined, ", ") + "]", joined[1], "[CREDIT_CARD]"},
		"/json-array":  {"application/json", `{"parts":["4111","1111","1111","1111"],"n":1}`, `"1111"`, "[CREDIT_CARD]"},
		"/json-object": {"application/json", `{"a":"123","b":"45","c":"6789"}`, `"6789"`, "[US_SSN]"},
	}
}

// TestMoreNotationsCurl: through the gateway, as a proxy and as a
// middleware, curl receives none of those values.
func TestMoreNotationsCurl(t *testing.T) {
	curlReceivesNoValue(t, moreNotationBodies())
}
