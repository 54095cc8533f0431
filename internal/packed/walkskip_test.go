package packed

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// walk passes over the offsets where none of its tests can find anything
// (printableHeads.skip, issue #19). Against the walk it replaced, which
// ran every test at every offset: the offsets skipped are ones where each
// test fails, and Unpack visits the same bytes and ends in the same error
// on generated data holding a value in every packing Unpack reads, at
// every offset, in text and among binary bytes.

// actsAt reports whether walk's tests may find something at data[i:], as
// the walk before skip ran them there.
func actsAt(data []byte, i int) bool {
	b := data[i:]
	return embeddedMagic(b, false) != "" ||
		zlibCandidate(b) && zlibCheck(b) ||
		!printableHead(b) && deflateStart(b, false) ||
		encodedChar(b[0]) && (i == 0 || !alnum(data[i-1])) && (decodeRun(b, true) != nil || encodedRunLen(b) >= minStretch)
}

// walkEvery is walk as it was before skip: every offset tested. What it
// finds is searched with walk (the same, by induction on depth, when
// walk agrees with it at depth 0 on every input).
func (u *unpacker) walkEvery(data []byte, depth int) error {
	pdfDone := false
	var heads printableHeads
	for i := 0; i < len(data) && !u.done; i++ {
		b := data[i:]
		var (
			r    io.Reader
			name string
		)
		switch m := embeddedMagic(b, false); m {
		case "":
		case "gzip":
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				continue
			}
			zr.Multistream(false)
			r, name = zr, m
		case "bzip2":
			r, name = bzip2.NewReader(bytes.NewReader(b)), m
		case "zip":
			zr, err := zipMember(b)
			if err != nil {
				return err
			}
			if zr == nil {
				continue
			}
			r, name = zr, m
		case "PDF":
			if pdfDone {
				continue
			}
			pdfDone = true
			err := u.pdfStreams(b, func(out []byte) error { return u.layer(out, depth) })
			if err != nil {
				return err
			}
			continue
		case "OLE2", "SQLite", "Avro", "Java serialization", "Parquet":
			continue
		default:
			return fmt.Errorf("%w: %s data", ErrOpaque, m)
		}
		if r == nil && zlibCandidate(b) && zlibCheck(b) {
			if u.tries++; u.tries > maxCandidates+i>>12 {
				return fmt.Errorf("%w: more than %d zlib headers", ErrOpaque, maxCandidates)
			}
			zr, err := zlib.NewReader(bytes.NewReader(b))
			if err != nil {
				continue
			}
			r, name = zr, "zlib"
		}
		if r == nil && !heads.at(data, i) && deflateStart(b, false) {
			out, err := u.inflateAt(b)
			if err != nil {
				return err
			}
			if out != nil {
				if err := u.layer(out, depth); err != nil {
					return err
				}
			}
			continue
		}
		if r == nil && encodedChar(b[0]) && (i == 0 || !alnum(data[i-1])) {
			stretch := i == 0 || !encodedChar(data[i-1])
			if dec := decodeRun(b, stretch); dec != nil {
				if err := u.walkEncoded(dec, depth); err != nil {
					return err
				}
				continue
			}
			if stretch {
				if err := u.walkStretch(b, depth); err != nil {
					return err
				}
			}
		}
		if r == nil {
			continue
		}
		out, err := u.read(r, name)
		if err != nil {
			return err
		}
		if err := u.layer(out, depth); err != nil {
			return err
		}
	}
	return nil
}

