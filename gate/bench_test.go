package gate_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/airlock-sdk/airlock/gate"
)

// realisticRules builds a rule file of n rules that mixes protocol checks,
// list membership and string functions, spread over the four protocols the
// way a real deployment's rules are.
func realisticRules(n int) string {
	templates := []string{
		`request.protocol == "postgres" && sql.statements.all(s, s.read_only) && identity.groups.exists(g, g in ["agents", "analysts"])`,
		`request.protocol == "postgres" && sql.statements.exists(s, s.kind in ["DROP", "TRUNCATE", "ALTER"])`,
		`request.protocol == "postgres" && sql.statements.exists(s, s.kind in ["UPDATE", "DELETE"] && !s.has_where)`,
		`request.protocol == "postgres" && sql.statements.exists(s, s.tables.exists(t, t.name == "payments_%d" && t.access == "write"))`,
		`request.protocol == "ssh" && ssh.programs.exists(p, p in ["rm", "dd", "mkfs", "shutdown", "reboot"])`,
		`request.protocol == "ssh" && (ssh.pipes_to_shell || ssh.dynamic || ssh.interpreter_inline)`,
		`request.protocol == "ssh" && ssh.kind == "exec" && ssh.command.startsWith("kubectl delete ns-%d")`,
		`request.protocol == "http" && http.method in ["POST", "PUT", "DELETE"] && http.path.startsWith("/admin/%d")`,
		`request.protocol == "http" && http.method == "GET" && http.path.matches("^/v1/customers/[0-9]+$")`,
		`request.protocol == "tool" && tool.name == "delete_customer_%d"`,
		`request.protocol == "tool" && tool.name.startsWith("read_") && identity.kind == "agent"`,
		`identity.groups.exists(g, g == "contractors-%d") && request.command.lowerAscii().contains("secret")`,
		`session.requests_last_minute > 600 && identity.kind == "agent"`,
	}
	actions := []string{"allow", "deny", "review", "deny", "deny", "deny", "review", "review", "allow", "review", "allow", "deny", "review"}
	var b strings.Builder
	b.WriteString("default: deny\nrules:\n")
	for i := 0; i < n; i++ {
		k := i % len(templates)
		when := templates[k]
		if strings.Contains(when, "%d") {
			when = fmt.Sprintf(when, i)
		}
		fmt.Fprintf(&b, "  - name: rule-%d\n    when: '%s'\n    action: %s\n", i, when, actions[k])
		if i%10 == 3 {
			b.WriteString("    mask: [credit_card, email]\n")
		}
	}
	return b.String()
}

func benchRequest() *gate.Request {
	s := &gate.Session{ID: "bench", Protocol: "postgres", Target: "db", Identity: gate.Identity{Subject: "agent-1", Groups: []string{"agents", "eng"}, Kind: gate.KindAgent}}
	return &gate.Request{Session: s, Protocol: "postgres", Command: "SELECT * FROM customers WHERE id = $1", Time: time.Now(),
		SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "SELECT", ReadOnly: true,
			Tables: []gate.SQLTable{{Schema: "public", Name: "customers", Access: "read"}}, Columns: []string{"id", "name", "card"}}}}}
}

// BenchmarkDecide measures rule evaluation alone (no recording, no review):
// "cached" repeats one request, so the decision cache serves the rules that
// read only the request (the rule reading the session's counters is still
// evaluated); "uncached" evaluates every rule; "stable" is the cached case
// without that rule, so a hit is the whole decision. Each reports the p50
// and p99 of one decision (timed one by one, so the figures include two
// clock reads).
func BenchmarkDecide(b *testing.B) {
	for _, mode := range []string{"cached", "uncached", "stable"} {
		for _, n := range []int{1, 10, 100} {
			b.Run(fmt.Sprintf("%s/rules=%d", mode, n), func(b *testing.B) {
				src := realisticRules(n)
				if mode == "stable" {
					src = stableRules(src)
				}
				benchDecide(b, src, mode == "uncached")
			})
		}
	}
}

// stableRules drops the rules of src that read the session's counters.
func stableRules(src string) string {
	var out []string
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "  - name:") && i+1 < len(lines) && strings.Contains(lines[i+1], "session.requests") {
			for i++; i+1 < len(lines) && !strings.HasPrefix(lines[i+1], "  - name:"); i++ {
			}
			continue
		}
		out = append(out, lines[i])
	}
	return strings.Join(out, "\n")
}

