package record

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// oldLeadPairs is the pair table as it was before the one-pass
// prefilter: the first two bytes of every trigger but the separators
// ("--", the keywords in every case, the program names, the token
// prefixes and eyJ), one bit a pair.
var oldLeadPairs = func() (m [1 << 16 / 64]uint64) {
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

// oldTriggered is triggered as it was before the one-pass prefilter (two
// IndexByte passes for the separators, a bit table probed per pair): the
// reference TestTriggeredMatchesOld holds triggered to. It returns the
// rules of scanLower that may find a secret in t: a rule left out finds
// none. Every rule finds a value only at one of its
// triggers (a separator the assignment rule accepts, "://", a token
// prefix, eyJ, "-----BEGIN ", a long option named like a secret, a
// keyword in any case, a program name), and triggered looks for exactly
// those, in one pass and without lower-casing t. It is a prefilter: the
// rules it returns run and decide.
func oldTriggered(f freeText, t []byte) scanRules {
	var rules scanRules
	var ruledOut nameMemo
	flags := newFlagNames() // see flagNames
	for _, sep := range [...]byte{'=', ':'} {
		assign := ruleAssignEquals
		if sep == ':' {
			assign = ruleAssignColon
		}
		for p := 0; ; p++ {
			i := bytes.IndexByte(t[p:], sep)
			if i < 0 {
				break
			}
			p += i
			if sep == ':' && p+2 < len(t) && t[p+1] == '/' && t[p+2] == '/' { // "://"
				rules |= ruleUserinfo // scanUserinfo
				continue
			}
			if rules&assign != 0 {
				continue
			}
			if sep == ':' && f.json && p > 0 && t[p-1] == '"' && (p == 1 || t[p-2] != '\\') {
				continue // a key of the event's own JSON, as assigned rules it out
			}
			if f.names != nil {
				if _, ok := f.assigned(t, p, &ruledOut, nil); ok {
					rules |= assign
				}
			}
		}
	}
	// Pairs are probed 8 positions at a time from one word, without a
	// branch; only the positions with a hit are looked at again.
	for base := 0; base+1 < len(t); base += 8 {
		var hits uint8
		if base+9 <= len(t) {
			hits = oldLeadPairHits(binary.LittleEndian.Uint64(t[base:]), t[base+8])
		} else {
			for p := base; p+1 < len(t); p++ {
				hits |= uint8(oldLeadPairBit(uint16(t[p])|uint16(t[p+1])<<8)&1) << (p - base)
			}
		}
		for ; hits != 0; hits &= hits - 1 {
			rules |= oldTriggerAt(f, t, base+bits.TrailingZeros8(hits), &flags)
		}
	}
	return rules
}

// oldLeadPairHits returns which of the 8 pairs starting in the bytes of w
// (little-endian), the last ending with next, are in leadPairs: bit k for
// the pair starting at byte k.
func oldLeadPairHits(w uint64, next byte) uint8 {
	return uint8(oldLeadPairBit(uint16(w))&1 | oldLeadPairBit(uint16(w>>8))&1<<1 | oldLeadPairBit(uint16(w>>16))&1<<2 |
		oldLeadPairBit(uint16(w>>24))&1<<3 | oldLeadPairBit(uint16(w>>32))&1<<4 | oldLeadPairBit(uint16(w>>40))&1<<5 |
		oldLeadPairBit(uint16(w>>48))&1<<6 | oldLeadPairBit(uint16(w>>56)|uint16(next)<<8)&1<<7)
}

// oldLeadPairBit returns leadPairs' word holding pair shifted so that pair's
// bit is bit 0.
func oldLeadPairBit(pair uint16) uint64 { return oldLeadPairs[pair>>6] >> (pair & 63) }

// oldTriggerAt is triggerAt as it was before the one-pass prefilter. It
// returns the rule whose trigger, other than a separator,
// starts at t[p] (none: 0). flags is shared by its calls, made with p
// increasing.
func oldTriggerAt(f freeText, t []byte, p int, flags *flagNames) scanRules {
	rest := t[p:]
	switch t[p] {
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
