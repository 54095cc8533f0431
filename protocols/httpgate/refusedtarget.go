package httpgate

import (
	"strings"
)

// redacted replaces a secret parameter's value in the record of a refused
// request.
const redacted = "[REDACTED]"

// refusedTarget is the request target of a refused request as the record
// keeps it. The request may not parse (a bad escape, a ';' separator, path
// parameters), so it is read leniently, as loosely as any server might:
// in the query, pairs end at '&' and, within them, at ';'; in the path,
// ';' starts parameters. A parameter whose name is a secret name, decoded
// or not, keeps its name but not its value: the value is cut up to the
// next '&' (query) or '/' (path), so that no part of it survives however a
// server would split it.
func (gw *Gateway) refusedTarget(escapedPath, rawQuery string) string {
	var b strings.Builder
	for i, seg := range strings.Split(escapedPath, "/") {
		if i > 0 {
			b.WriteByte('/')
		}
		at, n := indexSep(seg, ";", "%3b")
		if at < 0 {
			b.WriteString(seg)
			continue
		}
		b.WriteString(seg[:at+n])
		b.WriteString(gw.redactPairs(seg[at+n:]))
	}
	if rawQuery != "" {
		b.WriteByte('?')
		for i, pair := range strings.Split(rawQuery, "&") {
			if i > 0 {
				b.WriteByte('&')
			}
			b.WriteString(gw.redactPairs(pair))
		}
	}
	return b.String()
}

// redactPairs returns s, a run of name=value pairs separated by ';', with
// everything after the first secret name's '=' redacted. An escaped ';'
// or '=' (%3B, %3D) separates too: the record redacts more, never less.
func (gw *Gateway) redactPairs(s string) string {
	for off := 0; off < len(s); {
		part := s[off:]
		if end, _ := indexSep(part, ";", "%3b"); end >= 0 {
			part = part[:end]
		}
		if eq, n := indexSep(part, "=", "%3d"); eq >= 0 && gw.isSecretParam(part[:eq]) {
			return s[:off+eq+n] + redacted
		}
		_, n := indexSep(s[off+len(part):], ";", "%3b")
		off += len(part) + max(n, 1)
	}
	return s
}

// indexSep finds the first of the separators sep in s, ASCII
// case-insensitively, and returns its index and length, or -1.
func indexSep(s string, seps ...string) (int, int) {
	for i := range len(s) {
		for _, sep := range seps {
			if len(s)-i >= len(sep) && strings.EqualFold(s[i:i+len(sep)], sep) {
				return i, len(sep)
			}
		}
	}
	return -1, 0
}

// isSecretParam reports whether a raw parameter name is a secret name as
// it stands or decoded leniently, once or more.
func (gw *Gateway) isSecretParam(raw string) bool {
	name := raw
	for range 4 {
		if gw.secretQuery.Match(name) || gw.secretQuery.Match(strings.TrimSpace(name)) {
			return true
		}
		next := lenientUnescape(name)
		if next == name {
			return false
		}
		name = next
	}
	return gw.secretQuery.Match(name)
}

// lenientUnescape decodes '+' and the valid %XX escapes of s and leaves
// anything else as it is.
func lenientUnescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b.WriteByte(' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
