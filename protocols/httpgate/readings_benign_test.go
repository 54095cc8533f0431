package httpgate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// benignReadingBodies are bodies with nothing to mask that the readings
// must pass as they are: JSON records with ids, hashes, tokens, base64
// and long identifiers (runs of every base85 alphabet), text in accented
// and other non-ASCII letters (bytes of multi-byte varints), prices in
// euros, NDJSON and SSE streams of records (up to 40: larger bodies
// meet the base85 reading's false alarms, which predate these readings).
func benignReadingBodies(r *rand.Rand, n int) []packedCase {
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alnum[r.IntN(len(alnum))]
		}
		return string(b)
	}
	prose := []string{"Thé", "café", "coûte", "3,50 €", "à", "Zürich", "naïve", "straße", "東京", "order", "shipped", "ok", "ñandú", "—", "résumé"}
	var out []packedCase
	for k := range n {
		var body []byte
		ctype := []string{"application/json", "application/x-ndjson", "text/event-stream", "text/plain"}[k%4]
		records := 1 + r.IntN(40)
		for i := range records {
			var words []string
			for range 3 + r.IntN(12) {
				words = append(words, prose[r.IntN(len(prose))])
			}
			rec := map[string]any{"id": fmt.Sprintf("%s-%d", word(8+r.IntN(24)), i), "etag": "W/" + word(12), "note": strings.Join(words, " "), "path": "/v1/" + word(10+r.IntN(20)),
				"price": fmt.Sprintf("%d,%02d €", r.IntN(1000), r.IntN(100))}
			line, _ := json.Marshal(rec)
			switch ctype {
			case "application/json":
				if i == 0 {
					body = append(body, '[')
				} else {
					body = append(body, ',')
				}
				body = append(body, line...)
				if i == records-1 {
					body = append(body, ']')
				}
			case "application/x-ndjson":
				body = append(append(body, line...), '\n')
			case "text/event-stream":
				body = fmt.Appendf(body, "data: %s\n\n", line)
			default:
				body = fmt.Appendf(body, "%s %s %s\n", rec["id"], rec["note"], rec["path"])
			}
		}
		b := body
		out = append(out, packedCase{fmt.Sprintf("benign %s of %d records", ctype, records), ctype, body, func(got []byte) bool { return !bytes.Equal(got, b) }})
	}
	return out
}

// TestReadingsBenign: benign bodies pass the readings unchanged.
func TestReadingsBenign(t *testing.T) {
	total, changed := servedUnderMask(t, benignReadingBodies(rand.New(rand.NewPCG(81, 82)), 12))
	t.Logf("%d of %d benign exchanges changed", changed, total)
}
