package mask

import "bytes"

// emailDetector finds e-mail addresses from their '@': a local part of 1
// to 64 characters [A-Za-z0-9._%+-] not starting with '.', and a domain of
// at most 255 characters with two or more labels of letters, digits and
// '-', the last one alphabetic and at least two long.
type emailDetector struct{}

const (
	maxEmailLocal  = 64
	maxEmailDomain = 255
)

func (emailDetector) maxLen() int { return maxEmailLocal + maxEmailDomain + 3 }

func (emailDetector) find(s *scan, id int, out []span) []span {
	t := s.t
	for i := 0; i < len(t); {
		k := bytes.IndexByte(t[i:], '@')
		if k < 0 {
			break
		}
		at := i + k
		i = at + 1
		a := at
		for a > 0 && is(t[a-1], clEmailL) {
			a--
			if at-a > maxEmailLocal {
				break
			}
		}
		if at-a > maxEmailLocal {
			continue
		}
		for a < at && t[a] == '.' {
			a++
		}
		if a == at {
			continue
		}
		b := emailDomainEnd(t, at+1)
		if b < 0 {
			continue
		}
		out = append(out, span{start: a, end: b, det: id})
	}
	return out
}

// emailDomainEnd validates the domain starting at i and returns its end.
func emailDomainEnd(t []byte, i int) int {
	b := i
	for b < len(t) && is(t[b], clEmailD) {
		b++
		if b-i > maxEmailDomain {
			return -1
		}
	}
	for b > i && (t[b-1] == '.' || t[b-1] == '-') {
		b--
	}
	labels := 0
	lastAlpha := false
	for j := i; j < b; {
		e := j
		for e < b && t[e] != '.' {
			e++
		}
		l := t[j:e]
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return -1
		}
		labels++
		lastAlpha = len(l) >= 2
		for _, c := range l {
			if !is(c, clUpper|clLower) {
				lastAlpha = false
				break
			}
		}
		j = e + 1
	}
	if labels < 2 || !lastAlpha {
		return -1
	}
	return b
}
