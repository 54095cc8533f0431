package httpgate

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// foldAlphabet are runes with interesting simple-folding orbits: ASCII,
// the Kelvin sign and the long s (which fold to k and s), sigma's three
// forms, the micro sign, sharp s, the Turkish i's (which fold to nothing
// ASCII) and a Latin-1 letter.
var foldAlphabet = []rune("abkKsSzZ_1\u212a\u017fΣσςµΜßẞıİéÉ")

// orbit is every rune r folds to, r included.
func orbit(r rune) []rune {
	out := []rune{r}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		out = append(out, f)
	}
	return out
}

// respell spells name with each rune replaced by one of its orbit.
func respell(rng *rand.Rand, name string) string {
	var b strings.Builder
	for _, r := range name {
		b.WriteRune(pick(rng, orbit(r)))
	}
	return b.String()
}

// TestFoldKeyAgreesWithEncodingJSON: two keys fold alike exactly when
// encoding/json decodes one into a struct field tagged with the other.
func TestFoldKeyAgreesWithEncodingJSON(t *testing.T) {
	rng := newRand(t)
	for range 2000 {
		var a strings.Builder
		for range 1 + rng.IntN(5) {
			a.WriteRune(pick(rng, foldAlphabet))
		}
		b := respell(rng, a.String())
		if rng.IntN(4) == 0 {
			b = string(pick(rng, foldAlphabet)) + b[min(len(b), 1):]
		}
		typ := reflect.StructOf([]reflect.StructField{{Name: "F", Type: reflect.TypeFor[int](), Tag: reflect.StructTag(fmt.Sprintf(`json:%q`, a.String()))}})
		v := reflect.New(typ)
		doc, _ := json.Marshal(map[string]int{b: 1})
		if err := json.Unmarshal(doc, v.Interface()); err != nil {
			t.Fatal(err)
		}
		decoded := v.Elem().Field(0).Int() == 1
		if folded := jsontext.FoldKey(a.String()) == jsontext.FoldKey(b); folded != decoded {
			t.Errorf("key %q, field %q: foldKey says %v, encoding/json decodes: %v", b, a.String(), folded, decoded)
		}
	}
}

const keyRules = `
default: deny
rules:
  - name: api
    when: http.path.startsWith("/api/")
    action: allow
  - name: big-payments
    when: type(http.body) == map && has(http.body.amount) && http.body.amount > 1000
    action: deny
  - name: no-paid
    when: type(http.body) == map && has(http.body.status) && http.body.status == "paid"
    action: deny
  - name: deletes-dry-only
    when: http.method == "DELETE" && !(type(http.body) == map && has(http.body.dry_run) && http.body.dry_run == true)
    action: deny
  - name: no-bulk
    when: '"kind" in http.query && http.query.kind == ["all"]'
    action: deny
`

// upstreamReadings decodes a received JSON body the way a Go upstream
// (encoding/json: keys matched by folding) and a case-sensitive one (a
// JavaScript or Python dict lookup) read it.
type upstreamReadings struct {
	goAmount, exactAmount int
	goStatus, exactStatus string
	goDry, exactDry       bool
}

func readBody(b []byte) upstreamReadings {
	var g struct {
		Amount int    `json:"amount"`
		Status string `json:"status"`
		DryRun bool   `json:"dry_run"`
	}
	_ = json.Unmarshal(b, &g)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	r := upstreamReadings{goAmount: g.Amount, goStatus: g.Status, goDry: g.DryRun}
	if f, ok := m["amount"].(float64); ok {
		r.exactAmount = int(f)
	}
	r.exactStatus, _ = m["status"].(string)
	r.exactDry, _ = m["dry_run"].(bool)
	return r
}

// TestBodyKeySpellingsCannotBypassRules sends JSON bodies whose keys are
// random spellings (case and Unicode folding) of the names the rules
// read, one or two of them, to the proxy and the middleware. Whatever
// reached the upstream, neither a Go upstream nor a case-sensitive one
// reads in it what the rules deny, and a DELETE reached it only with a
// dry_run both read as true.
func TestBodyKeySpellingsCannotBypassRules(t *testing.T) {
	e, up, srvs := gatedServers(t, keyRules)
	rng := newRand(t)
	type field struct {
		name string
		vals []any
	}
	fields := []field{{"amount", []any{5, 5000}}, {"status", []any{"draft", "paid"}}, {"dry_run", []any{true, false}}}
	for name, srv := range srvs {
		for range 150 {
			f := pick(rng, fields)
			var b strings.Builder
			b.WriteByte('{')
			for i := range 1 + rng.IntN(2) {
				if i > 0 {
					b.WriteByte(',')
				}
				k, _ := json.Marshal(respell(rng, f.name))
				v, _ := json.Marshal(pick(rng, f.vals))
				fmt.Fprintf(&b, "%s:%s", k, v)
			}
			b.WriteByte('}')
			method := "POST"
			if f.name == "dry_run" {
				method = "DELETE"
			}
			resp := e.do(srv, method, "/api/orders", "application/json", b.String())
			readAll(t, resp)
			for _, got := range up.take() {
				r := readBody(got.body)
				if r.goAmount > 1000 || r.exactAmount > 1000 || r.goStatus == "paid" || r.exactStatus == "paid" ||
					got.method == "DELETE" && !(r.goDry && r.exactDry) {
					t.Errorf("%s: %s %s reached the upstream (status %d), which reads %+v", name, got.method, got.body, resp.StatusCode, r)
				}
			}
		}
	}
}

