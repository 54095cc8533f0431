package httpgate

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// escapeSome percent-encodes a random choice of s's bytes, in either case
// of hex digit, some of them twice.
func escapeSome(rng *rand.Rand, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch rng.IntN(5) {
		case 0:
			fmt.Fprintf(&b, "%%%02X", s[i])
		case 1:
			fmt.Fprintf(&b, "%%%02x", s[i])
		case 2:
			if rng.IntN(3) == 0 {
				fmt.Fprintf(&b, "%%25%02X", s[i])
				continue
			}
			fallthrough
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// secretTarget is a request target holding a secret parameter in one of
// the forms a client may send, malformed so that the gateway refuses it
// before the rules: it returns the target, its extra header lines, and
// the pieces of the secret that must not reach the record.
func secretTarget(rng *rand.Rand, i int) (target, headers string, pieces []string) {
	a, b := fmt.Sprintf("%08x%04x", rng.Uint32(), i), fmt.Sprintf("%08x%04x", rng.Uint32(), i)
	value := pick(rng, []string{a + "-" + b, a + ";" + b, a + "%2D" + b, a + "%zz" + b, a + "+" + b, a + "%" + b, a + "%3B" + b})
	name := escapeSome(rng, pick(rng, []string{"access_token", "client_secret", "password", "api_key", "ACCESS_TOKEN", "sessionid", "x-auth-token"}))
	pair := name + "=" + value
	path, query := "/api/echo", []string{pair}
	if rng.IntN(2) == 0 {
		query = append(query, "x=1")
	}
	switch rng.IntN(8) {
	case 7:
		path, query = "/api/echo%3B"+strings.Replace(pair, "=", pick(rng, []string{"=", "%3D", "%3d"}), 1), query[1:]
	case 0:
		query = append(query, "y=1;z=2")
	case 1:
		query = append(query, "bad=%zz")
	case 2:
		path += ";p"
	case 3:
		path, query = "/api/echo;"+pair, query[1:]
	case 4:
		query = append(query, "x=1", "x=2")
	case 5:
		query = append(query, "_method=DELETE")
	default:
		headers = "X_Bad: 1\r\n"
	}
	rng.Shuffle(len(query), func(i, j int) { query[i], query[j] = query[j], query[i] })
	target = path
	if len(query) > 0 {
		target += "?" + strings.Join(query, pick(rng, []string{"&", "&", ";"}))
	}
	return target, headers, []string{a, b}
}

// TestRefusedRequestsNeverRecordSecretParameters sends requests holding a
// secret parameter (its name escaped at random, its value split by ';',
// bad escapes or needless ones), each malformed so that it is refused
// before the rules, over TCP to the proxy and the middleware: every one
// is refused, and no piece of a secret value is in the record.
func TestRefusedRequestsNeverRecordSecretParameters(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	rng := newRand(t)
	for name, srv := range servers(e) {
		for i := range 200 {
			target, headers, pieces := secretTarget(rng, i)
			code, _ := raw(t, srv, "GET "+target+" HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer "+agentToken+"\r\n"+headers+"\r\n")
			if code != 400 {
				t.Errorf("%s: %s: status %d, want 400", name, target, code)
			}
			rec := e.allRecorded()
			for _, p := range pieces {
				if strings.Contains(rec, p) {
					t.Errorf("%s: refused %s: the record holds %q", name, target, p)
				}
			}
		}
	}
}

// TestRefusedTargetKeepsWhatIsNotSecret: the record of a refused request
// keeps its path and its parameters but the secret ones' values.
func TestRefusedTargetKeepsWhatIsNotSecret(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	for target, want := range map[string]string{
		"/api/echo?id=1;access_token=abc;def&x=2":   "/api/echo?id=1;access_token=[REDACTED]&x=2",
		"/api/a;jsessionid=abc/b?q=%zz":             "/api/a;jsessionid=[REDACTED]/b?q=%zz",
		"/api/echo?access%5Ftoken=abc%zz&id=1&id=2": "/api/echo?access%5Ftoken=[REDACTED]&id=1&id=2",
		"/api/a%3Btoken%3Dabc/b?x=1%3Bpassword=def": "/api/a%3Btoken%3D[REDACTED]/b?x=1%3Bpassword=[REDACTED]",
		"/api/a;b;c=1?q=%3b;;a":                     "/api/a;b;c=1?q=%3b;;a",
	} {
		path, query, _ := strings.Cut(target, "?")
		if got := e.gw.refusedTarget(path, query); got != want {
			t.Errorf("refusedTarget(%q) = %q, want %q", target, got, want)
		}
	}
}
