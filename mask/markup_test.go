package mask

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestMarkupReadings(t *testing.T) {
	cases := []struct {
		in   string
		r    reading
		want string
	}{
		{"a<!-->b<!-- c -->d", readHTML, "abd"},
		{"a<!--->b", readHTML, "ab"},
		{"a<!-- x --!>b", readHTML, "ab"},
		{"a<!-- x --!>b-->c", readNaive, "ac"},
		{"a<x title='>'>b", readHTML, "ab"},
		{"a<x title='>'>b", readNaive, "a'>b"},
		{`a<x t=">" u='>' v=w>b`, readHTML, "ab"},
		{"a</>b</ x>c", readHTML, "abc"},
		{"a<?x > ?>b", readHTML, "a ?>b"},
		{"a<?x > ?>b", readXML, "ab"},
		{"a<![CDATA[b>c]]>d", readHTML, "ac]]>d"},
		{"a<![CDATA[b>c]]>d", readForeign, "ab>cd"},
		{"<c>a<![CDATA[b]]>c</c><d>e</d>", readXML, "\nabc\n\ne\n"},
		{"a<![CDATA[b", readXML, "ab"},
		{"a<!-- b", readHTML, "a"},
		{"a < b", readHTML, "a < b"},
	}
	for _, c := range cases {
		var l layer
		l.strip([]byte(c.in), c.r)
		if string(l.b) != c.want {
			t.Errorf("strip(%q, %d) = %q, want %q", c.in, c.r, l.b, c.want)
		}
	}
}

// markupSplitters render as nothing in HTML; a wrap splitter's content is
// text in XML and foreign content.
var markupSplitters = []struct {
	open, close string
}{
	{"<!-->", ""}, {"<!--->", ""}, {"<!-- a --!>", ""}, {"<!-- -->", ""}, {"<a title='>'>", ""},
	{`<b x=">">`, ""}, {"<!--" + strings.Repeat("-", 200) + "-->", ""}, {"<i title='>" + strings.Repeat(">", 200) + "'>", ""}, {"</i\n>", ""}, {"<?p ?>", ""}, {"<!d>", ""}, {"<![CDATA[", "]]>"},
}

// TestMarkupSplitGenerated: values cut by markup read differently by
// HTML, XML and naive strippers are masked by Value and by the stream
// masker at any chunking, judged on the rendering of the output.
func TestMarkupSplitGenerated(t *testing.T) {
	e, _ := New(Config{})
	p, _ := e.Policy([]string{"email", "credit_card"})
	r := rand.New(rand.NewPCG(9, 3))
	values := []struct{ v, find string }{
		{"4111 1111 1111 1111", "4111111111111111"}, {"ann.lee@example.com", "ann.lee@example.com"},
	}
	for i := range 2000 {
		fx := values[r.IntN(len(values))]
		var b strings.Builder
		b.WriteString("<p>x ")
		rest := fx.v
		for rest != "" {
			n := 1 + r.IntN(len(rest))
			sp := markupSplitters[r.IntN(len(markupSplitters))]
			if rest == fx.v {
				sp.open, sp.close = "", ""
			}
			b.WriteString(sp.open + rest[:n] + sp.close)
			rest = rest[n:]
		}
		b.WriteString(" y</p>")
		in := b.String()
		out, _, err := p.Value("", in)
		if err != nil {
			t.Fatal(err)
		}
		var sw bytes.Buffer
		w := p.NewWriter(&sw)
		for s := in; s != ""; {
			n := 1 + r.IntN(len(s))
			_, _ = w.Write([]byte(s[:n]))
			s = s[n:]
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		for _, o := range []string{out, sw.String()} {
			rendered := o
			for _, sp := range markupSplitters {
				rendered = strings.ReplaceAll(rendered, sp.open, "")
				if sp.close != "" {
					rendered = strings.ReplaceAll(rendered, sp.close, "")
				}
			}
			if strings.Contains(strings.ReplaceAll(rendered, " ", ""), fx.find) {
				t.Fatalf("case %d: %q masked to %q", i, in, o)
			}
		}
	}
}

// FuzzMarkupStrip: every reading of any text keeps origins in range and
// in order, and copies text bytes from where they came.
func FuzzMarkupStrip(f *testing.F) {
	for _, s := range []string{"a<!-->b", "<a title='>'>x", "<![CDATA[x]]>", "<?x?>", "</>", "<x a=\"=>\">", "a<!--"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for r := range nReadings {
			var l layer
			l.strip([]byte(s), r)
			last := 0
			for k := range l.b {
				if l.st[k] < last || l.en[k] > len(s) || l.st[k] >= l.en[k] {
					t.Fatalf("reading %d of %q: origin %d..%d of byte %d", r, s, l.st[k], l.en[k], k)
				}
				if l.en[k]-l.st[k] == 1 && s[l.st[k]] != l.b[k] {
					t.Fatalf("reading %d of %q: byte %d is not its origin", r, s, k)
				}
				last = l.st[k]
			}
		}
	})
}
