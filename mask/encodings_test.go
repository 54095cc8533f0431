package mask

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"maps"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode"
	"unicode/utf16"
)

// The encodings family: a sensitive value written in a notation, spelling
// or character encoding that a client (or a one-line decoder) reads back,
// but that the masker did not. TestEncodingsGenerator writes a sample of
// every detector's kind through every spelling below, alone and wrapped in
// JSON, HTML and URL notation, masks it, and fails when the value can be
// recovered from the output by the decoder of that spelling.

// encSample is one sensitive value and how to tell it in decoded text.
type encSample struct {
	kind  string // a detector name
	value string // as the detector reads it in plain text
	// numeric: the value is its digits; recovered when the decoded output,
	// digits folded and everything else dropped, still holds them.
	numeric bool
	digits  string
	groups  []int // natural grouping of the digits, for separator spellings
}

var encSamples = []encSample{
	{kind: "credit_card", value: "4111111111111111", numeric: true, groups: []int{4, 4, 4, 4}},
	{kind: "credit_card", value: "5555555555554444", numeric: true, groups: []int{4, 4, 4, 4}},
	{kind: "credit_card", value: "378282246310005", numeric: true, groups: []int{4, 6, 5}},
	{kind: "us_ssn", value: "123-45-6789", numeric: true, groups: []int{3, 2, 4}},
	{kind: "phone", value: "(415) 555-2671", numeric: true, groups: []int{3, 3, 4}},
	{kind: "phone", value: "+14155552671", numeric: true},
	{kind: "email", value: "ann.lee@example.com"},
	{kind: "iban", value: "GB82WEST12345698765432"},
	{kind: "ipv4", value: "10.20.30.40"},
	{kind: "aws_access_key_id", value: "AKIAIOSFODNN7EXAMPLE"},
	{kind: "github_token", value: "ghp_16C7e42F292c6912E7710c838347Ae178B4a"},
	{kind: "stripe_key", value: "sk_live_4eC39HqLyjWDarjtT1zdp7dc"},
}

func init() {
	for i := range encSamples {
		s := &encSamples[i]
		if s.numeric {
			s.digits = digitsOf(s.value)
		}
	}
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// encSpelling rewrites a value; dec is the one-line decoder a reader
// applies to get it back (nil: reading it needs no decoder, only the
// folding every check applies).
type encSpelling struct {
	name  string
	kinds func(s encSample) bool // nil: every sample
	enc   func(s encSample) string
	dec   func(string) string
}

// perChar encodes the characters of v that pick selects with f.
func perChar(v string, pick func(i int, r rune) bool, f func(r rune) string) string {
	var b strings.Builder
	i := 0
	for _, r := range v {
		if pick(i, r) {
			b.WriteString(f(r))
		} else {
			b.WriteRune(r)
		}
		i++
	}
	return b.String()
}

var (
	everyChar  = func(int, rune) bool { return true }
	everyOther = func(i int, _ rune) bool { return i%2 == 1 }
	digitsOnly = func(_ int, r rune) bool { return r >= '0' && r <= '9' }
	punctOnly  = func(_ int, r rune) bool { return r == '@' || r == '.' || r == '-' || r == '_' }
)

var (
	octalRE  = regexp.MustCompile(`\\([0-7]{1,3})`)
	cssRE    = regexp.MustCompile(`\\([0-9a-fA-F]{1,6})(\r\n|[ \t\n\r\f])?`)
	qpRE     = regexp.MustCompile(`=([0-9A-Fa-f]{2})`)
	pctURE   = regexp.MustCompile(`%u([0-9A-Fa-f]{4})`)
	pyURE    = regexp.MustCompile(`\\U([0-9A-Fa-f]{8})`)
	perlXRE  = regexp.MustCompile(`\\x\{([0-9A-Fa-f]{1,8})\}`)
	identRE  = regexp.MustCompile(`\\([^0-9A-Za-z])`)
	jsonNRE  = regexp.MustCompile(`\\[ntr]`)
	atWordRE = regexp.MustCompile(`(?i)\s*[\[({<]\s*(at|@)\s*[\])}>]\s*|\s+at\s+`)
	dotWrdRE = regexp.MustCompile(`(?i)\s*[\[({<]\s*(dot|\.)\s*[\])}>]\s*|\s+dot\s+`)
)

func hexRune(s string) string {
	v, _ := strconv.ParseUint(s, 16, 32)
	return string(rune(v))
}

func decodeOctal(s string) string {
	return octalRE.ReplaceAllStringFunc(s, func(m string) string {
		v, _ := strconv.ParseUint(m[1:], 8, 8)
		return string([]byte{byte(v)})
	})
}

func decodeCSS(s string) string {
	s = strings.ReplaceAll(s, "\\\n", "")
	return cssRE.ReplaceAllStringFunc(s, func(m string) string {
		return hexRune(cssRE.FindStringSubmatch(m)[1])
	})
}

func decodeQP(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "=\r\n", ""), "=\n", "")
	return qpRE.ReplaceAllStringFunc(s, func(m string) string {
		v, _ := strconv.ParseUint(m[1:], 16, 8)
		return string([]byte{byte(v)})
	})
}

