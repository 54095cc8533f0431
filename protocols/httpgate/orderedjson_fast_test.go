package httpgate

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// randomJSON writes a JSON value of the shapes token streams and API
// bodies hold, with the escapes, characters and spacing a decoder can
// get wrong: duplicate keys, escaped and raw non-ASCII, surrogate pairs
// and lone surrogates, invalid UTF-8, numbers in every notation.
func randomJSON(rng *rand.Rand, b *strings.Builder, depth int) {
	space := func() {
		if rng.IntN(4) == 0 {
			b.WriteString([]string{" ", "\n", "\t", "\r\n  "}[rng.IntN(4)])
		}
	}
	space()
	switch k := rng.IntN(10); {
	case k < 2 && depth < 5:
		b.WriteByte('{')
		for i := range rng.IntN(5) {
			if i > 0 {
				b.WriteByte(',')
			}
			space()
			randomString(rng, b)
			space()
			b.WriteByte(':')
			randomJSON(rng, b, depth+1)
		}
		space()
		b.WriteByte('}')
	case k < 4 && depth < 5:
		b.WriteByte('[')
		for i := range rng.IntN(5) {
			if i > 0 {
				b.WriteByte(',')
			}
			randomJSON(rng, b, depth+1)
		}
		space()
		b.WriteByte(']')
	case k < 7:
		randomString(rng, b)
	case k < 8:
		b.WriteString([]string{"true", "false", "null"}[rng.IntN(3)])
	default:
		b.WriteString([]string{"0", "-1", "12345", "9.99", "-0.5e10", "1E+2", "3.0e-7", "100000000000000000000000"}[rng.IntN(8)])
	}
	space()
}

func randomString(rng *rand.Rand, b *strings.Builder) {
	pieces := []string{"id", "widget", "a", "4111 1111", `\"`, `\\`, `\/`, `\n`, `\t`, `\u00e9`, `\u0041`,
		`\ud83d\ude00`, `\ud800`, `\udc00x`, "é", "日本", "\xff", "\xc3", " ", "items", "0", "12"}
	b.WriteByte('"')
	for range rng.IntN(5) {
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	b.WriteByte('"')
}

// TestDecodeOrderedAsTokens compares decodeOrdered's one-pass reading of
// valid texts with encoding/json's tokens (decodeTokens), on generated
// texts and on each of them broken (cut, with bytes after it, a BOM, a
// stray closing bracket, which the tokens accept after a value).
func TestDecodeOrderedAsTokens(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 5))
	valid, differ := 0, 0
	for i := 0; i < 20000 && differ < 10; i++ {
		var b strings.Builder
		randomJSON(rng, &b, 0)
		doc := b.String()
		for _, d := range []string{doc, doc[:rng.IntN(len(doc)+1)], doc + "}", doc + "]", doc + " x", "\ufeff" + doc, doc + doc} {
			got, gerr := decodeOrdered(d)
			want, werr := decodeTokens(d)
			if gerr == nil {
				valid++
			}
			if (gerr == nil) != (werr == nil) || !reflect.DeepEqual(got, want) {
				differ++
				t.Errorf("decodeOrdered(%q) = %#v, %v; tokens: %#v, %v", d, got, gerr, want, werr)
			}
		}
	}
	if valid < 20000 {
		t.Errorf("only %d texts decoded: the generator makes too few valid ones", valid)
	}
}

// FuzzDecodeOrdered is TestDecodeOrderedAsTokens on any input.
func FuzzDecodeOrdered(f *testing.F) {
	for _, s := range []string{`{"a":[1,"b",{"c":null}]}`, `"\ud800"`, `[1,2]]`, "{\"a\":\"\xff\"}", ` 1 `, `{"a":1,"a":2}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, d string) {
		got, gerr := decodeOrdered(d)
		want, werr := decodeTokens(d)
		if (gerr == nil) != (werr == nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("decodeOrdered(%q) = %#v, %v; tokens: %#v, %v", d, got, gerr, want, werr)
		}
	})
}

// TestFoldIndexesAsSplit compares foldIndexes with folding every part.
func TestFoldIndexesAsSplit(t *testing.T) {
	split := func(path string) string {
		parts := strings.Split(path, "/")
		for i, p := range parts {
			if p != "" && strings.Trim(p, "0123456789") == "" {
				parts[i] = "*"
			}
		}
		return strings.Join(parts, "/")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	parts := []string{"", "0", "12", "a1", "1a", "items", "\x00", "007", "x/1", "9"}
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(6) {
			b.WriteString("/" + parts[rng.IntN(len(parts))])
		}
		if rng.IntN(5) == 0 {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		if p := b.String(); foldIndexes(p) != split(p) {
			t.Fatalf("foldIndexes(%q) = %q, want %q", p, foldIndexes(p), split(p))
		}
	}
}
