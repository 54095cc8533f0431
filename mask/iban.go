package mask

// ibanDetector finds International Bank Account Numbers: a country code
// with its registered length, two check digits and the BBAN, contiguous or
// in groups of four separated by single spaces, validated by ISO 7064
// mod 97-10.
type ibanDetector struct{}

func (ibanDetector) maxLen() int { return looseMaxLen } // the loose scanner (loose.go) bounds every candidate

// ibanLengths maps country codes to IBAN lengths (SWIFT IBAN registry).
var ibanLengths = map[[2]byte]int{}

func init() {
	for _, e := range []struct {
		cc string
		n  int
	}{
		{"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
		{"BG", 22}, {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22},
		{"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20},
		{"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22},
		{"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28},
		{"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30},
		{"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21},
		{"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20}, {"MR", 27},
		{"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24},
		{"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33},
		{"SA", 24}, {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27},
		{"SO", 23}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29},
		{"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
	} {
		ibanLengths[[2]byte{e.cc[0], e.cc[1]}] = e.n
	}
}

func (d ibanDetector) find(s *scan, id int, out []span) []span { return findRuns(d, s, id, out) }

func (ibanDetector) onRun(t []byte, start, end, id int, out []span) []span {
	i := start - 2
	if i < 0 || end-start < 2 || !is(t[i], clUpper) || !is(t[i+1], clUpper) || isAlnum(at(t, i-1)) {
		return out
	}
	n, ok := ibanLengths[[2]byte{t[i], t[i+1]}]
	if !ok {
		return out
	}
	var buf [34]byte
	k := 0
	j := i
	for k < n && j < len(t) {
		c := t[j]
		if c == ' ' && k%4 == 0 && k > 0 && j+1 < len(t) && is(t[j+1], clUpper|clDigit) {
			j++
			continue
		}
		if !is(c, clUpper|clDigit) {
			return out
		}
		buf[k] = c
		k++
		j++
	}
	if k != n || isAlnum(at(t, j)) {
		return out
	}
	if ibanValid(buf[:n]) {
		out = append(out, span{start: i, end: j, det: id})
	}
	return out
}

// ibanValid checks the mod 97-10 checksum of a compact, upper-case IBAN.
func ibanValid(b []byte) bool {
	if len(b) < 5 {
		return false
	}
	rem := 0
	add := func(c byte) {
		if c >= 'A' && c <= 'Z' {
			v := int(c-'A') + 10
			rem = (rem*100 + v) % 97
		} else {
			rem = (rem*10 + int(c-'0')) % 97
		}
	}
	for _, c := range b[4:] {
		add(c)
	}
	for _, c := range b[:4] {
		add(c)
	}
	return rem == 1
}
