package gate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// nativeCacheRules builds a rule set large enough that the cache serves the
// rules compiled to Go closures too (see minKeyedNatives), with audit,
// label, mask and review rules, and two volatile rules (the session's
// counters, the time) that the cache never serves.
func nativeCacheRules(copies int, volatile bool) string {
	templates := []struct{ when, rest string }{
		{`request.protocol == "postgres" && sql.statements.all(s, s.read_only) && identity.groups.exists(g, g in ["agents"])`, "action: allow\n    mask: [email]"},
		{`request.protocol == "postgres" && sql.statements.exists(s, s.kind in ["DROP"])`, "action: deny"},
		{`request.protocol == "postgres" && sql.statements.exists(s, s.tables.exists(t, t.name == "payments" && t.access == "write"))`, "action: review\n    review: {approvals: 2}"},
		{`request.protocol == "postgres" && sql.statements.exists(s, s.kind == "UPDATE" && !s.has_where)`, "action: deny"},
		{`request.protocol == "ssh" && ssh.programs.exists(p, p in ["rm"])`, "action: deny"},
		{`request.protocol == "ssh" && (ssh.pipes_to_shell || ssh.dynamic)`, "action: deny"},
		{`request.protocol == "ssh" && ssh.kind == "exec" && ssh.command.startsWith("kubectl")`, "action: review"},
		{`request.protocol == "http" && http.method in ["POST"] && http.path.startsWith("/admin")`, "action: review"},
		{`request.protocol == "http" && http.method == "GET"`, "action: allow\n    mask: [credit_card]"},
		{`request.protocol == "tool" && tool.name == "delete"`, "action: review"},
		{`request.protocol == "tool" && tool.name.startsWith("read_") && identity.kind == "agent"`, "action: allow"},
		{`identity.groups.exists(g, g == "contractors") && request.command.lowerAscii().contains("secret")`, "action: deny"},
		{`identity.subject == "bob"`, "action: deny\n    mode: audit"},
		{`identity.groups.exists(g, g == "eng")`, "labels: [pii]"},
	}
	var b strings.Builder
	b.WriteString("default: deny\nrules:\n")
	for c := range copies {
		for i, t := range templates {
			fmt.Fprintf(&b, "  - name: r%d-%d\n    when: '%s'\n    %s\n", c, i, t.when, t.rest)
		}
	}
	if !volatile {
		return b.String()
	}
	b.WriteString(`  - name: busy
    when: session.requests_last_minute > 3 && identity.kind == "agent"
    action: review
  - name: night
    when: request.time.getHours() >= 20 && identity.subject == "night"
    action: deny
`)
	return b.String()
}

// requestGen makes requests from small pools of values, so keys repeat and
// the cache serves them, and mutates one field a rule reads at a time.
type requestGen struct {
	r        *rand.Rand
	sessions []*Session
}

func newRequestGen(seed uint64) *requestGen {
	g := &requestGen{r: rand.New(rand.NewPCG(seed, 19))}
	// Every combination of subject, groups and kind, so that two sessions
	// may differ in any one of them (identityIndex).
	for _, sub := range identitySubjects {
		for _, groups := range identityGroups {
			for _, kind := range identityKinds {
				g.sessions = append(g.sessions, &Session{ID: fmt.Sprint("s", len(g.sessions)), Identity: Identity{Subject: sub, Groups: groups, Kind: kind}})
			}
		}
	}
	return g
}

var (
	identitySubjects = []string{"agent-1", "bob", "night"}
	identityGroups   = [][]string{{"agents"}, {"contractors", "eng"}, {"agents", "eng"}}
	identityKinds    = []IdentityKind{KindAgent, KindHuman}
)

// otherIdentity returns a session whose identity differs from s's in one
// field.
func (g *requestGen) otherIdentity(s *Session) *Session {
	i := slices.Index(g.sessions, s)
	sub, grp, kind := i/(len(identityGroups)*len(identityKinds)), i/len(identityKinds)%len(identityGroups), i%len(identityKinds)
	switch g.r.IntN(3) {
	case 0:
		sub = (sub + 1 + g.r.IntN(len(identitySubjects)-1)) % len(identitySubjects)
	case 1:
		grp = (grp + 1 + g.r.IntN(len(identityGroups)-1)) % len(identityGroups)
	default:
		kind = (kind + 1) % len(identityKinds)
	}
	return g.sessions[(sub*len(identityGroups)+grp)*len(identityKinds)+kind]
}

