package httpgate

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The upstream readers below emulate how common frameworks read a
// request's parameters, so that a test can judge a request by what the
// application behind the gate acts on rather than by what the gate saw.

// amountRules allow /api/ and deny, in the query, a form or a JSON
// body, an amount above 1000 (unless the query says dry_run=true).
const amountRules = `
default: deny
rules:
  - name: api
    when: http.path.startsWith("/api/")
    action: allow
  - name: big-query
    when: '"amount" in http.query && double(http.query.amount[0]) > 1000.0 && !("dry_run" in http.query && http.query.dry_run[0] == "true")'
    action: deny
  - name: big-form
    when: 'type(http.body) == map && "amount" in http.body && type(http.body.amount) == list && double(http.body.amount[0]) > 1000.0'
    action: deny
  - name: big-json
    when: 'type(http.body) == map && "amount" in http.body && type(http.body.amount) != list && double(http.body.amount) > 1000.0'
    action: deny
`

// frameworkRules deny, in the query, a form or a JSON body, an amount
// above 1000 (unless the query says dry_run=true) and the role admin
// (flat, or as user.role in JSON).
const frameworkRules = amountRules + `  - name: admin-query
    when: '"role" in http.query && http.query.role[0] == "admin"'
    action: deny
  - name: admin-body
    when: 'type(http.body) == map && "role" in http.body && (type(http.body.role) == list ? http.body.role[0] : http.body.role) == "admin"'
    action: deny
  - name: admin-user
    when: 'type(http.body) == map && "user" in http.body && type(http.body.user) == map && "role" in http.body.user && http.body.user.role == "admin"'
    action: deny
  - name: treasury
    when: 'type(http.body) == map && "account" in http.body && http.body.account == 9007199254740993'
    action: deny
`

// treasury is the account frameworkRules keep out of reach.
const treasury = "9007199254740993"

// nestedRoleRules deny an amount above 1000 and the role admin only as a
// JSON body's user.role, as a Rails API that takes {"user":{...}} is
// guarded.
const nestedRoleRules = amountRules + `  - name: admin-user
    when: 'type(http.body) == map && has(http.body.user) && type(http.body.user) == map && has(http.body.user.role) && http.body.user.role == "admin"'
    action: deny
`

// framework is one upstream's reading of a request: the parameter trees
// its application reads (query and body merged, or each on its own).
type framework struct {
	name string
	read func(r received) []map[string]any
}

// frameworks are the readings the test holds the gate to.
var frameworks = []framework{
	{"php", phpRead},
	{"rails", rackRead},
	{"express", expressRead},
	{"spring", springRead},
	{"aspnet", aspnetRead},
}

// formOf returns the body of r as a form, if it is one.
func formOf(r received) string {
	if strings.HasPrefix(r.header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return string(r.body)
	}
	return ""
}

// How a JSON parser reads numbers.
type numbers int

const (
	asDoubles  numbers = iota // JavaScript's JSON.parse
	asNative                  // PHP, Ruby, .NET: integers exact, others doubles
	asDecimals                // Jackson binding BigDecimal
)

// jsonOf returns the top-level object of a JSON body of r (the last of
// duplicate keys, as most parsers), if it is one, its numbers read as
// mode says (exact ones as json.Number).
func jsonOf(r received, mode numbers) map[string]any {
	ct := r.header.Get("Content-Type")
	if !strings.Contains(ct, "json") {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return nil
	}
	return readNumbers(m, mode).(map[string]any)
}

// readNumbers turns the json.Numbers of v into what mode reads.
func readNumbers(v any, mode numbers) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = readNumbers(e, mode)
		}
	case []any:
		for i, e := range x {
			x[i] = readNumbers(e, mode)
		}
	case json.Number:
		integer := !strings.ContainsAny(string(x), ".eE")
		if mode == asDecimals || mode == asNative && integer {
			return x
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

// pairs splits a query or form into decoded name/value pairs, keeping the
// first limit of them (PHP's max_input_vars, qs's parameterLimit); limit
// 0 keeps all.
func pairs(raw string, limit int) [][2]string {
	var out [][2]string
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		if limit > 0 && len(out) == limit {
			break
		}
		k, v, _ := strings.Cut(part, "=")
		k, _ = url.QueryUnescape(k)
		v, _ = url.QueryUnescape(v)
		out = append(out, [2]string{k, v})
	}
	return out
}

