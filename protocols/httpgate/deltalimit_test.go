package httpgate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// deltaLimitCases is the family of values encoded in a long base85 run
// sent as the deltas of one field of a token stream, past what the
// gateway keeps of a field's run (maxJoinedRun): a value at the end of
// 1.5 to 3 KiB of filler, as text, zlib, raw deflate or gzip, in ASCII85,
// Z85 or RFC 1924's alphabet, cut into deltas of 32 to 160 characters, in
// server-sent events or JSON lines.
func deltaLimitCases(r *rand.Rand, n int) []packedCase {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var cases []packedCase
	for k := range n {
		filler := make([]byte, []int{1500, 2500, 3000}[r.IntN(3)])
		for i := range filler {
			filler[i] = letters[r.IntN(len(letters))]
		}
		plain := append(filler, " card "+luhnCard(r)+" end"...)
		data, kind := plain, "text"
		switch k % 4 {
		case 1:
			data, kind = zlibOf(plain), "zlib"
		case 2:
			data, kind = flateLevel(plain, 1+r.IntN(9)), "raw deflate"
		case 3:
			data, kind = gzipped(plain), "gzip"
		}
		names, encs := base85Encodings(data)
		e := []int{0, 3, 4}[r.IntN(3)]
		enc := string(encs[e])
		var b strings.Builder
		sse := r.IntN(2) == 0
		for s := enc; s != ""; {
			p := s[:min(len(s), 32+r.IntN(129))]
			s = s[len(p):]
			q, _ := json.Marshal(p)
			if sse {
				fmt.Fprintf(&b, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":%s}}]}\n\n", q)
			} else {
				fmt.Fprintf(&b, "{\"response\":%s,\"done\":false}\n", q)
			}
		}
		ctype := "application/x-ndjson"
		if sse {
			ctype = "text/event-stream"
		}
		cases = append(cases, packedCase{fmt.Sprintf("%s of %s (%d bytes) in deltas", names[e], kind, len(enc)), ctype, []byte(b.String()),
			func(got []byte) bool {
				return strings.Contains(clientJoin(bytes.ReplaceAll(got, []byte("\n\n"), []byte("\n")), nil), enc)
			}})
	}
	return cases
}

// TestDeltasPastJoinedLimitUnderMask: a value in a base85 run longer
// than what the gateway keeps of a field's run, sent as deltas, never
// reaches net/http or curl whole: past the limit the run is cut
// (the deltas that extend it redacted), never passed unread.
func TestDeltasPastJoinedLimitUnderMask(t *testing.T) {
	nh, nc := 20, 5
	if raceEnabled {
		// Each kind once for net/http, once for curl.
		nh, nc = 4, 4
	}
	servedUnderMaskBoth(t, deltaLimitCases(rand.New(rand.NewPCG(21, 22)), genN(nh)), deltaLimitCases(rand.New(rand.NewPCG(23, 24)), genN(nc)))
}
