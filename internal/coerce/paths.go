package coerce

import (
	"net/url"
	"path"
	"strings"
)

// Servers resolve the paths and URLs they are given before they act on
// them: a file server reads /srv/data/public/../secret/keys,
// //srv/data/secret/keys and (on Windows) \srv\data\secret\keys as
// /srv/data/secret/keys, and a fetch tool reads
// HTTP://Metadata.Internal./latest and http://x@metadata.internal/latest
// as http://metadata.internal/latest. A rule on
// path.startsWith("/srv/data/secret") or url.startsWith
// ("http://metadata.internal") sees the string as sent. So a string that
// holds a path (a '/' or '\') or an absolute URL is also judged as it
// resolves (asResolved).

// asResolved reads a path or URL as servers resolve it.
var asResolved = &Coercion{"the path it resolves to", "file servers and URL parsers (dot-segments, '//', '\\\\', host case and userinfo)", toResolved}

// toResolved reads a string as it resolves (see Resolved).
func toResolved(v any) (any, bool) {
	s, ok := v.(string)
	if !ok {
		return nil, false
	}
	return Resolved(s)
}

// Resolved returns s, a path (holding a '/' or '\') or an absolute URL,
// as servers resolve it (see resolvePath and resolveURL), and whether
// that differs from s.
func Resolved(s string) (string, bool) {
	if !strings.ContainsAny(s, `/\`) {
		return "", false
	}
	r, ok := resolveURL(s)
	if !ok {
		r = resolvePath(s)
	}
	return r, r != s
}

// resolvePath cleans a path as a file server resolves it: backslashes as
// slashes, '.' and '..' segments resolved, repeated and trailing slashes
// dropped.
func resolvePath(s string) string {
	return path.Clean(strings.ReplaceAll(s, `\`, "/"))
}

// resolveURL reads s, when it is an absolute URL with a host, as a
// WHATWG URL parser resolves it: the scheme and host lower-cased, the
// host without a trailing dot, userinfo and port kept apart, backslashes
// in the path as slashes and its dot-segments resolved (a trailing slash
// kept), the query kept, the fragment dropped.
func resolveURL(s string) (string, bool) {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || scheme == "" || !isScheme(scheme) {
		return "", false
	}
	rest = strings.ReplaceAll(rest, `\`, "/")
	if !strings.HasPrefix(rest, "//") {
		return "", false
	}
	u, err := url.Parse(strings.ToLower(scheme) + ":" + rest)
	if err != nil || u.Host == "" {
		return "", false
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if p := u.Port(); p != "" {
		host += ":" + p
	}
	p := u.EscapedPath()
	if p != "" {
		clean := path.Clean(p)
		if strings.HasSuffix(p, "/") && clean != "/" {
			clean += "/"
		}
		p = clean
	}
	out := u.Scheme + "://" + host + p
	if u.RawQuery != "" || u.ForceQuery {
		out += "?" + u.RawQuery
	}
	return out, true
}

// isScheme reports whether s is a URL scheme: a letter, then letters,
// digits, '+', '-' and '.'.
func isScheme(s string) bool {
	for i, r := range s {
		switch {
		case 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z':
		case i > 0 && ('0' <= r && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return true
}