func (g *requestGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g *requestGen) flip() bool               { return g.r.IntN(2) == 0 }

func (g *requestGen) statement() SQLStatement {
	st := SQLStatement{Kind: g.pick("SELECT", "DROP", "UPDATE"), ReadOnly: g.flip(), HasWhere: g.flip()}
	if g.flip() {
		st.Tables = []SQLTable{{Name: g.pick("payments", "customers"), Access: g.pick("read", "write")}}
	}
	return st
}

func (g *requestGen) request() *Request {
	req := &Request{Session: g.sessions[g.r.IntN(len(g.sessions))], Time: time.Date(2026, 1, 1, 18+g.r.IntN(4), 0, 0, 0, time.UTC)}
	req.Command = g.pick("select 1", "cat secret", "ls")
	switch g.r.IntN(4) {
	case 0:
		req.Protocol = ProtocolPostgres
		req.SQL = &SQL{Statements: []SQLStatement{g.statement()}}
	case 1:
		req.Protocol = ProtocolSSH
		req.SSH = &SSH{Kind: g.pick("exec", "shell"), Command: g.pick("kubectl get", "ls"), Programs: []string{g.pick("ls", "rm")}, PipesToShell: g.r.IntN(4) == 0, Dynamic: g.r.IntN(4) == 0}
	case 2:
		req.Protocol = ProtocolHTTP
		req.HTTP = &HTTP{Method: g.pick("GET", "POST"), Path: g.pick("/admin/x", "/v1/a")}
	default:
		req.Protocol = ProtocolTool
		req.Tool = &ToolCall{Name: g.pick("read_notes", "delete", "write")}
	}
	return req
}

// mutate returns a copy of req that differs in one field a rule reads.
func (g *requestGen) mutate(req *Request) *Request {
	c := *req
	switch g.r.IntN(4) {
	case 0:
		c.Session = g.otherIdentity(c.Session)
	case 1:
		c.Command = g.pick("select 1", "cat secret", "ls")
	default:
		switch {
		case c.SQL != nil:
			st := c.SQL.Statements[0]
			switch g.r.IntN(4) {
			case 0:
				st.Kind = g.pick("SELECT", "DROP", "UPDATE")
			case 1:
				st.ReadOnly = !st.ReadOnly
			case 2:
				st.HasWhere = !st.HasWhere
			default:
				st.Tables = []SQLTable{{Name: g.pick("payments", "customers"), Access: g.pick("read", "write")}}
			}
			c.SQL = &SQL{Statements: []SQLStatement{st}}
		case c.SSH != nil:
			s := *c.SSH
			switch g.r.IntN(5) {
			case 0:
				s.Kind = g.pick("exec", "shell")
			case 1:
				s.Command = g.pick("kubectl get", "ls")
			case 2:
				s.Programs = []string{g.pick("ls", "rm")}
			case 3:
				s.PipesToShell = !s.PipesToShell
			default:
				s.Dynamic = !s.Dynamic
			}
			c.SSH = &s
		case c.HTTP != nil:
			h := *c.HTTP
			if g.flip() {
				h.Method = g.pick("GET", "POST")
			} else {
				h.Path = g.pick("/admin/x", "/v1/a")
			}
			c.HTTP = &h
		default:
			c.Tool = &ToolCall{Name: g.pick("read_notes", "delete", "write")}
		}
	}
	return &c
}

// divergence decides n generated requests (each followed by a copy that
// differs in one field) with cached and fresh, and returns the first
// request on which they disagree, or nil. hits counts cached decisions.
func divergence(cached, fresh *RuleSet, seed uint64, n int) (bad *Request, a, b *Decision, hits int) {
	g := newRequestGen(seed)
	ctx := context.Background()
	for range n {
		req := g.request()
		for _, r := range []*Request{req, g.mutate(req)} {
			if g.r.IntN(3) == 0 {
				r.Session.stats.countRequest(time.Now())
			}
			a, b = cached.Decide(ctx, r), fresh.Decide(ctx, r)
			if a.Cached {
				hits++
			}
			if !reflect.DeepEqual(decisionView(a), decisionView(b)) || (a.Masker == nil) != (b.Masker == nil) {
				return r, a, b, hits
			}
		}
	}
	return nil, nil, nil, hits
}

