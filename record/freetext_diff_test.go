package record

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// oracleScan is freeText.scan as it was before the mayHold prefilter: the
// text lower-cased and every rule run over it. It is the reference the
// differential tests hold the prefiltered scan to.
func oracleScan(f freeText, out []string, t []byte) []string {
	return f.scanLower(out, t, appendLower(nil, t))
}

// oracleScanEventJSON is the free-text scan of an event's JSON over
// oracleScan, skipping the base64 of the byte fields found by base64Value.
func oracleScanEventJSON(f freeText, out []string, b, payload, data []byte) []string {
	for len(b) > 0 {
		start, end := base64Value(b, `"payload":"`, payload)
		if s, e := base64Value(b, `"data":"`, data); s >= 0 && (start < 0 || s < start) {
			start, end = s, e
		}
		if start < 0 {
			return oracleScan(f, out, b)
		}
		out = oracleScan(f, out, b[:start])
		b = b[end:]
	}
	return out
}

// oracleFreeTextSecrets is redactor.freeTextSecrets over oracleScan,
// the JSON b scanned between gaps (nil: only the byte fields' base64 is
// skipped, as byteFieldSpans finds it).
func oracleFreeTextSecrets(r *redactor, e *gate.Event, b []byte, gaps [][2]int) []string {
	var payload, data []byte
	if e.Request != nil {
		payload = e.Request.Payload
	}
	if e.Output != nil {
		data = e.Output.Data
	}
	json := freeText{names: r.names, filter: r.nameFilter, json: true}
	var found []string
	if gaps == nil {
		found = oracleScanEventJSON(json, nil, b, payload, data)
	} else {
		from := 0
		for _, g := range gaps {
			found = oracleScan(json, found, b[from:g[0]])
			from = g[1]
		}
		found = oracleScan(json, found, b[from:])
	}
	raw := freeText{names: r.names, filter: r.nameFilter}
	found = oracleScan(raw, found, payload)
	return oracleScan(raw, found, data)
}

// textGen generates free text: clean SQL, HTTP and shell text mixed with
// every credential shape freeText knows, in random case, positions and
// quoting.
type textGen struct{ rng *rand.Rand }

func (g textGen) pick(s ...string) string { return s[g.rng.IntN(len(s))] }

func (g textGen) chars(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.rng.IntN(len(alphabet))]
	}
	return string(b)
}

const (
	alnum    = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	upperNum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	tokenCh  = alnum + "_-"
)

// secret returns a value that looks like a password.
func (g textGen) secret() string {
	return g.pick("", "S", "p@", "x") + g.chars(alnum+"!#%+/=._~", 6+g.rng.IntN(14))
}

// name returns a field name, secret-like or not, in random case.
func (g textGen) name() string {
	n := g.pick("password", "PGPASSWORD", "api_key", "API_KEY", "db.password", "x-api-key", "client_secret", "token",
		"auth_token", "passwd", "pwd", "pass", "secret", "AWS_SECRET_ACCESS_KEY", "session", "dsn", "otp", "pin",
		"aid", "user", "host", "id", "name", "limit", "port", "mode", "passing", "keyboard", "tokens_used")
	return g.randCase(n)
}

func (g textGen) randCase(s string) string {
	switch g.rng.IntN(4) {
	case 0:
		return strings.ToUpper(s)
	case 1:
		b := []byte(s)
		for i := range b {
			if g.rng.IntN(2) == 0 && b[i] >= 'a' && b[i] <= 'z' {
				b[i] -= 'a' - 'A'
			}
		}
		return string(b)
	}
	return s
}

func (g textGen) token() string {
	switch g.rng.IntN(12) {
	case 0:
		return g.pick("ghp_", "gho_", "ghu_", "ghs_", "ghr_") + g.chars(alnum, 30+g.rng.IntN(10))
	case 1:
		return "github_pat_" + g.chars(tokenCh, 30+g.rng.IntN(20))
	case 2:
		return g.pick("xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-") + g.chars(tokenCh, 10+g.rng.IntN(30))
	case 3:
		return g.pick("AKIA", "ASIA") + g.chars(upperNum, 16)
	case 4:
		return "glpat-" + g.chars(tokenCh, 20+g.rng.IntN(5))
	case 5:
		return g.pick("sk_live_", "rk_live_", "sk_test_") + g.chars(alnum, 16+g.rng.IntN(20))
	case 6:
		return "sk-" + g.chars(tokenCh, 32+g.rng.IntN(20))
	case 7:
		return "AIza" + g.chars(tokenCh, 35)
	case 8:
		return "npm_" + g.chars(alnum, 36)
	case 9:
		return "hf_" + g.chars(alnum, 30+g.rng.IntN(5))
	case 10:
		return "eyJ" + g.chars(tokenCh, 10+g.rng.IntN(20)) + ".eyJ" + g.chars(tokenCh, 10+g.rng.IntN(20)) + "." + g.chars(tokenCh, g.rng.IntN(30))
	}
	// a near miss: a prefix with too short a body
	return g.pick("ghp_", "AKIA", "sk-", "eyJ", "xoxb-", "npm_") + g.chars(alnum, g.rng.IntN(12))
}

