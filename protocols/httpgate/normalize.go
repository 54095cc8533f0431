package httpgate

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// refusal is a request that cannot be modelled without ambiguity. It is
// answered before the rules run, with Status and a problem document naming
// Check.
type refusal struct {
	Status int
	Check  string // short name: "path", "method", "query", "body", ...
	Reason string
}

func (r *refusal) Error() string { return "httpgate: " + r.Check + ": " + r.Reason }

func refuse(status int, check, format string, args ...any) *refusal {
	return &refusal{Status: status, Check: check, Reason: fmt.Sprintf(format, args...)}
}

// NormalizePath turns an escaped request path into the canonical path that
// rules see and that is forwarded: percent-decoded once, "." and ".."
// segments resolved, empty segments (duplicate slashes) dropped, a trailing
// slash kept. It refuses what servers interpret differently: encoded '/' or
// '\', a backslash, ';' (path parameters), a '%' that still decodes after
// one round (double encoding), control characters, invalid UTF-8, and ".."
// above the root. The returned path is not lower-cased.
func NormalizePath(escaped string) (string, error) {
	p, r := canonicalPath(escaped)
	if r != nil {
		return "", r
	}
	return p, nil
}

func canonicalPath(escaped string) (string, *refusal) {
	const check = "path"
	if escaped == "" {
		return "/", nil
	}
	if escaped[0] != '/' {
		return "", refuse(400, check, "the path must start with '/'")
	}
	if isCanonical(escaped) {
		return escaped, nil
	}
	var b strings.Builder
	b.Grow(len(escaped))
	for i := 0; i < len(escaped); i++ {
		c := escaped[i]
		switch {
		case c == '%':
			if i+2 >= len(escaped) || !isHex(escaped[i+1]) || !isHex(escaped[i+2]) {
				return "", refuse(400, check, "invalid percent-encoding in the path")
			}
			d := unhex(escaped[i+1])<<4 | unhex(escaped[i+2])
			switch d {
			case '/', '\\':
				return "", refuse(400, check, "an encoded '/' or '\\' in the path is ambiguous")
			case ';':
				return "", refuse(400, check, "path parameters (';') are not accepted")
			}
			if d < 0x20 || d == 0x7f {
				return "", refuse(400, check, "control character in the path")
			}
			b.WriteByte(d)
			i += 2
		case c == '\\':
			return "", refuse(400, check, "a backslash in the path is ambiguous")
		case c == ';':
			return "", refuse(400, check, "path parameters (';') are not accepted")
		case c < 0x20 || c == 0x7f || c == ' ':
			return "", refuse(400, check, "control character or space in the path")
		case c == '?' || c == '#':
			return "", refuse(400, check, "unexpected %q in the path", c)
		default:
			b.WriteByte(c)
		}
	}
	dec := b.String()
	if !utf8.ValidString(dec) {
		return "", refuse(400, check, "the path is not valid UTF-8")
	}
	// A '%' followed by two hex digits after one decoding round means the
	// client encoded twice; a server that decodes again would see another
	// path than the rules did.
	for i := 0; i+2 < len(dec); i++ {
		if dec[i] == '%' && isHex(dec[i+1]) && isHex(dec[i+2]) {
			return "", refuse(400, check, "double percent-encoding in the path")
		}
	}
	segs := strings.Split(dec, "/")[1:]
	out := make([]string, 0, len(segs))
	trailing := false
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case "", ".":
			trailing = last
		case "..":
			if len(out) == 0 {
				return "", refuse(400, check, "the path climbs above the root")
			}
			out = out[:len(out)-1]
			trailing = last
		default:
			out = append(out, s)
			trailing = false
		}
	}
	p := "/" + strings.Join(out, "/")
	if trailing && len(out) > 0 {
		p += "/"
	}
	return p, nil
}

// isCanonical reports whether p, starting with '/', is already canonical:
// plain printable ASCII with no escapes, separators to interpret, empty or
// dot segments. Most requests take this path without allocating.
func isCanonical(p string) bool {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c <= ' ' || c >= 0x7f || c == '%' || c == ';' || c == '\\' || c == '?' || c == '#' {
			return false
		}
		if c == '/' && i+1 < len(p) {
			switch p[i+1] {
			case '/':
				return false
			case '.':
				if rest := p[i+2:]; rest == "" || rest[0] == '/' || rest[0] == '.' && (len(rest) == 1 || rest[1] == '/') {
					return false
				}
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
