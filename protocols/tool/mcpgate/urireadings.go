package mcpgate

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// A resource read through a template is judged by its URI as spelt, and
// uriSpelling refuses the spellings RFC 3986 and path cleaning equate. A
// file server on a case-insensitive file system (Windows, macOS) also
// serves files:///data/SECRET as files:///data/secret, and Windows drops
// the trailing dots of a name (files:///data/secret.): the one file under
// a rule written on one spelling. So a template read is also judged,
// without recording, under those readings of its URI, and refused as rule
// "mcp/uri-spelling" when one of them is held, denied or masked by a rule
// where the URI as sent is not. A reading only the default denies does
// not count.

// uriReadings returns the other spellings of uri a forgiving file server
// serves as the same resource: in lower case, without the trailing dots
// of its path segments, and both.
func uriReadings(uri string) []string {
	var out []string
	add := func(v string) {
		if v != uri && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	low := strings.ToLower(uri)
	add(low)
	for _, u := range []string{uri, low} {
		add(trimDots(u))
	}
	return out
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
		d := judge(alt)
		if d.Rule != "default" && actionRank(d.Action) > actionRank(base.Action) {
			return "a file server may serve it as " + display(alt) + ", which the rules judge more strictly"
		}
		for _, m := range d.Mask {
			if !slices.Contains(base.Mask, m) {
				return "a file server may serve it as " + display(alt) + ", whose contents the rules mask"
			}
		}
	}
	return ""
}

// actionRank orders actions: deny > review > allow.
func actionRank(a gate.Action) int {
	switch a {
	case gate.Allow:
		return 1
	case gate.Review:
		return 2
	}
	return 3
}
