package record

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// The marks of pairTable, by what a pair of bytes t[p], t[p+1] may start;
// the high four bits of a lead pair's entry are its lead group (see
// leadThirds).
const (
	pairLead     = 1 << iota // a trigger at p (triggerAt)
	pairSep                  // a separator at p+1 after a byte other than '"'
	pairQuoteSep             // ':' at p+1 after '"' (a key of the event's own JSON, but in raw text)
	pairEscapedQ             // \" at p: a separator at p+2 follows an escaped quote
)

// pairTable marks every pair of bytes (t[p] | t[p+1]<<8) a trigger may
// start with: the first two bytes of every trigger but the separators
// ("--", the keywords in every case, the program names, the token
// prefixes, eyJ, and ":/" for "://"), and every pair that ends in a
// separator ('=', ':'). One look-up per byte tells almost every position
// of a text apart; no pair ends in a zero byte (the padding after a
// text's last byte).
//
// leadThirds holds, for each lead group, the set of bytes (bit c of the
// 256) that follow its lead pairs in a trigger: a lead pair met in
// ordinary text ("ss" in session, "id" in aid, "be" in pgbench) is
// ruled out by its third byte before triggerAt runs. Pairs whose
// triggers share their third bytes share a group; past fifteen groups,
// the last takes the union of the rest (a superset: triggerAt decides).
// "--" takes every byte (a long option's name may start anywhere), and
// so does the zero group of the pairs that lead nothing.
var pairTable, leadThirds = func() (m [1 << 16]uint8, thirds [16][4]uint64) {
	add := func(a, b byte, mark uint8) { m[uint16(a)|uint16(b)<<8] |= mark }
	type lead struct {
		pair  [2]byte
		third [4]uint64
	}
	var leads []lead
	note := func(a, b byte, third ...byte) {
		i := 0
		for i < len(leads) && leads[i].pair != [2]byte{a, b} {
			i++
		}
		if i == len(leads) {
			leads = append(leads, lead{pair: [2]byte{a, b}})
		}
		for _, c := range third {
			leads[i].third[c>>6] |= 1 << (c & 63)
		}
	}
	upper := func(c byte) byte { return c - 'a' + 'A' }
	// The keywords first (the leads most common in text get groups of
	// their own), in every case.
	for _, w := range []string{"bearer ", "basic ", "password", "identified by"} {
		for _, a := range []byte{w[0], upper(w[0])} {
			for _, b := range []byte{w[1], upper(w[1])} {
				note(a, b, w[2], upper(w[2]))
			}
		}
	}
	exact := []string{"mysql", "mariadb", "sshpass", "eyJ", "://"}
	for _, s := range tokenShapes {
		exact = append(exact, s.prefix)
	}
	for _, w := range exact {
		note(w[0], w[1], w[2])
	}
	var all [4]uint64
	for i := range all {
		all[i] = ^uint64(0)
	}
	thirds[0] = all
	groups := 1
	for _, l := range leads {
		g := 1
		for g < groups && thirds[g] != l.third {
			g++
		}
		if g == groups && groups < len(thirds) {
			groups++
		}
		if g == len(thirds) {
			g = len(thirds) - 1
		}
		for i := range thirds[g] {
			thirds[g][i] |= l.third[i]
		}
		add(l.pair[0], l.pair[1], pairLead|uint8(g)<<4)
	}
	add('-', '-', pairLead) // group 0: every byte
	for c := range 256 {
		for _, sep := range []byte{'=', ':'} {
			if c == '"' && sep == ':' {
				add(byte(c), sep, pairQuoteSep)
			} else {
				add(byte(c), sep, pairSep)
			}
		}
	}
	add('\\', '"', pairEscapedQ)
	return m, thirds
}()

// scanRules is a set of the rules of scanLower, one bit each.
type scanRules uint16

