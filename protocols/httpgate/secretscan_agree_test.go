package httpgate

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/mask"
)

// TestSecretScanAgreesWithJSONMasking: the whole-body search lets a JSON
// body through unchanged only when the masking path it skips would have
// found nothing in it either. Generated documents hold the secret (and
// pieces of it) in keys and values, in every escape JSON has, next to
// duplicate keys, nesting around the masker's depth limit, surrogate
// escapes and raw non-ASCII text: the shapes where the search (a
// validator and one pass over the unescaped text) and the masker (a
// decoder, value by value, or the text fallback for what it refuses)
// read the document differently.
func TestSecretScanAgreesWithJSONMasking(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 77))
	clean, found, refused := 0, 0, 0
	for i := range genN(20000) {
		secret := randSecret(r, 8+r.IntN(24))
		if r.IntN(8) == 0 {
			secret = fmt.Sprint(100000000 + r.IntN(900000000)) // an all-digit key
		}
		p := (*mask.Policy)(nil).WithSecrets([]string{secret})
		g := &jsonGen{r: r, secret: secret}
		doc := []byte(g.document())
		if !jsonHoldsNoSecret(p, &decodedDoc{doc: doc}) {
			found++
			continue
		}
		clean++
		finds, err := jsonMaskingFinds(p, doc)
		if err != nil {
			// The masker refuses documents nested deeper than it decodes;
			// the search, which read all of such a document's text, may
			// send it. Any other refusal is a reading the search lacks.
			if !errors.Is(err, mask.ErrLimit) || !strings.Contains(err.Error(), "nested deeper") {
				t.Fatalf("case %d: the search let through a body the masking path refuses: %v\n%.300s", i, err, doc)
			}
			refused++
			continue
		}
		if finds {
			t.Fatalf("case %d: the search let through a body the masking path masks (secret %q):\n%s", i, secret, doc)
		}
	}
	if clean < 1000 || found < 1000 {
		t.Fatalf("%d clean, %d with the secret: the generator misses one kind", clean, found)
	}
	t.Logf("%d clean (%d refused by the masking path), %d with the secret", clean, refused, found)
}

// jsonMaskingFinds runs the masking path of a whole JSON body (jsonBody)
// on doc and reports whether it finds anything to mask.
func jsonMaskingFinds(p *mask.Policy, doc []byte) (bool, error) {
	_, fs, err := p.JSON(doc)
	if errors.Is(err, mask.ErrInput) {
		var s string
		if s, fs, err = p.Value("", string(doc)); err == nil {
			var lfs []mask.Finding
			_, lfs, err = maskLines(p, []byte(s), int64(len(s))+1)
			fs = mask.MergeFindings(fs, lfs)
		}
	}
	return len(fs) > 0, err
}

// jsonGen writes random JSON documents around a secret.
type jsonGen struct {
	r      *rand.Rand
	secret string
	sb     strings.Builder
}

func (g *jsonGen) document() string {
	g.sb.Reset()
	g.space()
	switch g.r.IntN(6) {
	case 0:
		// Nesting around the masker's limit, the secret at the bottom.
		var closers []byte
		for range 500 + g.r.IntN(30) {
			if g.r.IntN(2) == 0 {
				g.sb.WriteString(`{"k":`)
				closers = append(closers, '}')
			} else {
				g.sb.WriteString(`[`)
				closers = append(closers, ']')
			}
		}
		g.str()
		for i := len(closers) - 1; i >= 0; i-- {
			g.sb.WriteByte(closers[i])
		}
	default:
		g.value(0)
	}
	g.space()
	return g.sb.String()
}

func (g *jsonGen) space() {
	for range g.r.IntN(3) {
		g.sb.WriteByte(" \t\r\n"[g.r.IntN(4)])
	}
}

func (g *jsonGen) value(depth int) {
	n := g.r.IntN(10)
	if depth > 4 {
		n = 6 + g.r.IntN(4)
	}
	switch {
	case n < 3:
		g.object(depth)
	case n < 5:
		g.array(depth)
	case n < 8:
		g.str()
	case n == 8:
		g.number()
	default:
		g.sb.WriteString([]string{"true", "false", "null"}[g.r.IntN(3)])
	}
}

func (g *jsonGen) object(depth int) {
	g.sb.WriteByte('{')
	var keys []string
	for i := range g.r.IntN(5) {
		if i > 0 {
			g.sb.WriteByte(',')
		}
		g.space()
		start := g.sb.Len()
		if len(keys) > 0 && g.r.IntN(5) == 0 {
			g.sb.WriteString(keys[g.r.IntN(len(keys))]) // a duplicate key
		} else {
			g.str()
		}
		keys = append(keys, g.sb.String()[start:])
		g.space()
		g.sb.WriteByte(':')
		g.space()
		g.value(depth + 1)
	}
	g.sb.WriteByte('}')
}

func (g *jsonGen) array(depth int) {
	g.sb.WriteByte('[')
	for i := range g.r.IntN(5) {
		if i > 0 {
			g.sb.WriteByte(',')
		}
		g.space()
		g.value(depth + 1)
		g.space()
	}
	g.sb.WriteByte(']')
}

