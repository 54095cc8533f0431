package mask

import (
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// nestEncodings are the encodings an agent can wrap a value in, one inside
// the other.
var nestEncodings = []struct {
	name string
	enc  func(string) string
}{
	{"base64", func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }},
	{"base64url", func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }},
	{"hex", func(s string) string { return hex.EncodeToString([]byte(s)) }},
	{"base32", func(s string) string { return base32.StdEncoding.EncodeToString([]byte(s)) }},
	{"hexlist", func(s string) string {
		parts := make([]string, len(s))
		for i := range []byte(s) {
			parts[i] = hex.EncodeToString([]byte{s[i]})
		}
		return strings.Join(parts, " ")
	}},
	{"declist", func(s string) string {
		parts := make([]string, len(s))
		for i := range []byte(s) {
			parts[i] = strconv.Itoa(int(s[i]))
		}
		return strings.Join(parts, ",")
	}},
}

// TestNestedEncodingsGenerated is the generator of the family "encodings
// nested deeper than the readings go": a value wrapped in one to seven
// encodings drawn at random (base64 of hex of base64 of ...), masked by
// Value and by the stream masker: each comes out masked or fails closed,
// none passes unmasked.
func TestNestedEncodingsGenerated(t *testing.T) {
	p := jsonPolicy(t, Config{}, "all")
	values := []string{"4111111111111111", "ann.lee@example.com", "AKIAIOSFODNN7EXAMPLE", "123-45-6789"}
	r := rand.New(rand.NewPCG(41, 43))
	probes := 0
	leaks, failed := map[int]int{}, map[int]int{}
	for depth := 1; depth <= 7; depth++ {
		for range 12 {
			for _, v := range values {
				s, names := v, []string{}
				for range depth {
					e := nestEncodings[r.IntN(len(nestEncodings))]
					s = e.enc(s)
					names = append(names, e.name)
				}
				if len(s) > 200_000 {
					continue
				}
				text := "out: " + s + "\n"
				for _, stream := range []bool{false, true} {
					probes++
					out, err := maskBytes(p, []byte(text), stream)
					if err != nil && !errors.Is(err, ErrLimit) {
						t.Fatalf("depth %d %v: %v", depth, names, err)
					}
					if err != nil {
						failed[depth]++
					}
					if err == nil && string(out) == text {
						if leaks[depth]++; leaks[depth] <= 2 {
							t.Errorf("depth %d %v (stream %v): %.60q unmasked", depth, names, stream, v)
						}
					}
				}
			}
		}
	}
	n := 0
	for _, c := range leaks {
		n += c
	}
	t.Logf("%d of %d nested values passed unmasked, by depth: %v; failed closed by depth: %v", n, probes, fmt.Sprint(leaks), fmt.Sprint(failed))
}

// TestNestedEncodingsOrdinaryTextPasses: data that holds encodings inside
// encodings as systems write them (a Kubernetes secret of a Docker
// config, a JWT, base64 of a certificate's PEM, a data URI, three layers
// on purpose) does not fail closed.
func TestNestedEncodingsOrdinaryTextPasses(t *testing.T) {
	p := jsonPolicy(t, Config{}, "all")
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	docker := `{"auths":{"registry.example.com":{"auth":"` + b64("robot:s3cr3t-pass") + `"}}}`
	texts := []string{
		"data:\n  .dockerconfigjson: " + b64(docker) + "\n",
		"token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\n",
		"tls.crt: " + b64("-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUY2VydGlmaWNhdGUgYm9keSBoZXJl\n-----END CERTIFICATE-----\n") + "\n",
		"img: data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==\n",
		"v: " + b64(hex.EncodeToString([]byte(b64("just some configuration text here")))) + "\n",
	}
	for _, text := range texts {
		for _, stream := range []bool{false, true} {
			if _, err := maskBytes(p, []byte(text), stream); err != nil {
				t.Errorf("%.60q (stream %v): %v", text, stream, err)
			}
		}
	}
}
