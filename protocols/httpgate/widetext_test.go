package httpgate

import (
	"math/rand/v2"
	"net/http"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// TestWideTextUnderBinaryTypesMasked serves the fixtures as UTF-16 and
// UTF-32 text without a byte order mark, in random chunks, under types
// that are not textual (application/octet-stream, a spreadsheet, an
// unknown image type, none at all): a client that sniffs the encoding or
// drops NULs reads them as text, so the masker must too. Binary bodies
// that only look like that for a byte or two still pass as they are.
func TestWideTextUnderBinaryTypesMasked(t *testing.T) {
	type gen struct {
		ctype string
		body  []byte
		cuts  []int
	}
	cur := make(chan gen, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g := <-cur
		if g.ctype != "" {
			w.Header().Set("Content-Type", g.ctype)
		} else {
			w.Header()["Content-Type"] = nil // no sniffing by the server
		}
		prev := 0
		for _, c := range append(g.cuts, len(g.body)) {
			w.Write(g.body[prev:c])
			http.NewResponseController(w).Flush()
			prev = c
		}
	})
	srvs := leakEnv(t, h)
	rnd := rand.New(rand.NewPCG(21, 7))
	encs := []encoding.Encoding{
		unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
		utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM),
	}
	types := []string{"application/octet-stream", "application/vnd.ms-excel", "image/x-unknown", "application/x-custom", ""}
	for i := range 120 {
		text := []string{fxText, "id,owner\n1," + fxEmail + "\n", fxCard + " is the card"}[i%3]
		body, err := encs[rnd.IntN(len(encs))].NewEncoder().Bytes([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		var cuts []int
		for range rnd.IntN(3) {
			cuts = append(cuts, rnd.IntN(len(body)+1))
		}
		sortInts(cuts)
		g := gen{ctype: pick(rnd, types), body: body, cuts: cuts}
		for name, srv := range srvs {
			cur <- g
			p := parseExchange(t, rawExchange(t, srv, "GET", "/x"), "GET")
			noLeak(t, name+" "+g.ctype, p.body)
		}
	}
	// An image with NULs in the first bytes passes unchanged; binary
	// data that is not media (protobuf, a BSON document, short ones) is
	// refused under a mask, as it may write numbers in binary (see
	// TestPackedInsideNotSentUnderMask), and so is a zip, which packs its
	// members (see TestPackedBodiesNotSentUnderMask), and media that is
	// not a whole PNG, GIF or JPEG (an icon, a WAV file), whose bytes
	// after the first are not judged (see TestMediaPrefixUnderMask).
	for _, b := range []string{"\x08\x00\x10\x00\x01\x02", "\x00\x00\x01\x00icon", "RIFF\x24\x00\x00\x00WAVE",
		"\x45\x00\x00\x00\x02name\x00\x05\x00\x00\x00", "a\x00b\x00\x01\x00\x02\x00", "A\x00", pngish} {
		media := b == pngish
		for name, srv := range srvs {
			cur <- gen{ctype: "application/octet-stream", body: []byte(b)}
			p := parseExchange(t, rawExchange(t, srv, "GET", "/x"), "GET")
			if media && string(p.body) != b {
				t.Errorf("%s: media body %q reached the client as %q", name, b, p.body)
			}
			if !media && p.status != http.StatusBadGateway {
				t.Errorf("%s: binary body %q got %d %q, want 502", name, b, p.status, p.body)
			}
		}
	}
}

func sortInts(a []int) {
	for i := range a {
		for j := i + 1; j < len(a); j++ {
			if a[j] < a[i] {
				a[i], a[j] = a[j], a[i]
			}
		}
	}
}