// TestQueryNameSpellingsCannotBypassRules does the same with query names:
// neither an upstream that matches names by folding (ASP.NET) nor one that
// matches them exactly reads kind=all.
func TestQueryNameSpellingsCannotBypassRules(t *testing.T) {
	e, up, srvs := gatedServers(t, keyRules)
	rng := newRand(t)
	for name, srv := range srvs {
		for range 150 {
			q := url.Values{}
			for range 1 + rng.IntN(2) {
				q.Add(respell(rng, "kind"), pick(rng, []string{"all", "one"}))
			}
			resp := e.do(srv, "GET", "/api/items?"+q.Encode(), "", "")
			readAll(t, resp)
			for _, got := range up.take() {
				for k, vs := range got.url.Query() {
					if strings.EqualFold(k, "kind") && vs[len(vs)-1] == "all" || jsontext.FoldKey(k) == jsontext.FoldKey("kind") && vs[0] == "all" {
						t.Errorf("%s: %s reached the upstream (status %d)", name, got.url.RawQuery, resp.StatusCode)
					}
				}
			}
		}
	}
}

// TestBodyNamesNoRuleReadsKeepTheirCase: names the rules do not read pass
// in any case, as sent; the names they read pass in their own spelling.
func TestBodyNamesNoRuleReadsKeepTheirCase(t *testing.T) {
	e, up, srvs := gatedServers(t, keyRules)
	for name, srv := range srvs {
		for _, body := range []string{`{"userId":7,"amount":5,"Note":"x","Items":[{"SKU":"a"}]}`, `{"status":"draft","StatusText":"ok"}`} {
			resp := e.do(srv, "POST", "/api/orders?pageSize=2&Sort=asc", "application/json", body)
			readAll(t, resp)
			got := up.take()
			if resp.StatusCode != http.StatusOK || len(got) != 1 || string(got[0].body) != body {
				t.Errorf("%s: %s: status %d, upstream got %d requests", name, body, resp.StatusCode, len(got))
			}
		}
		resp := e.do(srv, "POST", "/api/orders", "application/json", `{"Amount":5}`)
		if readAll(t, resp); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: Amount where the rules read amount: status %d, want 400", name, resp.StatusCode)
		}
	}
}

// TestReadNamesCoverEveryWayARuleReadsAName: a name is read by selecting
// it, in a comprehension over a list, as a string constant indexing, in
// "in", as a map literal's key, or compared to the keys of a map; other
// constants ("POST", "EUR") are no names, and only rules that read the
// body or the query count.
func TestReadNamesCoverEveryWayARuleReadsAName(t *testing.T) {
	rs, err := gate.ParseRules("names.yaml", []byte(`
default: allow
rules:
  - name: select
    when: has(http.body.amount) && http.body.payment.currency == "EUR"
    action: deny
  - name: comprehension
    when: type(http.body) == map && has(http.body.items) && http.body.items.exists(i, i.price > 100)
    action: deny
  - name: index
    when: 'http.body["dry_run"] == true || "force" in http.query'
    action: deny
  - name: keys
    when: http.body.exists(k, k == "limit")
    action: deny
  - name: in-list
    when: http.method == "POST" && http.query.exists(q, q in ["page", "Sort"])
    action: deny
  - name: map-literal
    when: 'http.body == {"mode": "fast"}'
    action: deny
  - name: headers-only
    when: '"x-other" in http.headers && identity.claims.tenantId == "t"'
    action: deny
`))
	if err != nil {
		t.Fatal(err)
	}
	names := collectReadNames(rs)
	for _, k := range []string{"Amount", "PAYMENT", "Currency", "ITEMS", "Price", "Dry_Run", "FORCE", "Limit", "PAGE", "sort", "Mode"} {
		if _, ok := names.conflict(k); !ok {
			t.Errorf("%q: no conflict with the names the rules read", k)
		}
	}
	for _, k := range []string{"amount", "price", "limit", "userId", "X-Other", "TenantID", "Status", "Eur", "post", "Fast", "Sort"} {
		if spelled, ok := names.conflict(k); ok {
			t.Errorf("%q conflicts with %q", k, spelled)
		}
	}
}
