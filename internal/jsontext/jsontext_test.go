package jsontext_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// marshalNoHTML quotes s as an Encoder with SetEscapeHTML(false) does.
func marshalNoHTML(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

var quoteCases = []string{"", "plain", `"\`, "\b\f\n\r\t\x00\x1f\x7f", "<a href='x'>&amp;</a>", "\u2028\u2029", "\xff\xfe", "é✓😀", "a\xe2\x80", "\xed\xa0\x80"}

// Both escaping modes are encoding/json's, byte for byte.
func TestAppendQuoteIsEncodingJSON(t *testing.T) {
	for _, s := range quoteCases {
		want, _ := json.Marshal(s)
		if got := jsontext.AppendQuote(nil, s, true); !bytes.Equal(got, want) {
			t.Errorf("%q html: got %s want %s", s, got, want)
		}
		if got := jsontext.AppendQuote(nil, []byte(s), false); !bytes.Equal(got, marshalNoHTML(s)) {
			t.Errorf("%q no html: got %s want %s", s, got, marshalNoHTML(s))
		}
	}
}

func FuzzAppendQuote(f *testing.F) {
	for _, s := range quoteCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := jsontext.AppendQuote(nil, s, true); !bytes.Equal(got, want) {
			t.Fatalf("%q html: got %s want %s", s, got, want)
		}
		if got := jsontext.AppendQuote(nil, s, false); !bytes.Equal(got, marshalNoHTML(s)) {
			t.Fatalf("%q: got %s want %s", s, got, marshalNoHTML(s))
		}
	})
}

// FuzzReadString checks the string decoder against encoding/json on
// arbitrary string bodies: it accepts what encoding/json accepts, refuses
// what it refuses, and decodes to the same text (where that text is valid
// UTF-8; encoding/json replaces invalid bytes, ReadString keeps them).
func FuzzReadString(f *testing.F) {
	for _, s := range []string{`a\u0026b`, `\"\\\/\b\f\n\r\t`, `\ud83d\ude00`, `\ud83d`, `\ude00x`, `\u00e9\u2028`, `x\u12`, `\x`, "\xff", `\u00ZZ`, "a\nb"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if bytes.IndexByte(raw, '"') >= 0 {
			return // the string would end early
		}
		src := append(append([]byte{'"'}, raw...), '"')
		got, escaped, next, err := jsontext.ReadString(nil, src, 0)
		var want string
		werr := json.Unmarshal(src, &want)
		if (err == nil) != (werr == nil) {
			t.Fatalf("%q: ReadString %v, encoding/json %v", raw, err, werr)
		}
		if err != nil {
			return
		}
		if next != len(src) || escaped != (bytes.IndexByte(raw, '\\') >= 0) {
			t.Fatalf("%q: next %d escaped %v", raw, next, escaped)
		}
		if utf8.Valid(got) && string(got) != want {
			t.Fatalf("%q: got %q want %q", raw, got, want)
		}
	})
}

func TestReadStringErrors(t *testing.T) {
	for _, tc := range []struct {
		src, msg string
		offset   int
	}{
		{`"abc`, "unterminated string", 4},
		{`"a\`, "unterminated string", 3},
		{"\"a\x01\"", "control character in string", 2},
		{`"\q"`, "bad escape", 2},
		{`"\u12"`, `bad \u escape`, 3},
	} {
		_, _, _, err := jsontext.ReadString(nil, []byte(tc.src), 0)
		var se *jsontext.SyntaxError
		if !errors.As(err, &se) || se.Msg != tc.msg || se.Offset != tc.offset {
			t.Errorf("%q: %v, want %s at %d", tc.src, err, tc.msg, tc.offset)
		}
	}
}

// ReadString's result aliases the input without escapes and reuses buf
// with them.
func TestReadStringBuffers(t *testing.T) {
	src := []byte(`"plain" "esc\naped"`)
	s, escaped, next, err := jsontext.ReadString(nil, src, 0)
	if err != nil || escaped || string(s) != "plain" || &s[0] != &src[1] || next != 7 {
		t.Fatalf("%q %v %d %v", s, escaped, next, err)
	}
	buf := make([]byte, 0, 64)
	s, escaped, _, err = jsontext.ReadString(buf, src, 8)
	if err != nil || !escaped || string(s) != "esc\naped" || &s[:1][0] != &buf[:1][0] {
		t.Fatalf("%q %v %v", s, escaped, err)
	}
}

func TestNumberEnd(t *testing.T) {
	for _, ok := range []string{"0", "-0", "12", "1.5", "1e9", "-2.5E-3", "0.0e+1"} {
		if end, err := jsontext.NumberEnd([]byte(ok+","), 0); err != nil || end != len(ok) {
			t.Errorf("%s: %d %v", ok, end, err)
		}
		if !json.Valid([]byte(ok)) {
			t.Errorf("%s is no JSON number", ok)
		}
	}
	for _, bad := range []string{"-", "01x", ".5", "1.", "1e", "1e+", "+1", "x"} {
		end, err := jsontext.NumberEnd([]byte(bad), 0)
		if err == nil && end == len(bad) {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestSkipValue(t *testing.T) {
	for _, v := range []string{`{}`, `[]`, `{"a": [1, "x", {"b": null}], "c": true}`, `"s\"t"`, `-1.5e3`, `false`, `[ 1 , 2 ]`} {
		end, err := jsontext.SkipValue([]byte(v+"  ,"), 0, 10)
		if err != nil || end != len(v) {
			t.Errorf("%s: %d %v", v, end, err)
		}
	}
	for _, v := range []string{`{`, `{"a" 1}`, `{1:2}`, `[1 2]`, `[1,`, `nul`, `"x`, `{"a":-}`} {
		if _, err := jsontext.SkipValue([]byte(v), 0, 10); err == nil {
			t.Errorf("%s accepted", v)
		}
	}
	deep := strings.Repeat("[", 4) + strings.Repeat("]", 4)
	if _, err := jsontext.SkipValue([]byte(deep), 0, 2); !errors.Is(err, jsontext.ErrDepth) {
		t.Errorf("depth 2: %v", err)
	}
	if _, err := jsontext.SkipValue([]byte(deep), 0, 3); err != nil {
		t.Errorf("depth 3: %v", err)
	}
}

// Every byte value at every offset of plain strings of up to 24 bytes
// (three words and the bytes after them) is quoted as encoding/json
// quotes it, in both modes: the word-at-a-time skip of plain bytes never
// passes over a byte to escape.
func TestAppendQuoteEveryByteEveryOffset(t *testing.T) {
	for n := 1; n <= 24; n++ {
		for at := range n {
			for c := range 256 {
				b := []byte(strings.Repeat("a", n))
				b[at] = byte(c)
				s := string(b)
				want, _ := json.Marshal(s)
				if got := jsontext.AppendQuote(nil, s, true); !bytes.Equal(got, want) {
					t.Fatalf("%q html: got %s want %s", s, got, want)
				}
				if got := jsontext.AppendQuote(nil, b, false); !bytes.Equal(got, marshalNoHTML(s)) {
					t.Fatalf("%q: got %s want %s", s, got, marshalNoHTML(s))
				}
			}
		}
	}
}