// setPath files v under the path of keys in tree ("" appends to a list,
// kept as a map of indices here).
func setPath(tree map[string]any, path []string, v any) {
	for i, k := range path {
		if i == len(path)-1 {
			tree[k] = v
			return
		}
		next, ok := tree[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			tree[k] = next
		}
		tree = next
	}
}

// bracketPath splits "a[b][c]" into a, b, c as PHP does: the base before
// the first '[' that is closed, then each [..] group until a character
// that does not open one.
func bracketPath(base, rest string) []string {
	path := []string{base}
	for strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			break
		}
		path = append(path, rest[1:end])
		rest = rest[end+1:]
	}
	return path
}

// phpRead reads as PHP's $_REQUEST with its default variables_order
// (the query, the form, then cookies; and as Laravel, whose input merges
// a JSON body): leading spaces dropped, '.', ' ' and an unmatched '[' of
// the base turned to '_', brackets nest, a NUL ends the name, at most
// 1000 variables.
func phpRead(r received) []map[string]any {
	tree := map[string]any{}
	cookies := strings.ReplaceAll(strings.Join(r.header.Values("Cookie"), "; "), "; ", "&")
	for _, src := range []string{r.url.RawQuery, formOf(r), cookies} {
		for _, p := range pairs(src, 1000) {
			k, _, _ := strings.Cut(p[0], "\x00")
			k = strings.TrimLeft(k, " ")
			base, rest := k, ""
			if i := strings.IndexByte(k, '['); i > 0 && strings.IndexByte(k[i:], ']') > 0 {
				base, rest = k[:i], k[i:]
			}
			base = strings.NewReplacer(".", "_", " ", "_", "[", "_").Replace(base)
			setPath(tree, bracketPath(base, rest), p[1])
		}
	}
	for k, v := range jsonOf(r, asNative) {
		tree[k] = v
		if strings.Contains(k, ".") {
			// input("user.role") reads the key "user.role" first.
			setPath(tree, strings.Split(k, "."), v)
		}
	}
	return []map[string]any{tree}
}

// rack2Name is Rack 2's reading of a parameter name's first key: leading
// brackets dropped, the key up to the next bracket, closing brackets after
// it dropped.
var rack2Name = regexp.MustCompile(`^[\[\]]*([^\[\]]+)\]*`)

// rackRead reads as Rails on Rack 2 in a UsersController: the first key
// as rack2Name, then [..] groups nest; the query wins over the body (a
// form or JSON); a JSON body's keys are also wrapped under user when it
// sends no user.
func rackRead(r received) []map[string]any {
	tree := map[string]any{}
	j := jsonOf(r, asNative)
	for k, v := range j {
		tree[k] = v
	}
	if _, sent := j["user"]; j != nil && !sent {
		// ParamsWrapper, in a UsersController.
		tree["user"] = j
	}
	for _, src := range []string{formOf(r), r.url.RawQuery} {
		for _, p := range pairs(src, 0) {
			m := rack2Name.FindStringSubmatchIndex(p[0])
			if m == nil {
				continue
			}
			base, rest := p[0][m[2]:m[3]], p[0][m[1]:]
			if rest != "" && !strings.HasPrefix(rest, "[") {
				// "user]role": the rest is read as a nested name.
				rest = "[" + rest + "]"
			}
			setPath(tree, bracketPath(base, rest), p[1])
		}
	}
	return []map[string]any{tree}
}

// qsRead reads a query or form as Express's qs (the extended parser):
// at most 1000 parameters, a leading [..] group read as the first key,
// brackets nest, prototype names dropped.
func qsRead(raw string) map[string]any {
	tree := map[string]any{}
	for _, p := range pairs(raw, 1000) {
		k := p[0]
		base, rest := k, ""
		if i := strings.IndexByte(k, '['); i >= 0 && strings.IndexByte(k[i:], ']') > 0 {
			base, rest = k[:i], k[i:]
		}
		path := bracketPath(base, rest)
		if path[0] == "" && len(path) > 1 {
			path = path[1:]
		}
		if path[0] == "__proto__" {
			continue
		}
		setPath(tree, path, p[1])
	}
	return tree
}