// The rules of scanLower, by the trigger each finds its values at.
const (
	ruleUserinfo      scanRules = 1 << iota // "://"
	ruleTokens                              // a token prefix, eyJ
	rulePEM                                 // "-----BEGIN "
	ruleSchemes                             // bearer, basic, in any case
	ruleAssignEquals                        // '=' after a secret name
	ruleAssignColon                         // ':' after a secret name
	ruleLongFlags                           // "--" and a secret name
	ruleSQLPassword                         // password, identified by, in any case
	ruleShortPassword                       // mysql, mariadb, sshpass
)

// mayHold reports whether scanLower may find a secret in t: false proves
// that it finds none.
func (f freeText) mayHold(t []byte) bool { return f.triggered(t) != 0 }

// triggered returns the rules of scanLower that may find a secret in t:
// a rule left out finds none. Every rule finds a value only at one of its
// triggers (a separator the assignment rule accepts, "://", a token
// prefix, eyJ, "-----BEGIN ", a long option named like a secret, a
// keyword in any case, a program name), and triggered looks for exactly
// those, in one pass and without lower-casing t. It is a prefilter: the
// rules it returns run and decide.
//
// The pass reads eight positions at a time: the pairTable marks of their
// pairs, or-ed together, rule out almost every word at three
// instructions a byte; the positions of a word with a mark are looked at
// one by one. The event's own JSON keys (a ':' after a plain quote) are
// not marked in JSON text, which is most of its separators.
func (f freeText) triggered(t []byte) scanRules {
	if len(t) == 0 {
		return 0 // an empty payload or output: no trigger
	}
	var rules scanRules
	var ruledOut nameMemo
	flags := newFlagNames() // see flagNames
	want := uint8(pairLead | pairSep | pairEscapedQ)
	if !f.json {
		want = pairLead | pairSep | pairQuoteSep
	}
	if t[0] == '=' || t[0] == ':' {
		rules |= f.separatorAt(t, 0, rules, &ruledOut) // no pair ends there
	}
	var pad [16]byte
	for base := 0; base < len(t)-1; base += 8 { // pairs start before the last byte
		w := pad[:9]
		done := 0 // positions of w looked at already
		switch {
		case base+9 <= len(t):
			w = t[base : base+9]
		case len(t) >= 9:
			// The last pairs: the window of the text's last nine bytes,
			// whose first positions the previous word covered.
			done = base - (len(t) - 9)
			base = len(t) - 9
			w = t[base:]
		default:
			copy(pad[:], t) // a text shorter than a word: its last pair ends in a zero
		}
		v0, v1 := pairTable[binary.LittleEndian.Uint16(w[0:])], pairTable[binary.LittleEndian.Uint16(w[1:])]
		v2, v3 := pairTable[binary.LittleEndian.Uint16(w[2:])], pairTable[binary.LittleEndian.Uint16(w[3:])]
		v4, v5 := pairTable[binary.LittleEndian.Uint16(w[4:])], pairTable[binary.LittleEndian.Uint16(w[5:])]
		v6, v7 := pairTable[binary.LittleEndian.Uint16(w[6:])], pairTable[binary.LittleEndian.Uint16(w[7:])]
		if (v0|v1|v2|v3|v4|v5|v6|v7)&want == 0 {
			continue
		}
		// The positions with a mark wanted, one byte of marks each.
		marks := (uint64(v0) | uint64(v1)<<8 | uint64(v2)<<16 | uint64(v3)<<24 |
			uint64(v4)<<32 | uint64(v5)<<40 | uint64(v6)<<48 | uint64(v7)<<56)
		marks &^= 1<<(8*done) - 1
		for hits := marks & (uint64(want) * 0x0101010101010101); hits != 0; {
			k := bits.TrailingZeros64(hits) / 8
			hits &^= 0xff << (8 * k)
			v := uint8(marks >> (8 * k))
			mark := v & want
			p := base + k
			if mark&pairLead != 0 {
				var c byte // the third byte, 0 past the end
				if p+2 < len(t) {
					c = t[p+2]
				}
				switch {
				case leadThirds[v>>4][c>>6]>>(c&63)&1 == 0:
				case p > 0 && t[p-1] == '-' && t[p] == '-':
					// Inside a run of dashes ("----------" under a
					// psql header): the long option here is the one
					// named at p-1, which flags judged already (this
					// one is no more taken: see flagNames), so only a
					// PEM header may start here.
					if bytes.HasPrefix(t[p:], []byte(pemStart)) {
						rules |= rulePEM
					}
				default:
					rules |= f.triggerAt(t, p, &flags)
				}
			}
			if mark&(pairSep|pairQuoteSep) != 0 {
				rules |= f.separatorAt(t, p+1, rules, &ruledOut)
			}
			if mark&pairEscapedQ != 0 && p+2 < len(t) && t[p+2] == ':' {
				rules |= f.separatorAt(t, p+2, rules, &ruledOut)
			}
		}
	}
	return rules
}