func benchDecide(b *testing.B, src string, uncached bool) {
	var opts []gate.RuleOption
	if uncached {
		opts = append(opts, gate.WithoutDecisionCache())
	}
	rs, err := gate.ParseRules("bench.yaml", []byte(src), opts...)
	if err != nil {
		b.Fatal(err)
	}
	req := benchRequest()
	ctx := context.Background()
	took := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		start := time.Now()
		d := rs.Decide(ctx, req)
		took = append(took, time.Since(start))
		if d.Action == "" {
			b.Fatal("no action")
		}
	}
	reportCPU(b, cpu)
	reportPercentiles(b, took)
}

// reportPercentiles reports the p50 and p99 of per-operation durations.
func reportPercentiles(b *testing.B, took []time.Duration) {
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	at := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))].Nanoseconds()) }
	b.ReportMetric(at(0.50), "p50-ns")
	b.ReportMetric(at(0.99), "p99-ns")
}

// BenchmarkCheck measures the whole flow with an in-process recorder.
func BenchmarkCheck(b *testing.B) {
	rs, err := gate.ParseRules("bench.yaml", []byte(realisticRules(100)))
	if err != nil {
		b.Fatal(err)
	}
	g := gate.New(gate.Config{Rules: rs, Recorder: gate.RecorderFunc(func(context.Context, gate.Event) error { return nil })})
	// A fresh session every 50 requests: one session would reach the
	// rules' rate limit after a few hundred, and the benchmark would
	// measure holding for review instead of deciding.
	benchChecks(b, func(req *gate.Request) { req.Session = benchRequest().Session }, func(ctx context.Context, req *gate.Request) (*gate.Decision, error) {
		d, err := g.Check(ctx, req)
		if d != nil && d.Action != gate.Allow {
			b.Fatalf("decided %s by %s, want allow", d.Action, d.Rule)
		}
		return d, err
	})
}

func TestRealisticRulesCompile(t *testing.T) {
	rs, err := gate.ParseRules("bench.yaml", []byte(realisticRules(100)))
	if err != nil {
		t.Fatal(err)
	}
	if d := rs.Decide(context.Background(), benchRequest()); d.Action != gate.Allow {
		t.Fatalf("read-only select by an agent: got %s by %s", d.Action, d.Rule)
	}
}

// BenchmarkCheckMetrics is the whole flow with an OpenTelemetry SDK meter
// provider, against none: the cost of the gate's metrics.
func BenchmarkCheckMetrics(b *testing.B) {
	for _, mode := range []string{"none", "sdk"} {
		b.Run(mode, func(b *testing.B) {
			rs, err := gate.ParseRules("bench.yaml", []byte(realisticRules(100)))
			if err != nil {
				b.Fatal(err)
			}
			cfg := gate.Config{Rules: rs, Recorder: gate.RecorderFunc(func(context.Context, gate.Event) error { return nil })}
			if mode == "sdk" {
				cfg.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
			}
			g := gate.New(cfg)
			benchChecks(b, func(req *gate.Request) { req.Session = benchRequest().Session }, g.Check)
		})
	}
}

