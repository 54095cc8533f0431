package httpgate

import (
	"bytes"

	"github.com/airlock-sdk/airlock/mask"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func FuzzNormalizePath(f *testing.F) {
	for _, s := range []string{"/", "/api/../admin", "/api/%2e%2e/admin", "//admin", "/a/./b/", "/%252e", "/a;b", "/a\\b", "/..", "/%2F", "/a/b/..", "/é/%C3%A9", "/%ff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := NormalizePath(in)
		if err != nil {
			return
		}
		if !strings.HasPrefix(p, "/") || strings.Contains(p, "//") || strings.ContainsAny(p, ";\\") {
			t.Fatalf("NormalizePath(%q) = %q", in, p)
		}
		for _, seg := range strings.Split(p, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("NormalizePath(%q) = %q keeps a dot-segment", in, p)
			}
		}
		// What is forwarded is the canonical path escaped; it must
		// normalise to itself.
		again, err := NormalizePath((&url.URL{Path: p}).EscapedPath())
		if err != nil || again != p {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", in, p, again, err)
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":1,"a":2}`, `{"a":1,"A":2}`, `[1,2.5,"x",null,true]`, `{"a":{"b":[{}]}}`, `1e400`, `"\ud800"`, `{"\u0061":1,"a":2}`, "{\"a\":\"\xff\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseJSON(data)
		if err != nil {
			return
		}
		checkKeys(t, v)
		_ = reflect.TypeOf(v)
	})
}

// checkKeys asserts that no object holds two keys equal under case folding.
func checkKeys(t *testing.T, v any) {
	switch x := v.(type) {
	case map[string]any:
		seen := map[string]bool{}
		for k, e := range x {
			if seen[strings.ToLower(k)] {
				t.Fatalf("duplicate key %q accepted", k)
			}
			seen[strings.ToLower(k)] = true
			checkKeys(t, e)
		}
	case []any:
		for _, e := range x {
			checkKeys(t, e)
		}
	}
}

// FuzzSSEMasker checks that the SSE masker's output does not depend on how
// the upstream split the stream, and that no event it sends still holds a
// match.
func FuzzSSEMasker(f *testing.F) {
	eng, err := mask.New(mask.Config{})
	if err != nil {
		f.Fatal(err)
	}
	p, err := eng.Policy([]string{"credit_card"})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"data: 4111 1111 1111 1111\n\n", "data: 4111 1111\n\ndata: 1111 1111\n\n", "event: x\r\ndata: a\r\n\r\n", "data: 4111\ndata: 1111 1111 1111\n\n"} {
		f.Add([]byte(s), uint16(5))
	}
	run := func(chunks ...[]byte) (string, error) {
		var out bytes.Buffer
		m := &sseMasker{p: p, max: 1 << 20}
		m.start(&out)
		for _, c := range chunks {
			if _, err := m.Write(c); err != nil {
				return "", err
			}
		}
		err := m.Close()
		return out.String(), err
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		whole, err1 := run(data)
		at := int(cut) % (len(data) + 1)
		split, err2 := run(data[:at], data[at:])
		if (err1 == nil) != (err2 == nil) || whole != split {
			t.Fatalf("split at %d changes the output:\n%q\n%q", at, whole, split)
		}
		// Masking what was sent again changes nothing in any event.
		if err1 == nil {
			for _, ev := range strings.SplitAfter(whole, "\n\n") {
				if again, _, _ := p.Value("", ev); again != ev {
					t.Fatalf("event still holds a match: %q -> %q", ev, again)
				}
			}
		}
	})
}
