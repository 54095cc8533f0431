package httpgate

import (
	"math/rand/v2"
	"mime"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The per-request fast paths keep the result of the library calls they
// stand in for; these tests compare them over random inputs built from
// the pieces that matter (case, spaces, parameters, Unicode letters that
// fold to ASCII ones).

// isEventStreamRef is what streamMode did before the fast path.
func isEventStreamRef(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "text/event-stream"
}

// contentTypeParts are the pieces random Content-Types are made of.
var contentTypeParts = []string{
	"text/event-stream", "TEXT/Event-Stream", "text/event-ſtream", "text/event-\u212Aream", "tExt/evEnt-streaM",
	"application/json", "text/plain", "text/", "/", "event-stream", " ", "\t", "\u00a0", ";", "; charset=utf-8",
	";charset=\"utf-8\"", "; a=b; a=c", "=", "\"", ",", "x", "İ", "ı", "\x00", "\xff",
}

func randomContentType(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(5) {
		b.WriteString(contentTypeParts[r.IntN(len(contentTypeParts))])
	}
	return b.String()
}

func TestIsEventStreamMatchesParseMediaType(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 19))
	seen := 0
	for range 200000 {
		ct := randomContentType(r)
		got, want := isEventStream(ct), isEventStreamRef(ct)
		if got != want {
			t.Fatalf("isEventStream(%q) = %v, mime.ParseMediaType says %v", ct, got, want)
		}
		if want {
			seen++
		}
	}
	if seen == 0 {
		t.Fatal("no event stream among the random Content-Types: the test compares nothing")
	}
}

func FuzzIsEventStream(f *testing.F) {
	for _, s := range []string{"text/event-stream", " Text/Event-Stream ; charset=utf-8", "text/event-ſtream", "text/event-stream;", "text/event-stream; a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ct string) {
		if got, want := isEventStream(ct), isEventStreamRef(ct); got != want {
			t.Fatalf("isEventStream(%q) = %v, mime.ParseMediaType says %v", ct, got, want)
		}
	})
}

func TestLowerNameIsToLower(t *testing.T) {
	names := append([]string{"", "X_Y", "İstanbul", "\u212Aelvin", "ACCEPT", "accept"}, commonHeaders...)
	r := rand.New(rand.NewPCG(2, 19))
	for range 10000 {
		names = append(names, http.CanonicalHeaderKey(randomContentType(r)))
	}
	for _, n := range names {
		if got, want := lowerName(n), strings.ToLower(n); got != want {
			t.Fatalf("lowerName(%q) = %q, want %q", n, got, want)
		}
	}
}

func TestCanonicalKeysAreHeaderKeys(t *testing.T) {
	names := []string{"authorization", "X-API-KEY", "x-amz-security-token", "bad name", "X_Under", "", "İ"}
	for i, k := range canonicalKeys(names) {
		h := http.Header{}
		h.Set(names[i], "v")
		if h[k] == nil {
			t.Errorf("canonicalKeys(%q) = %q, not the key Header.Set uses", names[i], k)
		}
	}
}

func TestParseMediaTypeMatchesMime(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 19))
	plain := 0
	cts := []string{"application/json", "text/plain", "a/b", "/", "a/", "/b", "a/b/c", "Application/json", "application/vnd.api+json"}
	for range 100000 {
		cts = append(cts, randomContentType(r))
	}
	for _, ct := range cts {
		mt, params, err := parseMediaType(ct)
		wmt, wparams, werr := mime.ParseMediaType(ct)
		if (err == nil) != (werr == nil) || err == nil && (mt != wmt || len(params) != len(wparams)) {
			t.Fatalf("parseMediaType(%q) = %q %v %v, mime says %q %v %v", ct, mt, params, err, wmt, wparams, werr)
		}
		for k, v := range wparams {
			if params[k] != v {
				t.Fatalf("parseMediaType(%q): %s=%q, mime says %q", ct, k, params[k], v)
			}
		}
		if err != nil {
			continue
		}
		if plainMediaType(ct) {
			plain++
		}
		got, gerr := utf8ContentType(mt, params)
		wparams["charset"] = "utf-8"
		want := mime.FormatMediaType(wmt, wparams)
		if (gerr == nil) != (want != "") || gerr == nil && got != want {
			t.Fatalf("utf8ContentType(%q, %v) = %q %v, mime says %q", mt, params, got, gerr, want)
		}
	}
	if plain == 0 {
		t.Fatal("no plain media type among the inputs: the fast path is not compared")
	}
}

// TestOverrideHeadersCanonical: buildModel looks the override headers up
// as keys of http.Header, which holds canonical names only.
func TestOverrideHeadersCanonical(t *testing.T) {
	for _, h := range append(slices.Clone(overrideHeaders), pathOverrideHeaders...) {
		if c := textproto.CanonicalMIMEHeaderKey(h); c != h {
			t.Errorf("%q is not canonical (%q): buildModel would never find it", h, c)
		}
	}
}

// TestHeaderLiteralsCanonical: the gateway looks header fields up by
// indexing http.Header (and with headerValue, delete) under literal
// names, which find a field only when written in canonical form; a name
// spelt otherwise would never match, and a check on it would pass
// everything. Every such literal in the package's source is canonical.
func TestHeaderLiteralsCanonical(t *testing.T) {
	if c := textproto.CanonicalMIMEHeaderKey(RunHeader); c != RunHeader {
		t.Errorf("RunHeader %q is not canonical (%q)", RunHeader, c)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	uses := []*regexp.Regexp{
		regexp.MustCompile(`\[("[A-Z][^"]*")\]`),                // h["Content-Type"]
		regexp.MustCompile(`headerValue\([^,()]+, ("[^"]*")\)`), // headerValue(h, "Content-Type")
		regexp.MustCompile(`delete\([^,()]+, ("[^"]*")\)`),      // delete(h, "Content-Type")
	}
	seen := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range uses {
			for _, m := range re.FindAllSubmatch(src, -1) {
				name, err := strconv.Unquote(string(m[1]))
				if err != nil {
					t.Fatal(err)
				}
				seen++
				if c := textproto.CanonicalMIMEHeaderKey(name); c != name {
					t.Errorf("%s: header name %q is not canonical (%q): %s", f, name, c, m[0])
				}
			}
		}
	}
	if seen < 20 {
		t.Fatalf("only %d header literals found: the patterns no longer match the source", seen)
	}
}
