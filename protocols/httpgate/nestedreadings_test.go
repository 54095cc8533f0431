package httpgate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// nestedRules deny, at every depth of a JSON body, what a typed API
// behind the gate must not do: transfer to account 9 or more than 1000,
// a line item on account 9, the force option, id 9 in a list of ids, the
// user role admin and the order reference "7". The rules compare with
// equality and guard their comparisons with type tests, as rules that
// must not fail on other shapes are written.
const nestedRules = `
default: deny
rules:
  - name: api
    when: http.path.startsWith("/api/")
    action: allow
  - name: no-transfer-to-9
    when: 'type(http.body) == map && has(http.body.transfer) && type(http.body.transfer) == map && has(http.body.transfer.to) && http.body.transfer.to == 9'
    action: deny
  - name: no-big-transfer
    when: 'type(http.body) == map && has(http.body.transfer) && type(http.body.transfer) == map && has(http.body.transfer.amount) && type(http.body.transfer.amount) == int && http.body.transfer.amount > 1000'
    action: deny
  - name: no-line-on-9
    when: 'type(http.body) == map && has(http.body.items) && type(http.body.items) == list && http.body.items.exists(i, type(i) == map && has(i.account) && i.account == 9)'
    action: deny
  - name: no-force
    when: 'type(http.body) == map && has(http.body.options) && type(http.body.options) == map && has(http.body.options.force) && http.body.options.force == true'
    action: deny
  - name: no-id-9
    when: 'type(http.body) == map && has(http.body.ids) && type(http.body.ids) == list && 9 in http.body.ids'
    action: deny
  - name: no-admin-user
    when: 'type(http.body) == map && has(http.body.user) && type(http.body.user) == map && has(http.body.user.role) && http.body.user.role == "admin"'
    action: deny
  - name: no-order-7
    when: 'type(http.body) == map && has(http.body.order) && type(http.body.order) == map && has(http.body.order.ref) && http.body.order.ref == "7"'
    action: deny
`

// binder coerces a JSON scalar (json.Number, string, bool) to the type
// of the field it binds, as one framework does, or fails (ok false).
type binder struct {
	name   string
	toInt  func(v any) (int64, bool)
	toBool func(v any) (bool, bool)
	toStr  func(v any) (string, bool)
}

var leadingInt = regexp.MustCompile(`^\s*([+-]?[0-9]+)`)

// numberInt reads a JSON number as an integer field does: exactly, or
// truncated (Jackson's ACCEPT_FLOAT_AS_INT, Ruby's to_i, PHP's intval).
func numberInt(n json.Number) (int64, bool) {
	if i, err := n.Int64(); err == nil {
		return i, true
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.Abs(f) > 1<<62 {
		return 0, false
	}
	return int64(f), true
}

func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return string(x), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// binders are Jackson (Spring), Rails (ActiveModel attributes and to_i),
// Laravel (PHP's intval and FILTER_VALIDATE_BOOLEAN) and Pydantic in lax
// mode (FastAPI).
var binders = []binder{
	{"jackson",
		func(v any) (int64, bool) {
			switch x := v.(type) {
			case json.Number:
				return numberInt(x)
			case string:
				n, err := strconv.ParseInt(strings.TrimPrefix(x, "+"), 10, 64)
				return n, err == nil
			}
			return 0, false
		},
		func(v any) (bool, bool) {
			switch x := v.(type) {
			case bool:
				return x, true
			case json.Number:
				i, ok := numberInt(x)
				return i != 0, ok
			case string:
				if strings.EqualFold(x, "true") || strings.EqualFold(x, "false") {
					return strings.EqualFold(x, "true"), true
				}
			}
			return false, false
		},
		scalarText},
	{"rails",
		func(v any) (int64, bool) {
			switch x := v.(type) {
			case json.Number:
				return numberInt(x)
			case string:
				if m := leadingInt.FindStringSubmatch(x); m != nil {
					n, err := strconv.ParseInt(m[1], 10, 64)
					return n, err == nil
				}
				return 0, true
			}
			return 0, false
		},
		func(v any) (bool, bool) {
			switch x := v.(type) {
			case bool:
				return x, true
			case json.Number:
				f, err := x.Float64()
				return f != 0, err == nil
			case string:
				switch x {
				case "":
					return false, false
				case "0", "f", "F", "false", "FALSE", "off", "OFF":
					return false, true
				}
				return true, true
			}
			return false, false
		},
		scalarText},
	{"laravel",
		func(v any) (int64, bool) {
			switch x := v.(type) {
			case json.Number:
				return numberInt(x)
			case string:
				if f, err := strconv.ParseFloat(strings.TrimLeft(x, " \t\n\r"), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
					return int64(f), true
				}
				if m := leadingInt.FindStringSubmatch(x); m != nil {
					n, err := strconv.ParseInt(m[1], 10, 64)
					return n, err == nil
				}
				return 0, true
			case bool:
				if x {
					return 1, true
				}
				return 0, true
			}
			return 0, false
		},
		func(v any) (bool, bool) {
			s, ok := scalarText(v)
			switch strings.ToLower(strings.TrimSpace(s)) {
			case "1", "true", "on", "yes":
				return true, ok
			}
			return false, ok
		},
		scalarText},
	{"pydantic",
		func(v any) (int64, bool) {
			switch x := v.(type) {
			case json.Number:
				if i, err := x.Int64(); err == nil {
					return i, true
				}
				f, err := x.Float64()
				return int64(f), err == nil && f == math.Trunc(f)
			case string:
				s := strings.TrimSpace(x)
				if n, err := strconv.ParseInt(s, 10, 64); err == nil {
					return n, true
				}
				f, err := strconv.ParseFloat(s, 64)
				return int64(f), err == nil && f == math.Trunc(f) && !math.IsInf(f, 0)
			case bool:
				if x {
					return 1, true
				}
				return 0, true
			}
			return 0, false
		},
		func(v any) (bool, bool) {
			switch x := v.(type) {
			case bool:
				return x, true
			case json.Number:
				i, err := x.Int64()
				return i == 1, err == nil && (i == 0 || i == 1)
			case string:
				switch strings.ToLower(strings.TrimSpace(x)) {
				case "1", "on", "t", "true", "y", "yes":
					return true, true
				case "0", "off", "f", "false", "n", "no":
					return false, true
				}
			}
			return false, false
		},
		func(v any) (string, bool) { s, ok := v.(string); return s, ok }},
}

// lenientJSON reads the JSON body of r whatever its Content-Type says, after
// a byte order mark, the last of duplicate keys winning, numbers kept as
// json.Number: what a lenient upstream parser makes of it.
func lenientJSON(r received) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(r.body, []byte("\xef\xbb\xbf"))))
	dec.UseNumber()
	var v any
	return v, dec.Decode(&v) == nil
}