func reSub(re *regexp.Regexp, f func(sub string) string) func(string) string {
	return func(s string) string {
		return re.ReplaceAllStringFunc(s, func(m string) string { return f(re.FindStringSubmatch(m)[1]) })
	}
}

// withDigits rewrites each ASCII digit as the digit of value d in the
// Unicode block whose zero is zero.
func withDigits(v string, zero rune) string {
	return perChar(v, digitsOnly, func(r rune) string { return string(zero + r - '0') })
}

// regroup writes the digits of s with sep between groups of the given
// sizes (nil: thousands, counted from the right).
func regroup(digits string, sizes []int, sep string) string {
	if sizes == nil {
		var parts []string
		for len(digits) > 3 {
			parts = append([]string{digits[len(digits)-3:]}, parts...)
			digits = digits[:len(digits)-3]
		}
		return strings.Join(append([]string{digits}, parts...), sep)
	}
	var parts []string
	for _, n := range sizes {
		parts = append(parts, digits[:n])
		digits = digits[n:]
	}
	return strings.Join(parts, sep)
}

func numericGrouped(s encSample) bool { return s.numeric && s.groups != nil }

func encSpellings() []encSpelling {
	var sp []encSpelling
	add := func(name string, kinds func(encSample) bool, enc func(encSample) string, dec func(string) string) {
		sp = append(sp, encSpelling{name, kinds, enc, dec})
	}
	for _, pick := range []struct {
		name string
		f    func(int, rune) bool
	}{{"all", everyChar}, {"every-other", everyOther}} {
		p := pick.f
		add("octal/"+pick.name, nil, func(s encSample) string {
			return perChar(s.value, p, func(r rune) string { return fmt.Sprintf(`\%03o`, r) })
		}, decodeOctal)
		add("octal-short/"+pick.name, nil, func(s encSample) string {
			return perChar(s.value, p, func(r rune) string { return fmt.Sprintf(`\%o`, r) })
		}, decodeOctal)
		add("css-space/"+pick.name, nil, func(s encSample) string {
			return perChar(s.value, p, func(r rune) string { return fmt.Sprintf(`\%x `, r) })
		}, decodeCSS)
		add("css-6/"+pick.name, nil, func(s encSample) string {
			// An encoder ends a last escape with a space, which CSS
			// swallows, so that the text after it is not read as digits.
			v := perChar(s.value, p, func(r rune) string { return fmt.Sprintf(`\%06x`, r) })
			if rs := []rune(s.value); p(len(rs)-1, rs[len(rs)-1]) {
				v += " "
			}
			return v
		}, decodeCSS)
		add("qp/"+pick.name, nil, func(s encSample) string {
			return perChar(s.value, p, func(r rune) string { return fmt.Sprintf(`=%02X`, r) })
		}, decodeQP)
		add("qp-lower/"+pick.name, nil, func(s encSample) string {
			return perChar(s.value, p, func(r rune) string { return fmt.Sprintf(`=%02x`, r) })
		}, decodeQP)
		add("pct-u/"+pick.name, nil, func(s encSample) string {
			return perChar(s.value, p, func(r rune) string { return fmt.Sprintf(`%%u%04X`, r) })
		}, reSub(pctURE, hexRune))
		add("py-U/"+pick.name, nil, func(s encSample) string {
			return perChar(s.value, p, func(r rune) string { return fmt.Sprintf(`\U%08X`, r) })
		}, reSub(pyURE, hexRune))
		add("perl-x/"+pick.name, nil, func(s encSample) string {
			return perChar(s.value, p, func(r rune) string { return fmt.Sprintf(`\x{%X}`, r) })
		}, reSub(perlXRE, hexRune))
	}
	add("octal/digits", nil, func(s encSample) string {
		return perChar(s.value, digitsOnly, func(r rune) string { return fmt.Sprintf(`\%03o`, r) })
	}, decodeOctal)
	add("qp/digits", nil, func(s encSample) string {
		return perChar(s.value, digitsOnly, func(r rune) string { return fmt.Sprintf(`=%02X`, r) })
	}, decodeQP)
	add("qp/punct", nil, func(s encSample) string {
		return perChar(s.value, punctOnly, func(r rune) string { return fmt.Sprintf(`=%02X`, r) })
	}, decodeQP)
	add("js-identity/punct", nil, func(s encSample) string {
		return perChar(s.value, punctOnly, func(r rune) string { return `\` + string(r) })
	}, reSub(identRE, func(s string) string { return s }))
	for _, brk := range []string{"=\r\n", "=\n"} {
		for _, every := range []int{1, 3, 5} {
			add(fmt.Sprintf("qp-soft%q/%d", brk, every), nil, func(s encSample) string {
				var b strings.Builder
				for i, r := range []rune(s.value) {
					if i > 0 && i%every == 0 {
						b.WriteString(brk)
					}
					b.WriteRune(r)
				}
				return b.String()
			}, decodeQP)
		}
	}
	add("css-continuation", nil, func(s encSample) string {
		v := s.value
		return v[:len(v)/2] + "\\\n" + v[len(v)/2:]
	}, func(s string) string { return strings.ReplaceAll(s, "\\\n", "") })
	add("json-newline", numericGrouped, func(s encSample) string {
		return regroup(s.digits, s.groups, `\n`)
	}, func(s string) string { return jsonNRE.ReplaceAllString(s, "\n") })
	// Group separators and thousands grouping.
	for _, sep := range []string{",", ".", "'", ", ", "_", "\u2009", "\u00a0", "\u202f", "\u066c", "\u2019", "\u3000", "\uff0c", "\u060c", "\u02bc"} {
		add(fmt.Sprintf("thousands%+q", sep), func(s encSample) bool { return s.kind == "credit_card" }, func(s encSample) string {
			return regroup(s.digits, nil, sep)
		}, nil)
		add(fmt.Sprintf("groups%+q", sep), numericGrouped, func(s encSample) string {
			return regroup(s.digits, s.groups, sep)
		}, nil)
	}
	// Look-alike digits.
	for _, z := range []rune{'\uff10', '\u0660', '\u06f0', '\u0966', '\U0001d7ce', '\U0001d7ec'} {
		add(fmt.Sprintf("digits%+q", z), func(s encSample) bool { return s.numeric || s.kind == "ipv4" || s.kind == "iban" }, func(s encSample) string {
			return withDigits(s.value, z)
		}, nil)
		add(fmt.Sprintf("digits%+q/thousands", z), func(s encSample) bool { return s.kind == "credit_card" }, func(s encSample) string {
			return withDigits(regroup(s.digits, nil, ","), z)
		}, nil)
	}
	// E-mail spellings.
	isEmail := func(s encSample) bool { return s.kind == "email" }
	for _, f := range []struct{ at, dot string }{
		{" [at] ", " [dot] "}, {"[at]", "[dot]"}, {"(at)", "(dot)"}, {" (at) ", " (dot) "}, {"{at}", "{dot}"},
		{" at ", " [dot] "}, {" AT ", " (DOT) "}, {"[@]", "[.]"}, {"(at)", "."}, {"[at]", "."}, {" [AT] ", "."},
		{"@", "\u2024"}, {"\uff20", "."}, {"\ufe6b", "."}, {"\uff20", "\uff0e"}, {"@", "\ufe52"}, {"@", "\u3002"},
		{"<at>", "<dot>"}, {" @ ", " . "},
	} {
		add(fmt.Sprintf("email%+q%+q", f.at, f.dot), isEmail, func(s encSample) string {
			local, dom, _ := strings.Cut(s.value, "@")
			return strings.ReplaceAll(local, ".", f.dot) + f.at + strings.ReplaceAll(dom, ".", f.dot)
		}, nil)
	}
	return sp
}

// encWrapper puts an encoded value where servers write it; dec undoes it.
type encWrapper struct {
	name string
	wrap func(v string) string
	dec  func(string) string
}

var jsonStrRE = regexp.MustCompile(`\\(u[0-9a-fA-F]{4}|.)`)

func unJSON(s string) string {
	return jsonStrRE.ReplaceAllStringFunc(s, func(m string) string {
		switch m[1] {
		case 'u':
			return hexRune(m[2:])
		case 'n':
			return "\n"
		case 'r':
			return "\r"
		case 't':
			return "\t"
		}
		return m[1:]
	})
}

func quoteJSON(v string) string {
	var b strings.Builder
	for _, r := range v {
		switch {
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unPct(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

var encWrappers = []encWrapper{
	{"plain", func(v string) string { return "value: " + v + " end" }, nil},
	{"json", func(v string) string { return `{"note":"` + quoteJSON(v) + `","n":1}` }, unJSON},
	{"html", func(v string) string { return "<p>" + html.EscapeString(v) + "</p>" }, html.UnescapeString},
	{"url", func(v string) string {
		var b strings.Builder
		for _, c := range []byte(v) {
			fmt.Fprintf(&b, "%%%02X", c)
		}
		return "/r?q=" + b.String() + "&x=1"
	}, unPct},
}

// wide is a character encoding of the whole output.
type wide struct {
	name string
	enc  func(string) []byte
}

func utf16Bytes(s string, big, bom bool) []byte {
	u := utf16.Encode([]rune(s))
	if bom {
		u = append([]uint16{0xFEFF}, u...)
	}
	out := make([]byte, 0, 2*len(u))
	for _, c := range u {
		if big {
			out = append(out, byte(c>>8), byte(c))
		} else {
			out = append(out, byte(c), byte(c>>8))
		}
	}
	return out
}

func utf32Bytes(s string, big bool) []byte {
	var out []byte
	for _, r := range s {
		b := []byte{byte(r), byte(r >> 8), byte(r >> 16), byte(r >> 24)}
		if big {
			b[0], b[1], b[2], b[3] = b[3], b[2], b[1], b[0]
		}
		out = append(out, b...)
	}
	return out
}

var wides = []wide{
	{"utf8", func(s string) []byte { return []byte(s) }},
	{"utf16le", func(s string) []byte { return utf16Bytes(s, false, false) }},
	{"utf16be", func(s string) []byte { return utf16Bytes(s, true, false) }},
	{"utf16le-bom", func(s string) []byte { return utf16Bytes(s, false, true) }},
	{"utf16be-bom", func(s string) []byte { return utf16Bytes(s, true, true) }},
	{"utf32le", func(s string) []byte { return utf32Bytes(s, false) }},
	{"utf32be", func(s string) []byte { return utf32Bytes(s, true) }},
}

// readWide decodes b as UTF-16 in both byte orders and at both
// alignments, and as UTF-32 in both byte orders and at every alignment,
// for the leak check.
func readWide(b []byte) []string {
	var out []string
	for off := 0; off < 4 && off < len(b); off++ {
		for _, big := range []bool{false, true} {
			var rs []rune
			for i := off; i+3 < len(b); i += 4 {
				if big {
					rs = append(rs, rune(b[i])<<24|rune(b[i+1])<<16|rune(b[i+2])<<8|rune(b[i+3]))
				} else {
					rs = append(rs, rune(b[i+3])<<24|rune(b[i+2])<<16|rune(b[i+1])<<8|rune(b[i]))
				}
			}
			out = append(out, string(rs))
		}
	}
	for off := 0; off < 2 && off < len(b); off++ {
		for _, big := range []bool{false, true} {
			var u []uint16
			for i := off; i+1 < len(b); i += 2 {
				if big {
					u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
				} else {
					u = append(u, uint16(b[i+1])<<8|uint16(b[i]))
				}
			}
			out = append(out, string(utf16.Decode(u)))
		}
	}
	return out
}

// foldDigits turns every Unicode decimal digit into its ASCII digit.
func foldDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsDigit(r) {
			z := r
			for unicode.IsDigit(z-1) && r-z < 9 {
				z--
			}
			// Blocks of digits run on (mathematical digits): count from
			// the block's start.
			lo := r
			for unicode.IsDigit(lo - 1) {
				lo--
			}
			b.WriteByte(byte('0' + (r-lo)%10))
			continue
		}
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		switch r {
		case 0x2024, 0xFE52, 0x3002, 0xFF61:
			r = '.'
		case 0xFE6B:
			r = '@'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// recovered reports whether text, read by the decoders given, still
// shows the sample.
func recovered(s encSample, text string) bool {
	t := foldDigits(text)
	if s.numeric {
		return strings.Contains(digitsOf(t), s.digits)
	}
	t = atWordRE.ReplaceAllString(t, "@")
	t = dotWrdRE.ReplaceAllString(t, ".")
	t = strings.Join(strings.Fields(t), " ")
	if s.kind == "email" {
		return strings.Contains(strings.ToLower(t), "ann.lee") || strings.Contains(strings.ToLower(t), "example")
	}
	v := s.value
	return strings.Contains(t, v[:len(v)/2]) || strings.Contains(t, v[len(v)/2:])
}

// encLeak is one probe whose value could be recovered.
type encLeak struct{ spelling, wrapper, wide, kind, in, out string }

// reportLeaks logs the first leak of each group (by key) with the group's
// count, and fails the test with how many of probes leaked.
func reportLeaks(t *testing.T, stream bool, leaks []encLeak, probes int, key func(encLeak) string) {
	t.Helper()
	by := map[string]int{}
	first := map[string]encLeak{}
	for _, l := range leaks {
		k := key(l)
		if by[k]++; by[k] == 1 {
			first[k] = l
		}
	}
	for _, k := range slices.Sorted(maps.Keys(by)) {
		l := first[k]
		t.Logf("stream=%v leak %s x%d, e.g. %s %s %s: %q -> %q", stream, k, by[k], l.kind, l.wrapper, l.wide, trunc(l.in), trunc(l.out))
	}
	t.Errorf("stream=%v: %d of %d probes leak a value", stream, len(leaks), probes)
}

// runEncodings masks every combination and returns the probes that leak.
func runEncodings(t *testing.T, p *Policy, stream bool) (leaks []encLeak, probes int) {
	t.Helper()
	for _, s := range encSamples {
		plain, _, err := p.Value("", "value: "+s.value+" end")
		if err != nil || recovered(s, plain) {
			t.Fatalf("the plain sample %q is not masked: %q %v", s.value, plain, err)
		}
	}
	var ps []encProbe
	for _, sp := range encSpellings() {
		for _, s := range encSamples {
			if sp.kinds != nil && !sp.kinds(s) {
				continue
			}
			ev := sp.enc(s)
			for _, w := range encWrappers {
				for _, wd := range wides {
					if wd.name != "utf8" && w.name != "plain" && w.name != "json" {
						continue
					}
					if strings.HasPrefix(wd.name, "utf32") && strings.IndexFunc(ev, func(r rune) bool { return r > 0xFFFF }) >= 0 {
						// UTF-32 is read as UTF-16 without its NUL units:
						// characters beyond the BMP are not (wide.go).
						continue
					}
					ps = append(ps, encProbe{s, sp, w, wd, wd.enc(w.wrap(ev))})
				}
			}
		}
	}
	return maskProbes(t, p, ps, stream), len(ps)
}

// encProbe is one sample in one spelling, wrapper and character encoding.
type encProbe struct {
	s  encSample
	sp encSpelling
	w  encWrapper
	wd wide
	in []byte
}

// maskProbes masks every probe's input (by Value, or by the stream
// masker when stream is set) on one worker per core and returns, in the
// probes' order, those whose masked output the probe's reader reads the
// sample back from. An input too large to mask (ErrLimit) fails closed:
// nothing is sent. Any other error fails t.
func maskProbes(t *testing.T, p *Policy, probes []encProbe, stream bool) (leaks []encLeak) {
	t.Helper()
	outs := make([][]byte, len(probes))
	errs := make([]error, len(probes))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(probes); i = int(next.Add(1) - 1) {
				outs[i], errs[i] = maskBytes(p, probes[i].in, stream)
			}
		}()
	}
	wg.Wait()
	for i, pr := range probes {
		if errors.Is(errs[i], ErrLimit) {
			continue
		}
		if errs[i] != nil {
			t.Fatalf("%s %s %s: %v", pr.sp.name, pr.w.name, pr.wd.name, errs[i])
		}
		if leakIn(pr.s, pr.sp, pr.w, pr.wd, outs[i]) {
			leaks = append(leaks, encLeak{pr.sp.name, pr.w.name, pr.wd.name, pr.s.kind, string(pr.in), string(outs[i])})
		}
	}
	return leaks
}

// leakIn decodes out as the probe's reader would.
func leakIn(s encSample, sp encSpelling, w encWrapper, wd wide, out []byte) bool {
	texts := []string{string(out)}
	if wd.name != "utf8" {
		texts = readWide(out)
	}
	for _, x := range texts {
		if w.dec != nil {
			x = w.dec(x)
		}
		if sp.dec != nil {
			x = sp.dec(x)
		}
		if recovered(s, x) {
			return true
		}
	}
	return false
}

func maskBytes(p *Policy, in []byte, stream bool) ([]byte, error) {
	if !stream {
		out, _, err := p.Value("", string(in))
		return []byte(out), err
	}
	var b bytes.Buffer
	w := p.NewWriter(&b)
	for i := 0; i < len(in); i += 7 {
		if _, err := w.Write(in[i:min(i+7, len(in))]); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// TestEncodingsGenerator is the generator of the encodings family: no
// sample of any detector, in any spelling, wrapping and character
// encoding above, can be read back from the masked output, by Value or by
// the stream masker.
func TestEncodingsGenerator(t *testing.T) {
	p := jsonPolicy(t, Config{}, "all")
	for _, stream := range []bool{false, true} {
		leaks, probes := runEncodings(t, p, stream)
		if len(leaks) > 0 {
			reportLeaks(t, stream, leaks, probes, func(l encLeak) string { return l.spelling + " " + l.wrapper + " " + l.wide })
		}
	}
}

// TestEncodingsLeaveCleanTextAlone: the readings that see through the
// encodings mask nothing in common text that holds none of the values.
func TestEncodingsLeaveCleanTextAlone(t *testing.T) {
	p := jsonPolicy(t, Config{}, "all")
	clean := []string{
		"version 1.12.3, build 2024.11.05, go1.23.4",
		"total 1,234.56 USD; fee 12,345.00; 1.234.567,89 EUR; 1'234'567.00 CHF",
		"population 8,100,000,000 and 1,000,000 rows",
		"date 2024-01-15 12:30:45, 15.01.2024, 01/15/2024",
		"sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"commit 5d65d96 and md5 d41d8cd98f00b204e9800998ecf8427e",
		"status=200 duration=4123ms size=3456 count=31415",
		"a=1&b=22&c=333 x=41 y=42=43",
		`path C:\Users\ann\2024\report.txt and \d+\.\d+ regex`,
		`{"msg":"line one\nline two\t2024\n","path":"\/api\/v1\/users\/12"}`,
		"meet at the station at 10.30, look at docs.python.org for details",
		"price: $1,299.99, qty 3, SKU 12-345-6789-0",
		"=3D=20soft line=\r\nbreak in prose",
		"color: #ff0000; content: \"\\2014 \"; font: 12px",
		"id,name,qty\n1,ann,3\n2,bob,4\n",
		"[4, 8, 15, 16, 23, 42]",
		"1,200,300,4000,5 and 7,415,555,2671",
		// versions, dates, ids and hashes: runs of the base64 and hex
		// alphabets that decode to no text (encruns.go)
		"version v2.3.1-rc.1+build.20240115, go1.23.4 linux/amd64, node v20.11.0",
		"id 550e8400-e29b-41d4-a716-446655440000 at 2026-11-05T12:30:45Z",
		"sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709, git 5d65d96a2c",
		"blob U2FsdGVkX1+vupppZksvRf5pq5g5XjFRlipRkwB0K1Y= and iv 3q2+7w==",
		"text aGVsbG8gd29ybGQsIHRoaXMgaXMgYSB0ZXN0 and /api/v1/users/12345/orders",
		"getUserAccountByIdentifier TestEncodingGapsGenerator HTTPServerConfiguration",
		// prose with " at " and " dot " (words.go)
		"Click the red dot at the top. The dot product at index 3 is 42.",
		"meet at the station at 10.30; the score is at 99 dot 5 percent",
		"we met at noon. Dot your i's; look at docs.python.org at 9.",
		// string joins that are not a value (joins.go)
		`x = "foo" + "bar"; y = 'abc' || 'def'; print("Total: " + str(n))`,
		`["2024","01","15"] and ["a","b"] and "v1" "v2"`,
		// invisible characters in ordinary text
		"soft\u00adhyphen and zero\u200bwidth in words",
		"soft\u00adhyphen\u00adated: Ver\u00adsion 1.2.3",
	}
	for _, c := range clean {
		out, f, err := p.Value("", c)
		if err != nil || out != c || f != nil {
			t.Errorf("clean text %q became %q (%v, %v)", c, out, f, err)
		}
	}
}

func trunc(s string) string {
	if len(s) > 160 {
		return s[:160] + "..."
	}
	return s
}

// TestEncodingsShortInputs masks every string of up to four characters
// over the bytes that start or end the new readings (escape introducers,
// line breaks, brackets, NUL, bytes that are not UTF-8): no panic, and
// the stream masker, cut anywhere, agrees with Value.
func TestEncodingsShortInputs(t *testing.T) {
	checkEveryShortInput(t, "\\=%&+\r\n [(at@04\x00\xff")
}

// checkEveryShortInput masks every string of up to four bytes of alphabet
// with every detector: no panic, and the stream masker, cut in the middle,
// agrees with Value.
func checkEveryShortInput(t *testing.T, alphabet string) {
	p := jsonPolicy(t, Config{}, "all")
	var rec func(prefix []byte)
	rec = func(prefix []byte) {
		if len(prefix) > 0 {
			checkStream(t, p, prefix, []int{len(prefix) / 2})
		}
		if len(prefix) == 4 {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			rec(append(prefix, alphabet[i]))
		}
	}
	rec(make([]byte, 0, 4))
}
