package mask

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// The code-list probe asks the quick test every word dump test asks
// first before calling them (mayStartWordDump), and reads spelled digits
// and call words from a table (codeWordOf) (issue #19). Against the code
// they replaced, kept here: the same words read on every case of every
// such word, its cuts and neighbours and random words, and the same
// verdict of codeListIn on generated texts holding lists and dumps of
// every kind.

// digitWordOld is digitWord as it was, the oracle of
// TestCodeWordsAgreeWithOld: it reads w as a spelled digit, in any case.
func digitWordOld(w []byte) (byte, bool) {
	if len(w) < 3 || len(w) > 5 {
		return 0, false
	}
	var v uint64
	for _, c := range w {
		v = v<<8 | uint64(c|0x20)
	}
	switch v {
	case 0x7a65726f: // zero
		return '0', true
	case 0x6f6e65: // one
		return '1', true
	case 0x74776f: // two
		return '2', true
	case 0x7468726565: // three
		return '3', true
	case 0x666f7572: // four
		return '4', true
	case 0x66697665: // five
		return '5', true
	case 0x736978: // six
		return '6', true
	case 0x736576656e: // seven
		return '7', true
	case 0x6569676874: // eight
		return '8', true
	case 0x6e696e65: // nine
		return '9', true
	}
	return 0, false
}

// glueWordOld is glueWord as it was, the oracle of
// TestCodeWordsAgreeWithOld: it reports whether w is a word of a call that wraps a code
// (callWords), in any case.
func glueWordOld(w []byte) bool {
	if len(w) >= len(callWords) {
		return false
	}
	for _, s := range callWords[len(w)] {
		if equalFoldASCII(w, s) {
			return true
		}
	}
	return false
}

// atOld is at as it was (issue #19): it looks at the word that holds t[i], and reads the words around it
// when it and the next word may be codes of one list of text; digits,
// when above i, is the end of the run of digits at t[i].
func (cp *codeProber) atOld(t []byte, i, digits int) {
	if cp.found || i < cp.next {
		return
	}
	if digits-i > 4 {
		// Too many digits for a code: most numbers of text, or a group
		// of a word dump (dumpwords.go).
		if e := wdToken(t, digits); (i == 0 || codeByte[t[i-1]]&cbAlnum == 0) && (wordDumpPair(t, i, e) || wordDumpOffset(t, i, e) || loneGroups(t, i, e)) {
			cp.found = true
		}
		cp.next = digits
		return
	}
	s := i
	for s > cp.scanned && codeByte[t[s-1]]&cbAlnum != 0 {
		s--
	}
	m, e := uint8(0), s
	for ; e < len(t) && codeByte[t[e]]&cbAlnum != 0; e++ {
		m |= codeByte[t[e]]
	}
	cp.next = e
	if e-s >= 5 && (wordDumpPair(t, s, e) || wordDumpOffset(t, s, e) || loneGroups(t, s, e)) {
		cp.found = true
		return
	}
	if !mayBeTextCodeOld(t, s, e, m) || !probeHitOld(t, s, e, m) {
		return
	}
	cl, ok := nextCodeList(t, max(cp.scanned, s-maxCodeBack), nil, nil, e)
	if ok {
		cp.found = true
		return
	}
	cp.scanned, cp.next = cl.end, max(cl.end, e)
}

// mayBeTextCodeOld is mayBeTextCode as it was (issue #19): the quick test of probeCodes: whether the word t[s:e],
// of byte kinds m, may be a code of printable ASCII (textCodes): a
// spelled digit, hex starting with 2 to 7, a decimal code point.
func mayBeTextCodeOld(t []byte, s, e int, m uint8) bool {
	c := t[s]
	switch n := e - s; {
	case m&cbLetter != 0:
		// A word of letters is a code only spelled (classifyCode), or
		// a call's word the probe reads past (probeHit).
		if m&cbDigit != 0 || n < 3 || n > 5 {
			return false
		}
		_, digit := digitWordOld(t[s:e])
		return digit || glueWordOld(t[s:e])
	case n == 2:
		return c >= '2' && c <= '9'
	case n == 3:
		return c == '0' || c == '1' || c|0x20 == 'x'
	case n == 4:
		return c >= '2' && c <= '7' || c == '0' && t[s+1]|0x20 == 'x'
	}
	return false
}

// probeCodesOld is probeCodes as it was (issue #19): it looks at the word at or after p (with digits, at or after
// the first digit from p on), for p from 0 on in steps of at least
// stride.
func probeCodesOld(t []byte, stride int, digits bool) bool {
	var cp codeProber
	for p := 0; p < len(t) && !cp.found; p = max(cp.next, p+stride) {
		i := p
		if digits {
			i = nextDigit(t, p)
		}
		for i < len(t) && codeByte[t[i]]&cbAlnum == 0 {
			i++
		}
		if i >= len(t) {
			break
		}
		cp.atOld(t, i, 0)
	}
	return cp.found
}

