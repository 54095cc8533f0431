package httpgate

import (
	"encoding/json"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
)

// stringPiece returns a piece of a JSON string's content: most often
// plain bytes, sometimes one of the bytes or escapes a scanner must stop
// at or read through.
func stringPiece(r *rand.Rand) string {
	switch r.IntN(14) {
	case 0:
		return []string{`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u00e9`, `\uD83D\uDE00`, `\uDE00`, `\uD83D`, `\uABCD`, `\uabcd`, `\x41`, `\u12`, `\u12"`, `\uzzzz`, `\u`, `\`, `\a`, `\U0041`, `\0`, `\'`}[r.IntN(24)]
	case 1:
		return string(rune(r.IntN(0x20))) // a control byte
	case 2:
		return string([]byte{byte(0x80 + r.IntN(0x80))}) // not UTF-8 alone
	case 3:
		return []string{"é", "€", "😀", "\x7f", "\xed\xa0\x80", "\xc0\xaf", "\xef\xbf\xbd", "!", "#", "]", "^", "`", " "}[r.IntN(13)]
	case 4:
		return `"`
	default:
		return "abcdefghijklmnopqrstuvwxyz0123456789"[r.IntN(8):][:1+r.IntN(20)]
	}
}

// longStringsDoc writes a JSON-ish text whose strings are long enough to
// be read eight bytes at a time, with the bytes a string scanner stops at
// at every offset, after a prefix that moves them against the text's
// start.
func longStringsDoc(r *rand.Rand) []byte {
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", r.IntN(8)))
	str := func() {
		b.WriteByte('"')
		for n := r.IntN(10); n > 0; n-- {
			b.WriteString(stringPiece(r))
		}
		if r.IntN(30) != 0 {
			b.WriteByte('"')
		}
	}
	switch r.IntN(4) {
	case 0:
		str()
	case 1:
		b.WriteByte('[')
		for i, n := 0, r.IntN(5); i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			if r.IntN(3) == 0 {
				b.WriteString([]string{"0", "-0", "12345", "9.99", "1e9", "-1.5E+10", "01", "1.", ".5", "-", "1e", "2e-", "123456789012345678901234567890", "1.0000000000000001", "0.", "-a", "1E5", "0e0", "1.5e", "7E-", "-0.0e+0", "12a", "3.e1", "1ee2", "2e+-1", "-.1", "4.5.6", "8D9"}[r.IntN(27)])
			} else {
				str()
			}
		}
		b.WriteByte(']')
	default:
		b.WriteByte('{')
		for i, n := 0, r.IntN(5); i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			str()
			b.WriteString(strings.Repeat(" ", r.IntN(2)) + ":")
			if r.IntN(2) == 0 {
				str()
			} else {
				b.WriteString(`{"k":[true,false,null]}`)
			}
		}
		b.WriteByte('}')
	}
	b.WriteString(strings.Repeat("\n", r.IntN(3)))
	return []byte(b.String())
}

// TestValidJSONAgreesWithOld holds validJSON, whose strings are read
// eight bytes at a time, to validJSONOld, which read them byte by byte,
// and to json.Valid: on texts with long strings (every escape, \u
// surrogates, control bytes, bytes that are not UTF-8, a string's end
// at every offset mod 8; numbers of every form and malformed ones), on
// the short texts of randomJSONish, mutated, and cut at every length.
// jsonStringEnd and jsonNumberEnd are held to their old selves at every
// start in each text.
func TestValidJSONAgreesWithOld(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 29))
	n, valid := 6000, 0
	if testing.Short() {
		n = 1500
	}
	for i := 0; i < n; i++ {
		var doc []byte
		if i%3 == 2 {
			var b strings.Builder
			randomJSONish(r, &b, 0)
			doc = []byte(b.String())
		} else {
			doc = longStringsDoc(r)
		}
		if i%4 == 3 {
			doc = mutate(r, doc)
		}
		for cut := len(doc); cut >= 0; cut-- {
			d := doc[:cut]
			got, want := validJSON(d), validJSONOld(d)
			if got != want {
				t.Fatalf("validJSON(%q) = %v, validJSONOld %v", d, got, want)
			}
			if got && cut == len(doc) {
				valid++
			}
		}
		if got, want := validJSON(doc), json.Valid(doc); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid %v", doc, got, want)
		}
		for at, c := range doc {
			switch {
			case c == '"':
				if got, want := jsonStringEnd(doc, at), jsonStringEndOld(doc, at); got != want {
					t.Fatalf("jsonStringEnd(%q, %d) = %d, jsonStringEndOld %d", doc, at, got, want)
				}
			case c == '-' || '0' <= c && c <= '9':
				for _, d := range [][]byte{doc, doc[:at+1+r.IntN(len(doc)-at)]} {
					if got, want := jsonNumberEnd(d, at), jsonNumberEndOld(d, at); got != want {
						t.Fatalf("jsonNumberEnd(%q, %d) = %d, jsonNumberEndOld %d", d, at, got, want)
					}
				}
			}
		}
	}
	if valid < n/10 || valid > n*9/10 {
		t.Fatalf("%d of %d generated texts valid: the generator is off balance", valid, n)
	}
}