// expressRead reads as Express 4: req.query and a form body by qs, a JSON
// body as the application copies it (Object.assign({}, req.body)), which
// makes a "__proto__" member the copy's prototype: its keys read as the
// copy's own where it has none.
func expressRead(r received) []map[string]any {
	body := qsRead(formOf(r))
	if j := jsonOf(r, asDoubles); j != nil {
		body = map[string]any{}
		if proto, ok := j["__proto__"].(map[string]any); ok {
			for k, v := range proto {
				body[k] = v
			}
		}
		for k, v := range j {
			if k != "__proto__" {
				body[k] = v
			}
		}
	}
	return []map[string]any{qsRead(r.url.RawQuery), body}
}

// springRead reads as Spring's data binder: the query and a form merged,
// '.' and [..] nest, "!name" is name's value when name is not sent, and a
// JSON body (Jackson, numbers as BigDecimal) on its own.
func springRead(r received) []map[string]any {
	tree := map[string]any{}
	var defaults [][2]string
	for _, src := range []string{r.url.RawQuery, formOf(r)} {
		for _, p := range pairs(src, 0) {
			if name, ok := strings.CutPrefix(p[0], "!"); ok {
				defaults = append(defaults, [2]string{name, p[1]})
				continue
			}
			setPath(tree, splitNested(p[0]), p[1])
		}
	}
	for _, d := range defaults {
		path := splitNested(d[0])
		if _, sent := tree[path[0]]; !sent {
			setPath(tree, path, d[1])
		}
	}
	return []map[string]any{tree, jsonOf(r, asDecimals)}
}

// splitNested splits a property path at '.', '[' and ']' (a name that
// starts with '[' is a key of its own).
func splitNested(k string) []string {
	if strings.HasPrefix(k, "[") {
		return []string{k}
	}
	path := strings.FieldsFunc(k, func(r rune) bool { return r == '.' || r == '[' || r == ']' })
	if len(path) == 0 {
		return []string{k}
	}
	return path
}

// aspnetRead reads as ASP.NET Core's model binding of an action
// parameter named req: names without regard to case, '.' and [..] nest,
// and a name under the prefix req binds like the name itself.
func aspnetRead(r received) []map[string]any {
	tree := map[string]any{}
	for _, src := range []string{r.url.RawQuery, formOf(r)} {
		for _, p := range pairs(src, 0) {
			path := splitNested(strings.ToLower(p[0]))
			if len(path) > 1 && path[0] == "req" {
				path = path[1:]
			}
			setPath(tree, path, p[1])
		}
	}
	return []map[string]any{tree, jsonOf(r, asNative)}
}

// decimal reads v (a string, json.Number or the first of a list) as an
// exact decimal, as BigDecimal or a decimal column does.
func decimal(v any) (*big.Rat, bool) {
	if l, ok := v.([]any); ok && len(l) > 0 {
		v = l[0]
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.Number:
		s = string(x)
	case float64:
		return new(big.Rat).SetFloat64(x), true
	default:
		return nil, false
	}
	return new(big.Rat).SetString(strings.TrimSpace(s))
}

// actsOn returns what an application reading tree does that the rules
// deny, or "": flatRole when they deny the role admin at the top too.
func actsOn(tree map[string]any, flatRole bool) string {
	if tree == nil {
		return ""
	}
	if a, ok := decimal(tree["amount"]); ok && a.Cmp(big.NewRat(1000, 1)) > 0 && fmt.Sprint(tree["dry_run"]) != "true" {
		return "pays amount " + a.FloatString(20)
	}
	if flatRole && tree["role"] == "admin" {
		return "grants role admin"
	}
	if a, ok := tree["account"]; ok && flatRole {
		t, _ := new(big.Rat).SetString(treasury)
		if d, ok := decimal(a); ok && d.Cmp(t) == 0 {
			return "acts on the treasury account"
		}
		if f, ok := a.(float64); ok && f == 9007199254740993 {
			return "acts on the treasury account (as a double)"
		}
	}
	if u, ok := tree["user"].(map[string]any); ok && u["role"] == "admin" {
		return "grants user.role admin"
	}
	return ""
}

// frameworkProbe is one generated request.
type frameworkProbe struct {
	method, target, ctype, body, cookie string
	gzip                                bool
}

