package httpgate

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// varintTags are tags of length-delimited fields (wire type 2) spelt in
// UTF-8 text as varints of several bytes: a two-byte character whose
// lead byte ends in 010 (C2, CA, D2) and an ASCII byte after it ("¢A":
// field numbers above ten thousand), a three-byte one (E2: "€A", above
// ten million), and a varint starting inside a character (the
// continuation byte A2 of "¢", then an ASCII byte: field numbers 16 to
// 2047).
var varintTags = []string{"\u00a2A", "\u0280q", "\u0480z", "\u20acA", "\u20ac7", "x\u00a2K"}

// varintLen is a length above 127 that UTF-8 text holds: a two-byte
// character then an ASCII byte (a tab, a line feed, a digit, which a
// card number after it is glued to), and its value.
func varintLen(r *rand.Rand) ([]byte, int) {
	b := utf8.AppendRune(nil, []rune{'é', 'à', 'ö', 'ñ', 'ß'}[r.IntN(5)])
	b = append(b, []byte{'\t', '\n', '0', '1', '2', '3'}[r.IntN(6)])
	return b, int(b[0]&0x7f) | int(b[1]&0x7f)<<7 | int(b[2])<<14
}

// protoVarintCases is the family of protobuf fields with tags or lengths
// of several bytes in UTF-8 text: a value glued to the tag and length,
// or to the next field's tag, with a one-byte printable length (in a
// text/plain body, a JSON string, an NDJSON record) or a length above
// 127 (a varint of a character and an ASCII byte; text/plain).
func protoVarintCases(r *rand.Rand, n int) []packedCase {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var cases []packedCase
	for k := range n {
		v := strings.ReplaceAll(printableValue(r), "-", "")
		if kind := k % 4; kind == 3 {
			v = luhnCard(r) // glued to the length's last digit
		}
		tag := varintTags[r.IntN(len(varintTags))]
		kind := k % 4
		var lenb []byte
		var l int
		if kind < 3 {
			l = []int{'a' + r.IntN(26), '0' + r.IntN(10)}[r.IntN(2)]
			lenb = []byte{byte(l)}
		} else {
			lenb, l = varintLen(r)
		}
		fill := make([]byte, l-len(v))
		for i := range fill {
			fill[i] = letters[r.IntN(len(letters))]
		}
		// The value set apart from the rest of the field by a space, as
		// words are.
		fill[0] = ' '
		val, where := append([]byte(v), fill...), "start"
		if r.IntN(2) == 0 {
			fill[0], fill[len(fill)-1] = 'x', ' '
			val, where = append(fill, v...), "end"
		}
		field := append(append([]byte(tag), lenb...), val...)
		// The next field (its tag glued to the value, a length of 33,
		// 33 bytes) ends the message.
		next := varintTags[r.IntN(5)]
		if r.IntN(2) == 0 {
			next = "2" // field 6, glued to a card's digits
		}
		msg := append(append(bytes.Clone(field), next...), '!')
		msg = append(msg, bytes.Repeat([]byte{'w'}, 33)...)
		var body []byte
		var ctype string
		switch kind {
		case 0, 3:
			body, ctype = append(append([]byte("record "), msg...), '\n'), "text/plain"
		case 1:
			body, ctype = fmt.Appendf(nil, `{"id":1,"data":"%s"}`, msg), "application/json"
		default:
			body, ctype = fmt.Appendf(nil, "{\"id\":1}\n{\"id\":2,\"data\":\"%s\"}\n", msg), "application/x-ndjson"
		}
		cases = append(cases, packedCase{fmt.Sprintf("value at the %s of a field of tag %q, length %d in %d bytes, %s", where, tag, l, len(lenb), ctype), ctype, body,
			func(got []byte) bool { return bytes.Contains(got, field) }})
	}
	return cases
}

// TestProtoVarintFieldsUnderMask: a value glued to a protobuf field's
// framing where the tag or the length is a varint of several bytes
// (non-ASCII characters in UTF-8 text) never reaches the client.
func TestProtoVarintFieldsUnderMask(t *testing.T) {
	// Bodies of the longest lengths run to 800 KB: under the race
	// detector, a quarter of the cases.
	n, nCurl := 60, 15
	if raceEnabled {
		n, nCurl = 16, 4
	}
	servedUnderMaskBoth(t, protoVarintCases(rand.New(rand.NewPCG(31, 32)), n), protoVarintCases(rand.New(rand.NewPCG(33, 34)), nCurl))
}