// TestStringStopsEveryByte: the first byte stringStops marks is the
// first that plainStringByte does not, and it marks none when every byte
// is plain: for every byte value at every position of a word among
// neighbours of every kind (a borrow between bytes would show in a
// neighbour), and on random words of such bytes.
func TestStringStopsEveryByte(t *testing.T) {
	fills := []byte{0x00, 0x01, 0x1f, 0x20, 0x21, '"', '\\', 'a', 0x7f, 0x80, 0x81, 0xa0, 0xdf, 0xe0, 0xff, 0x5b, 0x5d}
	check := func(w [8]byte) {
		var word uint64
		for k := 7; k >= 0; k-- {
			word = word<<8 | uint64(w[k])
		}
		m := stringStops(word)
		first := 8
		for k := range w {
			if !plainStringByte[w[k]] {
				first = k
				break
			}
		}
		got := 8
		if m != 0 {
			got = bits.TrailingZeros64(m) >> 3
			if m>>(8*got)&0xff != 0x80 {
				t.Fatalf("stringStops(% x) = %#x: its first marked byte is not 0x80", w, m)
			}
		}
		if got != first {
			t.Fatalf("stringStops(% x) = %#x marks byte %d first, the first byte not plain is %d", w, m, got, first)
		}
	}
	for _, fill := range fills {
		for pos := 0; pos < 8; pos++ {
			for c := 0; c < 256; c++ {
				var w [8]byte
				for k := range w {
					w[k] = fill
				}
				w[pos] = byte(c)
				check(w)
			}
		}
	}
	r := rand.New(rand.NewPCG(3, 31))
	for range 200000 {
		var w [8]byte
		for k := range w {
			w[k] = fills[r.IntN(len(fills))]
			if r.IntN(3) == 0 {
				w[k] = byte(r.IntN(256))
			}
		}
		check(w)
	}
}

// TestValidJSONEveryByteAtEveryOffset: validJSON and json.Valid agree on
// a text holding every construct (keys short and long, escapes, every
// form of number, literals, nesting, empty containers, space of every
// kind) with any byte value at any offset, and with any byte inserted
// at any offset: whatever byte follows a key, a value or a number,
// whatever stands where a quote or a bracket closes.
func TestValidJSONEveryByteAtEveryOffset(t *testing.T) {
	doc := []byte("{\"id\":12345,\"name\" : \"widget\\n\\u00e9\",\"p\":-0.5e+3,\"tags\":[\"a\",\t\"bcdefghij\",[] ,{}],\"ok\":true,\"n\":null,\"f\":false,\"x\":[1,{\"k\":0}]}\r\n")
	if !json.Valid(doc) {
		t.Fatal("the base text is not valid")
	}
	d := make([]byte, len(doc)+1)
	for at := range doc {
		for c := 0; c < 256; c++ {
			d = append(d[:0], doc...)
			d[at] = byte(c)
			if got, want := validJSON(d), json.Valid(d); got != want {
				t.Fatalf("validJSON(%q) = %v, json.Valid %v", d, got, want)
			}
			d = append(append(append(d[:0], doc[:at]...), byte(c)), doc[at:]...)
			if got, want := validJSON(d), json.Valid(d); got != want {
				t.Fatalf("validJSON(%q) = %v, json.Valid %v", d, got, want)
			}
		}
	}
}
