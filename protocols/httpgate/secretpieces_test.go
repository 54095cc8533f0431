package httpgate

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/airlock-sdk/airlock/internal/jsonjoin"
)

// piecesShapes writes pieces across the shapes of JSON a client joins at
// a glance, beside splitSecretDocs' own: digits as JSON numbers,
// pretty-printed, long keys on lines of their own.
func piecesShapes(ps []string) map[string]string {
	numbers := make([]string, len(ps))
	var longKeys strings.Builder
	for i, p := range ps {
		numbers[i] = strconv.Quote(p)
		if _, err := strconv.Atoi(p); err == nil && (p == "0" || p[0] != '0') {
			numbers[i] = p
		}
		if i > 0 {
			longKeys.WriteString(",\n  ")
		}
		fmt.Fprintf(&longKeys, `"a_rather_long_key_name_%04d": %q`, i, p)
	}
	pretty, _ := json.MarshalIndent(map[string]any{"chars": ps}, "", "  ")
	return map[string]string{
		"numbers":  "[" + strings.Join(numbers, ",") + "]",
		"pretty":   string(pretty),
		"longkeys": "{\n  " + longKeys.String() + "\n}",
	}
}

// TestSecretInPiecesThroughGateway: the gateway's own credential, answered
// by a real upstream in pieces of one to three characters — lower-case
// words, hex, letters and digits, digits as JSON numbers — across arrays,
// members, objects, pretty-printed and long-keyed documents, with and
// without a Content-Length, never reaches the client readable joined
// (net/http and curl). Before, pieces that hold no digit or no letters
// of both cases were not joined: 238 of 288 such responses carried the
// secret.
func TestSecretInPiecesThroughGateway(t *testing.T) {
	e := newEnvWith(t, gate.Hold, noMaskRules, nil, nil)
	curlBin, _ := exec.LookPath("curl")
	r := rand.New(rand.NewPCG(9, 41))
	probes, leaks := 0, 0
	for _, alphabet := range []string{"0123456789abcdef", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+/-"} {
		b := make([]byte, 20+r.IntN(16))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		secret := string(b)
		for _, size := range []int{1, 2, 3} {
			docs := splitSecretDocs(secret, (len(secret)+size-1)/size)
			var ps []string
			for i := 0; i < len(secret); i += size {
				ps = append(ps, secret[i:min(i+size, len(secret))])
			}
			for name, doc := range piecesShapes(ps) {
				docs[name] = doc
			}
			for name, doc := range docs {
				for _, withLength := range []bool{true, false} {
					for _, got := range servedThrough(t, e, secret, doc, withLength, curlBin != "" && size == 1) {
						probes++
						if strings.Contains(jsonjoin.Values([]byte(got)), secret) || strings.Contains(jsonStructure.ReplaceAllString(got, ""), secret) {
							leaks++
							t.Logf("%s size %d (length %v): %s -> %s", name, size, withLength, doc, got)
						}
					}
				}
			}
		}
	}
	if leaks > 0 {
		t.Errorf("%d of %d responses carry the secret in pieces", leaks, probes)
	}
}

// TestCredentialKeepsEveryReading: a gateway that adds its upstream
// credential to requests masks responses as one without does — the
// policy with the credential added once lost the spelled-out e-mail
// reading ("ann.lee at example dot com" reached curl).
func TestCredentialKeepsEveryReading(t *testing.T) {
	bin := gatetest.NeedTool(t, "curl")
	e := newEnvWith(t, gate.Hold, leakRules, nil, nil)
	srv := proxyTo(t, e, BearerCredential("an-upstream-Token-7f3a9c"), func(w http.ResponseWriter, r *http.Request) {
		b, ok := encGapBodies[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", b.ctype+"; charset=utf-8")
		_, _ = w.Write([]byte(b.body))
	})
	for path, b := range encGapBodies {
		out := curl(t, bin, srv.URL+path)
		if strings.Contains(out, b.encoded) || !strings.Contains(out, b.label) {
			t.Errorf("%s: curl received %q", path, out)
		}
	}
}