// genFrameworkProbe builds a request whose parameters are spelled as one
// framework or another reads them.
func genFrameworkProbe(rng interface{ IntN(int) int }) frameworkProbe {
	amountNames := []string{"amount", "[amount]", "]amount", "[[amount]]", "!amount", "req.amount", "req[amount]", "x]amount", "Req.Amount", "amount.x", "_amount"}
	roleNames := []string{"role", "[role]", "!role", "user[role]", "user.role", "user]role", "req.role", "[user][role]", "user[role"}
	amounts := []string{"5", "5000"}
	var kv []string
	for range 1 + rng.IntN(2) {
		if rng.IntN(2) == 0 {
			kv = append(kv, url.QueryEscape(amountNames[rng.IntN(len(amountNames))])+"="+amounts[rng.IntN(len(amounts))])
		} else {
			kv = append(kv, url.QueryEscape(roleNames[rng.IntN(len(roleNames))])+"="+[]string{"admin", "user"}[rng.IntN(2)])
		}
	}
	enc := strings.Join(kv, "&")
	p := frameworkProbe{method: "GET", target: "/api/x?" + enc}
	if rng.IntN(8) == 0 {
		// Cookies named as parameters, sent beside an allowed query.
		p.cookie, enc = strings.ReplaceAll(enc, "&", "; "), "amount=5"
		p.target = "/api/x?" + enc
	}
	switch rng.IntN(7) {
	case 1, 2:
		p.method, p.target, p.ctype, p.body = "POST", "/api/x", "application/x-www-form-urlencoded", enc
	case 3, 4, 5:
		p.method, p.target = "POST", "/api/x"
		p.ctype = []string{"application/json", "application/vnd.api+json", "application/json; charset=utf-8"}[rng.IntN(3)]
		p.body = []string{
			`{"amount":5}`, `{"amount":1000.0000000000000000001}`, `{"amount":1000.000000000000000000000000001e0}`,
			`{"amount":100000000000000000000001e-20}`, `{"__proto__":{"amount":5000}}`, `{"__proto__":{"role":"admin"}}`,
			`{"user":{"role":"admin"}}`, `{"user":{"__proto__":{"role":"admin"}}}`, `{"role":"user"}`,
			`{"user.role":"admin"}`, `{"role":"admin"}`, `{"role":"admin","user":{"role":"user"}}`, `{"amount":5,"Role":"admin"}`,
			`{"account":9007199254740992}`, `{"account":9007199254740993}`, `{"account":9007199254740994}`, `{"account":[9007199254740992]}`,
		}[rng.IntN(17)]
	case 6:
		// The dry run flag after as many fillers as PHP and qs read
		// (named to sort between amount and dry_run: the gate forwards
		// the query re-encoded, sorted by name).
		var b strings.Builder
		for i := range 1000 {
			fmt.Fprintf(&b, "b%04d=&", i)
		}
		p.target = "/api/x?" + b.String() + "amount=5000&dry_run=true"
		if rng.IntN(2) == 0 {
			p.target = "/api/x?amount=5000&" + b.String() + "dry_run=true"
		}
	}
	p.gzip = p.body != "" && rng.IntN(4) == 0
	return p
}

// TestFrameworkReadingsCannotBypassRules sends generated requests whose
// parameters are spelled as PHP, Rails (Rack), Express (qs), Spring and
// ASP.NET read them under a name the rules read ([amount], ]amount,
// !amount, req.amount, user]role, ...), JSON bodies with "__proto__"
// members, dotted keys (Laravel), keys Rails wraps under the resource's
// name, and numbers a double does not hold exactly, and a dry_run flag
// past the 1000 parameters PHP and qs read, to the proxy and the
// middleware, under rules that read the role flat and nested, or nested
// only. No framework may act, on a request that reached it, on what the
// rules deny: an amount above 1000 outside a dry run, or the role admin.
// Every request is answered 200 or refused with 400, 403 or 415.
func TestFrameworkReadingsCannotBypassRules(t *testing.T) {
	for _, set := range []struct {
		name, rules string
		flatRole    bool
	}{{"flat", frameworkRules, true}, {"nested", nestedRoleRules, false}} {
		t.Run(set.name, func(t *testing.T) {
			_, up, srvs := gatedServers(t, set.rules)
			rng := newRand(t)
			reached := 0
			for name, srv := range srvs {
				for range 150 {
					p := genFrameworkProbe(rng)
					status := sendProbe(t, srv, p)
					if status != 200 && status != 400 && status != 403 && status != 415 {
						t.Errorf("%s: %s %.120q %q: status %d", name, p.method, p.target, p.body, status)
					}
					for _, r := range up.take() {
						reached++
						for _, fw := range frameworks {
							for _, tree := range fw.read(r) {
								if effect := actsOn(tree, set.flatRole); effect != "" {
									t.Errorf("%s: %s %s %q cookie %q (status %d) reached %s, which %s", name, p.method, shortTarget(p.target), p.body, p.cookie, status, fw.name, effect)
								}
							}
						}
					}
				}
			}
			if reached == 0 {
				t.Fatal("no request reached the upstream: the test proves nothing")
			}
		})
	}
}

