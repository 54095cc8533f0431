package httpgate

import (
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// gatedServersWith is gatedServers with the gateway's Config changed by
// mutate.
func gatedServersWith(t *testing.T, rules string, mutate func(*Config)) (*recorder, map[string]*httptest.Server) {
	t.Helper()
	_, up, servers := gatedServersMutated(t, rules, mutate)
	return up, servers
}

// TestMultiValuedReadingsCannotBypassRules: with AllowDuplicateQuery, a
// parameter the rules read sent several times (?id=2&id=1), in the query
// or a form, is read by frameworks as its first value (Go, Flask, Java's
// getParameter), its last (PHP, Rack), all of them (Express, Spring's
// List) or all joined with commas (Spring and ASP.NET binding a string):
// none may act on account 1, which the rules deny in the value they read
// first. Repeated values without account 1 still pass.
func TestMultiValuedReadingsCannotBypassRules(t *testing.T) {
	up, srvs := gatedServersWith(t, listRules, func(c *Config) { c.AllowDuplicateQuery = true })
	rng := newRand(t)
	elems := []string{"1", " 1", "01", "+1", "1abc", "2", "3", "2,1", "3, 1", "", "10", "1_0"}
	reached, bypassed := 0, 0
	for name, srv := range srvs {
		for range 150 {
			var kv []string
			for range 2 + rng.IntN(3) {
				kv = append(kv, "id="+url.QueryEscape(pick(rng, elems)))
			}
			enc := strings.Join(kv, "&")
			p := frameworkProbe{method: "GET", target: "/api/x?" + enc}
			if rng.IntN(2) == 0 {
				p = frameworkProbe{method: "POST", target: "/api/x", ctype: "application/x-www-form-urlencoded", body: enc}
			}
			status := sendProbe(t, srv, p)
			for _, r := range up.take() {
				reached++
				for _, id := range boundIDs(r) {
					if id == 1 {
						bypassed++
						t.Errorf("%s: %s %q %q (status %d) reached a framework, which acts on account 1", name, p.method, p.target, p.body, status)
						break
					}
				}
			}
		}
		for _, target := range []string{"/api/x?id=2&id=3", "/api/x?tag=a&tag=b&id=2", "/api/x?id=20&id=2,3"} {
			if status := sendProbe(t, srv, frameworkProbe{method: "GET", target: target}); status != 200 || len(up.take()) != 1 {
				t.Errorf("%s: GET %s: status %d", name, target, status)
			}
		}
	}
	t.Logf("%d requests reached the upstream, %d of them acted on account 1", reached, bypassed)
	if reached == 0 {
		t.Fatal("no request reached the upstream: the test proves nothing")
	}
}

// pairRules deny account 1 paid to 9: two query parameters at once.
const pairRules = `
default: deny
rules:
  - name: api
    when: http.path.startsWith("/api/")
    action: allow
  - name: not-1-to-9
    when: '"to" in http.query && "id" in http.query && http.query.to[0] == "9" && http.query.id[0] == "1"'
    action: deny
`

// paramReaders read the values of a query parameter as integers, as one
// framework does for all of them: Go's Atoi of the first, PHP's intval of
// the last, Rails' to_i of the last, Spring's List<Long> of all (split at
// commas, trimmed), Python's int() of the first.
var paramReaders = map[string]func(vs []string) []int64{
	"go": func(vs []string) []int64 {
		n, err := strconv.ParseInt(vs[0], 10, 64)
		return okInts(n, err == nil)
	},
	"php": func(vs []string) []int64 {
		m := regexp.MustCompile(`^\s*([+-]?[0-9]+)`).FindStringSubmatch(vs[len(vs)-1])
		if m == nil {
			return nil
		}
		n, err := strconv.ParseInt(m[1], 10, 64)
		return okInts(n, err == nil)
	},
	"rails": func(vs []string) []int64 {
		m := regexp.MustCompile(`^\s*([+-]?[0-9]+(_[0-9]+)*)`).FindStringSubmatch(vs[len(vs)-1])
		if m == nil {
			return nil
		}
		n, err := strconv.ParseInt(strings.ReplaceAll(m[1], "_", ""), 10, 64)
		return okInts(n, err == nil)
	},
	"spring": func(vs []string) []int64 {
		var out []int64
		for _, v := range vs {
			for e := range strings.SplitSeq(v, ",") {
				if n, err := strconv.ParseInt(strings.TrimSpace(e), 10, 64); err == nil {
					out = append(out, n)
				}
			}
		}
		return out
	},
	"python": func(vs []string) []int64 {
		s := strings.TrimSpace(vs[0])
		if strings.Contains(s, "__") || strings.HasPrefix(s, "_") || strings.HasSuffix(s, "_") {
			return nil
		}
		n, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
		return okInts(n, err == nil)
	},
}

func okInts(n int64, ok bool) []int64 {
	if ok {
		return []int64{n}
	}
	return nil
}

// TestParameterPairReadingsCannotBypassRules sends two parameters that a
// rule needs read together (to 9 and id 1), each spelled as a framework
// reads it ("09", "+9", "9_0", "1abc") and sometimes repeated: no
// framework reading both its way may pay account 1 to 9.
func TestParameterPairReadingsCannotBypassRules(t *testing.T) {
	up, srvs := gatedServersWith(t, pairRules, func(c *Config) { c.AllowDuplicateQuery = true })
	rng := newRand(t)
	tos := []string{"9", "09", "+9", " 9", "9abc", "9_0", "8", "9,8"}
	ids := []string{"1", "01", "+1", "1abc", "1_0", "2", "2,1"}
	reached, bypassed := 0, 0
	for name, srv := range srvs {
		for range 200 {
			var kv []string
			for range 1 + rng.IntN(2) {
				kv = append(kv, "to="+url.QueryEscape(pick(rng, tos)))
			}
			for range 1 + rng.IntN(2) {
				kv = append(kv, "id="+url.QueryEscape(pick(rng, ids)))
			}
			target := "/api/x?" + strings.Join(kv, "&")
			status := sendProbe(t, srv, frameworkProbe{method: "GET", target: target})
			for _, r := range up.take() {
				reached++
				q := r.url.Query()
				for fw, read := range paramReaders {
					if slices.Contains(read(q["to"]), 9) && slices.Contains(read(q["id"]), 1) {
						bypassed++
						t.Errorf("%s: %s (status %d) reached %s, which pays account 1 to 9", name, target, status, fw)
						break
					}
				}
			}
		}
		if status := sendProbe(t, srv, frameworkProbe{method: "GET", target: "/api/x?to=09&id=2"}); status != 200 || len(up.take()) != 1 {
			t.Errorf("%s: to=09&id=2: status %d", name, status)
		}
	}
	t.Logf("%d requests reached the upstream, %d of them paid account 1 to 9", reached, bypassed)
	if reached == 0 {
		t.Fatal("no request reached the upstream: the test proves nothing")
	}
}