// credential returns one credential written in free text.
func (g textGen) credential() string {
	pw := g.secret()
	q := g.pick(`'`, `"`, "", "`", `\"`)
	closeQ := q
	switch g.rng.IntN(24) {
	case 0:
		return g.pick("postgres", "https", "mysql", "redis", "amqp") + "://" + g.pick("bob", "admin", "u") + ":" + pw + "@" + g.pick("db.internal", "10.0.0.7:5432", "h") + "/x"
	case 1:
		return g.name() + "=" + q + pw + closeQ
	case 2:
		return "export " + g.name() + "=" + q + pw + closeQ
	case 3:
		return g.randCase("PGPASSWORD") + "=" + pw + " psql -h db"
	case 4:
		return "host=db " + g.randCase("password") + "=" + pw + " dbname=x"
	case 5:
		return "--" + g.name() + "=" + pw
	case 6:
		return "--" + g.name() + " " + q + pw + closeQ
	case 7:
		return g.name() + ": " + pw
	case 8:
		return "mutation { login(" + g.name() + `:"` + pw + `") }`
	case 9:
		return "UPDATE t SET " + g.name() + " = '" + pw + "'"
	case 10:
		return g.pick("ALTER ROLE bob ", "CREATE USER x WITH ", "") + g.randCase("PASSWORD") + g.pick(" ", "  ", "") + "'" + pw + "'"
	case 11:
		return g.pick("SET PASSWORD FOR u ", "CREATE USER u ", "ALTER USER u ") + g.randCase("IDENTIFIED BY") + " '" + pw + "'"
	case 12:
		return g.randCase("Authorization") + ": " + g.randCase("Bearer") + " " + pw
	case 13:
		return g.randCase("Basic") + " " + base64.StdEncoding.EncodeToString([]byte("bob:"+pw))
	case 14:
		return g.pick("mysql", "mariadb", "sshpass") + g.pick(" -uroot", "", " -h db") + " -p" + g.pick("", " ") + pw + g.pick(" db", "", "; ls")
	case 15:
		body := g.chars(alnum+"+/", 64) + "\n" + g.chars(alnum+"+/", 40) + "=="
		key := "-----BEGIN " + g.pick("RSA ", "EC ", "OPENSSH ", "") + "PRIVATE KEY-----\n" + body
		if g.rng.IntN(4) > 0 {
			key += "\n-----END PRIVATE KEY-----"
		}
		return key
	case 16, 17:
		return g.token()
	case 18:
		return `{"` + g.name() + `":"` + pw + `"}`
	case 19:
		return g.name() + ` => '` + pw + `'`
	case 20:
		return g.name() + " == " + pw // a comparison
	case 21:
		return g.name() + " = $1" // a placeholder
	case 22:
		return "the bearer service " + g.randCase("password") + " policy"
	}
	return g.name() + "=" + g.pick("true", "null", "$VAR", "***", "<password>", "{{token}}", "%s", "?")
}

// clean returns ordinary text full of the bytes the rules key on.
func (g textGen) clean() string {
	switch g.rng.IntN(8) {
	case 0:
		return fmt.Sprintf("SELECT abalance FROM pgbench_accounts WHERE aid = %d;", g.rng.IntN(100000))
	case 1:
		return "GET /v1/orders?limit=10&sort=-created HTTP/1.1\r\nHost: api.internal\r\nAccept: */*"
	case 2:
		return "ls -la --color=auto /var/lib && echo $HOME | grep -i pass; ssh -p 2222 host"
	case 3:
		return `{"id":42,"name":"alice","identity":"x","passing":true,"keyboard":"us","session_count":3}`
	case 4:
		return "2026-12-04T17:43:27.123Z basic block, bearer of news, mysql_config, sshd --help -- end"
	case 5:
		return g.chars(alnum+" =:-_@/.'\"\\;,\n\t{}[]()", g.rng.IntN(80))
	case 6:
		return " abalance \n----------\n    -2734\n(1 row)\n"
	}
	return "-- comment\nINSERT INTO users(name, pwd_hint) VALUES ('a', 'b') RETURNING id;"
}

// text returns free text mixing clean parts and credentials, sometimes
// JSON-escaped.
func (g textGen) text() string {
	var b strings.Builder
	for range 1 + g.rng.IntN(5) {
		if g.rng.IntN(3) == 0 {
			b.WriteString(g.credential())
		} else {
			b.WriteString(g.clean())
		}
		b.WriteString(g.pick(" ", "\n", "; ", "", "&", " | ", `"`))
	}
	s := b.String()
	if g.rng.IntN(5) == 0 {
		q, _ := json.Marshal(s)
		s = string(q[1 : len(q)-1])
	}
	return s
}