// benchChecks runs check on the benchmark request b.N times, calling fresh
// every 50 requests (a fresh session keeps the realistic rules' rate limit,
// and its review path, out of the measure: this is the allow path), and
// reports the CPU time per check.
func benchChecks(b *testing.B, fresh func(*gate.Request), check func(context.Context, *gate.Request) (*gate.Decision, error)) {
	req := benchRequest()
	ctx := context.Background()
	n := 0
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		if n++; n%50 == 0 {
			fresh(req)
		}
		req.Time = time.Time{}
		if d, _ := check(ctx, req); d == nil || d.Action == "" {
			b.Fatal("no decision")
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkCheckRuns is the cost of runs (labels and budgets) on the whole
// flow, 100 realistic rules, in-memory store: off, configured but read by no
// rule, and read by a rule (an egress rule on labels and a budget).
func BenchmarkCheckRuns(b *testing.B) {
	readRun := `
  - name: no-egress-after-pii
    when: request.protocol == "http" && "pii" in run.labels
    action: review
  - name: budget
    when: run.requests_last_minute > 1000000 || usage.rows_returned_last_hour > 1000000000
    action: deny
  - name: tag-customers
    when: request.protocol == "postgres"
    labels: [pii]
`
	for _, mode := range []string{"off", "unused", "used"} {
		b.Run(mode, func(b *testing.B) {
			src := realisticRules(100)
			if mode == "used" {
				src += readRun
			}
			rs, err := gate.ParseRules("bench.yaml", []byte(src))
			if err != nil {
				b.Fatal(err)
			}
			cfg := gate.Config{Rules: rs, Recorder: gate.RecorderFunc(func(context.Context, gate.Event) error { return nil })}
			if mode != "off" {
				cfg.Runs = &gate.RunConfig{Store: &gate.MemoryRuns{}}
			}
			g := gate.New(cfg)
			open := func() *gate.Conn {
				conn, err := g.Open(context.Background(), gate.Session{Protocol: "postgres", Run: "run-1",
					Identity: gate.Identity{Subject: "agent-7", Groups: []string{"agents"}}})
				if err != nil {
					b.Fatal(err)
				}
				return conn
			}
			conn := open()
			benchChecks(b, func(*gate.Request) { conn = open() }, func(ctx context.Context, req *gate.Request) (*gate.Decision, error) {
				return conn.Check(ctx, req)
			})
		})
	}
}

// pgbenchRules are the rules of the gateway's pgbench comparison
// (bench/postgres/rules.yaml): three rules compiled to Go closures.
const pgbenchRules = `default: deny
rules:
  - name: read-only
    when: request.protocol == "postgres" && sql.statements.all(s, s.read_only && !s.opaque)
    action: allow
  - name: no-ddl
    when: sql.statements.exists(s, s.kind in ["DROP", "TRUNCATE", "ALTER"])
    action: deny
    reason: schema changes go through migrations
  - name: mask-for-agents
    when: identity.groups.exists(g, g == "agents")
    mask: [pii, filler_column]
masking:
  fields:
    - name: filler_column
      columns: ["pgbench_accounts.filler"]
`

// BenchmarkDecideFewRules decides pgbench's point query under
// pgbenchRules: "prepared" repeats one text ($1), as pgbench -M prepared
// sends it; "simple" writes a different number into each, as pgbench -M
// simple does, more of them than the decision cache holds. It is the
// measure behind minKeyedNatives.
func BenchmarkDecideFewRules(b *testing.B) {
	for _, mode := range []string{"prepared", "simple"} {
		b.Run(mode, func(b *testing.B) {
			rs, err := gate.ParseRules("bench.yaml", []byte(pgbenchRules))
			if err != nil {
				b.Fatal(err)
			}
			texts := []string{"SELECT abalance FROM pgbench_accounts WHERE aid = $1;"}
			if mode == "simple" {
				texts = make([]string, 16384)
				for i := range texts {
					texts[i] = fmt.Sprintf("SELECT abalance FROM pgbench_accounts WHERE aid = %d;", i*61+1)
				}
			}
			req := benchRequest()
			req.Session.Identity.Groups = []string{"agents"}
			req.SQL = &gate.SQL{Statements: []gate.SQLStatement{{Kind: "SELECT", ReadOnly: true,
				Tables: []gate.SQLTable{{Schema: "public", Name: "pgbench_accounts", Access: "read"}}, Columns: []string{"abalance", "aid"}, FilterColumns: []string{"pgbench_accounts.aid"}}}}
			ctx := context.Background()
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				req.SQL.Statements[0].Text = texts[n%len(texts)]
				n++
				if d := rs.Decide(ctx, req); d.Action != gate.Allow || len(d.Mask) != 2 {
					b.Fatalf("decided %s by %s masking %v, want allow masking pii and filler_column", d.Action, d.Rule, d.Mask)
				}
			}
		})
	}
}

// BenchmarkDecideTexts decides under 100 realistic rules as the statement
// text varies: "repeated" sends one text (a cache hit every time); "new" a
// different one each time, more of them than the decision cache holds (a
// miss every time, as when literals are written inline: pgbench -M simple,
// most agents); "half" alternates the repeated text and a new one; and
// "uncached" is "new" with the cache off, the cost "new" should approach.
func BenchmarkDecideTexts(b *testing.B) {
	for _, mode := range []string{"repeated", "new", "half", "uncached"} {
		b.Run(mode, func(b *testing.B) {
			var opts []gate.RuleOption
			if mode == "uncached" {
				opts = append(opts, gate.WithoutDecisionCache())
			}
			rs, err := gate.ParseRules("bench.yaml", []byte(realisticRules(100)), opts...)
			if err != nil {
				b.Fatal(err)
			}
			texts := make([]string, 1<<16)
			for i := range texts {
				texts[i] = fmt.Sprintf("SELECT * FROM customers WHERE id = %d", i*61+1)
			}
			req := benchRequest()
			ctx := context.Background()
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				text := texts[n%len(texts)]
				switch {
				case mode == "repeated", mode == "half" && n%2 == 0:
					text = "SELECT * FROM customers WHERE id = $1"
				}
				n++
				req.Command, req.SQL.Statements[0].Text = text, text
				if d := rs.Decide(ctx, req); d.Action != gate.Allow {
					b.Fatalf("decided %s by %s, want allow", d.Action, d.Rule)
				}
			}
		})
	}
}