// separatorAt returns the rule the separator t[p] ('=' or ':') triggers
// (none: 0), given the rules found so far: "://" is a URL's user
// information; any other separator after a secret name is an assignment
// (but a key of the event's own JSON, in JSON text). ruledOut is shared
// by the calls on one text.
func (f freeText) separatorAt(t []byte, p int, rules scanRules, ruledOut *nameMemo) scanRules {
	sep := t[p]
	assign := ruleAssignEquals
	if sep == ':' {
		if p+2 < len(t) && t[p+1] == '/' && t[p+2] == '/' { // "://"
			return ruleUserinfo // scanUserinfo
		}
		assign = ruleAssignColon
	}
	if rules&assign != 0 || f.names == nil {
		return 0
	}
	if sep == ':' && f.json && p > 0 && t[p-1] == '"' && (p == 1 || t[p-2] != '\\') {
		return 0 // a key of the event's own JSON, as assigned rules it out
	}
	if _, ok := f.assigned(t, p, ruledOut, nil); ok {
		return assign
	}
	return 0
}

// triggerAt returns the rule whose trigger, other than a separator,
// starts at t[p] (none: 0). flags is shared by its calls, made with p
// increasing.
func (f freeText) triggerAt(t []byte, p int, flags *flagNames) scanRules {
	rest := t[p:]
	switch t[p] {
	case ':':
		if p+2 < len(t) && t[p+1] == '/' && t[p+2] == '/' {
			return ruleUserinfo // scanUserinfo
		}
		return 0
	case '-':
		if bytes.HasPrefix(rest, []byte("-----BEGIN ")) {
			return rulePEM
		}
		if f.names != nil {
			if _, taken := flags.at(f, t, p+2); taken {
				return ruleLongFlags
			}
		}
		return 0
	case 'b', 'B':
		if equalFoldPrefix(rest, "bearer ") || equalFoldPrefix(rest, "basic ") {
			return ruleSchemes
		}
		return 0
	case 'p', 'P':
		if equalFoldPrefix(rest, "password") {
			return ruleSQLPassword
		}
		return 0
	case 'i', 'I':
		if equalFoldPrefix(rest, "identified by") {
			return ruleSQLPassword
		}
		return 0
	case 'm':
		if bytes.HasPrefix(rest, []byte("mysql")) || bytes.HasPrefix(rest, []byte("mariadb")) {
			return ruleShortPassword
		}
		return 0
	case 'e':
		if bytes.HasPrefix(rest, []byte("eyJ")) {
			return ruleTokens
		}
		return 0
	case 's':
		if bytes.HasPrefix(rest, []byte("sshpass")) {
			return ruleShortPassword
		}
	}
	if startsWord(t, p) {
		for _, s := range shapesByLead[t[p]] {
			if bytes.HasPrefix(rest, []byte(s.prefix)) {
				return ruleTokens
			}
		}
	}
	return 0
}

// equalFoldPrefix reports whether b starts with the lower-case ASCII word
// kw in any case.
func equalFoldPrefix(b []byte, kw string) bool {
	if len(b) < len(kw) {
		return false
	}
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
