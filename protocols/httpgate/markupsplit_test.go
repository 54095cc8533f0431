package httpgate

import (
	"encoding/xml"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
)

// splitter is markup put between two pieces of a value: under HTML it
// renders as nothing; wrap instead wraps the second piece (a CDATA
// section, whose content an XML parser reads as text).
type splitter struct {
	markup string
	wrap   bool
	xml    bool // well-formed in XML too
}

// splitters are constructs whose end the HTML tokenizer, XML parsers and
// naive strippers disagree on.
var splitters = []splitter{
	{markup: "<!-->"}, {markup: "<!--->"}, {markup: "<!-- a --!>"}, {markup: "<!-- x -->", xml: true},
	{markup: "<a title='>'>"}, {markup: `<b data-x=">" id=k>`}, {markup: "<i\n title = '>>' >"},
	{markup: "<span title=\"a>b\" class='c>d'>", xml: true}, {markup: "</b >"}, {markup: "</>"},
	{markup: "<?php echo 1 ?>"}, {markup: "<?pi x?>", xml: true}, {markup: "<!x>"}, {markup: "</3 x>"},
	{markup: "<!--" + strings.Repeat("long ", 40) + "-->", xml: true},
	{markup: "<a title='>" + strings.Repeat("x", 200) + "'>"},
	{markup: "<![CDATA[", wrap: true, xml: true}, {markup: "<x y=a>"}, {markup: "<x a=\"=>\">"},
}

// splitValues are values a client must not read whole, with what their
// rendering shows once separators are dropped.
var splitValues = []struct{ v, find string }{
	{"4111 1111 1111 1111", "4111111111111111"},
	{"4111111111111111", "4111111111111111"},
	{"ann.lee@example.com", "ann.lee@example.com"},
}

// markupSplit cuts v by random splitters; it returns the text and its
// rendering under HTML (the splitters removed).
func markupSplit(r *rand.Rand, v string, xmlOnly bool) (string, string) {
	var doc, rendered strings.Builder
	for i, piece := range splitRandomly(r, v, 2+r.IntN(3)) {
		if i > 0 {
			sp := splitters[r.IntN(len(splitters))]
			for xmlOnly && !sp.xml {
				sp = splitters[r.IntN(len(splitters))]
			}
			switch {
			case sp.wrap:
				doc.WriteString(sp.markup + piece + "]]>")
				rendered.WriteString(piece)
				continue
			default:
				doc.WriteString(sp.markup)
			}
		}
		doc.WriteString(piece)
		rendered.WriteString(piece)
	}
	return doc.String(), rendered.String()
}

// TestMarkupSplitValuesGenerated: a card or e-mail address cut by markup
// that parsers read differently (abrupt comments, '>' in quoted
// attributes, CDATA, PIs), served as HTML or XML in random chunks, never
// reaches a client in a form it renders or decodes whole.
func TestMarkupSplitValuesGenerated(t *testing.T) {
	e := newEnvWith(t, 0, piiRules, nil, nil)
	r := rand.New(rand.NewPCG(7, 1))
	var page string
	seed := r.Uint64()
	srv := proxyTo(t, e, Credential{}, func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", req.URL.Query().Get("ct"))
		writeChunked(w, rand.New(rand.NewPCG(seed, uint64(len(page)))), []byte(page))
	})
	for i := range genN(400) {
		fx := splitValues[r.IntN(len(splitValues))]
		isXML := r.IntN(2) == 0
		text, _ := markupSplit(r, fx.v, isXML)
		ct := "text/html"
		if isXML {
			ct = "application/xml"
			page = "<r><v>" + text + "</v></r>"
		} else {
			page = "<p>value " + text + " end</p>"
		}
		body := readAll(t, e.do(srv, "GET", "/api/page?ct="+ct, "", ""))
		// The HTML rendering: every splitter removed, CDATA read as text.
		rendered := body
		for _, sp := range splitters {
			if sp.wrap {
				rendered = strings.ReplaceAll(strings.ReplaceAll(rendered, sp.markup, ""), "]]>", "")
			} else {
				rendered = strings.ReplaceAll(rendered, sp.markup, "")
			}
		}
		views := []string{rendered}
		if isXML {
			var v struct {
				V string `xml:"v"`
			}
			if err := xml.Unmarshal([]byte(body), &v); err == nil {
				views = append(views, v.V)
			}
		}
		for _, s := range views {
			s = strings.NewReplacer(" ", "", "\n", "").Replace(s)
			if strings.Contains(s, fx.find) {
				t.Fatalf("case %d (%s): served %q, the client got %q and reads %q", i, ct, page, body, s)
			}
		}
	}
}
