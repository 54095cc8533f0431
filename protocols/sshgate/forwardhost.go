package sshgate

import (
	"errors"
	"net/netip"
	"path"
	"strconv"
	"strings"
)

// errForwardHost refuses a forward target the gateway cannot put in one
// canonical spelling.
var errForwardHost = errors.New("airlock: the forward's host is not an IP address or a host name")

// canonicalHost returns the one spelling of a forward's host that rules
// see and the upstream connects to. The upstream's resolver reads every
// inet_aton spelling of an IPv4 address (127.1, 2130706433, 0x7f.0.0.1,
// 0177.0.0.1), IPv4-mapped IPv6 (::ffff:127.0.0.1), names in any case and
// with a trailing dot, so a rule on "127.0.0.1" or "localhost" would
// otherwise be walked around. An address is written as netip writes it;
// the unspecified addresses (0.0.0.0, ::), which connect to this host,
// become the loopback of their family; a name is lower-cased without its
// final dot, and must be made of letters, digits, '-', '_' and '.'.
func canonicalHost(h string) (string, error) {
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if strings.Contains(h, ":") {
		a, err := netip.ParseAddr(h)
		if err != nil {
			return "", errForwardHost
		}
		return canonicalAddr(a.Unmap()), nil
	}
	if a, ok := parseInetAton(h); ok {
		return canonicalAddr(a), nil
	}
	name := strings.ToLower(strings.TrimSuffix(h, "."))
	if !hostName(name) {
		return "", errForwardHost
	}
	return name, nil
}

// canonicalAddr writes a without a zone, the unspecified address as its
// family's loopback.
func canonicalAddr(a netip.Addr) string {
	switch {
	case a.Is4() && a.IsUnspecified():
		return "127.0.0.1"
	case a.IsUnspecified():
		return "::1"
	}
	return a.WithZone("").String()
}

// hostName reports whether s is a DNS name: labels of 1 to 63 letters,
// digits, '-' or '_', at most 253 bytes in all.
func hostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// parseInetAton reads an IPv4 address as glibc's inet_aton does: one to
// four parts, each decimal, octal (leading 0) or hexadecimal (0x); the
// last part fills the remaining bytes.
func parseInetAton(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var vals []uint64
	for _, p := range parts {
		base, digits := 10, p
		switch {
		case len(p) > 1 && (p[:2] == "0x" || p[:2] == "0X"):
			base, digits = 16, p[2:]
			if digits == "" {
				digits = "0" // glibc reads "0x" as 0
			}
		case len(p) > 1 && p[0] == '0':
			base, digits = 8, p[1:]
		}
		if digits == "" || strings.ContainsAny(digits, "+-_ ") {
			return netip.Addr{}, false
		}
		v, err := strconv.ParseUint(digits, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		vals = append(vals, v)
	}
	var out uint64
	for i, v := range vals[:len(vals)-1] {
		if v > 0xff {
			return netip.Addr{}, false
		}
		out |= v << (24 - 8*i)
	}
	last, room := vals[len(vals)-1], uint(32-8*(len(vals)-1))
	if last >= 1<<room {
		return netip.Addr{}, false
	}
	out |= last
	return netip.AddrFrom4([4]byte{byte(out >> 24), byte(out >> 16), byte(out >> 8), byte(out)}), true
}

// canonicalSocket is a Unix socket path cleaned as the kernel reads it
// (// and /./ collapsed, .. removed lexically); a relative path is refused.
func canonicalSocket(p string) (string, error) {
	if !strings.HasPrefix(p, "/") || strings.ContainsRune(p, 0) {
		return "", errors.New("airlock: the forward's socket path is not absolute")
	}
	return path.Clean(p), nil
}
