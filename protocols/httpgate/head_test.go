package httpgate

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"
)

// renderHeadRef is how the record's head was rendered before appendHead:
// fmt and Header.WriteSubset.
func renderHeadRef(status int, h http.Header) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	_ = h.WriteSubset(&b, map[string]bool{"Set-Cookie": true})
	for _, c := range h.Values("Set-Cookie") {
		name, _, _ := strings.Cut(c, "=")
		fmt.Fprintf(&b, "Set-Cookie: %s=[REDACTED]\r\n", strings.TrimSpace(name))
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

var (
	headNames = []string{"Content-Type", "Content-Length", "Set-Cookie", "set-cookie", "X-A", "X-B", "x-a", "Link",
		"Bad Name", "Bad:Name", "", "X_Under", "Ümlaut", "A1-2", "-", "Trailer", "Www-Authenticate"}
	headValueParts = []string{"text/html", "a=b", " ", "\t", "\r", "\n", "\r\n ", "sid=1; Path=/", "=", "x", "é", "\x00", "\x7f", "\v", "\f", "\u00a0", "\u0085", ";", ",", "ann@example.com"}
)

func randomHeader(r *rand.Rand) http.Header {
	h := http.Header{}
	for range r.IntN(8) {
		k := headNames[r.IntN(len(headNames))]
		for range 1 + r.IntN(3) {
			var v strings.Builder
			for range r.IntN(5) {
				v.WriteString(headValueParts[r.IntN(len(headValueParts))])
			}
			h[k] = append(h[k], v.String())
		}
	}
	return h
}

func TestAppendHeadMatchesWriteSubset(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 19))
	statuses := []int{100, 103, 200, 204, 206, 301, 404, 502, 599, 999}
	n := 50000
	if raceEnabled {
		// Pure computation, no goroutines: the race detector adds
		// nothing but time (20 s under -race for 50000).
		n = 5000
	}
	for i := range n {
		status, h := statuses[r.IntN(len(statuses))], randomHeader(r)
		want := renderHeadRef(status, h)
		prefix := []byte(nil)
		if i%2 == 1 {
			prefix = []byte("HTTP/1.1 103 Early Hints\r\n\r\n")
		}
		got := appendHead(bytes.Clone(prefix), status, h)
		if !bytes.Equal(got, append(prefix, want...)) {
			t.Fatalf("status %d header %q:\n got %q\nwant %q", status, h, got, want)
		}
	}
}

func BenchmarkAppendHead(b *testing.B) {
	h := http.Header{"Content-Type": {"application/json"}, "Content-Length": {"921"}, "Date": {"Fri, 04 Dec 2026 08:44:18 GMT"}}
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		buf = appendHead(buf[:0], 200, h)
	}
}

// appendFieldValueOld is appendFieldValue as it was before values were
// appended whole: trimmed with strings.Trim, copied byte by byte.
func appendFieldValueOld(b []byte, v string) []byte {
	v = strings.Trim(v, " \t\r\n")
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '\r' || c == '\n' {
			b = append(b, ' ')
		} else {
			b = append(b, c)
		}
	}
	return b
}

// TestAppendFieldValueAgreesWithOld: appendFieldValue appends what its
// old form did, after any prefix, for every byte value at every position
// of values among fill bytes (spaces, CR, LF, tabs and others at both
// ends), and for random values of such bytes and of headValueParts.
func TestAppendFieldValueAgreesWithOld(t *testing.T) {
	check := func(prefix []byte, v string) {
		t.Helper()
		got := appendFieldValue(bytes.Clone(prefix), v)
		want := appendFieldValueOld(bytes.Clone(prefix), v)
		if !bytes.Equal(got, want) {
			t.Fatalf("appendFieldValue(%q, %q) = %q, old %q", prefix, v, got, want)
		}
	}
	fills := []byte{' ', '\t', '\r', '\n', '\v', '\f', 0, 'a', 0x80, 0xc2, 0xa0, 0x85}
	for _, fill := range fills {
		for n := 0; n <= 20; n++ {
			for pos := 0; pos < n; pos++ {
				for c := 0; c < 256; c++ {
					v := bytes.Repeat([]byte{fill}, n)
					v[pos] = byte(c)
					check(nil, string(v))
					check([]byte("X: \r\n"), string(v))
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(5, 41))
	for range 20000 {
		var v strings.Builder
		for range r.IntN(12) {
			if r.IntN(2) == 0 {
				v.WriteByte(fills[r.IntN(len(fills))])
			} else {
				v.WriteString(headValueParts[r.IntN(len(headValueParts))])
			}
		}
		check([]byte("k: "), v.String())
	}
}

// TestAppendFieldValueManyLineBreaks: a value made mostly of CR and LF is
// read once, not from its start again after each one (a megabyte of them
// read again per break would take minutes; once, a millisecond).
func TestAppendFieldValueManyLineBreaks(t *testing.T) {
	v := "a" + strings.Repeat("\r\n", 1<<19) + "z"
	start := time.Now()
	got := appendFieldValue(nil, v)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("appendFieldValue took %v on %d line breaks", d, 1<<20)
	}
	if want := "a" + strings.Repeat(" ", 1<<20) + "z"; string(got) != want {
		t.Fatal("line breaks not spaced out")
	}
}