// codeListInOld is codeListIn as it was (issue #19): it reports whether t holds a list nextCodeList finds; sp is what
// the keyword walk learnt of its spelled digits, cp (nil: nothing) what
// the digit walk learnt. Most text holds no list, and reading every word
// of it would cost more than the detectors. A list of hex or decimal
// codes of text has a digit in every code (the hex of a printable byte
// starts with 2 to 7): so only the words that hold a digit are looked at
// (by the digit walk of the numeric detectors, when it ran), and the
// words around one are read only where it and the next word may be codes
// of one list of text. A list of spelled digits is looked for only when
// the keyword walk counted enough of them, or, when it did not run, by
// probing a word every spellProbe bytes.
func codeListInOld(t []byte, sp spelled, cp *codeProber) bool {
	if hasCharDump(t) {
		return true
	}
	switch sp {
	case spelledMany:
		_, ok := nextCodeList(t, 0, nil, nil, len(t)+1)
		return ok
	case spelledUnknown:
		if probeCodesOld(t, spellProbe, false) {
			return true
		}
	}
	if cp != nil && cp.ran {
		return cp.found
	}
	return probeCodesOld(t, 1, true)
}

// probeHitOld is probeHit as it was (issue #19): it reports whether the word t[s:e] and the next (call words
// aside) may be two codes of one list of text: hex of a printable byte, a
// printable code point, a spelled digit.
func probeHitOld(t []byte, s, e int, m uint8) bool {
	kinds, got := ckAll, 0
	for range 2 + maxCodeGlue {
		k, ds, _ := classifyCode(t, s, e, m)
		if k != 0 {
			k &= textCodes(t, s, ds, e)
		}
		if k == 0 {
			if !glueWordOld(t[s:e]) {
				return false
			}
		} else if kinds &= k; kinds == 0 {
			return false
		} else if got++; got == 2 {
			return true
		}
		j := e
		for j < len(t) && codeByte[t[j]]&cbAlnum == 0 {
			if t[j] >= 0x80 || j-e >= maxCodeGap {
				return false
			}
			j++
		}
		if j == len(t) {
			return false
		}
		s, m = j, 0
		for e = j; e < len(t) && codeByte[t[e]]&cbAlnum != 0; e++ {
			m |= codeByte[t[e]]
		}
	}
	return false
}

func TestCodeWordsAgreeWithOld(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 101))
	var words []string
	base := append([]string{"x", "ab", "abcdefghijklmnop"}, spelledDigits[:]...)
	for _, ws := range callWords {
		base = append(base, ws...)
	}
	for _, w := range base {
		for _, v := range []string{w, strings.ToLower(w), strings.ToUpper(w)} {
			words = append(words, v, v[1:], v[:len(v)-1], v+"s", "a"+v, v+"1")
			for range 4 {
				b := []byte(v)
				for i := range b {
					if r.IntN(2) == 0 {
						b[i] ^= 0x20
					}
				}
				words = append(words, string(b))
				b[r.IntN(len(b))] = byte(r.IntN(256))
				words = append(words, string(b))
			}
		}
	}
	for range 20000 {
		b := make([]byte, r.IntN(16))
		const alpha = "abcdefghinortuvwxzEFHINORSTUVWX0123456789@`[{"
		for i := range b {
			b[i] = alpha[r.IntN(len(alpha))]
		}
		words = append(words, string(b))
	}
	for n, w := range words {
		b := []byte(w)
		if n%2 == 1 {
			// w cut from a longer text: the bytes after it are read
			// with it (codeWordOf), and must not count.
			tail := make([]byte, r.IntN(10))
			for i := range tail {
				tail[i] = "abcdefghinortuvwxzEFHINORSTUVWX0123456789@`[{ \xff"[r.IntN(47)]
			}
			b = append(b, tail...)[:len(w)]
		}
		d, ok := digitWord(b)
		if wd, wok := digitWordOld(b); d != wd || ok != wok {
			t.Fatalf("digitWord(%q) = %q %v, the old %q %v", w, d, ok, wd, wok)
		}
		if g, wg := glueWord(b), glueWordOld(b); g != wg {
			t.Fatalf("glueWord(%q) = %v, the old %v", w, g, wg)
		}
	}
}

