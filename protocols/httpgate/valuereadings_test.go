package httpgate

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// listRules deny account 1, in the query or a form.
const listRules = `
default: deny
rules:
  - name: api
    when: http.path.startsWith("/api/")
    action: allow
  - name: not-account-1-query
    when: '"id" in http.query && http.query.id[0] == "1"'
    action: deny
  - name: not-account-1-form
    when: 'type(http.body) == map && "id" in http.body && type(http.body.id) == list && http.body.id[0] == "1"'
    action: deny
`

// boundIDs are the accounts typed binders act on for the id parameters
// of r: Spring's @RequestParam List<Long> id (each value split at its
// commas, elements trimmed, parsed as Long: 01 and +1 are 1), Rails'
// to_i (the leading digits: 1abc is 1) and Python's int() (underscores
// between digits: 1_0 is 10).
func boundIDs(r received) []int64 {
	var out []int64
	rubyInt := regexp.MustCompile(`^\s*([+-]?[0-9]+)`)
	for _, src := range []string{r.url.RawQuery, formOf(r)} {
		for _, p := range pairs(src, 0) {
			if p[0] != "id" {
				continue
			}
			for e := range strings.SplitSeq(p[1], ",") {
				if n, err := strconv.ParseInt(strings.TrimSpace(e), 10, 64); err == nil {
					out = append(out, n)
				}
			}
			if m := rubyInt.FindStringSubmatch(p[1]); m != nil {
				n, _ := strconv.ParseInt(m[1], 10, 64)
				out = append(out, n)
			}
			if py := strings.TrimSpace(p[1]); !strings.Contains(py, "__") && !strings.HasPrefix(py, "_") && !strings.HasSuffix(py, "_") {
				if n, err := strconv.ParseInt(strings.ReplaceAll(py, "_", ""), 10, 64); err == nil {
					out = append(out, n)
				}
			}
		}
	}
	return out
}

// TestValueReadingsCannotBypassRules sends generated values of a
// parameter the rules read (comma-separated lists, padded, with leading
// zeros, a sign, trailing text or underscores), in the query and in
// forms, to the proxy and the middleware: no typed binder (Spring, Rails,
// Python) acts on account 1. Values without it, and commas in parameters
// no rule reads, still pass.
func TestValueReadingsCannotBypassRules(t *testing.T) {
	_, up, srvs := gatedServers(t, listRules)
	rng := newRand(t)
	elems := []string{"1", " 1", "1 ", "2", "3", "", "01", "+1", "1abc", "1.0", "0_1", "10", "1e0", "-1", "2x"}
	for name, srv := range srvs {
		for range 150 {
			var parts []string
			for range 1 + rng.IntN(4) {
				parts = append(parts, pick(rng, elems))
			}
			enc := "id=" + url.QueryEscape(strings.Join(parts, ","))
			p := frameworkProbe{method: "GET", target: "/api/x?" + enc}
			if rng.IntN(2) == 0 {
				p = frameworkProbe{method: "POST", target: "/api/x", ctype: "application/x-www-form-urlencoded", body: enc}
			}
			status := sendProbe(t, srv, p)
			for _, r := range up.take() {
				for _, id := range boundIDs(r) {
					if id == 1 {
						t.Errorf("%s: %s %q %q (status %d) reached a typed binder, which acts on account 1", name, p.method, p.target, p.body, status)
					}
				}
			}
		}
		for _, target := range []string{"/api/x?id=2,3", "/api/x?fields=a,b&sort=name,-date", "/api/x?id=2", "/api/x?id=20", "/api/x?id=2abc"} {
			if status := sendProbe(t, srv, frameworkProbe{method: "GET", target: target}); status != 200 || len(up.take()) != 1 {
				t.Errorf("%s: GET %s: status %d", name, target, status)
			}
		}
	}
}