func (g *jsonGen) number() {
	if g.r.IntN(3) == 0 && isDigits(g.secret) {
		g.sb.WriteString(g.secret)
		return
	}
	fmt.Fprint(&g.sb, g.r.IntN(100000))
	if g.r.IntN(3) == 0 {
		fmt.Fprintf(&g.sb, ".%de%d", g.r.IntN(100), g.r.IntN(20))
	}
}

func isDigits(s string) bool {
	return strings.Trim(s, "0123456789") == ""
}

// str writes a JSON string: filler, the secret or a piece of it in one of
// JSON's escapes, and the characters where readings part.
func (g *jsonGen) str() {
	g.sb.WriteByte('"')
	for range g.r.IntN(4) {
		switch g.r.IntN(13) {
		case 0, 1:
			g.escaped(g.secret)
		case 2:
			// The start or the end of the secret: two strings, a key
			// and its value, or two elements, make it together.
			cut := 1 + g.r.IntN(len(g.secret)-1)
			if g.r.IntN(2) == 0 {
				g.escaped(g.secret[:cut])
			} else {
				g.escaped(g.secret[cut:])
			}
		case 3:
			g.sb.WriteString([]string{`\ud83d\ude00`, `\ud800`, `\udc00x`, `é`, `\u00e9`, "\u2028", `\u0000`, `\\`, `\"`, `\/`, `<b>`, `&amp;`, `%41`, `\\u0041`, `a<b`, `<`, `>`, `<!--`, `-->`}[g.r.IntN(19)])
		case 5:
			// Markup inside the secret, which a page's reader drops.
			cut := 1 + g.r.IntN(len(g.secret)-1)
			g.escaped(g.secret[:cut] + []string{"<i>", "</b>", "<!-- x -->", "<br/>"}[g.r.IntN(4)] + g.secret[cut:])
		case 4:
			// A secret of a broken form: one byte escaped as JSON, the
			// rest raw, or the whole as \u escapes of its bytes.
			var b strings.Builder
			for i := 0; i < len(g.secret); i++ {
				if g.r.IntN(3) == 0 {
					fmt.Fprintf(&b, `\u%04X`, g.secret[i])
				} else {
					b.WriteByte(g.secret[i])
				}
			}
			g.sb.WriteString(b.String())
		default:
			g.filler()
		}
	}
	g.sb.WriteByte('"')
}

// escaped writes s as JSON string content in one of the ways an encoder
// may: as it is, with '/' or every byte escaped, or in a secretForm whose
// backslashes are escaped for JSON.
func (g *jsonGen) escaped(s string) {
	switch g.r.IntN(4) {
	case 0:
		g.sb.WriteString(jsonEscape(s))
	case 1:
		g.sb.WriteString(strings.ReplaceAll(jsonEscape(s), "/", `\/`))
	case 2:
		for i := 0; i < len(s); i++ {
			fmt.Fprintf(&g.sb, `\u%04x`, s[i])
		}
	default:
		form := secretForms[g.r.IntN(len(secretForms))].form(g.r, s)
		g.sb.WriteString(jsonEscape(form))
	}
}

// jsonEscape escapes s for a JSON string: quotes, backslashes and control
// characters.
func jsonEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteRune(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		case c == utf8.RuneError:
			b.WriteString(`\ufffd`)
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

func (g *jsonGen) filler() {
	const chars = "abcdefghij KLMNOP 0123456789 .,:;-_+/="
	for range g.r.IntN(12) {
		g.sb.WriteByte(chars[g.r.IntN(len(chars))])
	}
}

// TestSecretScanAgreesWithStreamMasking: the same for a text body, which
// the masking path sends through the stream masker in the chunks the
// upstream wrote: a body the search calls clean holds nothing the stream
// masker masks, however it is cut.
func TestSecretScanAgreesWithStreamMasking(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 78))
	clean, found := 0, 0
	for i := range genN(20000) {
		secret := randSecret(r, 8+r.IntN(24))
		p := (*mask.Policy)(nil).WithSecrets([]string{secret})
		g := &jsonGen{r: r, secret: secret}
		var doc strings.Builder
		for range 1 + r.IntN(6) {
			g.sb.Reset()
			g.str() // a JSON string's content is text with every kind of escape in it
			s := g.sb.String()
			doc.WriteString(s[1 : len(s)-1])
			doc.WriteString([]string{"", " ", "\n", "\r\n", "<p>", "\t"}[r.IntN(6)])
		}
		body := []byte(doc.String())
		if !utf8.Valid(body) || strings.IndexByte(doc.String(), 0) >= 0 {
			continue
		}
		if p.Finds(body) {
			found++
			continue
		}
		clean++
		w := p.NewWriter(io.Discard)
		for b := body; len(b) > 0; {
			k := min(len(b), 1+r.IntN(64))
			if _, err := w.Write(b[:k]); err != nil {
				t.Fatalf("case %d: %v", i, err)
			}
			b = b[k:]
		}
		if err := w.Close(); err != nil {
			t.Fatalf("case %d: the search let through a body the stream masker refuses: %v\n%s", i, err, body)
		}
		if fs := w.Findings(); len(fs) > 0 {
			t.Fatalf("case %d: the search let through a body the stream masker masks (secret %q): %v\n%s", i, secret, fs, body)
		}
	}
	if clean < 1000 || found < 1000 {
		t.Fatalf("%d clean, %d with the secret: the generator misses one kind", clean, found)
	}
}
