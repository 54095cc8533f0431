package httpgate

import (
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/internal/gatetest"
)

// encGapBodies are responses that write a card, an SSN or an e-mail address
// in a notation the masker reads since the encodings family's gaps were
// closed (mask/encgaps_test.go): each with the encoded value that must not
// reach the client and the label that must.
var encGapBodies = map[string]maskedBody{
	"/base64":     {"text/plain", "card NDExMTExMTExMTExMTExMQ== end", "NDExMTExMTExMTExMTExMQ", "[CREDIT_CARD]"},
	"/bytea":      {"text/plain", `card \x34313131313131313131313131313131 end`, "34313131313131313131313131313131", "[CREDIT_CARD]"},
	"/joins":      {"text/plain", "card = \"4111\" +\n    \"1111\" + \"1111\" + \"1111\";", `"4111" +`, "[CREDIT_CARD]"},
	"/named":      {"text/plain", `ssn \N{DIGIT ONE}\N{DIGIT TWO}\N{DIGIT THREE}-45-6789`, "45-6789", "[US_SSN]"},
	"/bare-email": {"text/plain", "write to ann.lee at example dot com today", "example dot com", "[EMAIL]"},
	"/tags":       {"text/plain", "ssn " + tagged("123-45-6789") + " end", tagged("6789"), "[US_SSN]"},
	"/selectors":  {"text/plain", "mail " + strings.Join(strings.Split("ann.lee@example.com", ""), "\ufe0f") + " end", "x\ufe0fa\ufe0fm", "[EMAIL]"},
	"/json":       {"application/json", `{"note":"NDExMTExMTExMTExMTExMQ==","n":1}`, "NDExMTExMTExMTExMTExMQ", "[CREDIT_CARD]"},
	"/html":       {"text/html", "<p>&lt;b&gt;4&lt;/b&gt;111&lt;b&gt;&lt;/b&gt;1111 1111 1111</p>", "1111 1111 1111", "[CREDIT_CARD]"},
}

// tagged writes s in tag characters (U+E0020-U+E007E).
func tagged(s string) string {
	return strings.Map(func(r rune) rune { return 0xE0000 + r }, s)
}

// TestEncodingGapsCurl: through the gateway, as a proxy and as a
// middleware, curl receives none of those values.
func TestEncodingGapsCurl(t *testing.T) {
	curlReceivesNoValue(t, encGapBodies)
}

// maskedBody is a response that writes a value in a notation the masker
// reads: the encoded value (or a piece of it) must not reach the client,
// the label must.
type maskedBody = struct{ ctype, body, encoded, label string }

// curlReceivesNoValue serves bodies by path behind the gateway, as a proxy
// and as a middleware, and fetches each with curl: no encoded value comes
// through, every label does.
func curlReceivesNoValue(t *testing.T, bodies map[string]maskedBody) {
	bin := gatetest.NeedTool(t, "curl")
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := bodies[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", b.ctype+"; charset=utf-8")
		_, _ = w.Write([]byte(b.body))
	})
	for name, srv := range leakEnv(t, up) {
		for path, b := range bodies {
			t.Run(name+path, func(t *testing.T) {
				out, err := exec.Command(bin, "-sS", "--max-time", "10", "-H", "Authorization: Bearer "+agentToken, srv.URL+path).CombinedOutput()
				if err != nil {
					t.Fatalf("curl: %v\n%s", err, out)
				}
				if strings.Contains(string(out), b.encoded) || !strings.Contains(string(out), b.label) {
					t.Errorf("curl received %q", out)
				}
			})
		}
	}
}