// event returns a random event whose fields hold generated texts.
func (g textGen) event() gate.Event {
	e := gate.Event{Kind: gate.EventDecision, SessionID: "s-" + g.chars(alnum, 4)}
	switch g.rng.IntN(4) {
	case 0:
		t := g.text()
		e.Request = &gate.Request{Protocol: "postgres", Command: t,
			SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "SELECT", Text: t}}, Params: []string{g.text()}}}
	case 1:
		e.Request = &gate.Request{Protocol: "http", Command: "POST /x?" + g.text(), Payload: []byte(g.text()),
			HTTP: &gate.HTTP{Method: "POST", Path: "/x", Headers: map[string][]string{"x-note": {g.text()}, "user-agent": {g.text()}},
				Body: map[string]any{"note": g.text(), "items": []any{g.text()}}}}
	case 2:
		e.Request = &gate.Request{Protocol: "ssh", Command: g.text(), Payload: []byte(g.text())}
	default:
		e.Kind = gate.EventOutput
		e.Output = &gate.Output{Stream: g.pick("stdout", "rows", "body"), Data: []byte(g.text())}
	}
	return e
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestFreeTextPrefilterDifferential holds the prefiltered scan to the
// oracle on generated texts and events: it must find exactly what the
// oracle finds (and so never less).
func TestFreeTextPrefilterDifferential(t *testing.T) {
	t.Parallel()
	names := mask.CompileSecretNames(nil)
	filter := newNameFilter(nil)
	g := textGen{rng: rand.New(rand.NewPCG(7, 11))}
	n := 20000
	if testing.Short() {
		n = 4000
	}
	dirty := 0
	for i := range n {
		s := []byte(g.text())
		for _, f := range []freeText{{names: names, filter: filter}, {names: names, filter: filter, json: true}, {}} {
			want := sortedCopy(oracleScan(f, nil, s))
			got := sortedCopy(f.scan(nil, s))
			if !slices.Equal(got, want) {
				t.Fatalf("case %d (json %v, names %v): scan found %q, the oracle %q in\n%q", i, f.json, f.names != nil, got, want, s)
			}
			if len(want) > 0 {
				dirty++
			}
			if !f.mayHold(s) && len(want) > 0 {
				t.Fatalf("case %d: mayHold false, the oracle finds %q in %q", i, want, s)
			}
		}
	}
	if dirty < n/4 {
		t.Fatalf("only %d of %d texts hold a credential: the generator is too weak", dirty, 3*n)
	}

	r := &redactor{key: []byte("0123456789abcdef0123456789abcdef"), names: names, nameFilter: filter}
	compared := 0
	for i := range n / 4 {
		e := g.event()
		var gaps textGaps
		b, _, err := appendEventGaps(nil, &e, &gaps)
		if err != nil {
			t.Fatal(err)
		}
		want := sortedCopy(oracleFreeTextSecrets(r, &e, b, gaps.list()))
		got := sortedCopy(r.freeTextSecrets(&e, b, gaps.list()))
		if !slices.Equal(got, want) {
			t.Fatalf("event %d: found %q, the oracle %q in %s", i, got, want, b)
		}
		// What the oracle would hide is not stored raw, named secrets or
		// not (body also scans the event as it came: a named secret
		// replaced first must not cut a free-text shape).
		out, err := r.body(e)
		if err != nil {
			continue // refused: nothing stored
		}
		for _, s := range want {
			if len(s) >= minFreeTextSecret && bytes.Contains(out, []byte(s)) && !isPlaceholder([]byte(s)) {
				t.Fatalf("event %d: %q stored raw in %s", i, s, out)
			}
		}
		// Nor is what a scan of the whole JSON, gaps and all, finds: the
		// gaps lose only matches that run from one field into another (a
		// private key block cut at the end of its string whose END line
		// is in a later field), so events with such a match are left out.
		whole := oracleFreeTextSecrets(r, &e, b, nil)
		if slices.ContainsFunc(whole, crossesFields) {
			continue
		}
		compared++
		for _, s := range whole {
			if len(s) >= minFreeTextSecret && bytes.Contains(out, []byte(s)) && !isPlaceholder([]byte(s)) {
				t.Fatalf("event %d: %q, found without gaps, stored raw in %s", i, s, out)
			}
		}
	}
	// crossesFields also takes a JSON document written into a text (its
	// quotes unescaped in a private key block) for a crossing, so about
	// half the events are compared.
	if compared < n/4*4/10 {
		t.Fatalf("only %d of %d events compared with the scan without gaps", compared, n/4)
	}
}

// crossesFields reports whether s, a value found in an event's JSON, runs
// from one JSON string into the next: it holds a closing quote (one no
// backslash escapes) followed by the JSON between two values.
func crossesFields(s string) bool {
	for i := 1; i+1 < len(s); i++ {
		if s[i] == '"' && s[i-1] != '\\' && strings.IndexByte(",:]}", s[i+1]) >= 0 {
			return true
		}
	}
	return false
}

// TestTriggerAtDispatch: triggerAt sends the bytes it handles itself (the
// keywords', '-', 'm', 'e') to no token shape, so no shape may start with
// one of them.
func TestTriggerAtDispatch(t *testing.T) {
	for _, s := range tokenShapes {
		if strings.IndexByte("-bBpPiIme", s.prefix[0]) >= 0 {
			t.Errorf("token prefix %q starts with a byte triggerAt handles apart", s.prefix)
		}
	}
}