// codeListTexts are texts holding code lists and dumps of every kind, in
// JSON and prose, cut anywhere, and texts of their tokens in any order.
func codeListTexts(r *rand.Rand) []string {
	v := "upstream-secret-abcdef"
	var hx, dec, oct, spelled, chr []string
	for i := 0; i < len(v); i++ {
		hx = append(hx, fmt.Sprintf("%02x", v[i]))
		dec = append(dec, fmt.Sprint(v[i]))
		oct = append(oct, fmt.Sprintf("%03o", v[i]))
		chr = append(chr, fmt.Sprintf("chr(%d)", v[i]))
	}
	for _, c := range "4111111111111111" {
		spelled = append(spelled, spelledDigits[c-'0'])
	}
	var spelled5 []string // the digits spelled in five letters among others
	for _, c := range "3780378837" {
		spelled5 = append(spelled5, strings.ToUpper(spelledDigits[c-'0'][:1])+spelledDigits[c-'0'][1:])
	}
	var xxd, hexd strings.Builder
	for i := 0; i < len(v); i += 8 {
		fmt.Fprintf(&xxd, "%08x: ", i)
		fmt.Fprintf(&hexd, "%07x", i)
		for k := i; k < min(i+8, len(v)); k += 2 {
			fmt.Fprintf(&xxd, "%02x%02x ", v[k], v[min(k+1, len(v)-1)])
			fmt.Fprintf(&hexd, " %02x%02x", v[min(k+1, len(v)-1)], v[k])
		}
		xxd.WriteString(" " + v[i:min(i+8, len(v))] + "\n")
		hexd.WriteString("\n")
	}
	lists := []string{strings.Join(hx, " "), strings.Join(hx, ":"), "0x" + strings.Join(hx, ",0x"), strings.Join(dec, ","),
		strings.Join(oct, " "), strings.Join(spelled, " "), strings.Join(spelled, ", "), strings.Join(spelled5, " "), strings.Join(spelled5, "-"), strings.Join(chr, "+"),
		"String.fromCharCode(" + strings.Join(dec, ", ") + ")", xxd.String(), hexd.String(), strings.Join(hx, "") + "\n" + strings.Join(hx, ""),
		"12345 67890 12345 67890\n", "000000 7570 7374\n000004 7265 616d\n"}
	filler := `{"id":12345,"name":"widget","price":9.99,"tags":["a","b"]},`
	var toks []string
	for _, l := range lists {
		toks = append(toks, strings.Fields(l)...)
	}
	toks = append(toks, " ", "  ", "\n", ",", "one", "NINE", "chr", "x41", "0x4", "255", "256", "377", "1234567", `"`, "\xff", "é,", "         ", "      ", "       ", "new", "String(")
	var out []string
	for range 1500 {
		var b strings.Builder
		for range 1 + r.IntN(3) {
			f := strings.Repeat(filler, r.IntN(4))
			b.WriteString(f[:r.IntN(len(f)+1)])
			l := lists[r.IntN(len(lists))]
			b.WriteString(l[r.IntN(len(l)/2+1):])
		}
		s := b.String()
		out = append(out, s, s[:r.IntN(len(s)+1)])
		b.Reset()
		for range r.IntN(40) {
			b.WriteString(toks[r.IntN(len(toks))])
			b.WriteString([]string{" ", ",", "", "\n", "  "}[r.IntN(5)])
		}
		out = append(out, b.String())
	}
	return out
}

func TestCodeListInAgreesWithOld(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 103))
	found := 0
	for _, s := range codeListTexts(r) {
		b := []byte(s)
		// The quick test of the probe at every word, and words cut.
		for s0 := 0; s0 < len(b); s0++ {
			if codeByte[b[s0]]&cbAlnum == 0 {
				continue
			}
			m, e := uint8(0), s0
			for ; e < len(b) && codeByte[b[e]]&cbAlnum != 0; e++ {
				m |= codeByte[b[e]]
			}
			if got, want := probeHit(b, s0, e, m), probeHitOld(b, s0, e, m); got != want {
				t.Fatalf("probeHit(%q, %d, %d) = %v, the old %v", s, s0, e, got, want)
			}
		}
		for _, stride := range []int{1, 3, spellProbe} {
			for _, digits := range []bool{false, true} {
				if got, want := probeCodes(b, stride, digits), probeCodesOld(b, stride, digits); got != want {
					t.Fatalf("probeCodes(%q, %d, %v) = %v, the old %v", s, stride, digits, got, want)
				}
			}
		}
		for _, sp := range []spelled{spelledUnknown, spelledFew, spelledMany} {
			got, want := codeListIn(b, sp, nil), codeListInOld(b, sp, nil)
			if got != want {
				t.Fatalf("codeListIn(%q, %d) = %v, the old %v", s, sp, got, want)
			}
			if got {
				found++
			}
		}
		// The probe at every word with a digit, as the digit walk shows
		// them, with the digits' end.
		var cp, old codeProber
		for i := nextDigit(b, 0); i < len(b); i = nextDigit(b, digitRunEnd(b, i)) {
			e := digitRunEnd(b, i)
			cp.at(b, i, e)
			old.atOld(b, i, e)
			if cp != old {
				t.Fatalf("%q: the probe at %d: %+v, the old %+v", s, i, cp, old)
			}
		}
		// The word dump tests fail where their quick test does.
		for s0 := 0; s0 < len(b); s0++ {
			if codeByte[b[s0]]&cbAlnum == 0 || s0 > 0 && codeByte[b[s0-1]]&cbAlnum != 0 {
				continue
			}
			e := wdToken(b, s0)
			if !mayStartWordDump(b, s0, e) && (wordDumpPair(b, s0, e) || wordDumpOffset(b, s0, e) || loneGroups(b, s0, e)) {
				t.Fatalf("%q: a word dump test holds at %d:%d where mayStartWordDump does not", s, s0, e)
			}
		}
	}
	if found < 1000 {
		t.Fatalf("only %d texts with a code list", found)
	}
}
