package record

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// The marks of pairTable, by what a pair of bytes t[p], t[p+1] may start;
// the high three bits of a lead pair's entry are its lead group (see
// leadThirds).
const (
	pairLead     = 1 << iota // a trigger at p (triggerAt)
	pairSep                  // a separator at p+1 after a byte other than '"'
	pairQuoteSep             // ':' at p+1 after '"' (a key of the event's own JSON, but in raw text)
	pairEscapedQ             // \" at p: a separator at p+2 follows an escaped quote
	pairFollow               // the second and third bytes of a trigger a lead pair at p-1 starts
)

// pairGroupShift is where a lead pair's group is in its pairTable entry.
const pairGroupShift = 5

// pairTable marks every pair of bytes (t[p] | t[p+1]<<8) a trigger may
// start with: the first two bytes of every trigger but the separators
// ("--", the keywords in every case, the program names, the token
// prefixes, eyJ, and ":/" for "://"), and every pair that ends in a
// separator ('=', ':'). One look-up per byte tells almost every position
// of a text apart; no pair ends in a zero byte (the padding after a
// text's last byte) but those that follow "-" (pairFollow).
//
// pairFollow marks the pairs that can follow a lead pair, one byte on, in
// a trigger: its second byte and a third byte of its group ("as" after
// "ba" for basic, every "-x" after "--"). A lead pair whose next pair is
// not so marked ("ba" in abalance, then "al") starts no trigger: the
// pass rules it out without looking at it.
//
// leadThirds holds, for each lead group, the set of bytes (bit c of the
// 256) that follow its lead pairs in a trigger: a lead pair met in
// ordinary text ("ss" in session, "id" in aid, "be" in pgbench) is
// ruled out by its third byte before triggerAt runs. Pairs whose
// triggers share their third bytes share a group; past seven groups, the
// last takes the union of the rest (a superset: triggerAt decides). "--"
// takes every byte (a long option's name may start anywhere), and so
// does the zero group of the pairs that lead nothing.
var pairTable, leadThirds = func() (m [1 << 16]uint8, thirds [8][4]uint64) {
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
		add(l.pair[0], l.pair[1], pairLead|uint8(g)<<pairGroupShift)
		for c := range 256 {
			if l.third[c>>6]>>(c&63)&1 != 0 {
				add(l.pair[1], byte(c), pairFollow)
			}
		}
	}
	add('-', '-', pairLead) // group 0: every byte
	for c := range 256 {
		add('-', byte(c), pairFollow)
	}
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
// The pass reads eight positions at a time, from one load of the text:
// the pairTable marks of their pairs, gathered in a word (byte k for the
// pair at base+k), and of the pairs one byte on (pairFollow), rule out
// almost every word at some five instructions a byte; the positions left
// are looked at one by one (look). The event's own JSON keys (a ':' after
// a plain quote) are not marked in JSON text, which is most of its
// separators.
func (f freeText) triggered(t []byte) scanRules {
	if len(t) == 0 {
		return 0 // an empty payload or output: no trigger
	}
	s := triggerScan{f: f, t: t, flags: newFlagNames()}
	want := uint8(pairSep | pairEscapedQ) // and pairLead, when followed
	if !f.json {
		want = pairSep | pairQuoteSep
	}
	const ones = 0x0101010101010101
	others := uint64(want) * ones
	if t[0] == '=' || t[0] == ':' {
		s.rules |= f.separatorAt(t, 0, s.rules, &s.ruledOut) // no pair ends there
	}
	var pad [10]byte                            // the last bytes of a text, padded with zeros
	for base := 0; base < len(t)-1; base += 8 { // pairs start before the last byte
		w := &pad
		if len(t)-base >= len(pad) {
			w = (*[10]byte)(t[base:])
		} else {
			// The last pairs: the last of them ends in a zero, which
			// ends no pair (nor does a pair of zeros), and the third
			// byte past the end is a zero, which only "--" takes.
			copy(pad[:], t[base:])
		}
		pair := func(i int) uint64 { return uint64(pairTable[binary.LittleEndian.Uint16(w[i:])]) } // one load each
		marks := pair(0) | pair(1)<<8 | pair(2)<<16 | pair(3)<<24 | pair(4)<<32 | pair(5)<<40 | pair(6)<<48 | pair(7)<<56
		next := marks>>8 | pair(8)<<56 // the pairs at base+1 on
		if hits := marks&(next>>4)&(pairLead*ones) | marks&others; hits != 0 {
			s.look(base, marks, hits)
		}
	}
	return s.rules
}

// triggerScan is the state of triggered on one text.
type triggerScan struct {
	f     freeText
	t     []byte
	rules scanRules
	// ruledOut and flags are shared by the calls of separatorAt and
	// triggerAt.
	ruledOut nameMemo
	flags    flagNames
	// dashes is where the last run of dashes looked at ends, but its
	// last one (see look).
	dashes int
}

// look looks at the positions of t[base:base+8] with a hit (one byte of
// hits for each, the marks wanted of those in marks, pairLead only when
// followed).
func (s *triggerScan) look(base int, marks, hits uint64) {
	f, t := s.f, s.t
	for hits != 0 {
		k := bits.TrailingZeros64(hits) / 8
		mark := uint8(hits >> (8 * k))
		hits &^= 0xff << (8 * k)
		p := base + k
		if mark&pairLead != 0 {
			var c byte // the third byte, 0 past the end
			if p+2 < len(t) {
				c = t[p+2]
			}
			g := uint8(marks>>(8*k)) >> pairGroupShift
			switch {
			case leadThirds[g][c>>6]>>(c&63)&1 == 0:
			case p > 0 && t[p-1] == '-' && t[p] == '-':
				// Inside a run of dashes ("----------" under a psql
				// header): the long option here is the one named at
				// p-1, which flags judged already (this one is no more
				// taken: see flagNames), so only a PEM header may start
				// here, and only five dashes before the run's end. The
				// run's other pairs, all "--" and inside it, are passed.
				if p < s.dashes {
					continue // "--" marks pairLead only
				}
				e := p + 2
				for e < len(t) && t[e] == '-' {
					e++
				}
				if e-5 >= p && bytes.HasPrefix(t[e:], []byte(pemStart[5:])) {
					s.rules |= rulePEM
				}
				s.dashes = e - 1
				if e-1-base < 8 {
					hits &^= 1<<(8*(e-1-base)) - 1
				} else {
					hits = 0
				}
			default:
				s.rules |= f.triggerAt(t, p, &s.flags)
			}
		}
		if mark&(pairSep|pairQuoteSep) != 0 {
			s.rules |= f.separatorAt(t, p+1, s.rules, &s.ruledOut)
		}
		if mark&pairEscapedQ != 0 && p+2 < len(t) && t[p+2] == ':' {
			s.rules |= f.separatorAt(t, p+2, s.rules, &s.ruledOut)
		}
	}
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
