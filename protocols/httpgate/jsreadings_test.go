package httpgate

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/airlock-sdk/airlock/internal/coerce"
)

// expressActsOn reports what an Express handler that reads the body's
// values with Number(), String() and Boolean() (or template literals and
// zod's z.coerce) did that nestedRules deny, or "".
func expressActsOn(r received) string {
	var body map[string]any
	if json.Unmarshal(r.body, &body) != nil {
		return ""
	}
	get := func(path ...string) (any, bool) {
		var v any = body
		for _, k := range path {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[k]; !ok {
				return nil, false
			}
		}
		return v, true
	}
	if v, ok := get("transfer", "to"); ok && coerce.JSNumber(v) == 9 {
		return fmt.Sprintf("transferred to %v", v)
	}
	if v, ok := get("transfer", "amount"); ok && coerce.JSNumber(v) > 1000 {
		return fmt.Sprintf("transferred %v", v)
	}
	if v, ok := get("options", "force"); ok && coerce.JSBoolean(v) {
		return fmt.Sprintf("forced with %v", v)
	}
	if v, ok := get("user", "role"); ok && coerce.JSString(v) == "admin" {
		return fmt.Sprintf("made an admin of %v", v)
	}
	if v, ok := get("order", "ref"); ok && coerce.JSString(v) == "7" {
		return fmt.Sprintf("read order %v", v)
	}
	return ""
}

// TestJavaScriptReadingsCannotBypassRules posts JSON bodies whose denied
// values are spelled as JavaScript reads them back: arrays of one element
// (["admin"], [[9]]), hexadecimal, binary and octal strings ("0x9"),
// Infinity, objects and arrays where a boolean is compared ({}, [0]). An
// Express handler reading them with Number(), String() and Boolean()
// never acts on what the rules deny.
func TestJavaScriptReadingsCannotBypassRules(t *testing.T) {
	_, up, srvs := gatedServers(t, nestedRules)
	var bodies []string
	for _, v := range []string{`[9]`, `[[9]]`, `["9"]`, `[" 9 "]`, `"0x9"`, `"0b1001"`, `"0o11"`, `["0x9"]`} {
		bodies = append(bodies, `{"transfer":{"to":`+v+`}}`)
	}
	for _, v := range []string{`"Infinity"`, `" Infinity"`, `["Infinity"]`, `[5000]`, `"0x1388"`, `[[5000]]`} {
		bodies = append(bodies, `{"transfer":{"amount":`+v+`}}`)
	}
	for _, v := range []string{`{}`, `[]`, `[0]`, `[false]`, `{"a":false}`} {
		bodies = append(bodies, `{"options":{"force":`+v+`}}`)
	}
	for _, v := range []string{`["admin"]`, `[["admin"]]`} {
		bodies = append(bodies, `{"user":{"role":`+v+`}}`)
	}
	for _, v := range []string{`[7]`, `["7"]`, `[[7]]`} {
		bodies = append(bodies, `{"order":{"ref":`+v+`}}`)
	}
	reached, acted := 0, 0
	for name, srv := range srvs {
		for _, b := range bodies {
			status := sendProbe(t, srv, frameworkProbe{method: "POST", target: "/api/pay", ctype: "application/json", body: b})
			for _, r := range up.take() {
				reached++
				if effect := expressActsOn(r); effect != "" {
					acted++
					t.Errorf("%s: %s (status %d) reached Express, which %s", name, b, status, effect)
				}
			}
		}
	}
	t.Logf("%d of %d requests reached the upstream, %d of them acted on a denied value", reached, 2*len(bodies), acted)
	// The documented types still pass, and arrays of several values.
	for name, srv := range srvs {
		for _, b := range []string{`{"transfer":{"to":8,"amount":50},"options":{"force":false},"user":{"role":"viewer"}}`,
			`{"transfer":{"to":[8,9]},"order":{"ref":"0x7"}}`} {
			if status := sendProbe(t, srv, frameworkProbe{method: "POST", target: "/api/pay", ctype: "application/json", body: b}); status != http.StatusOK {
				t.Errorf("%s: %s got %d, want 200", name, b, status)
			}
			up.take()
		}
	}
}

// TestJavaScriptQueryReadingsCannotBypassRules sends a query value a rule
// denies as the string "9" spelled as Number() reads it back ("0x9",
// "0b1001", "0o11"): an Express handler calling Number(req.query.id)
// never acts on it.
func TestJavaScriptQueryReadingsCannotBypassRules(t *testing.T) {
	_, up, srvs := gatedServers(t, `
default: deny
rules:
  - name: api
    when: http.path.startsWith("/api/")
    action: allow
  - name: no-id-9
    when: '"id" in http.query && http.query.id.exists(i, i == "9")'
    action: deny
`)
	reached, acted := 0, 0
	for name, srv := range srvs {
		for _, v := range []string{"0x9", "0X9", "0b1001", "0o11", "%200x9", "0x09"} {
			status := sendProbe(t, srv, frameworkProbe{method: "GET", target: "/api/accounts?id=" + v})
			for _, r := range up.take() {
				reached++
				if coerce.JSNumber(r.url.Query().Get("id")) == 9 {
					acted++
					t.Errorf("%s: ?id=%s (status %d) reached Express as account 9", name, v, status)
				}
			}
		}
		if status := sendProbe(t, srv, frameworkProbe{method: "GET", target: "/api/accounts?id=0x8"}); status != http.StatusOK {
			t.Errorf("%s: ?id=0x8 got %d, want 200", name, status)
		}
		up.take()
	}
	t.Logf("%d requests reached the upstream, %d of them acted on a denied value", reached, acted)
}
