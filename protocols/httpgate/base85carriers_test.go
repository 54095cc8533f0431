package httpgate

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// base85PrefixAlphabets are, per base85Encodings' encoding, characters a
// prefix glued to the run may be spelled in: the encoding's own digits,
// so that the prefix joins the run (ASCII85's, Z85's and RFC 1924's).
var base85PrefixAlphabets = []string{
	"abcdefghijklmnopqrstu0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.:=/+",
	"abcdefghijklmnopqrstu0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.:=/+",
	"abcdefghijklmnopqrstu0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.:=/+",
	"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=",
	"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_;=+",
}

// base85CarrierCases is the family of base85 runs after a prefix: a value
// (as text, zlib or raw deflate) in each base85 encoding, glued after a
// prefix of 0 to 300 characters of the run's alphabet (a client that
// knows where the payload starts decodes it from there), carried in a
// JSON string of a whole JSON body, of JSON under text/plain, of an
// NDJSON record, of an SSE event's JSON, and in a text/plain line; each
// small or padded past the streamed window with benign records before
// it (every 30 cases hold each combination once).
func base85CarrierCases(r *rand.Rand, n int) []packedCase {
	carriers := []string{"json", "json as text/plain", "ndjson", "sse json", "text line"}
	var cases []packedCase
	for k := range n {
		data, kind := pdfTextPayload(r, k)
		names, encs := base85Encodings(data)
		e := []int{0, 1, 3, 4}[r.IntN(4)]
		alpha := base85PrefixAlphabets[e]
		var pre []byte
		for range []int{0, 1 + r.IntN(30), 30 + r.IntN(100), 100 + r.IntN(200)}[r.IntN(4)] {
			pre = append(pre, alpha[r.IntN(len(alpha))])
		}
		carrier := append(pre, encs[e]...)
		str := []byte(fmt.Sprintf("%q", carrier))
		str = str[1 : len(str)-1]
		var pad []byte
		// Every 30 cases hold each kind, carrier and size once.
		big := (k/15)%2 == 0
		c := carriers[(k/3)%len(carriers)]
		var body []byte
		var ctype string
		switch c {
		case "json", "json as text/plain":
			if big {
				for i := 0; len(pad) < 70000; i++ {
					pad = fmt.Appendf(pad, `{"id":%d,"note":"row %d fine"},`, i, i)
				}
			}
			body = fmt.Appendf(nil, `{"rows":[%s{"id":1,"blob":"%s"}]}`, pad, str)
			ctype = "application/json"
			if c != "json" {
				ctype = "text/plain"
			}
		case "ndjson":
			if big {
				for i := 0; len(pad) < 70000; i++ {
					pad = fmt.Appendf(pad, "{\"id\":%d,\"note\":\"row %d fine\"}\n", i, i)
				}
			}
			body = fmt.Appendf(pad, "{\"id\":1,\"blob\":\"%s\"}\n", str)
			ctype = "application/x-ndjson"
		case "sse json":
			if big {
				for i := 0; len(pad) < 70000; i++ {
					pad = fmt.Appendf(pad, "data: {\"id\":%d}\n\n", i)
				}
			}
			body = fmt.Appendf(pad, "data: {\"id\":1,\"blob\":\"%s\"}\n\n", str)
			ctype = "text/event-stream"
		default:
			if big {
				pad = []byte(strings.Repeat("row fine and dandy\n", 4000))
			}
			body = fmt.Appendf(pad, "note %s\n", carrier)
			ctype = "text/plain"
			str = carrier
		}
		enc := bytes.Clone(encs[e])
		if e == 0 || e == 1 {
			q := []byte(fmt.Sprintf("%q", enc))
			enc = q[1 : len(q)-1]
		}
		cases = append(cases, packedCase{fmt.Sprintf("%s of %s after %d prefix characters in %s (big %v)", names[e], kind, len(pre), c, big), ctype, body,
			func(got []byte) bool { return bytes.Contains(got, enc) }})
	}
	return cases
}

// TestBase85CarriersUnderMask: a value in base85 text glued after a
// prefix of any length, in any body kind, small or streamed, never
// reaches the client.
//
// Under the race detector it takes 30 cases for net/http and curl
// each, every kind, carrier and size once (248 s under -race before).
func TestBase85CarriersUnderMask(t *testing.T) {
	nh, nc := 150, 30
	if raceEnabled {
		nh = 30
	}
	servedUnderMaskBoth(t, base85CarrierCases(rand.New(rand.NewPCG(91, 92)), nh), base85CarrierCases(rand.New(rand.NewPCG(93, 94)), nc))
}
