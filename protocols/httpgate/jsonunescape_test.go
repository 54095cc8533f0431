package httpgate

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestUnescapeJSONMatchesDecoder: a JSON string with its escapes decoded
// is what encoding/json decodes, over random escapes of every kind
// (surrogate pairs, unpaired surrogates, upper- and lower-case hex).
func TestUnescapeJSONMatchesDecoder(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 19))
	pieces := []string{`a`, `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u0041`, `\u00e9`, `\u00E9`, `\ud83d\ude00`,
		`\uD83D\uDE00`, `\ud800`, `\udc00`, `\ud800\u0041`, `\ud800\ud800\udc00`, `é`, `%41`, `&#65;`, ` `}
	for range 20000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		doc := `"` + b.String() + `"`
		var want string
		if err := json.Unmarshal([]byte(doc), &want); err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if got := string(unescapeJSON([]byte(doc))); got != `"`+want+`"` {
			t.Fatalf("unescapeJSON(%s) = %q, encoding/json decodes %q", doc, got, want)
		}
	}
}