// obj returns the member k of v if v is an object.
func obj(v any, k string) (any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	e, ok := m[k]
	return e, ok
}

// typedActsOn returns what an application binding the JSON body of r to
// typed fields with b does that nestedRules deny, or "".
func typedActsOn(r received, b binder) string {
	body, ok := lenientJSON(r)
	if !ok {
		return ""
	}
	var effects []string
	if t, ok := obj(body, "transfer"); ok {
		if v, ok := obj(t, "to"); ok {
			if n, ok := b.toInt(v); ok && n == 9 {
				effects = append(effects, fmt.Sprintf("transfers to account 9 (%v)", v))
			}
		}
		if v, ok := obj(t, "amount"); ok {
			if n, ok := b.toInt(v); ok && n > 1000 {
				effects = append(effects, fmt.Sprintf("transfers %d (%v)", n, v))
			}
		}
	}
	if items, ok := obj(body, "items"); ok {
		l, _ := items.([]any)
		for _, it := range l {
			if v, ok := obj(it, "account"); ok {
				if n, ok := b.toInt(v); ok && n == 9 {
					effects = append(effects, fmt.Sprintf("books a line on account 9 (%v)", v))
				}
			}
		}
	}
	if o, ok := obj(body, "options"); ok {
		if v, ok := obj(o, "force"); ok {
			if f, ok := b.toBool(v); ok && f {
				effects = append(effects, fmt.Sprintf("forces (%v)", v))
			}
		}
	}
	if ids, ok := obj(body, "ids"); ok {
		l, _ := ids.([]any)
		for _, v := range l {
			if n, ok := b.toInt(v); ok && n == 9 {
				effects = append(effects, fmt.Sprintf("acts on id 9 (%v)", v))
			}
		}
	}
	if u, ok := obj(body, "user"); ok {
		if v, ok := obj(u, "role"); ok {
			if s, ok := b.toStr(v); ok && s == "admin" {
				effects = append(effects, "grants admin")
			}
		}
	}
	if o, ok := obj(body, "order"); ok {
		if v, ok := obj(o, "ref"); ok {
			if s, ok := b.toStr(v); ok && s == "7" {
				effects = append(effects, fmt.Sprintf("acts on order 7 (%v)", v))
			}
		}
	}
	return strings.Join(effects, ", ")
}

