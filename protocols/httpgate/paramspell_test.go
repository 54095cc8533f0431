package httpgate

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

const paramRules = `
default: deny
rules:
  - name: api
    when: http.path.startsWith("/api/")
    action: allow
  - name: big-query
    when: '"amount" in http.query && int(http.query.amount[0]) > 1000'
    action: deny
  - name: big-form
    when: 'type(http.body) == map && "amount" in http.body && type(http.body.amount) == list && int(http.body.amount[0]) > 1000'
    action: deny
  - name: not-user-1
    when: '"user_id" in http.query && http.query.user_id[0] == "1"'
    action: deny
  - name: no-delete
    when: http.method == "DELETE"
    action: deny
`

// phpParams reads a query or form string as PHP fills $_GET and $_POST
// (and, for brackets, as Rails and Express's qs do): leading spaces of a
// name dropped, '.' and ' ' turned to '_', an unmatched '[' turned to '_',
// a name with a [...] suffix filed under the part before the bracket, the
// last value winning, a name cut at a NUL. Bracketed values are marked as arrays.
func phpParams(raw string) (vals map[string]string, array map[string]bool) {
	vals, array = map[string]string{}, map[string]bool{}
	for part := range strings.SplitSeq(raw, "&") {
		k, v, _ := strings.Cut(part, "=")
		k, _ = url.QueryUnescape(k)
		v, _ = url.QueryUnescape(v)
		k, _, _ = strings.Cut(k, "\x00") // PHP reads the name as a C string
		k = strings.TrimLeft(k, " ")
		nested := false
		if i := strings.IndexByte(k, '['); i > 0 && strings.IndexByte(k[i:], ']') > 0 {
			k, nested = k[:i], true
		}
		k = strings.NewReplacer(".", "_", " ", "_", "[", "_").Replace(k)
		vals[k], array[k] = v, nested
	}
	return vals, array
}

// upstreamMethod is the method a Symfony or Laravel upstream (method
// parameter override on) acts on: _method from the body (form or, in
// Laravel, JSON) and then the query, when it is a string; or Salesforce
// (_HttpMethod) and ServiceStack (the override header as a parameter).
func upstreamMethod(r received) string {
	m := r.method
	if m != "POST" {
		return m
	}
	q, qa := phpParams(r.url.RawQuery)
	if ov, ok := q["_method"]; ok && !qa["_method"] {
		m = strings.ToUpper(ov)
	}
	// Salesforce's _HttpMethod, ServiceStack's override header as a
	// parameter, in any case.
	for k, v := range r.url.Query() {
		if strings.EqualFold(k, "_HttpMethod") || strings.EqualFold(k, "X-HTTP-Method-Override") {
			m = strings.ToUpper(v[0])
		}
	}
	ct := r.header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		f, fa := phpParams(string(r.body))
		if ov, ok := f["_method"]; ok && !fa["_method"] {
			m = strings.ToUpper(ov)
		}
		if fv, err := url.ParseQuery(string(r.body)); err == nil {
			for k, v := range fv {
				if strings.EqualFold(k, "_HttpMethod") || strings.EqualFold(k, "X-HTTP-Method-Override") {
					m = strings.ToUpper(v[0])
				}
			}
		}
	case strings.HasPrefix(ct, "application/json"):
		var doc map[string]any
		if json.Unmarshal(r.body, &doc) == nil {
			if ov, ok := doc["_method"].(string); ok {
				m = strings.ToUpper(ov)
			}
		}
	}
	return m
}

// TestParamSpellingsCannotBypassRules sends query strings and form bodies
// whose names are spelt as PHP, Rails and Express (qs) file them under a
// name the rules read (amount[], amount[0], user.id, " amount", .method, amount%00x),
// and JSON bodies with a _method key, to the proxy and the middleware.
// Whatever reached the upstream, such a framework never reads in it what
// the rules deny: an amount above 1000, user_id 1, or a DELETE.
func TestParamSpellingsCannotBypassRules(t *testing.T) {
	_, up, srvs := gatedServers(t, paramRules)
	rng := newRand(t)
	type param struct {
		names []string
		vals  []string
	}
	params := []param{
		{[]string{"amount", "amount[]", "amount[0]", "amount[x]", "AMOUNT[]", " amount", "amount[", "amount]", "amount\x00", "amount\x00x"}, []string{"5", "5000"}},
		{[]string{"user_id", "user.id", "user id", "user[id", "USER.ID", " user_id", "user_id[]", "user_id\x00"}, []string{"1", "2"}},
		{[]string{"_method", ".method", " _method", " .method", "_METHOD", "_method[", "_method\x00", "_HttpMethod", "_httpmethod", "X-HTTP-Method-Override", "x"}, []string{"DELETE", "PATCH"}},
	}
	reached := 0
	for name, srv := range srvs {
		for range 600 {
			var kv []string
			for range 1 + rng.IntN(2) {
				p := pick(rng, params)
				kv = append(kv, url.QueryEscape(pick(rng, p.names))+"="+pick(rng, p.vals))
			}
			enc := strings.Join(kv, "&")
			method, target, headers, body := "GET", "/api/x?"+enc, "", ""
			switch rng.IntN(3) {
			case 1:
				method, target = "POST", "/api/x"
				headers, body = "Content-Type: application/x-www-form-urlencoded\r\n", enc
			case 2:
				method, target = "POST", "/api/x"
				k, _ := json.Marshal(pick(rng, []string{"_method", "_METHOD", "amount", "method"}))
				headers, body = "Content-Type: application/json\r\n", fmt.Sprintf(`{%s:%q}`, k, pick(rng, []string{"DELETE", "5"}))
			}
			req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: api.example\r\nAuthorization: Bearer %s\r\nConnection: close\r\n%sContent-Length: %d\r\n\r\n%s",
				method, target, agentToken, headers, len(body), body)
			status, _ := raw(t, srv, req)
			for _, r := range up.take() {
				reached++
				q, _ := phpParams(r.url.RawQuery)
				f := map[string]string{}
				if strings.HasPrefix(r.header.Get("Content-Type"), "application/x-www-form-urlencoded") {
					f, _ = phpParams(string(r.body))
				}
				for _, ps := range []map[string]string{q, f} {
					if n, err := strconv.Atoi(ps["amount"]); err == nil && n > 1000 {
						t.Errorf("%s: %q %q (status %d) reached the upstream, which reads amount %d", name, target, body, status, n)
					}
				}
				if q["user_id"] == "1" {
					t.Errorf("%s: %q (status %d) reached the upstream, which reads user_id 1", name, target, status)
				}
				if m := upstreamMethod(r); m == "DELETE" {
					t.Errorf("%s: %s %q %q (status %d) reached the upstream, which acts on it as a DELETE", name, method, target, body, status)
				}
			}
		}
	}
	if reached == 0 {
		t.Fatal("no request reached the upstream: the test proves nothing")
	}
	// Nested names the rules do not read keep working (JSON:API pages).
	for name, srv := range srvs {
		req := "GET /api/x?page[size]=10&page[number]=2&filter.kind=a HTTP/1.1\r\nHost: api.example\r\nAuthorization: Bearer " + agentToken + "\r\nConnection: close\r\n\r\n"
		if status, b := raw(t, srv, req); status != 200 {
			t.Errorf("%s: nested names no rule reads: status %d: %s", name, status, b)
		}
		up.take()
	}
}
