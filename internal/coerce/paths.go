package coerce

import (
	"net/netip"
	"net/url"
	"path"
	"strconv"
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

// asFolded reads a path as a case-insensitive file system (Windows,
// macOS) names the file: lower case, each name without trailing dots and
// spaces (Windows drops them: "secret." and "secret " are "secret").
var asFolded = &Coercion{"the file it names on a case-insensitive file system", "Windows and macOS file servers", toFolded}

// toFolded reads a path as asFolded does, where that differs from it.
func toFolded(v any) (any, bool) {
	s, ok := v.(string)
	if !ok || !strings.ContainsAny(s, `/\`) {
		return nil, false
	}
	if _, isURL := resolveURL(s); isURL {
		return nil, false
	}
	segs := strings.Split(resolvePath(s), "/")
	for i, seg := range segs {
		if t := strings.TrimRight(seg, ". "); t != "" {
			segs[i] = t
		}
	}
	r := strings.ToLower(path.Clean(strings.Join(segs, "/")))
	return r, r != s
}

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
// WHATWG URL parser and the server it reaches resolve it: the scheme and
// host lower-cased, the host without a trailing dot and as the address it
// names (resolveHost), userinfo dropped, backslashes in the path as
// slashes, its escapes decoded and its dot-segments resolved (a trailing
// slash kept), the query kept, the fragment dropped.
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
	host := resolveHost(u.Hostname())
	if p := u.Port(); p != "" {
		host += ":" + p
	}
	p := u.Path // percent-decoded, as the server reads it
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

// resolveHost reads a URL's host as the address a client connects to:
// lower case, without a trailing dot, an IPv4 address in any form the
// WHATWG parser reads (2852039166, 0xa9.0xfe.0xa9.0xfe, 0251.254.43518)
// and an IPv4-mapped IPv6 one ([::ffff:a9fe:a9fe]) as dotted decimal.
func resolveHost(h string) string {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if a, ok := parseIPv4(h); ok {
		return a.String()
	}
	if a, err := netip.ParseAddr(h); err == nil && a.Is4In6() {
		return a.Unmap().String()
	}
	return h
}

// parseIPv4 reads h as the WHATWG URL parser reads an IPv4 host: one to
// four parts, each decimal, octal (a leading 0) or hexadecimal (0x), the
// last filling the bytes left.
func parseIPv4(h string) (netip.Addr, bool) {
	parts := strings.Split(h, ".")
	if len(parts) > 4 || h == "" {
		return netip.Addr{}, false
	}
	var nums []uint64
	for _, p := range parts {
		n, ok := ipv4Part(p)
		if !ok {
			return netip.Addr{}, false
		}
		nums = append(nums, n)
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, false
	}
	v := last
	for i, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, false
		}
		v |= n << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// ipv4Part reads one part of an IPv4 host.
func ipv4Part(p string) (uint64, bool) {
	base := 10
	switch {
	case len(p) > 1 && (strings.HasPrefix(p, "0x") || strings.HasPrefix(p, "0X")):
		base, p = 16, p[2:]
		if p == "" {
			return 0, true
		}
	case len(p) > 1 && p[0] == '0':
		base, p = 8, p[1:]
	case p == "":
		return 0, false
	}
	n, err := strconv.ParseUint(p, base, 64)
	return n, err == nil && n <= 1<<32
}
