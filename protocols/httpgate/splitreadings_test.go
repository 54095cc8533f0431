package httpgate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// splitReadingCases is the family of encoded values split across the
// records of a stream: a value as text, zlib or raw deflate in base85
// (each alphabet, after a prefix of up to 60 characters of the run's
// alphabet), or a card glued to protobuf framing, cut into 2 to 8
// deltas of one string field of NDJSON records or SSE events' JSON (a
// token stream the client concatenates), or into SSE events' text.
func splitReadingCases(r *rand.Rand, n int) []packedCase {
	var cases []packedCase
	for k := range n {
		var payload, carrier string
		kind := ""
		if k%4 == 3 {
			card := luhnCard(r)
			l := 48 + r.IntN(10)
			field := "R" + string(rune(l)) + card + " " + strings.Repeat("w", l-len(card)-1)
			payload, carrier, kind = "rec "+field+"2!"+strings.Repeat("q", 33), field, "protobuf field"
		} else {
			var data []byte
			data, kind = pdfTextPayload(r, k)
			names, encs := base85Encodings(data)
			e := []int{0, 1, 3, 4}[r.IntN(4)]
			alpha := base85PrefixAlphabets[e]
			pre := make([]byte, r.IntN(60))
			for i := range pre {
				pre[i] = alpha[r.IntN(len(alpha))]
			}
			payload, carrier = "blob "+string(pre)+string(encs[e]), string(encs[e])
			kind = names[e] + " of " + kind
		}
		toks := splitRandomly(r, payload, 2+r.IntN(7))
		var body bytes.Buffer
		shape := []string{"ndjson", "sse json", "sse text"}[r.IntN(3)]
		ctype := "application/x-ndjson"
		for _, tok := range toks {
			line, _ := json.Marshal(map[string]any{"response": tok, "done": false})
			switch shape {
			case "ndjson":
				body.Write(line)
				body.WriteByte('\n')
			case "sse json":
				ctype = "text/event-stream"
				fmt.Fprintf(&body, "data: %s\n\n", line)
			default:
				ctype = "text/event-stream"
				fmt.Fprintf(&body, "data: %s\n\n", tok)
			}
		}
		sse := ctype == "text/event-stream"
		text := shape == "sse text"
		cases = append(cases, packedCase{fmt.Sprintf("%s in %d deltas (%s)", kind, len(toks), shape), ctype, body.Bytes(),
			func(got []byte) bool { return strings.Contains(joinedDeltas(got, sse, text), carrier) }})
	}
	return cases
}

// joinedDeltas is what a client of a token stream reads: the "response"
// fields of its records (or the data of its events) concatenated.
func joinedDeltas(got []byte, sse, text bool) string {
	var b strings.Builder
	for _, line := range strings.Split(string(got), "\n") {
		if sse {
			var ok bool
			if line, ok = strings.CutPrefix(line, "data: "); !ok {
				continue
			}
		}
		if text {
			b.WriteString(line)
			continue
		}
		var v struct{ Response string }
		if json.Unmarshal([]byte(line), &v) == nil {
			b.WriteString(v.Response)
		}
	}
	return b.String()
}

// TestSplitReadingsUnderMask: a value in base85 or glued to protobuf
// framing, split across the records of a stream, never reaches a client
// that concatenates them.
func TestSplitReadingsUnderMask(t *testing.T) {
	total, through := servedUnderMask(t, splitReadingCases(rand.New(rand.NewPCG(51, 52)), 80))
	t.Logf("net/http: %d of %d streams reached the client with the value", through, total)
}
