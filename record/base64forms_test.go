package record_test

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// TestSecretInsideBase64AtAnyOffsetIsNotStored is the generator test of a
// request's secret coming back later inside a larger base64 text: random
// prefixes (every length mod 3, "user:" as in HTTP Basic among them) and
// suffixes, both alphabets, with and without padding. The record read
// back must not let a reader decode the secret from any base64 run.
func TestSecretInsideBase64AtAnyOffsetIsNotStored(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 19))
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	encs := []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding}
	for trial := range 60 {
		sid := fmt.Sprintf("b64-%d", trial)
		secret := randASCII(rng, 11+rng.IntN(14))
		evs := []gate.Event{{Kind: gate.EventDecision, SessionID: sid, Time: now, Decision: &gate.Decision{ID: "d"},
			Request: &gate.Request{Protocol: "http", Command: "GET /", HTTP: &gate.HTTP{Method: "GET", Path: "/",
				Headers: map[string][]string{"X-Api-Key": {secret}}}}}}
		for pre := range 6 {
			prefix := randASCII(rng, pre)
			if pre == 5 {
				prefix = "user:"
			}
			suffix := randASCII(rng, rng.IntN(5))
			enc := encs[rng.IntN(len(encs))]
			blob := enc.EncodeToString([]byte(prefix + secret + suffix))
			evs = append(evs, gate.Event{Kind: gate.EventOutput, SessionID: sid, Time: now,
				Output: &gate.Output{Stream: "body", Data: []byte(`{"auth":"` + blob + `"}`)}},
				gate.Event{Kind: gate.EventError, SessionID: sid, Time: now, Error: "upstream said Basic " + blob})
		}
		evs = append(evs, gate.Event{Kind: gate.EventSessionEnd, SessionID: sid, Time: now})
		text := storedText(t, evs)
		if decoded := decodeBase64Runs(text); strings.Contains(decoded, secret) {
			t.Fatalf("trial %d: secret %q decodes from a base64 run of the record", trial, secret)
		}
	}
}

const asciiAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#%*+-./:;?@^_~"

func randASCII(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = asciiAlphabet[rng.IntN(len(asciiAlphabet))]
	}
	return string(b)
}

// decodeBase64Runs returns what a reader gets by decoding every run of
// base64 letters of text (each alphabet), from each of the 4 letter
// offsets, as far as whole quanta go.
func decodeBase64Runs(text string) string {
	var out strings.Builder
	for _, a := range []struct {
		enc   *base64.Encoding
		extra string
	}{{base64.RawStdEncoding, "+/"}, {base64.RawURLEncoding, "-_"}} {
		runs := strings.FieldsFunc(text, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(a.extra, r))
		})
		for _, run := range runs {
			for off := 0; off < 4 && off < len(run); off++ {
				s := run[off:]
				s = s[:len(s)/4*4]
				b, _ := a.enc.DecodeString(s)
				out.Write(b)
				out.WriteByte(0)
			}
		}
	}
	return out.String()
}
