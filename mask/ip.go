package mask

import (
	"bytes"
	"net/netip"
)

// ipv4Detector finds dotted-quad IPv4 addresses: four decimal octets up to
// 255 without leading zeros, not part of a longer dotted number.
type ipv4Detector struct{}

func (ipv4Detector) maxLen() int { return 17 }

func (d ipv4Detector) find(s *scan, id int, out []span) []span { return findRuns(d, s, id, out) }

func (ipv4Detector) onRun(t []byte, start, end, id int, out []span) []span {
	p := at(t, start-1)
	if p == '.' || isAlnum(p) {
		return out
	}
	j := start
	for k := 0; k < 4; k++ {
		e := digitRunEnd(t, j)
		if e == j || e-j > 3 || (e-j > 1 && t[j] == '0') {
			return out
		}
		v := 0
		for _, c := range t[j:e] {
			v = v*10 + int(c-'0')
		}
		if v > 255 {
			return out
		}
		j = e
		if k < 3 {
			if at(t, j) != '.' {
				return out
			}
			j++
		}
	}
	if isAlnum(at(t, j)) || (at(t, j) == '.' && isDigit(at(t, j+1))) {
		return out
	}
	out = append(out, span{start: start, end: j, det: id})
	return out
}

// ipv6Detector finds IPv6 addresses: a run of hex digits, ':' and '.' of
// at most 45 bytes, not glued to letters or digits, that parses as IPv6 and
// has either eight groups or "::" with at least two groups (so "::1",
// "std::" and times like 12:30:45 do not count).
type ipv6Detector struct{}

const maxIPv6Run = 45

func (ipv6Detector) maxLen() int { return maxIPv6Run + 2 }

func isV6Char(c byte) bool { return is(c, clHex) || c == ':' || c == '.' }

func (ipv6Detector) find(s *scan, id int, out []span) []span {
	t := s.t
	done := 0
	for i := 0; i < len(t); {
		k := bytes.IndexByte(t[i:], ':')
		if k < 0 {
			break
		}
		c := i + k
		i = c + 1
		if c < done {
			continue
		}
		a := c
		for a > 0 && isV6Char(t[a-1]) && c-a <= maxIPv6Run {
			a--
		}
		b := c + 1
		for b < len(t) && isV6Char(t[b]) && b-a <= maxIPv6Run {
			b++
		}
		done = b
		if b-a > maxIPv6Run || is(at(t, a-1), clWord) || is(at(t, b), clWord) {
			continue
		}
		// Trailing punctuation of a sentence is not part of the address.
		for b > a && (t[b-1] == '.' || (t[b-1] == ':' && at(t, b-2) != ':')) {
			b--
		}
		for a < b && t[a] == '.' {
			a++
		}
		if v6Shape(t[a:b]) {
			out = append(out, span{start: a, end: b, det: id})
		}
	}
	return out
}

func v6Shape(r []byte) bool {
	colons := bytes.Count(r, []byte{':'})
	if colons < 2 {
		return false
	}
	groups := 0
	for _, g := range bytes.Split(r, []byte{':'}) {
		if len(g) > 0 {
			groups++
		}
	}
	double := bytes.Contains(r, []byte("::"))
	if !(colons == 7 && !double) && !(double && groups >= 2) {
		if !(bytes.IndexByte(r, '.') >= 0 && groups >= 2) {
			return false
		}
	}
	a, err := netip.ParseAddr(string(r))
	return err == nil && a.Is6()
}
