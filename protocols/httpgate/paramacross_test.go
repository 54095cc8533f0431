package httpgate

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// bodyRules read amount from the body only, as a rule written for a JSON
// or form API does.
const bodyRules = `
default: deny
rules:
  - name: api
    when: http.path.startsWith("/api/")
    action: allow
  - name: big-json
    when: 'type(http.body) == map && "amount" in http.body && type(http.body.amount) == int && http.body.amount > 1000'
    action: deny
  - name: big-form
    when: 'type(http.body) == map && "amount" in http.body && type(http.body.amount) == list && int(http.body.amount[0]) > 1000'
    action: deny
  - name: ops-bulk
    when: '"bulk" in http.query && has(identity.claims.team) && identity.claims.team == "ops"'
    action: deny
`

// mergedAmounts are the amounts an upstream that merges query and body
// reads: Rails and Flask take the query's, Laravel and PHP's $_REQUEST
// the body's.
func mergedAmounts(r received) (queryWins, bodyWins int) {
	q, _ := phpParams(r.url.RawQuery)
	b := map[string]string{}
	switch ct := r.header.Get("Content-Type"); {
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		b, _ = phpParams(string(r.body))
	case strings.HasPrefix(ct, "application/json"):
		var doc map[string]any
		if json.Unmarshal(r.body, &doc) == nil {
			if f, ok := doc["amount"].(float64); ok {
				b["amount"] = strconv.Itoa(int(f))
			}
		}
	}
	read := func(first, second map[string]string) int {
		v, ok := first["amount"]
		if !ok {
			v = second["amount"]
		}
		n, _ := strconv.Atoi(v)
		return n
	}
	return read(q, b), read(b, q)
}

// TestParamInQueryAndBody sends amount in the query, in a form or JSON
// body, or in both at once, under random spellings of its name, to the
// proxy and the middleware, under rules that read it in the body only. Whatever reached the upstream, neither a framework where
// the query wins nor one where the body wins reads an amount the rules
// deny.
func TestParamInQueryAndBody(t *testing.T) {
	_, up, srvs := gatedServers(t, bodyRules)
	rng := newRand(t)
	vals := []int{5, 5000}
	reached := 0
	for name, srv := range srvs {
		for range 120 {
			qv, bv := pick(rng, vals), pick(rng, vals)
			// amount in the query, the body or both.
			where := rng.IntN(3)
			qn, bn := pick(rng, []string{"amount", "amount[]", " amount"}), "amount"
			if where == 1 {
				qn = "page"
			}
			if where == 2 {
				bn = "other"
			}
			target := fmt.Sprintf("/api/pay?%s=%d", url.QueryEscape(qn), qv)
			headers, body := "Content-Type: application/json\r\n", fmt.Sprintf(`{%q:%d,"note":"x"}`, bn, bv)
			if rng.IntN(2) == 0 {
				headers, body = "Content-Type: application/x-www-form-urlencoded\r\n", fmt.Sprintf("%s=%d&note=x", bn, bv)
			}
			req := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: api.example\r\nAuthorization: Bearer %s\r\nConnection: close\r\n%sContent-Length: %d\r\n\r\n%s",
				target, agentToken, headers, len(body), body)
			status, _ := raw(t, srv, req)
			for _, r := range up.take() {
				reached++
				if qw, bw := mergedAmounts(r); qw > 1000 || bw > 1000 {
					t.Errorf("%s: %q %q (status %d) reached the upstream, which reads amount %d (query wins) or %d (body wins)", name, target, body, status, qw, bw)
				}
			}
		}
		// The body alone is judged by the rules; amount in the query, where
		// no rule reads it, is refused.
		for _, c := range []struct {
			target, body string
			want         int
		}{{"/api/pay?note=y", `{"amount":5}`, 200}, {"/api/pay?note=y", `{"amount":5000}`, 403}, {"/api/pay?amount=5", `{"note":"x"}`, 400},
			// bulk is read in the query only; team, read in identity
			// only, is no parameter name.
			{"/api/pay?note=y", `{"bulk":1}`, 400}, {"/api/pay?note=y", `{"team":"x"}`, 200}} {
			req := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: api.example\r\nAuthorization: Bearer %s\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
				c.target, agentToken, len(c.body), c.body)
			if status, b := raw(t, srv, req); status != c.want {
				t.Errorf("%s: %s %s: status %d, want %d: %s", name, c.target, c.body, status, c.want, b)
			}
			reached += len(up.take())
		}
	}
	if reached == 0 {
		t.Fatal("no request reached the upstream: the test proves nothing")
	}
}

// TestQueryNameInBody: keyRules read kind in the query only ("no-bulk");
// a body that sends kind, which Laravel's input() and Rails' params read
// like the query's, is refused, and the query's is judged.
func TestQueryNameInBody(t *testing.T) {
	_, up, srvs := gatedServers(t, keyRules)
	for name, srv := range srvs {
		for _, c := range []struct {
			target, ctype, body string
			want                int
		}{
			{"/api/x", "application/json", `{"kind":"all"}`, 400},
			{"/api/x", "application/x-www-form-urlencoded", "kind=all", 400},
			{"/api/x", "application/x-www-form-urlencoded", "kind[]=all", 400},
			{"/api/x?kind=all", "application/json", `{"note":"x"}`, 403},
			{"/api/x?kind=one", "application/json", `{"note":"x"}`, 200},
		} {
			req := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: api.example\r\nAuthorization: Bearer %s\r\nConnection: close\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
				c.target, agentToken, c.ctype, len(c.body), c.body)
			status, b := raw(t, srv, req)
			got := up.take()
			if status != c.want || (len(got) == 1) != (c.want == 200) {
				t.Errorf("%s: %s %s: status %d, want %d, upstream got %d: %s", name, c.target, c.body, status, c.want, len(got), b)
			}
		}
	}
}
