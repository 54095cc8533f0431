package mcpgate

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/airlock-sdk/airlock/gate"
)

// A resource read through a template is judged by its URI as spelt, and
// uriSpelling refuses the spellings RFC 3986 and path cleaning equate. A
// file server on a case-insensitive file system (Windows, macOS) also
// serves files:///data/SECRET as files:///data/secret, Windows drops the
// trailing dots of a name (files:///data/secret.), macOS matches names in
// any Unicode normalisation (café composed or with a combining accent),
// and every server unescapes files:///data/caf%C3%A9 to café: the one file
// under a rule written on one spelling. So a template read is also
// judged, without recording, under those readings of its URI, and refused
// as rule "mcp/uri-spelling" when one of them is held, denied or masked
// by a rule where the URI as sent is not. A reading only the default
// denies does not count.

// uriReadings returns the other spellings of uri a forgiving file server
// serves as the same resource: its non-ASCII characters escaped or not,
// composed or decomposed (NFC, NFD), in lower case, without the trailing
// dots of its path segments, and their combinations.
func uriReadings(uri string) []string {
	set := []string{uri}
	grow := func(f func(string) string) {
		for _, u := range slices.Clone(set) {
			if v := f(u); !slices.Contains(set, v) {
				set = append(set, v)
			}
		}
	}
	grow(unescapeWide)
	grow(norm.NFC.String)
	grow(norm.NFD.String)
	grow(strings.ToLower)
	grow(trimDots)
	grow(escapeWide)
	return set[1:]
}

// unescapeWide decodes the percent-escapes of bytes above ASCII in uri,
// when what they decode to is UTF-8; otherwise it returns uri.
func unescapeWide(uri string) string {
	if !strings.Contains(uri, "%") {
		return uri
	}
	var b strings.Builder
	for i := 0; i < len(uri); i++ {
		if uri[i] == '%' && i+2 < len(uri) {
			if c, err := strconv.ParseUint(uri[i+1:i+3], 16, 8); err == nil && c >= 0x80 {
				b.WriteByte(byte(c))
				i += 2
				continue
			}
		}
		b.WriteByte(uri[i])
	}
	if !utf8.ValidString(b.String()) {
		return uri
	}
	return b.String()
}

// escapeWide percent-escapes the bytes above ASCII in uri.
func escapeWide(uri string) string {
	var b strings.Builder
	for i := 0; i < len(uri); i++ {
		if c := uri[i]; c >= 0x80 {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// trimDots drops the trailing dots of the path segments of uri (not of
// its query).
func trimDots(uri string) string {
	path, query, hasQuery := strings.Cut(uri, "?")
	segs := strings.Split(path, "/")
	for i := 1; i < len(segs); i++ {
		if t := strings.TrimRight(segs[i], "."); t != "" {
			segs[i] = t
		}
	}
	out := strings.Join(segs, "/")
	if hasQuery {
		out += "?" + query
	}
	return out
}

// uriReadingRefused returns why a read of uri must be refused because a
// reading of it is judged more strictly than uri itself, or "".
func (s *session) uriReadingRefused(ctx context.Context, uri string) string {
	rs := s.conn.Rules()
	if rs == nil {
		return ""
	}
	now := time.Now().UTC()
	judge := func(u string) *gate.Decision {
		req := resourceRequest(s.gs, u)
		req.Time = now
		return rs.Decide(ctx, req)
	}
	base := judge(uri)
	if base.Action == gate.Deny {
		return "" // refused anyway
	}
	for _, alt := range uriReadings(uri) {
		switch m, ok := judge(alt).GuardsMoreThan(base); {
		case ok && m == "":
			return "a file server may serve it as " + display(alt) + ", which the rules judge more strictly"
		case ok:
			return "a file server may serve it as " + display(alt) + ", whose contents the rules mask"
		}
	}
	return ""
}