// With enough rules compiled to Go closures, the cache serves them and
// whole decisions; what it serves equals a fresh evaluation, on requests
// that repeat and on requests that differ from a cached one in one field.
func TestNativeDecisionCacheEqualsFresh(t *testing.T) {
	t.Run("volatile", func(t *testing.T) { testNativeCache(t, true) })
	// Without volatile rules, a hit is the whole decision.
	t.Run("stable", func(t *testing.T) { testNativeCache(t, false) })
}

func testNativeCache(t *testing.T, volatile bool) {
	src := nativeCacheRules(4, volatile)
	cached, err := ParseRules("native.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := ParseRules("native.yaml", []byte(src), WithoutDecisionCache(), withoutNative())
	if err != nil {
		t.Fatal(err)
	}
	for proto, p := range cached.parts {
		if !p.natives || (len(p.fresh) == 0) == volatile {
			t.Fatalf("partition %s: natives %v, fresh %v: the test does not exercise native keys beside volatile rules", proto, p.natives, p.fresh)
		}
	}
	seed := uint64(time.Now().UnixNano())
	bad, a, b, hits := divergence(cached, fresh, seed, 5000)
	if bad != nil {
		t.Fatalf("seed %d, %s %q: cached %+v\nfresh %+v", seed, bad.Protocol, bad.Command, decisionView(a), decisionView(b))
	}
	if hits < 3000 {
		t.Fatalf("only %d of 10000 decisions came from the cache", hits)
	}
}

// The test above catches a key that leaves out any one variable a rule
// reads: with that variable dropped from a partition's key, cached
// decisions diverge from fresh ones.
func TestNativeDecisionCacheCatchesKeyWithoutARead(t *testing.T) {
	src := nativeCacheRules(4, true)
	fresh, err := ParseRules("native.yaml", []byte(src), WithoutDecisionCache(), withoutNative())
	if err != nil {
		t.Fatal(err)
	}
	probe, err := ParseRules("native.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for proto, p := range probe.parts {
		for _, v := range p.keyVars {
			if v == "request.protocol" {
				continue // the partition is the protocol's: it is always keyed
			}
			t.Run(proto+"/"+v, func(t *testing.T) {
				broken, err := ParseRules("native.yaml", []byte(src))
				if err != nil {
					t.Fatal(err)
				}
				bp := broken.parts[proto]
				bp.keyVars = slices.DeleteFunc(slices.Clone(bp.keyVars), func(x string) bool { return x == v })
				bp.setKeys()
				for seed := uint64(1); seed <= 20; seed++ {
					if bad, _, _, _ := divergence(broken, fresh, seed, 2000); bad != nil {
						return
					}
				}
				t.Errorf("a key without %s went unnoticed", v)
			})
		}
	}
}

// BenchmarkCacheKey is the cost of building and looking up the key of a
// PostgreSQL request in a partition of rules like the realistic ones (the
// identity, the command and sql.statements): what a hit costs beyond
// copying the decision, against the evaluation it saves (see
// minKeyedNatives).
func BenchmarkCacheKey(b *testing.B) {
	rs, err := ParseRules("native.yaml", []byte(nativeCacheRules(4, true)))
	if err != nil {
		b.Fatal(err)
	}
	part := rs.partitionFor(ProtocolPostgres)
	req := &Request{Protocol: ProtocolPostgres, Command: "SELECT * FROM customers WHERE id = $1",
		Session: &Session{ID: "bench", Protocol: ProtocolPostgres, Identity: Identity{Subject: "agent-1", Groups: []string{"agents", "eng"}, Kind: KindAgent}},
		SQL: &SQL{Statements: []SQLStatement{{Kind: "SELECT", ReadOnly: true,
			Tables: []SQLTable{{Schema: "public", Name: "customers", Access: "read"}}, Columns: []string{"id", "name", "card"}}}}}
	ctx := context.Background()
	buf := make([]byte, 0, 256)
	b.Run("key", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = part.cacheKey(buf[:0], req, true)
		}
		b.ReportMetric(float64(len(buf)), "key-bytes")
	})
	b.Run("lookup", func(b *testing.B) {
		_ = rs.Decide(ctx, req)
		b.ReportAllocs()
		for b.Loop() {
			if _, hit := rs.lookup(ctx, part, req, true, buf[:0]); hit == nil {
				b.Fatal("miss")
			}
		}
	})
	b.Run("estimate", func(b *testing.B) {
		for b.Loop() {
			withinEstimate(req)
		}
	})
}
