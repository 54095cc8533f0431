package httpgate

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/airlock-sdk/airlock/internal/gatetest"
)

// TestMaskedEncodingsEndToEnd: an upstream writes a card and an e-mail
// address in notations a client reads back (quoted-printable with and
// without soft line breaks, octal and CSS escapes in JSON, thousands
// separators, a spelled-out address, a UTF-16 body); fetched with curl
// through the gateway as a reverse proxy and as a middleware, none of them
// can be read back from the bytes curl received by the decoder of its
// notation.
func TestMaskedEncodingsEndToEnd(t *testing.T) {
	bin := gatetest.NeedTool(t, "curl")
	qp := func(s string) string {
		var b strings.Builder
		for _, c := range []byte(s) {
			b.WriteString("=" + strings.ToUpper(strconv.FormatUint(uint64(c), 16)))
		}
		return b.String()
	}
	wide := func(s string) string {
		var b strings.Builder
		for _, u := range utf16.Encode([]rune(s)) {
			b.WriteByte(byte(u))
			b.WriteByte(byte(u >> 8))
		}
		return b.String()
	}
	qpDec := regexp.MustCompile(`=([0-9A-Fa-f]{2})`)
	octDec := regexp.MustCompile(`\\+([0-7]{3})`)
	cssDec := regexp.MustCompile(`\\+([0-9a-fA-F]{1,6}) ?`)
	unescape := func(re *regexp.Regexp, base int) func(string) string {
		return func(s string) string {
			return re.ReplaceAllStringFunc(s, func(m string) string {
				v, _ := strconv.ParseUint(re.FindStringSubmatch(m)[1], base, 32)
				return string(rune(v))
			})
		}
	}
	cases := []struct {
		path, ctype, body string
		read              func(string) string // the client's decoder
		keep              string              // must arrive
	}{
		{"/qp", "text/plain", "card " + qp("4111111111111111") + " end", unescape(qpDec, 16), "end"},
		{"/qp-soft", "text/plain", "card 4111=\r\n1111=\r\n1111=\r\n1111 end", func(s string) string {
			return strings.ReplaceAll(s, "=\r\n", "")
		}, "end"},
		{"/qp-mail", "text/plain", "mail ann" + qp("@") + "example.com end", unescape(qpDec, 16), "end"},
		{"/octal", "application/json", `{"card":"\\064\\061\\061\\061\\061\\061\\061\\061\\061\\061\\061\\061\\061\\061\\061\\061","n":1}`, unescape(octDec, 8), `"n":1`},
		{"/css", "text/css", `a::after{content:"\34 \31 \31 \31 \31 \31 \31 \31 \31 \31 \31 \31 \31 \31 \31 \31 "}`, unescape(cssDec, 16), "content"},
		{"/thousands", "text/plain", "card 4,111,111,111,111,111 end", func(s string) string { return s }, "end"},
		{"/spelled", "text/plain", "mail ann [at] example [dot] com end", func(s string) string {
			return strings.NewReplacer(" [at] ", "@", " [dot] ", ".").Replace(s)
		}, "end"},
		{"/utf16", "text/plain; charset=utf-16le", wide("card 4111111111111111 end"), func(s string) string { return s }, "end"},
	}
	byPath := map[string]int{}
	for i, c := range cases {
		byPath[c.path] = i
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := cases[byPath[r.URL.Path]]
		w.Header().Set("Content-Type", c.ctype)
		_, _ = w.Write([]byte(c.body))
	})
	digits := regexp.MustCompile(`[^0-9]`)
	for name, srv := range leakEnv(t, h) {
		for _, c := range cases {
			out := curl(t, bin, srv.URL+c.path)
			read := c.read(out)
			if strings.Contains(digits.ReplaceAllString(read, ""), "4111111111111111") ||
				strings.Contains(read, "ann@example.com") || !strings.Contains(out, c.keep) {
				t.Errorf("%s %s: curl received %q (read as %q)", name, c.path, out, read)
			}
		}
	}
}
