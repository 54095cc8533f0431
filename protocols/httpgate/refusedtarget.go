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
		head, params, ok := strings.Cut(seg, ";")
		b.WriteString(head)
		if ok {
			b.WriteByte(';')
			b.WriteString(gw.redactPairs(params))
		}
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
// everything after the first secret name's '=' redacted.
func (gw *Gateway) redactPairs(s string) string {
	off := 0
	for part := range strings.SplitSeq(s, ";") {
		name, _, hasValue := strings.Cut(part, "=")
		if hasValue && gw.isSecretParam(name) {
			return s[:off+len(name)+1] + redacted
		}
		off += len(part) + 1
	}
	return s
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