// walkInputs are generated bodies: a value as it is, gzip, zlib (each
// level's header), raw deflate, bzip2, zip, a PDF stream, and the
// base64, base64url and hex of each, at random offsets of JSON text,
// prose, binary bytes and Latin-1, after every kind of byte; opaque
// signatures; random bytes; and text broken by control bytes.
func walkInputs(r *rand.Rand) [][]byte {
	const secret = "upstream-secret-abcdef"
	payload := "auth Bearer " + secret + " and the rest of the line\n"
	zlev := func(level int) []byte {
		var b bytes.Buffer
		w, _ := zlib.NewWriterLevel(&b, level)
		w.Write([]byte(payload))
		w.Close()
		return b.Bytes()
	}
	packs := [][]byte{[]byte(payload), gz(payload), zl(payload), zlev(1), zlev(4), zlev(9), deflated(payload),
		zipOf(payload), tarOf("a.gz", gz(payload)), gz(string(tarOf("x.gz", gz(payload)))),
		[]byte("%PDF-1.7\n<< /Filter /AHx >>\nstream\n" + hex.EncodeToString([]byte(payload)) + ">\nendstream\n"),
		[]byte("BZh91AY&SY\x7a\xb6\x96\x15\x00\x00\x0c\xd9\x80\x40")}
	for _, s := range packedStreams() {
		packs = append(packs, s)
	}
	encs := []func([]byte) string{
		func(b []byte) string { return string(b) },
		base64.StdEncoding.EncodeToString, base64.RawURLEncoding.EncodeToString, hex.EncodeToString,
		func(b []byte) string { return strings.Repeat("A", r.IntN(9)) + base64.StdEncoding.EncodeToString(b) },
	}
	fillers := []func(n int) []byte{
		func(n int) []byte {
			return []byte(strings.Repeat(`{"id":12345,"name":"widget","price":9.99,"tags":["a","b"]},`, 1+n/60))
		},
		func(n int) []byte {
			return []byte(strings.Repeat("The quick brown fox x^2 jumps; PK BZh9 7z %PD Tax^2.\n", 1+n/54))
		},
		func(n int) []byte {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			return b
		},
		func(n int) []byte {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(0x20 + r.IntN(0x5f))
				if r.IntN(50) == 0 {
					b[i] = byte(r.IntN(0x20))
				}
			}
			return b
		},
		func(n int) []byte { return []byte(strings.Repeat("caf\u00e9 \u00fc\u001f\u008b ", 1+n/12)) },
	}
	var out [][]byte
	for range 400 {
		var b []byte
		for range 1 + r.IntN(3) {
			f := fillers[r.IntN(len(fillers))](r.IntN(300))
			b = append(b, f[:r.IntN(len(f)+1)]...)
			seps := "\"=:/ +-_,\x00\xff"
			b = append(b, seps[r.IntN(len(seps))])
			p := packs[r.IntN(len(packs))]
			b = append(b, encs[r.IntN(len(encs))](p)...)
		}
		out = append(out, b)
	}
	for range 100 {
		b := fillers[r.IntN(len(fillers))](r.IntN(2000))
		out = append(out, b[:r.IntN(len(b)+1)])
	}
	// Runs of the fewest characters decodeRun judges, and one fewer.
	for _, p := range packs {
		for _, enc := range encs[1:4] {
			e := enc(p)
			for n := minEncoded - 1; n <= minEncoded+1 && n <= len(e); n++ {
				out = append(out, []byte(`{"a":"`+e[:n]+`","b":1}`))
			}
		}
	}
	for _, m := range embeddedMagics {
		out = append(out, []byte(`{"a":"`+m.magic+`xyz"}`))
	}
	return out
}

func TestWalkSkipsOnlyIdleOffsets(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 31))
	for n, data := range walkInputs(r) {
		var h printableHeads
		for i := 0; i < len(data); i++ {
			s := h.skip(data, i)
			for j := i; j < s; j++ {
				if actsAt(data, j) || !printableHead(data[j:]) {
					t.Fatalf("input %d: skip passed over offset %d of %q, where walk's tests act or raw deflate may start", n, j, data)
				}
			}
			if i = s; i < len(data) && h.at(data, i) != printableHead(data[i:]) {
				t.Fatalf("input %d: after skip, the head at %d read wrong", n, i)
			}
		}
	}
}

// unpackTrace is what Unpack visits, and its error.
func unpackTrace(data []byte, every bool) (visits []string, err error) {
	u := unpacker{budget: 1 << 20, b: newBounds(len(data)), visit: func(b []byte) bool {
		visits = append(visits, string(b))
		return bytes.Contains(b, []byte("nothing-matches-this"))
	}}
	if every {
		err = u.walkEvery(data, 0)
	} else {
		err = u.walk(data, 0)
	}
	return visits, err
}

func TestWalkAgreesWithEveryOffset(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 32))
	visited := 0
	for n, data := range walkInputs(r) {
		for _, d := range [][]byte{data, Latin1(data)} {
			if d == nil {
				continue
			}
			gv, gerr := unpackTrace(d, false)
			wv, werr := unpackTrace(d, true)
			if fmt.Sprint(gerr) != fmt.Sprint(werr) || errors.Is(gerr, ErrOpaque) != errors.Is(werr, ErrOpaque) {
				t.Fatalf("input %d (%q): error %v, every offset %v", n, d, gerr, werr)
			}
			if fmt.Sprintf("%q", gv) != fmt.Sprintf("%q", wv) {
				t.Fatalf("input %d (%q): visits %q, every offset %q", n, d, gv, wv)
			}
			visited += len(gv)
		}
	}
	if visited < 200 {
		t.Fatalf("only %d visits: the inputs hold too little packed data", visited)
	}
}

// FuzzWalkAgreesWithEveryOffset: Unpack's walk visits what the walk of
// every offset visits, and ends in the same error, on any data (go test
// -fuzz; the seeds run by default).
func FuzzWalkAgreesWithEveryOffset(f *testing.F) {
	f.Add([]byte(`{"id":12345,"name":"widget","tags":["a","b"]}`))
	f.Add(append([]byte("json then gzip "), gz("auth upstream-secret-abcdef")...))
	f.Add([]byte(`{"f":"` + base64.StdEncoding.EncodeToString(zl("auth upstream-secret-abcdef")) + `"}`))
	f.Add([]byte("Tax^2 x\x9c and text\x01 then"))
	f.Fuzz(func(t *testing.T, data []byte) {
		gv, gerr := unpackTrace(data, false)
		wv, werr := unpackTrace(data, true)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) || fmt.Sprintf("%q", gv) != fmt.Sprintf("%q", wv) {
			t.Fatalf("%q: visits %q, %v; every offset %q, %v", data, gv, gerr, wv, werr)
		}
	})
}