// jsonIDRules deny account 1 in a JSON body, compared as the string or
// the number the API documents.
const jsonIDRules = `
default: deny
rules:
  - name: api
    when: http.path.startsWith("/api/")
    action: allow
  - name: not-account-1-string
    when: 'type(http.body) == map && "id" in http.body && http.body.id == "1"'
    action: deny
  - name: not-order-1-number
    when: 'type(http.body) == map && "order" in http.body && http.body.order == 1'
    action: deny
`

// jacksonReads reads the JSON object body of r as Jackson binds it to a
// String id and a long order, coercing scalars: whether it acts on
// account 1 or order 1.
func jacksonReads(r received) string {
	j := jsonOf(r, asDecimals)
	if id, ok := j["id"]; ok && fmt.Sprint(id) == "1" {
		return "account 1"
	}
	if o, ok := j["order"]; ok {
		s := fmt.Sprint(o)
		if n, err := strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 64); err == nil && n == 1 {
			return "order 1"
		}
	}
	return ""
}

// TestJSONScalarReadingsCannotBypassRules: JSON ids sent as the other
// scalar type ({"id":1} where the rules compare "1", {"order":"01"} where
// they compare 1) never reach Jackson as account or order 1; the
// documented types of other ids pass.
func TestJSONScalarReadingsCannotBypassRules(t *testing.T) {
	_, up, srvs := gatedServers(t, jsonIDRules)
	for name, srv := range srvs {
		for _, body := range []string{`{"id":1}`, `{"id":"01"}`, `{"order":"1"}`, `{"order":"01"}`, `{"order":"+1"}`, `{"id":1,"order":2}`} {
			p := frameworkProbe{method: "POST", target: "/api/x", ctype: "application/json", body: body}
			status := sendProbe(t, srv, p)
			for _, r := range up.take() {
				if what := jacksonReads(r); what != "" {
					t.Errorf("%s: %s (status %d) reached Jackson, which acts on %s", name, body, status, what)
				}
			}
		}
		for _, body := range []string{`{"id":"2","order":2}`, `{"id":"x1","order":3}`} {
			if status := sendProbe(t, srv, frameworkProbe{method: "POST", target: "/api/x", ctype: "application/json", body: body}); status != 200 || len(up.take()) != 1 {
				t.Errorf("%s: %s: status %d", name, body, status)
			}
		}
	}
}

// erringIDRules are jsonIDRules with a rule that cannot evaluate a
// number where it expects a string (startsWith on an int): on the number
// reading of {"order":"1"} it fails while not-order-1-number matches.
const erringIDRules = jsonIDRules + `  - name: order-shape
    when: 'type(http.body) == map && "order" in http.body && http.body.order.startsWith("9")'
    action: deny
`

// TestErringRuleDoesNotHideAGuardedReading: a reading on which one rule
// fails to evaluate is still refused when another rule that did evaluate
// guards it ({"order":"1"} read as the number 1 by Jackson, denied by
// not-order-1-number while order-shape fails on the number); a reading
// that only fails (no other rule matches it) still passes.
func TestErringRuleDoesNotHideAGuardedReading(t *testing.T) {
	_, up, srvs := gatedServers(t, erringIDRules)
	for name, srv := range srvs {
		for _, body := range []string{`{"order":"1"}`, `{"order":"01"}`} {
			status := sendProbe(t, srv, frameworkProbe{method: "POST", target: "/api/x", ctype: "application/json", body: body})
			for _, r := range up.take() {
				if what := jacksonReads(r); what != "" {
					t.Errorf("%s: %s (status %d) reached Jackson, which acts on %s", name, body, status, what)
				}
			}
		}
		if status := sendProbe(t, srv, frameworkProbe{method: "POST", target: "/api/x", ctype: "application/json", body: `{"order":"2"}`}); status != 200 || len(up.take()) != 1 {
			t.Errorf("%s: {\"order\":\"2\"}: status %d", name, status)
		}
	}
}
