package gate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// cacheTestRules mixes stable rules of every protocol, rules that error on
// some requests, audit rules, masks and reviews, and volatile rules that
// read the time and the session's counters.
const cacheTestRules = `default: deny
rules:
  - name: pg-read
    when: request.protocol == "postgres" && sql.statements.all(s, s.read_only) && identity.groups.exists(g, g in ["agents", "analysts"])
    action: allow
    mask: [email]
  - name: pg-ddl
    when: sql.statements.exists(s, s.kind in ["DROP", "TRUNCATE", "ALTER"])
    action: deny
  - name: pg-payments
    when: sql.statements.exists(s, s.tables.exists(t, t.name == "payments" && t.access == "write"))
    action: review
    review: {approvals: 2}
  - name: ssh-rm
    when: request.protocol == "ssh" && ssh.programs.exists(p, p in ["rm", "dd"])
    action: deny
  - name: ssh-ls
    when: request.protocol == "ssh" && ssh.programs.all(p, p in ["ls", "cat"])
    action: allow
  - name: http-admin
    when: request.protocol == "http" && http.path.startsWith("/admin")
    action: deny
  - name: http-get
    when: request.protocol == "http" && http.method == "GET"
    action: allow
    mask: [credit_card]
  - name: tool-args
    when: request.protocol == "tool" && tool.args.limit > 10
    action: review
  - name: tool-read
    when: request.protocol == "tool" && tool.name.startsWith("read_")
    action: allow
  - name: secret-word
    when: request.command.lowerAscii().contains("secret") && identity.kind == "agent"
    action: deny
  - name: claims
    when: identity.claims.tenant == "acme"
    action: review
    mode: audit
  - name: afternoon
    when: request.time.getHours() >= 12 && identity.subject == "night-bot"
    action: deny
  - name: busy
    when: session.requests_last_minute > 3
    action: review
  - name: many
    when: session.requests > 5 && request.protocol == "tool"
    action: deny
    mode: audit
`

func genRequest(r *rand.Rand, sessions []*Session) *Request {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	s := sessions[r.IntN(len(sessions))]
	req := &Request{Session: s, Time: time.Date(2026, 1, 1, r.IntN(24), 0, 0, 0, time.UTC)}
	switch r.IntN(4) {
	case 0:
		req.Protocol = ProtocolPostgres
		var sts []SQLStatement
		for range 1 + r.IntN(2) {
			st := SQLStatement{Kind: pick("SELECT", "DROP", "UPDATE"), ReadOnly: r.IntN(2) == 0, Text: pick("x", "secret y")}
			if r.IntN(2) == 0 {
				st.Tables = []SQLTable{{Name: pick("payments", "customers"), Access: pick("read", "write")}}
			}
			sts = append(sts, st)
		}
		req.SQL = &SQL{Statements: sts}
		req.Command = sts[0].Text
	case 1:
		req.Protocol = ProtocolSSH
		req.SSH = &SSH{Kind: "exec", Programs: []string{pick("ls", "rm", "cat")}}
		req.Command = pick("ls", "rm -rf x", "cat secret")
	case 2:
		req.Protocol = ProtocolHTTP
		req.HTTP = &HTTP{Method: pick("GET", "POST"), Path: pick("/admin/x", "/v1/a")}
		req.Command = req.HTTP.Method + " " + req.HTTP.Path
	default:
		req.Protocol = ProtocolTool
		req.Tool = &ToolCall{Name: pick("read_notes", "delete_all")}
		switch r.IntN(3) {
		case 0:
			req.Tool.Args = map[string]any{"limit": float64(r.IntN(20))}
		case 1:
			req.Tool.Args = map[string]any{"limit": "many"} // the rule errors
		}
		req.Command = req.Tool.Name
	}
	return req
}

// comparable strips what legitimately differs between two decisions of the
// same request: the timing and whether the cache served it.
func decisionView(d *Decision) Decision {
	c := *d
	c.Elapsed, c.Time, c.Cached, c.Masker = 0, time.Time{}, false, nil
	return c
}

func withoutNative() RuleOption { return func(o *ruleOptions) { o.noNative = true } }