// Spellings of the values nestedRules deny, as JSON texts, and of values
// they allow.
var (
	account9 = []string{`9`, `"9"`, `"09"`, `"+9"`, `" 9"`, `"9abc"`, `9.0`, `"9.0"`, `9.5`, `"9e0"`, `90e-1`, `"0009"`}
	amounts  = []string{`5000`, `"5000"`, `"5e3"`, `5000.0`, `5e3`, `"5000.9"`, `"5000abc"`, `" 5000"`, `"+5000"`}
	forces   = []string{`true`, `"true"`, `"TRUE"`, `1`, `"1"`, `"yes"`, `"on"`, `"t"`, `"y"`, `"no"`, `"x"`, `2`}
	refs7    = []string{`"7"`, `7`, `7.0`}
	benign   = []string{`8`, `"8"`, `100`, `false`, `"false"`, `0`, `"0"`, `"user"`, `"off"`, `null`}
)

// genNestedBody builds a JSON object with some of the sections
// nestedRules read, each with a denied or an allowed spelling, in a
// random order, sometimes with a duplicate key holding the denied value
// after an allowed one.
func genNestedBody(rng interface{ IntN(int) int }) string {
	val := func(denied []string) string {
		if rng.IntN(3) == 0 {
			return benign[rng.IntN(len(benign))]
		}
		return denied[rng.IntN(len(denied))]
	}
	dup := func(k, v string) string {
		if rng.IntN(10) == 0 {
			return fmt.Sprintf(`%q:8,%q:%s`, k, k, v)
		}
		return fmt.Sprintf(`%q:%s`, k, v)
	}
	var parts []string
	for len(parts) == 0 {
		if rng.IntN(2) == 0 {
			parts = append(parts, fmt.Sprintf(`"transfer":{%s,%s}`, dup("to", val(account9)), dup("amount", val(amounts))))
		}
		if rng.IntN(3) == 0 {
			var lines []string
			for range 1 + rng.IntN(3) {
				lines = append(lines, fmt.Sprintf(`{"sku":"a%d",%s}`, rng.IntN(9), dup("account", val(account9))))
			}
			parts = append(parts, `"items":[`+strings.Join(lines, ",")+`]`)
		}
		if rng.IntN(3) == 0 {
			parts = append(parts, fmt.Sprintf(`"options":{%s}`, dup("force", val(forces))))
		}
		if rng.IntN(4) == 0 {
			parts = append(parts, fmt.Sprintf(`"ids":[1,%s]`, val(account9)))
		}
		if rng.IntN(4) == 0 {
			parts = append(parts, fmt.Sprintf(`"user":{"name":"ann",%s}`, dup("role", val([]string{`"admin"`}))))
		}
		if rng.IntN(4) == 0 {
			parts = append(parts, fmt.Sprintf(`"order":{%s}`, dup("ref", val(refs7))))
		}
	}
	for i := range parts {
		j := rng.IntN(i + 1)
		parts[i], parts[j] = parts[j], parts[i]
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// jsonCarriers are the Content-Types (and a byte order mark) a lenient
// upstream reads a JSON body under.
var jsonCarriers = []struct{ ctype, prefix string }{
	{"application/json", ""}, {"application/json; charset=utf-8", ""}, {"application/vnd.api+json", ""},
	{"text/json", ""}, {"application/x-json", ""}, {"application/json", "\xef\xbb\xbf"}, {"", ""},
	{"text/plain", ""}, {"application/json; charset=utf-16", ""}, {"application/x-www-form-urlencoded", ""},
}

// TestNestedValueReadingsCannotBypassRules sends generated JSON bodies
// whose values, at every depth (objects within objects, objects within
// arrays, arrays of scalars), are spelled as another scalar type than the
// rules compare ("9", "09", 9.0, "5e3", "yes", 7 for "7"), under the
// Content-Types a lenient upstream reads as JSON, sometimes after a byte
// order mark or with a duplicate key, to the proxy and the middleware.
// No binder (Jackson, Rails, Laravel, Pydantic) may act, on a request
// that reached it, on what the rules deny.
func TestNestedValueReadingsCannotBypassRules(t *testing.T) {
	_, up, srvs := gatedServers(t, nestedRules)
	rng := newRand(t)
	reached, bypassed := 0, 0
	for name, srv := range srvs {
		for range 300 {
			c := pick(rng, jsonCarriers)
			p := frameworkProbe{method: "POST", target: "/api/pay", ctype: c.ctype, body: c.prefix + genNestedBody(rng)}
			status := sendProbe(t, srv, p)
			for _, r := range up.take() {
				reached++
				for _, b := range binders {
					if effect := typedActsOn(r, b); effect != "" {
						bypassed++
						t.Errorf("%s: %q %s (status %d) reached %s, which %s", name, p.ctype, p.body, status, b.name, effect)
						break
					}
				}
			}
		}
	}
	t.Logf("%d requests reached the upstream, %d of them acted on a denied value", reached, bypassed)
	if reached == 0 {
		t.Fatal("no request reached the upstream: the test proves nothing")
	}
}

// TestNestedValueReadingsKeepWorking: bodies whose values have the types
// the API documents, and strings no rule compares with a number or a
// boolean, pass at every depth.
func TestNestedValueReadingsKeepWorking(t *testing.T) {
	_, up, srvs := gatedServers(t, nestedRules)
	for name, srv := range srvs {
		for _, body := range []string{
			`{"transfer":{"to":8,"amount":50},"items":[{"sku":"a","account":3},{"sku":"b","account":4}],"options":{"force":false},"ids":[1,2,3],"user":{"role":"viewer","name":"ann"},"order":{"ref":"8"}}`,
			`{"transfer":{"to":8,"amount":1000},"note":"9","items":[],"options":{"force":false,"dry":"yes"}}`,
			`{"user":{"role":"admin-viewer"},"order":{"ref":"77","note":"7"},"meta":{"account":"x9"}}`,
			`{"items":[{"sku":"9","account":10,"qty":"9"}],"ids":[10,11],"tags":["9","yes"]}`,
		} {
			if status := sendProbe(t, srv, frameworkProbe{method: "POST", target: "/api/pay", ctype: "application/json", body: body}); status != 200 || len(up.take()) != 1 {
				t.Errorf("%s: %s: status %d", name, body, status)
			}
		}
	}
}

// conjunctionRules deny a transfer to account 9 above 1000, and a forced
// transfer to account 9: rules that need two values coerced at once.
const conjunctionRules = `
default: deny
rules:
  - name: api
    when: http.path.startsWith("/api/")
    action: allow
  - name: no-big-transfer-to-9
    when: 'type(http.body) == map && has(http.body.transfer) && type(http.body.transfer) == map && has(http.body.transfer.to) && has(http.body.transfer.amount) && http.body.transfer.to == 9 && type(http.body.transfer.amount) == int && http.body.transfer.amount > 1000'
    action: deny
  - name: no-forced-9
    when: 'type(http.body) == map && has(http.body.transfer) && type(http.body.transfer) == map && has(http.body.transfer.to) && has(http.body.options) && type(http.body.options) == map && has(http.body.options.force) && http.body.transfer.to == 9 && http.body.options.force == true'
    action: deny
`

// conjunctionActsOn returns what an application binding the body of r
// with b does that conjunctionRules deny, or "".
func conjunctionActsOn(r received, b binder) string {
	body, ok := lenientJSON(r)
	if !ok {
		return ""
	}
	t, _ := obj(body, "transfer")
	to, ok1 := obj(t, "to")
	n, ok2 := b.toInt(to)
	if !ok1 || !ok2 || n != 9 {
		return ""
	}
	if a, ok := obj(t, "amount"); ok {
		if m, ok := b.toInt(a); ok && m > 1000 {
			return fmt.Sprintf("transfers %d to account 9", m)
		}
	}
	o, _ := obj(body, "options")
	if f, ok := obj(o, "force"); ok {
		if v, ok := b.toBool(f); ok && v {
			return "forces a transfer to account 9"
		}
	}
	return ""
}

// TestCoercedConjunctionsCannotBypassRules sends bodies whose rules need
// two values coerced at once (to "09" and amount "5e3", to "9" and force
// "yes"): no binder may act on what the rules deny; the same bodies
// without account 9 pass.
func TestCoercedConjunctionsCannotBypassRules(t *testing.T) {
	_, up, srvs := gatedServers(t, conjunctionRules)
	rng := newRand(t)
	reached, bypassed := 0, 0
	for name, srv := range srvs {
		for range 150 {
			body := fmt.Sprintf(`{"transfer":{"to":%s,"amount":%s},"options":{"force":%s}}`,
				pick(rng, append([]string{`8`, `"8"`}, account9...)), pick(rng, append([]string{`50`, `"50"`}, amounts...)), pick(rng, append([]string{`false`, `"false"`}, forces...)))
			status := sendProbe(t, srv, frameworkProbe{method: "POST", target: "/api/pay", ctype: "application/json", body: body})
			for _, r := range up.take() {
				reached++
				for _, b := range binders {
					if effect := conjunctionActsOn(r, b); effect != "" {
						bypassed++
						t.Errorf("%s: %s (status %d) reached %s, which %s", name, body, status, b.name, effect)
						break
					}
				}
			}
		}
		for _, body := range []string{`{"transfer":{"to":"8","amount":"5000"},"options":{"force":"yes"}}`, `{"transfer":{"to":9,"amount":50},"options":{"force":false}}`} {
			if status := sendProbe(t, srv, frameworkProbe{method: "POST", target: "/api/pay", ctype: "application/json", body: body}); status != 200 || len(up.take()) != 1 {
				t.Errorf("%s: %s: status %d", name, body, status)
			}
		}
	}
	t.Logf("%d requests reached the upstream, %d of them acted on a denied value", reached, bypassed)
	if reached == 0 {
		t.Fatal("no request reached the upstream: the test proves nothing")
	}
}
