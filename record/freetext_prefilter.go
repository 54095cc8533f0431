package record

import "bytes"

// Trigger classes of freeText.mayHold: what a byte may start.
const (
	trigSep    = 1 << iota // '=' or ':': an assignment (or "://")
	trigDash               // '-': "-----BEGIN ", "--name"
	trigFold               // b, p, i in either case: bearer, basic, password, identified by
	trigProg               // m, s: mysql, mariadb, sshpass
	trigToken              // the first byte of a token shape's prefix, or of eyJ
)

// triggers maps each byte to the rules that may find something starting
// at it.
var triggers = func() (t [256]uint8) {
	t['='] |= trigSep
	t[':'] |= trigSep
	t['-'] |= trigDash
	for _, c := range "bBpPiI" {
		t[c] |= trigFold
	}
	t['m'] |= trigProg
	t['s'] |= trigProg
	for _, s := range tokenShapes {
		t[s.prefix[0]] |= trigToken
	}
	t['e'] |= trigToken
	return t
}()

// leadPairs holds the first two bytes of every trigger but the
// separators: "--", the keywords in every case, the program names, the
// token prefixes and eyJ. Few positions of a text pass it.
var leadPairs = func() (m [1 << 16 / 64]uint64) {
	add := func(a, b byte) {
		pair := uint16(a) | uint16(b)<<8
		m[pair/64] |= 1 << (pair % 64)
	}
	exact := []string{"--", "mysql", "mariadb", "sshpass", "eyJ"}
	for _, s := range tokenShapes {
		exact = append(exact, s.prefix)
	}
	for _, w := range exact {
		add(w[0], w[1])
	}
	for _, w := range []string{"bearer ", "basic ", "password", "identified by"} {
		for _, a := range []byte{w[0], w[0] - 'a' + 'A'} {
			for _, b := range []byte{w[1], w[1] - 'a' + 'A'} {
				add(a, b)
			}
		}
	}
	return m
}()

// isLeadPair reports whether a, b start a trigger of leadPairs.
func isLeadPair(a, b byte) bool {
	pair := uint16(a) | uint16(b)<<8
	return leadPairs[pair/64]&(1<<(pair%64)) != 0
}

// mayHold reports whether scanLower may find a secret in t: false proves
// that it finds none. Every rule of scanLower finds a value only at one of
// its triggers (a separator the assignment rule accepts, "://", a token
// prefix, eyJ, "-----BEGIN ", a long option named like a secret, a keyword
// in any case, a program name), and mayHold looks for exactly those, in
// one pass and without lower-casing t. It is a prefilter: when it reports
// true, the full scan runs and decides.
func (f freeText) mayHold(t []byte) bool {
	for p := 0; p < len(t); p++ {
		k := triggers[t[p]]
		if k == 0 {
			continue
		}
		rest := t[p:]
		if k&trigSep != 0 {
			if t[p] == ':' && bytes.HasPrefix(rest, []byte("://")) {
				return true // scanUserinfo
			}
			if f.names != nil {
				if _, ok := f.assigned(t, p); ok {
					return true
				}
			}
			continue
		}
		if len(rest) < 2 || !isLeadPair(rest[0], rest[1]) {
			continue // every other trigger is two bytes long at least
		}
		if k&trigDash != 0 && (bytes.HasPrefix(rest, []byte("-----BEGIN ")) || f.names != nil && f.longFlagAt(t, p+2)) {
			return true
		}
		if k&trigFold != 0 {
			for _, kw := range [...]string{"bearer ", "basic ", "password", "identified by"} {
				if len(rest) >= len(kw) && equalFoldASCII(rest[:len(kw)], kw) {
					return true
				}
			}
		}
		if k&trigProg != 0 && (bytes.HasPrefix(rest, []byte("mysql")) || bytes.HasPrefix(rest, []byte("mariadb")) ||
			bytes.HasPrefix(rest, []byte("sshpass"))) {
			return true
		}
		if k&trigToken != 0 {
			if bytes.HasPrefix(rest, []byte("eyJ")) {
				return true
			}
			if startsWord(t, p) {
				for _, s := range shapesByLead[t[p]] {
					if bytes.HasPrefix(rest, []byte(s.prefix)) {
						return true
					}
				}
			}
		}
	}
	return false
}

// longFlagAt reports whether scanLongFlags takes the option whose name
// starts at t[p], just after "--".
func (f freeText) longFlagAt(t []byte, p int) bool {
	j := p
	for j < len(t) && isNameByte(t[j]) {
		j++
	}
	return !(j == p || j+1 >= len(t) || t[j] != ' ' || t[j+1] == '-' || !f.filter.mayMatch(t[p:j]) || !f.names.Match(string(t[p:j])))
}

// equalFoldASCII reports whether b equals the lower-case ASCII word kw in
// any case.
func equalFoldASCII(b []byte, kw string) bool {
	for i := range len(kw) {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != kw[i] {
			return false
		}
	}
	return true
}