// sendProbe sends p with the agent's token over TCP, as it is, and
// returns the status.
func sendProbe(t *testing.T, srv *httptest.Server, p frameworkProbe) int {
	body, headers := p.body, ""
	if p.ctype != "" {
		headers += "Content-Type: " + p.ctype + "\r\n"
	}
	if p.cookie != "" {
		headers += "Cookie: " + p.cookie + "\r\n"
	}
	if p.gzip {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(body))
		zw.Close()
		body, headers = b.String(), headers+"Content-Encoding: gzip\r\n"
	}
	req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: api.example\r\nAuthorization: Bearer %s\r\nConnection: close\r\n%sContent-Length: %d\r\n\r\n%s",
		p.method, p.target, agentToken, headers, len(body), body)
	status, _ := raw(t, srv, req)
	return status
}

// shortTarget shows a long target by its ends.
func shortTarget(target string) string {
	if len(target) <= 160 {
		return fmt.Sprintf("%q", target)
	}
	return fmt.Sprintf("%q...(%d bytes)...%q", target[:80], len(target)-120, target[len(target)-40:])
}

// TestFrameworkReadingsKeepWorking: requests every framework reads as the
// rules do pass: nested names and dotted JSON keys no rule reads, a
// double's shortest form (0.30000000000000004), "_id" keys, a role sent
// at the top beside the user it is wrapped under, and 1000 parameters.
func TestFrameworkReadingsKeepWorking(t *testing.T) {
	var b strings.Builder
	for i := range 999 {
		fmt.Fprintf(&b, "b%04d=&", i)
	}
	for _, c := range []struct {
		rules string
		p     frameworkProbe
	}{
		{frameworkRules, frameworkProbe{method: "GET", target: "/api/x?page[size]=10&page.number=2&amount=5&_=1712", cookie: "session=abc; theme=dark"}},
		{frameworkRules, frameworkProbe{method: "GET", target: "/api/x?" + b.String() + "amount=5"}},
		{frameworkRules, frameworkProbe{method: "POST", target: "/api/x", ctype: "application/x-www-form-urlencoded", body: "filter[kind]=a&amount=5"}},
		{frameworkRules, frameworkProbe{method: "POST", target: "/api/x", ctype: "application/json", body: `{"amount":0.30000000000000004,"user":{"role":"user"},"_id":"x","meta.kind":"a"}`}},
		{frameworkRules, frameworkProbe{method: "POST", target: "/api/x", ctype: "application/json", body: `{"account":9007199254740991,"order":9007199254740993}`}},
		{frameworkRules, frameworkProbe{method: "POST", target: "/api/x", ctype: "application/json", body: `{"count":1e21,"fee":12.5,"rate":1.7976931348623157e308,"tiny":5e-324}`}},
		{nestedRoleRules, frameworkProbe{method: "POST", target: "/api/x", ctype: "application/json", body: `{"user":{"role":"user"},"role":"x"}`}},
		{nestedRoleRules, frameworkProbe{method: "POST", target: "/api/x", ctype: "application/json", body: `{"name":"ann","amount":5}`}},
	} {
		_, up, srvs := gatedServers(t, c.rules)
		for name, srv := range srvs {
			if status := sendProbe(t, srv, c.p); status != 200 || len(up.take()) != 1 {
				t.Errorf("%s: %s %s %q: status %d", name, c.p.method, shortTarget(c.p.target), c.p.body, status)
			}
		}
	}
}
