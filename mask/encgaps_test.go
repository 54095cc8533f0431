package mask

import (
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// The gaps of the encodings family that TestEncodingsGenerator left open,
// each found by asking whether a reader can recover the value from the
// masked output: a single escape in a short token and notations mixed in
// one value, e-mail addresses spelled with bare words, Python's \N{...},
// look-alike digits of several scripts in one number, a separator or an
// invisible character between every digit, digits split by markup or by
// string concatenation, base64, base32 and hex, and the encodings the first
// generator left out (UTF-32 beyond the BMP, HTML and URLs in UTF-16 or
// UTF-32).

// gapNotation is one escape notation, for one character.
type gapNotation struct {
	name string
	enc  func(r rune) string
	dec  func(string) string
}

var (
	cxRE = regexp.MustCompile(`\\x([0-9a-fA-F]{2})`)
	cuRE = regexp.MustCompile(`\\u([0-9a-fA-F]{4})`)
)

var gapNotations = []gapNotation{
	{"qp", func(r rune) string { return fmt.Sprintf("=%02X", r) }, decodeQP},
	{"c-x", func(r rune) string { return fmt.Sprintf(`\x%02x`, r) }, reSub(cxRE, hexRune)},
	{"c-u", func(r rune) string { return fmt.Sprintf(`\u%04x`, r) }, reSub(cuRE, hexRune)},
	{"pct", func(r rune) string { return fmt.Sprintf("%%%02X", r) }, unPct},
	{"ref", func(r rune) string { return fmt.Sprintf("&#%d;", r) }, html.UnescapeString},
	{"octal", func(r rune) string { return fmt.Sprintf(`\%03o`, r) }, decodeOctal},
	{"css", func(r rune) string { return fmt.Sprintf(`\%x `, r) }, decodeCSS},
	{"pyN", func(r rune) string { return `\N{` + runeName(r) + `}` }, decodePyN},
}

// runeName is the Unicode name of the ASCII characters the samples use.
func runeName(r rune) string {
	digits := []string{"ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE"}
	switch {
	case r >= '0' && r <= '9':
		return "DIGIT " + digits[r-'0']
	case r >= 'A' && r <= 'Z':
		return "LATIN CAPITAL LETTER " + string(r)
	case r >= 'a' && r <= 'z':
		return "LATIN SMALL LETTER " + string(r-'a'+'A')
	}
	return map[rune]string{'@': "COMMERCIAL AT", '.': "FULL STOP", '-': "HYPHEN-MINUS", '_': "LOW LINE",
		' ': "SPACE", '(': "LEFT PARENTHESIS", ')': "RIGHT PARENTHESIS", '+': "PLUS SIGN"}[r]
}

var pyNRE = regexp.MustCompile(`\\N\{([^}]*)\}`)

func decodePyN(s string) string {
	names := map[string]rune{}
	for r := rune(' '); r < 0x7F; r++ {
		if n := runeName(r); n != "" {
			names[n] = r
		}
	}
	return pyNRE.ReplaceAllStringFunc(s, func(m string) string {
		n := strings.ToUpper(pyNRE.FindStringSubmatch(m)[1])
		if strings.HasPrefix(n, "U+") {
			return hexRune(n[2:])
		}
		if r, ok := names[n]; ok {
			return string(r)
		}
		return m
	})
}

// decodeMixed undoes every notation but octal, CSS and \N (which read
// backslashes differently from C).
func decodeMixed(s string) string {
	return unPct(html.UnescapeString(reSub(cuRE, hexRune)(reSub(cxRE, hexRune)(decodeQP(s)))))
}

var (
	gapTagRE = regexp.MustCompile(`<[^>]*>`)
	concatRE = regexp.MustCompile(`\\?["']\s*(\+|\|\||,|\.)?\s*\\?["']`)
	b64RunRE = regexp.MustCompile(`[A-Za-z0-9+/_-]{8,}={0,2}`)
	b32RunRE = regexp.MustCompile(`[A-Z2-7]{8,}=*`)
	hexRunRE = regexp.MustCompile(`[0-9a-fA-F]{8,}`)
)

func decodeRuns(re *regexp.Regexp, dec func(string) ([]byte, error)) func(string) string {
	return func(s string) string {
		return re.ReplaceAllStringFunc(s, func(m string) string {
			if b, err := dec(m); err == nil && utf8.Valid(b) {
				return string(b)
			}
			return m
		})
	}
}

func unB64(m string) ([]byte, error) {
	m = strings.TrimRight(m, "=")
	if strings.ContainsAny(m, "-_") {
		return base64.RawURLEncoding.DecodeString(m)
	}
	return base64.RawStdEncoding.DecodeString(m)
}

func unB32(m string) ([]byte, error) {
	m = strings.TrimRight(m, "=")
	return base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(m)
}

func unHex(m string) ([]byte, error) { return hex.DecodeString(m) }

// joinDigits writes the digits of s with sep between each two.
func joinDigits(digits, sep string) string {
	return strings.Join(strings.Split(digits, ""), sep)
}

// joinChars writes the characters of v with sep between each two.
func joinChars(v, sep string) string {
	return strings.Join(strings.Split(v, ""), sep)
}

func gapSpellings() []encSpelling {
	var sp []encSpelling
	add := func(name string, kinds func(encSample) bool, enc func(encSample) string, dec func(string) string) {
		sp = append(sp, encSpelling{name, kinds, enc, dec})
	}
	numeric := func(s encSample) bool { return s.numeric }
	isEmail := func(s encSample) bool { return s.kind == "email" }
	// One escape in the middle of a value, in every notation.
	for _, n := range gapNotations {
		add("one-escape/"+n.name, nil, func(s encSample) string {
			rs := []rune(s.value)
			k := len(rs) / 2
			return string(rs[:k]) + n.enc(rs[k]) + string(rs[k+1:])
		}, n.dec)
		add("two-escapes/"+n.name, nil, func(s encSample) string {
			rs := []rune(s.value)
			return perChar(s.value, func(i int, _ rune) bool { return i == len(rs)/3 || i == 2*len(rs)/3 }, n.enc)
		}, n.dec)
	}
	add("pyN/all", nil, func(s encSample) string {
		return perChar(s.value, everyChar, gapNotations[7].enc)
	}, decodePyN)
	add("pyN/digits", nil, func(s encSample) string {
		return perChar(s.value, digitsOnly, gapNotations[7].enc)
	}, decodePyN)
	add("pyN-lower/digits", nil, func(s encSample) string {
		return perChar(s.value, digitsOnly, func(r rune) string { return `\N{` + strings.ToLower(runeName(r)) + `}` })
	}, decodePyN)
	add("perlN-U/all", nil, func(s encSample) string {
		return perChar(s.value, everyChar, func(r rune) string { return fmt.Sprintf(`\N{U+%X}`, r) })
	}, decodePyN)
	// Notations mixed in one value: character i in notation i mod 5.
	mixed := gapNotations[:5]
	for _, pick := range []struct {
		name string
		f    func(int, rune) bool
	}{{"all", everyChar}, {"every-other", everyOther}} {
		add("mixed/"+pick.name, nil, func(s encSample) string {
			var b strings.Builder
			for i, r := range []rune(s.value) {
				if pick.f(i, r) {
					b.WriteString(mixed[i%len(mixed)].enc(r))
				} else {
					b.WriteRune(r)
				}
			}
			return b.String()
		}, decodeMixed)
	}
	// E-mail addresses spelled with bare words.
	for _, f := range []struct{ at, dot string }{
		{" at ", " dot "}, {" AT ", " DOT "}, {" At ", " Dot "}, {"  at  ", "  dot  "}, {" at ", " [dot] "},
	} {
		add(fmt.Sprintf("bare-email%+q%+q", f.at, f.dot), isEmail, func(s encSample) string {
			local, dom, _ := strings.Cut(s.value, "@")
			return strings.ReplaceAll(local, ".", f.dot) + f.at + strings.ReplaceAll(dom, ".", f.dot)
		}, nil)
		add(fmt.Sprintf("bare-email-local-dot%+q%+q", f.at, f.dot), isEmail, func(s encSample) string {
			local, dom, _ := strings.Cut(s.value, "@")
			return local + f.at + strings.ReplaceAll(dom, ".", f.dot)
		}, nil)
	}
	// Look-alike digits of several scripts in one number.
	zeros := []rune{'\uff10', '\u0660', '\u06f0', '\u0966', '\U0001d7ce', '\u09e6', '\u0e50', '\U0001d7f6'}
	for _, z := range zeros[5:] {
		add(fmt.Sprintf("digits%+q", z), numeric, func(s encSample) string { return withDigits(s.value, z) }, nil)
	}
	add("digits-mixed-scripts", numeric, func(s encSample) string {
		i := 0
		return perChar(s.value, digitsOnly, func(r rune) string {
			i++
			return string(zeros[i%len(zeros)] + r - '0')
		})
	}, nil)
	// A separator or an invisible character between every digit.
	for _, sep := range []string{"-", " ", ".", "  ", " - ", "/", "_", "\u200b", "\u2060", "\u00ad", "\ufeff",
		"\u200b\u200b", " \u200b", "\u2009", "\t"} {
		kinds := numeric
		if sep[0] >= utf8.RuneSelf {
			// A phone's bare ten digits are no phone to the plain
			// detector either; invisible characters do not make one.
			kinds = func(s encSample) bool { return s.numeric && s.kind != "phone" }
		}
		add(fmt.Sprintf("every-digit%+q", sep), kinds, func(s encSample) string { return joinDigits(s.digits, sep) }, nil)
	}
	for _, zw := range []string{"\u200b", "\u2060", "\u00ad", "\u200d", "\ufeff"} {
		add(fmt.Sprintf("every-char%+q", zw), nil, func(s encSample) string { return joinChars(s.value, zw) },
			func(x string) string { return strings.ReplaceAll(x, zw, "") })
	}
	for _, vs := range []string{"\ufe0f", "\ufe00", "\U000e0101", "\u180b"} {
		add(fmt.Sprintf("every-char%+q", vs), nil, func(s encSample) string { return joinChars(s.value, vs) },
			func(x string) string { return strings.ReplaceAll(x, vs, "") })
	}
	add("tag-characters", nil, func(s encSample) string {
		return perChar(s.value, everyChar, func(r rune) string { return string(0xE0000 + r) })
	}, func(x string) string {
		return strings.Map(func(r rune) rune {
			if r >= 0xE0020 && r <= 0xE007E {
				return r - 0xE0000
			}
			return r
		}, x)
	})
	add("base64-utf16le", nil, func(s encSample) string {
		return base64.StdEncoding.EncodeToString(utf16Bytes(s.value, false, false))
	}, func(x string) string {
		return strings.ReplaceAll(decodeRuns(b64RunRE, unB64)(x), "\x00", "")
	})
	// Invisible characters spread further than the views read: refused.
	add("every-char-5-zwsp", nil, func(s encSample) string { return joinChars(s.value, strings.Repeat("\u200b", 5)) },
		func(x string) string { return strings.ReplaceAll(x, "\u200b", "") })
	// Markup between the characters.
	for _, m := range []string{"<b></b>", "<!-- -->", "<i>", "<span class=\"x\"></span>"} {
		add(fmt.Sprintf("markup-every-char%+q", m), nil, func(s encSample) string { return joinChars(s.value, m) },
			func(x string) string { return gapTagRE.ReplaceAllString(strings.ReplaceAll(x, "<!-- -->", ""), "") })
	}
	add("markup-each-digit-span", numeric, func(s encSample) string {
		return perChar(s.value, digitsOnly, func(r rune) string { return "<span>" + string(r) + "</span>" })
	}, nil)
	// Strings split and concatenated.
	for _, j := range []string{`"+"`, `" + "`, `" "`, `","`, `", "`, `'||'`, `' || '`, `"."`, "\" +\n    \"", "'\n  || '", "\"\r\n\t\""} {
		add(fmt.Sprintf("concat-groups%s", j), numericGrouped, func(s encSample) string {
			q := j[:1]
			return q + regroup(s.digits, s.groups, j) + q
		}, nil)
		var halves func(encSample) bool
		if strings.Contains(j, ",") {
			// A list of words is no concatenation (joins.go).
			halves = numeric
		}
		add(fmt.Sprintf("concat-halves%s", j), halves, func(s encSample) string {
			q := j[:1]
			v := s.value
			return q + v[:len(v)/2] + j + v[len(v)/2:] + q
		}, func(x string) string { return concatRE.ReplaceAllString(x, "") })
	}
	// Encodings of the bytes.
	add("base64", nil, func(s encSample) string { return base64.StdEncoding.EncodeToString([]byte(s.value)) },
		decodeRuns(b64RunRE, unB64))
	add("base64-raw-url", nil, func(s encSample) string { return base64.RawURLEncoding.EncodeToString([]byte(s.value)) },
		decodeRuns(b64RunRE, unB64))
	add("base64-labelled", nil, func(s encSample) string {
		return base64.StdEncoding.EncodeToString([]byte("card=" + s.value + ";"))
	}, decodeRuns(b64RunRE, unB64))
	add("base32", nil, func(s encSample) string { return base32.StdEncoding.EncodeToString([]byte(s.value)) },
		decodeRuns(b32RunRE, unB32))
	add("hex", nil, func(s encSample) string { return hex.EncodeToString([]byte(s.value)) },
		decodeRuns(hexRunRE, unHex))
	add("base64-mime-lines", nil, func(s encSample) string {
		v := base64.StdEncoding.EncodeToString([]byte("the value is " + s.value + ", kept on file"))
		var b strings.Builder
		for len(v) > 16 {
			b.WriteString(v[:16] + "\r\n")
			v = v[16:]
		}
		return b.String() + v
	}, func(x string) string {
		return decodeRuns(b64RunRE, unB64)(strings.ReplaceAll(strings.ReplaceAll(x, "\r\n", ""), `\r\n`, ""))
	})
	add("hex-bytea", nil, func(s encSample) string { return `\x` + hex.EncodeToString([]byte(s.value)) },
		func(x string) string { return decodeRuns(hexRunRE, unHex)(strings.ReplaceAll(x, `\x`, " ")) })
	add("hex-0x", nil, func(s encSample) string { return "0x" + hex.EncodeToString([]byte(s.value)) },
		func(x string) string { return decodeRuns(hexRunRE, unHex)(strings.ReplaceAll(x, "0x", " ")) })
	add("hex-upper", nil, func(s encSample) string { return strings.ToUpper(hex.EncodeToString([]byte(s.value))) },
		decodeRuns(hexRunRE, unHex))
	return sp
}

var gapWrappers = append(encWrappers[:len(encWrappers):len(encWrappers)],
	encWrapper{"sql", func(v string) string { return "SELECT '" + strings.ReplaceAll(v, "'", "''") + "' AS x" },
		func(s string) string { return strings.ReplaceAll(s, "''", "'") }},
)

// runGaps masks every combination of the gap spellings, and the
// combinations of the first generator's spellings that it left out, and
// returns the probes that leak, counted by spelling, wrapper and encoding.
func runGaps(t *testing.T, p *Policy, stream bool) (leaks []encLeak, probes int) {
	t.Helper()
	type combo struct {
		sp  encSpelling
		old bool
	}
	var all []combo
	for _, sp := range gapSpellings() {
		all = append(all, combo{sp, false})
	}
	for _, sp := range encSpellings() {
		all = append(all, combo{sp, true})
	}
	var ps []encProbe
	for _, c := range all {
		sp := c.sp
		for _, s := range encSamples {
			if sp.kinds != nil && !sp.kinds(s) {
				continue
			}
			ev := sp.enc(s)
			for _, w := range gapWrappers {
				for _, wd := range wides {
					if c.old && !(wd.name != "utf8" && (w.name == "html" || w.name == "url" || w.name == "sql") ||
						strings.HasPrefix(wd.name, "utf32") && strings.IndexFunc(ev, func(r rune) bool { return r > 0xFFFF }) >= 0) {
						continue // TestEncodingsGenerator has it
					}
					ps = append(ps, encProbe{s, sp, w, wd, wd.enc(w.wrap(ev))})
				}
			}
		}
	}
	return maskProbes(t, p, ps, stream), len(ps)
}

// TestEncodingGapsGenerator: no sample, in any of the gap spellings, any
// wrapper and any character encoding, can be read back from the masked
// output, by Value or by the stream masker.
func TestEncodingGapsGenerator(t *testing.T) {
	p := jsonPolicy(t, Config{}, "all")
	for _, stream := range []bool{false, true} {
		leaks, probes := runGaps(t, p, stream)
		if len(leaks) > 0 {
			reportLeaks(t, stream, leaks, probes, func(l encLeak) string { return l.spelling })
		}
	}
}

// TestEncodingGapsStreamAgrees: on a value in each gap spelling, with
// clean text around it so that the stream masker holds and rescans, the
// stream masker cut anywhere gives Value's output.
func TestEncodingGapsStreamAgrees(t *testing.T) {
	p := jsonPolicy(t, Config{}, "all")
	pad := strings.Repeat("clean words 2026-11-05 ", 40)
	for _, sp := range gapSpellings() {
		for _, s := range encSamples {
			if sp.kinds != nil && !sp.kinds(s) {
				continue
			}
			in := []byte(pad + sp.enc(s) + " " + pad)
			checkStream(t, p, in, []int{len(pad) - 3, len(pad) + 5, len(pad) + 11})
		}
	}
}

// TestEncodingGapsShortInputs masks every string of up to four bytes over
// the bytes that start or end the new readings (quotes and join
// operators, \N{...}, base64 characters, the bytes of a zero-width
// space): no panic, and the stream masker agrees with Value.
func TestEncodingGapsShortInputs(t *testing.T) {
	checkEveryShortInput(t, "\"'+|, 4A\\N{}\xe2\x80\x8b")
}

// TestSSNGluedToLettersStaysMasked records a decision: nine digits glued
// to letters (x123456789x), hex letters included, are an SSN. A 32-hex id
// holds nine such digits about once in eighteen and loses them to
// [US_SSN]; but an attacker can glue hex letters to a real SSN to make it
// look like an id, and no rule tells the two apart, so over-masking is
// kept as the safe side.
func TestSSNGluedToLettersStaysMasked(t *testing.T) {
	p := jsonPolicy(t, Config{}, "ssn")
	for _, in := range []string{"x123456789x", "780604947c93a076c24f8295f3194d04", "c93a076c24f8295f3194d04a123456789"} {
		out, _, err := p.Value("", in)
		if err != nil || !strings.Contains(out, "[US_SSN]") {
			t.Errorf("%q -> %q %v", in, out, err)
		}
	}
}

// TestEncodedRunStreamLong: a card deep inside a long MIME base64 body
// and a long hex dump, streamed in small and large writes, is masked as
// Value masks it, whatever alignment each held window starts at.
func TestEncodedRunStreamLong(t *testing.T) {
	p := jsonPolicy(t, Config{}, "all")
	text := strings.Repeat("plain words of a long letter, nothing more. ", 300) + "card 4111111111111111 " +
		strings.Repeat("and the letter goes on. ", 300)
	b64 := base64.StdEncoding.EncodeToString([]byte(text))
	var mime strings.Builder
	for len(b64) > 76 {
		mime.WriteString(b64[:76] + "\r\n")
		b64 = b64[76:]
	}
	mime.WriteString(b64)
	for _, in := range []string{mime.String(), hex.EncodeToString([]byte(text))} {
		out, _, err := p.Value("", in)
		if err != nil || !strings.Contains(out, "[CREDIT_CARD]") {
			t.Fatalf("Value: %v, masked: %v", err, strings.Contains(out, "[CREDIT_CARD]"))
		}
		for _, cut := range []int{7, 1000, 4096} {
			var cuts []int
			for k := cut; k < len(in); k += cut {
				cuts = append(cuts, k)
			}
			checkStream(t, p, []byte(in), cuts)
		}
	}
}
