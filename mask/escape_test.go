package mask

import (
	"bytes"
	"fmt"
	"html"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscapedValues(t *testing.T) {
	runDetCases(t, "email", []detCase{
		{"mail ann%40example.com now", "mail [EMAIL] now"},
		{"/next?email=ann%40example.com&x=1", "/next?email=[EMAIL]&x=1"},
		{"ann%2540example.com", "[EMAIL]"},               // a URL inside a URL
		{"ann%252540example.com", "[EMAIL]"},             // three layers
		{"<a>ann&#64;example.com</a>", "<a>[EMAIL]</a>"}, // numeric reference
		{"ann&#x40;example.com", "[EMAIL]"},
		{"ann&#X40;example&#46;com", "[EMAIL]"},
		{"ann&#0064;example.com", "[EMAIL]"}, // leading zeros
		{"ann&#64example.com", "[EMAIL]"},    // no ';': browsers decode it
		{"ann&commat;example&period;com", "[EMAIL]"},
		{"ann&amp;#64;example.com", "[EMAIL]"}, // escaped HTML in XML or JSON
		{"ann&amp;amp;#64;example.com", "[EMAIL]"},
		{"ann&#37;40example.com", "[EMAIL]"}, // an entity inside a URL
		{"%26%2364%3B", "%26%2364%3B"},       // just an at sign
		{"ann%26%2364%3Bexample.com", "[EMAIL]"},
		{`"ann\u0040example.com"`, `"[EMAIL]"`},
		{`ann\u0026#64;example.com`, "[EMAIL]"},
		{`ann\x40example.com`, "[EMAIL]"},
		{`ann\u{40}example.com`, "[EMAIL]"},
		{"&#97;&#110;&#110;&#64;&#101;&#120;&#97;&#109;&#112;&#108;&#101;&#46;&#99;&#111;&#109;", "[EMAIL]"},
		{"%61%6E%6E%40%65%78%61%6D%70%6C%65%2E%63%6F%6D", "[EMAIL]"},
		{"ann%EF%BC%A0example.com", "[EMAIL]"}, // a fullwidth at sign, UTF-8 percent-encoded
		{"50%25 off &amp; more \\n", "50%25 off &amp; more \\n"},
		{"ann%4", "ann%4"},
		{"ann@", "ann@"},
		// Markup between the characters: the text a browser renders.
		{"<p>ann@<b>example</b>.com</p>", "<p>[EMAIL]</p>"},
		{"ann@<!-- x -->example.com", "[EMAIL]"},
		{"ann&#64;<i>example</i>&#46;com", "[EMAIL]"},
		{"<p>a < b > c</p>", "<p>a < b > c</p>"},
		{"<td>ann@</td><td>example.com</td>", "<td>ann@</td><td>example.com</td>"}, // cells do not run together
	})
	runDetCases(t, "credit_card", []detCase{
		{"<td>4111 <span>1111</span> 1111 <b>1111</b></td>", "<td>[CREDIT_CARD]</b></td>"},
		{"<td>2026</td><td>4111111</td><td>111111111</td>", "<td>2026</td><td>4111111</td><td>111111111</td>"},
	})
	runDetCases(t, "credit_card", []detCase{
		{"4111&#32;1111&#32;1111&#32;1111", "[CREDIT_CARD]"},
		{"4111&nbsp;1111&nbsp;1111&nbsp;1111", "[CREDIT_CARD]"},
		{"4111&shy;1111&shy;1111&shy;1111", "[CREDIT_CARD]"},
		{"card=4111%2B1111%2B1111%2B1111", "card=[CREDIT_CARD]"},
		{`"4111\u00201111\u00201111\u00201111"`, `"[CREDIT_CARD]"`},
		{"&#52;&#49;&#49;&#49;&#49;&#49;&#49;&#49;&#49;&#49;&#49;&#49;&#49;&#49;&#49;&#49;", "[CREDIT_CARD]"},
	})
	runDetCases(t, "us_ssn", []detCase{
		{"ssn=123%2D45%2D6789", "ssn=[US_SSN]"},
		{"123&#45;45&#45;6789", "[US_SSN]"},
	})
}

// TestEscapeOverlongFailsClosed: a numeric escape padded beyond the bound
// is refused, not passed undecoded.
func TestEscapeOverlongFailsClosed(t *testing.T) {
	e, _ := New(Config{})
	p, _ := e.Policy([]string{"email"})
	for _, in := range []string{"ann&#" + strings.Repeat("0", 20) + "64;example.com", `ann\u{` + strings.Repeat("0", 20) + "40}example.com"} {
		if out, _, err := p.Value("", in); err == nil {
			t.Errorf("%q: no error, got %q", in, out)
		}
		var b bytes.Buffer
		w := p.NewWriter(&b)
		_, err := w.Write([]byte(in))
		if err == nil {
			err = w.Close()
		}
		if err == nil {
			t.Errorf("stream %q: no error, got %q", in, b.String())
		}
	}
}

// encodeRandomly writes s with each character in a notation picked at
// random, the way servers stack them.
func encodeRandomly(r *rand.Rand, s string) string {
	var b strings.Builder
	for _, c := range s {
		if r.IntN(12) == 0 {
			b.WriteString([]string{"<b>", "</i>", "<!-- x -->", "<span class=\"a\">"}[r.IntN(4)])
		}
		b.WriteString(encodeChar(r, c, 0))
	}
	return b.String()
}

func encodeChar(r *rand.Rand, c rune, depth int) string {
	if c >= 0x80 {
		switch r.IntN(3) {
		case 0:
			return string(c)
		case 1:
			return "&#" + strconv.Itoa(int(c)) + ";"
		default:
			var out string
			for _, x := range []byte(string(c)) {
				out += fmt.Sprintf("%%%02X", x)
			}
			return out
		}
	}
	named := map[rune]string{'@': "&commat;", '.': "&period;", '-': "&hyphen;", ' ': "&nbsp;", '_': "&lowbar;", '+': "&plus;"}
	switch r.IntN(11) {
	case 0, 1, 2:
		return string(c)
	case 3:
		return fmt.Sprintf("%%%02X", c)
	case 4:
		if depth < 1 {
			return encodeChar(r, '%', depth+1) + fmt.Sprintf("%02x", c)
		}
		return fmt.Sprintf("%%%02x", c)
	case 5:
		return "&#" + strings.Repeat("0", r.IntN(3)) + strconv.Itoa(int(c)) + ";"
	case 6:
		return fmt.Sprintf("&#x%X;", c)
	case 7:
		if n, ok := named[c]; ok {
			return n
		}
		return fmt.Sprintf("&#%d;", c)
	case 8:
		return fmt.Sprintf(`\u%04x`, c)
	case 9:
		if depth < 1 {
			return encodeChar(r, '&', depth+1) + "#" + strconv.Itoa(int(c)) + ";"
		}
		return fmt.Sprintf("&amp;#%d;", c)
	default:
		return fmt.Sprintf(`\x%02X`, c)
	}
}

var (
	jsEscRE  = regexp.MustCompile(`\\u\{([0-9a-fA-F]+)\}|\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})`)
	pctRE    = regexp.MustCompile(`%[0-9a-fA-F]{2}`)
	tagRE    = regexp.MustCompile(`<!--.*?-->|<[A-Za-z/!?][^>]*>`)
	separsRE = regexp.MustCompile(`[\s\p{Zs}\x{00AD}\x{200B}-\x{200F}\x{2010}-\x{2015}\x{2212}\-./_+]`)
)

// clientViews decodes s as clients would, independently of the masker:
// html.UnescapeString, percent-decoding and JS escapes, in every order,
// four times over.
func clientViews(s string) []string {
	views := []string{s, tagRE.ReplaceAllString(s, "")}
	cur := views
	for range 4 {
		var next []string
		for _, v := range cur {
			a := html.UnescapeString(v)
			b := pctRE.ReplaceAllStringFunc(v, func(m string) string {
				x, _ := strconv.ParseUint(m[1:], 16, 8)
				return string([]byte{byte(x)})
			})
			c := jsEscRE.ReplaceAllStringFunc(v, func(m string) string {
				sm := jsEscRE.FindStringSubmatch(m)
				h := sm[1] + sm[2] + sm[3]
				x, _ := strconv.ParseUint(h, 16, 32)
				return string(rune(x))
			})
			for _, d := range []string{a, b, c} {
				if d != v {
					next = append(next, d)
				}
			}
		}
		views = append(views, next...)
		cur = next
		if len(cur) > 64 {
			cur = cur[:64]
		}
	}
	return views
}

// leaksValue reports whether any client view of out holds the value
// (separators and invisible characters ignored for numbers).
func leaksValue(out, value string, digits bool) bool {
	for _, v := range clientViews(out) {
		if !utf8.ValidString(v) {
			v = strings.ToValidUTF8(v, "")
		}
		if digits {
			v = separsRE.ReplaceAllString(v, "")
		}
		if strings.Contains(strings.ToLower(v), value) {
			return true
		}
	}
	return false
}

// TestEscapedValuesGenerated: random encodings of fixture values, in
// random surroundings and cut at random points for the stream masker,
// never reach the output in a form a client decodes back.
func TestEscapedValuesGenerated(t *testing.T) {
	e, _ := New(Config{})
	p, _ := e.Policy([]string{"email", "credit_card", "us_ssn"})
	r := rand.New(rand.NewPCG(16, 1))
	fixtures := []struct {
		v      string
		find   string
		digits bool
	}{
		{"ann.lee@example.com", "ann.lee@example.com", false},
		{"4111 1111 1111 1111", "4111111111111111", true},
		{"4111-1111-1111-1111", "4111111111111111", true},
		{"123-45-6789", "123456789", true},
	}
	pre := []string{"", " ", "<p>", "\"", "?q=", "&x=", "\n", ", "}
	post := []string{"", " ", "</p>", "\"", "&x=1", "\n", ", "}
	n := 3000
	if testing.Short() {
		n = 500
	}
	for i := range n {
		f := fixtures[i%len(fixtures)]
		enc := encodeRandomly(r, f.v)
		in := pre[r.IntN(len(pre))] + enc + post[r.IntN(len(post))]
		out, _, err := p.Value("", in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if leaksValue(out, f.find, f.digits) {
			t.Fatalf("Value leaked %q\nin:  %q\nout: %q", f.v, in, out)
		}
		// The stream masker, with the value cut at a random point.
		pad := strings.Repeat("x ", r.IntN(400))
		whole := pad + in + pad
		var b bytes.Buffer
		w := p.NewWriter(&b)
		cut := r.IntN(len(whole) + 1)
		if _, err := w.Write([]byte(whole[:cut])); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(whole[cut:])); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		want, _, _ := p.Value("", whole)
		if b.String() != want {
			t.Fatalf("stream differs from Value for %q cut at %d:\n%q\n%q", whole, cut, b.String(), want)
		}
	}
}

func FuzzEscapedValue(f *testing.F) {
	e, _ := New(Config{})
	p, _ := e.Policy([]string{"email", "credit_card"})
	f.Add("ann%40example.com", uint16(3))
	f.Add("ann&amp;#64;example.com", uint16(9))
	f.Add(`4111\u00201111 1111&#32;1111`, uint16(12))
	f.Add("ann@<b>exa</b>mple.com", uint16(6))
	for _, in := range []string{"\\", "\\+", "=", "=\r", "\\\r", "\\34 \\31 ", "=34=31=31", "\\064\\061", "ann [at] example [dot] com",
		"4\x001\x001\x001\x00", "\xff\xfe4\x00", "\\U0000003", "%u00", "4,111,111,111,111,111", "415,555,2671"} {
		f.Add(in, uint16(len(in)/2))
	}
	f.Fuzz(func(t *testing.T, in string, cut uint16) {
		want, _, err := p.Value("", in)
		var b bytes.Buffer
		w := p.NewWriter(&b)
		k := int(cut) % (len(in) + 1)
		_, err1 := w.Write([]byte(in[:k]))
		if err1 == nil {
			_, err1 = w.Write([]byte(in[k:]))
		}
		if err1 == nil {
			err1 = w.Close()
		}
		if (err == nil) != (err1 == nil) {
			t.Fatalf("Value error %v, stream error %v", err, err1)
		}
		if err == nil && b.String() != want {
			t.Fatalf("stream %q != Value %q", b.String(), want)
		}
	})
}

// BenchmarkValueEscapedHTML: an HTML page with markup and a character
// reference every few dozen bytes, so that every view is built.
func BenchmarkValueEscapedHTML(b *testing.B) {
	p := benchPolicy(b)
	var sb strings.Builder
	clean := benchText(64<<10, 3)
	for i := 0; sb.Len() < 64<<10; i += 80 {
		sb.WriteString("<p>")
		sb.Write(clean[i%len(clean) : min(i%len(clean)+80, len(clean))])
		sb.WriteString(" &amp; <b>more</b>&nbsp;%20</p>\n")
	}
	in := sb.String()
	b.SetBytes(int64(len(in)))
	defer cpuMetric(b, int64(len(in)))()
	for b.Loop() {
		if _, _, err := p.Value("", in); err != nil {
			b.Fatal(err)
		}
	}
}