// A decision with the cache and native closures equals one without them, for requests
// whose keys repeat (so the cache serves them) while the time and the
// session counters the volatile rules read keep changing.
func TestDecisionCacheEqualsFresh(t *testing.T) {
	cached, err := ParseRules("cache.yaml", []byte(cacheTestRules))
	if err != nil {
		t.Fatal(err)
	}
	// The reference evaluates every rule in the CEL interpreter, with no
	// cache and no native closures.
	fresh, err := ParseRules("cache.yaml", []byte(cacheTestRules), WithoutDecisionCache(), withoutNative())
	if err != nil {
		t.Fatal(err)
	}
	ids := []Identity{
		{Subject: "agent-1", Groups: []string{"agents"}, Kind: KindAgent},
		{Subject: "night-bot", Groups: []string{"analysts"}, Kind: KindAgent, Claims: map[string]any{"tenant": "acme"}},
		{Subject: "alice", Kind: KindHuman, Claims: map[string]any{"tenant": "other"}},
	}
	var sessions []*Session
	for i, id := range ids {
		sessions = append(sessions, &Session{ID: fmt.Sprint("s", i), Identity: id})
	}
	seed := uint64(time.Now().UnixNano())
	r := rand.New(rand.NewPCG(seed, 7))
	ctx := context.Background()
	hits := 0
	for i := range 5000 {
		req := genRequest(r, sessions)
		if r.IntN(3) == 0 {
			req.Session.stats.countRequest(req.Time)
		}
		a, b := cached.Decide(ctx, req), fresh.Decide(ctx, req)
		if a.Cached {
			hits++
		}
		if b.Cached {
			t.Fatal("the cache-less rule set used a cache")
		}
		if !reflect.DeepEqual(decisionView(a), decisionView(b)) {
			t.Fatalf("seed %d, request %d (%s %q): cached %+v\nfresh %+v", seed, i, req.Protocol, req.Command, decisionView(a), decisionView(b))
		}
		if (a.Masker == nil) != (b.Masker == nil) {
			t.Fatalf("seed %d, request %d: masker differs", seed, i)
		}
	}
	if hits < 300 {
		t.Fatalf("only %d of 5000 decisions came from the cache: the test does not exercise it", hits)
	}
}

// A rule reading a volatile variable is never served from the cache; one
// reading only stable variables is.
func TestDecisionCacheVolatility(t *testing.T) {
	rs, err := ParseRules("v.yaml", []byte(cacheTestRules))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"afternoon": true, "busy": true, "many": true}
	for _, r := range rs.rules {
		if r.volatile != want[r.spec.Name] {
			t.Errorf("rule %s: volatile = %v (reads %v)", r.spec.Name, r.volatile, r.reads)
		}
	}
	if !isStable("sql.statements") || isStable("request.time") || isStable("session.requests") || isStable("session.grants") || isStable("run.labels") {
		t.Error("stable variables: a variable not known to be a function of the request must be volatile")
	}
}

// Every field of every protocol attribute is in the key: two requests that
// differ in any one field never share a cache entry.
func TestDecisionCacheKeyCoversEveryField(t *testing.T) {
	base := func() *Request {
		return &Request{Protocol: ProtocolPostgres, Command: "c", Session: &Session{ID: "s"},
			SQL: &SQL{Statements: []SQLStatement{{Kind: "SELECT", Tables: []SQLTable{{Name: "t"}}}}}}
	}
	p := &partition{keyVars: []string{"sql.statements"}}
	p.setKeys()
	k0, ok := p.cacheKey(nil, base(), true)
	if !ok {
		t.Fatal("not cacheable")
	}
	st := reflect.TypeFor[SQLStatement]()
	for i := 0; i < st.NumField(); i++ {
		req := base()
		f := reflect.ValueOf(&req.SQL.Statements[0]).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("changed")
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Slice:
			f.Set(reflect.Append(reflect.MakeSlice(f.Type(), 0, 1), reflect.Zero(f.Type().Elem())))
		case reflect.Int, reflect.Int64:
			f.SetInt(42)
		default:
			t.Fatalf("field %s of kind %s: extend this test", st.Field(i).Name, f.Kind())
		}
		k, ok := p.cacheKey(nil, req, true)
		if !ok || string(k) == string(k0) {
			t.Errorf("changing SQLStatement.%s leaves the key unchanged", st.Field(i).Name)
		}
	}
	if k, _ := p.cacheKey(nil, base(), false); string(k) == string(k0) {
		t.Error("the estimate bound is not in the key")
	}
	if !strings.Contains(string(k0), "postgres") {
		t.Error("the protocol is not in the key")
	}
}
