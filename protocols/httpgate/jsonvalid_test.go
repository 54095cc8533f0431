package httpgate

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// randomJSONish writes a value that is most often JSON and sometimes
// almost JSON: the pieces where a validator may go wrong (escapes,
// numbers, literals, control bytes, bytes that are not UTF-8, whitespace
// JSON does not allow, separators out of place).
func randomJSONish(r *rand.Rand, b *strings.Builder, depth int) {
	space := func() {
		for r.IntN(4) == 0 {
			b.WriteByte(" \t\r\n\v\f\u00a0"[r.IntN(7)])
		}
	}
	space()
	k := r.IntN(9)
	if depth > 4 && k >= 7 {
		k = r.IntN(7)
	}
	switch k {
	case 0, 1:
		b.WriteByte('"')
		for n := r.IntN(8); n > 0; n-- {
			switch r.IntN(12) {
			case 0:
				b.WriteString([]string{`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u00e9`, `\uD83D\uDE00`, `\uDE00`, `\x41`, `\u12`, `\uzzzz`, `\`, `\a`}[r.IntN(16)])
			case 1:
				b.WriteByte(byte(r.IntN(0x20)))
			case 2:
				b.WriteByte(byte(0x80 + r.IntN(0x80)))
			case 3:
				b.WriteString("é€😀")
			default:
				b.WriteByte("abcXYZ09 :,{}[]'"[r.IntN(16)])
			}
		}
		if r.IntN(20) != 0 {
			b.WriteByte('"')
		}
	case 2, 3:
		b.WriteString([]string{"0", "-0", "12", "-3.25", "1e9", "1E+2", "2.5e-3", "01", "1.", ".5", "-", "+1", "1e", "1e+", "0x10", "NaN", "Infinity", "1.2.3", "-01", "9007199254740993"}[r.IntN(20)])
	case 4:
		b.WriteString([]string{"true", "false", "null", "tru", "nul", "True", "NULL", "truex", "nullnull"}[r.IntN(9)])
	case 5:
		b.WriteString([]string{"", ",", ":", "}", "]", "'a'", "undefined"}[r.IntN(7)])
	case 6, 7:
		b.WriteByte('[')
		for i, n := 0, r.IntN(4); i < n; i++ {
			if i > 0 || r.IntN(30) == 0 {
				b.WriteByte(',')
			}
			randomJSONish(r, b, depth+1)
		}
		if r.IntN(30) == 0 {
			b.WriteByte(',')
		}
		space()
		if r.IntN(25) != 0 {
			b.WriteByte(']')
		}
	case 8:
		b.WriteByte('{')
		for i, n := 0, r.IntN(4); i < n; i++ {
			if i > 0 || r.IntN(30) == 0 {
				b.WriteByte(',')
			}
			space()
			if r.IntN(25) == 0 {
				b.WriteString("key")
			} else {
				b.WriteString(`"k` + string(rune('a'+r.IntN(3))) + `"`)
			}
			space()
			if r.IntN(25) != 0 {
				b.WriteByte(':')
			}
			randomJSONish(r, b, depth+1)
		}
		space()
		if r.IntN(25) != 0 {
			b.WriteByte('}')
		}
	}
	space()
}

// mutate changes a few bytes of doc: deleted, duplicated, replaced by a
// byte that matters to JSON, or the text cut short.
func mutate(r *rand.Rand, doc []byte) []byte {
	out := append([]byte(nil), doc...)
	for n := r.IntN(3); n > 0 && len(out) > 0; n-- {
		i := r.IntN(len(out))
		switch r.IntN(4) {
		case 0:
			out = append(out[:i], out[i+1:]...)
		case 1:
			out = append(out[:i+1], out[i:]...)
		case 2:
			out[i] = ("\"\\{}[],:0-.eE tfn" + "\x00\x1f\x7f\xff")[r.IntN(21)]
		case 3:
			out = out[:i]
		}
	}
	return out
}

// TestValidJSONMatchesEncodingJSON is the differential test of validJSON
// against json.Valid, which it replaced in the secret search: on
// generated texts, valid and almost valid, and mutations of them, both
// give the same answer. validJSON accepting a text that json.Valid refuses
// would send a body that is not one JSON text on unmasked after a search
// that read it as JSON.
func TestValidJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 19))
	valid, n := 0, 40000
	if testing.Short() {
		n = 5000
	}
	for i := 0; i < n; i++ {
		var b strings.Builder
		randomJSONish(r, &b, 0)
		doc := []byte(b.String())
		if i%2 == 1 {
			doc = mutate(r, doc)
		}
		want := json.Valid(doc)
		if got := validJSON(doc); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid = %v", doc, got, want)
		}
		if want {
			valid++
		}
	}
	// The generator must exercise both answers.
	if valid < n/10 || valid > n*9/10 {
		t.Fatalf("%d of %d generated texts valid: the generator is off balance", valid, n)
	}
}

// TestValidJSONDepth: validJSON bounds nesting as encoding/json does, to
// the level, whichever containers nest and whatever the innermost value
// is; deep texts that are cut short or badly closed are refused by both.
func TestValidJSONDepth(t *testing.T) {
	for _, depth := range []int{1, 63, 64, 65, 100, 9998, 9999, 10000, 10001, 20000} {
		for _, inner := range []string{"", "1", `{}`, `{"a":[]}`, `[`, `]`} {
			for _, obj := range []bool{false, true} {
				open, end := "[", "]"
				if obj {
					open, end = `{"k":[`, "]}"
				}
				for _, cut := range []int{0, 1} {
					doc := []byte(strings.Repeat(open, depth) + inner + strings.Repeat(end, depth-cut))
					if got, want := validJSON(doc), json.Valid(doc); got != want {
						t.Fatalf("depth %d, inner %q, objects %v, cut %d: validJSON = %v, json.Valid = %v", depth, inner, obj, cut, got, want)
					}
				}
			}
		}
	}
}

// TestValidJSONOracleOld: the secret search first validated with
// jsontext.SkipValue; the present validator agrees with it wherever that
// one agreed with json.Valid (below encoding/json's nesting bound).
func TestValidJSONOracleOld(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 5))
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		randomJSONish(r, &b, 0)
		doc := mutate(r, []byte(b.String()))
		end, err := jsontext.SkipValue(doc, jsontext.SkipSpace(doc, 0), maxNesting-1)
		old := err == nil && jsontext.SkipSpace(doc, end) == len(doc)
		if got := validJSON(doc); got != old {
			t.Fatalf("validJSON(%q) = %v, the jsontext validator %v", doc, got, old)
		}
	}
}

// FuzzValidJSON: validJSON and json.Valid agree on any input.
func FuzzValidJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}]}`, ` "x\u00e9" `, `[1,]`, `{"a" 1}`, "\"\x01\"", `-01`, `[[[]]]`, `tru`, "\"\xff\"", `{"a":1,}`, `[1 2]`, `"\u00"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if got, want := validJSON(doc), json.Valid(doc); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid = %v", doc, got, want)
		}
	})
}

func BenchmarkValidJSON(b *testing.B) {
	doc := []byte(benchDoc)
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			json.Valid(doc)
		}
	})
	b.Run("jsontext", func(b *testing.B) {
		for b.Loop() {
			end, err := jsontext.SkipValue(doc, jsontext.SkipSpace(doc, 0), maxNesting-1)
			_ = err == nil && jsontext.SkipSpace(doc, end) == len(doc)
		}
	})
	b.Run("validJSON", func(b *testing.B) {
		for b.Loop() {
			validJSON(doc)
		}
	})
}
