package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/protocols/tool"
	"github.com/airlock-sdk/airlock/record"
)

// demoRules is the rule file the demo runs under.
const demoRules = `default: deny
rules:
  - name: read-customers
    when: tool.name in ["get_customer", "search_customers"]
    action: allow
  - name: no-bulk-deletes
    when: tool.name == "delete_all_customers"
    action: deny
    reason: bulk deletes are never for agents
  - name: refunds-need-review
    when: tool.name == "refund" && tool.args.amount > 20.0
    action: review
    reason: refunds over 20 EUR need a human
  - name: deletes-need-review
    when: tool.name == "delete_customer"
    action: review
    reason: deleting a customer needs a human
  - name: mask-for-agents
    when: identity.kind == "agent"
    mask: [credit_card, email]
`

// customerAPI is the demo's stand-in for a production service.
type customerAPI struct {
	customers map[int]demoCustomer
}

type demoCustomer struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Card  string `json:"card"`
	Plan  string `json:"plan"`
}

func newCustomerAPI() *customerAPI {
	return &customerAPI{customers: map[int]demoCustomer{
		1: {1, "Ada Lovelace", "ada@example.com", "4111 1111 1111 1111", "pro"},
		2: {2, "Alan Turing", "alan@example.org", "5500-0000-0000-0004", "free"},
	}}
}

type idArgs struct {
	ID int `json:"id"`
}

type searchArgs struct {
	Plan string `json:"plan"`
}

type refundArgs struct {
	ID     int     `json:"id"`
	Amount float64 `json:"amount"`
}

const demoUsage = `usage: airlock demo [--record FILE]

Plays a scripted AI agent through the gate and narrates what happens: typed
tool calls, then HTTP, MCP, SSH and (when PostgreSQL answers on
127.0.0.1:5432) PostgreSQL through real gateways; refusals, a held request
approved by a scripted reviewer, masked results. At the end it shows the
session record, verifies it, and prints the replay and verify commands.

flags:`

func cmdDemo(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("demo", stderr)
	recordPath := fs.String("record", "", "write the session record to this file (default: a temporary file); its public key goes beside it as .pub")
	if _, code := parseFlagsN(fs, args, 0, demoUsage, stdout, stderr); code >= 0 {
		return code
	}
	if err := runDemo(context.Background(), stdout, *recordPath); err != nil {
		fmt.Fprintln(stderr, "airlock demo:", err)
		return 1
	}
	return 0
}

// demoStep narrates one numbered call of the tour and what the agent sees.
type demoStep func(n int, title, call string, f func() (any, error))

// runDemo plays the scripted agent and reviewer, then shows and verifies
// the record.
func runDemo(ctx context.Context, w io.Writer, recordPath string) error {
	say := func(who, format string, a ...any) { fmt.Fprintf(w, "  %-8s %s\n", who, fmt.Sprintf(format, a...)) }
	dr, err := openDemoRecord(recordPath)
	if err != nil {
		return err
	}
	rules, err := gate.ParseRules("demo-rules.yaml", []byte(demoRules+demoProtocolRules+demoPostgresRules+demoRunRules))
	if err != nil {
		return err
	}
	reviews := &approval.Memory{}
	g := gate.New(gate.Config{Rules: rules, Approver: reviews, Recorder: dr.rec, Runs: &gate.RunConfig{Store: &gate.MemoryRuns{}}})
	printDemoRules(w, rules)

	agent := gate.Identity{Subject: "agent-7", Name: "coding agent", Groups: []string{"agents"}, Kind: gate.KindAgent}
	conn, err := g.Open(ctx, gate.Session{Protocol: gate.ProtocolTool, Target: "customer-api", Identity: agent, ClientAddr: "in-process"})
	if err != nil {
		return err
	}
	s := conn.Session()
	stopReviewer := startDemoReviewer(ctx, reviews, say)
	defer stopReviewer()
	step := narrator(w, say)
	api := newCustomerAPI()
	demoToolCalls(conn.Context(ctx), api, step)

	fmt.Fprintln(w, "The same gate, in front of other protocols:")
	fmt.Fprintln(w)
	if err := demoProtocols(ctx, g, agent, step); err != nil {
		return fmt.Errorf("protocol tour: %w", err)
	}
	if err := demoPostgres(ctx, w, g, agent, step); err != nil {
		return fmt.Errorf("protocol tour: postgres: %w", err)
	}

	stopReviewer()
	if err := conn.Close(ctx, "demo finished"); err != nil {
		return err
	}
	if err := dr.rec.Close(); err != nil {
		return err
	}
	if len(api.customers) != 2 {
		return fmt.Errorf("the API lost customers: %d left", len(api.customers))
	}
	fmt.Fprintf(w, "The customer API still holds %d customers: nothing destructive got through.\n\n", len(api.customers))
	return showDemoRecord(w, dr, s.ID)
}

// demoRecord is where the demo writes its session record: the record file,
// the public key beside it, and the signing recorder.
type demoRecord struct {
	path, pubPath string
	pub           ed25519.PublicKey
	rec           *record.Recorder
}

// openDemoRecord generates a signing key, writes its public half beside
// the record (a temporary file when path is empty) and opens the recorder.
func openDemoRecord(path string) (*demoRecord, error) {
	if path == "" {
		dir, err := os.MkdirTemp("", "airlock-demo-")
		if err != nil {
			return nil, err
		}
		path = filepath.Join(dir, "record.jsonl")
	}
	priv, pub, err := record.GenerateKey()
	if err != nil {
		return nil, err
	}
	// The public key goes beside the record, so `airlock verify` can check
	// it afterwards; the private key is never written.
	pubPEM, err := record.MarshalPublicKey(pub)
	if err != nil {
		return nil, err
	}
	pubPath := strings.TrimSuffix(path, filepath.Ext(path)) + ".pub"
	if err := os.WriteFile(pubPath, pubPEM, 0o644); err != nil {
		return nil, fmt.Errorf("write the record's public key: %w", err)
	}
	sink, err := record.OpenFile(path, record.FileOptions{})
	if err != nil {
		return nil, err
	}
	return &demoRecord{path: path, pubPath: pubPath, pub: pub, rec: record.New(sink, record.Options{SigningKey: priv})}, nil
}

// printDemoRules lists the rules the demo runs under.
func printDemoRules(w io.Writer, rules *gate.RuleSet) {
	fmt.Fprintln(w, "Airlock demo: an AI agent calls tools on a customer API through the gate.")
	fmt.Fprintln(w, "The rules (CEL, strictest action wins, default deny):")
	for _, r := range rules.Specs() {
		what := r.Action
		if what == "" {
			what = "mask " + strings.Join(r.Mask, ", ")
		}
		fmt.Fprintf(w, "  - %-20s %-8s when %s\n", r.Name, what, r.When)
	}
	fmt.Fprintln(w)
}

// startDemoReviewer runs the scripted reviewer: it approves refunds and
// refuses deletions and outbound POSTs. The returned stop waits for it to
// end; calling it again is harmless.
func startDemoReviewer(ctx context.Context, reviews *approval.Memory, say func(who, format string, a ...any)) (stop func()) {
	alice := gate.Identity{Subject: "alice", Name: "Alice (on call)", Groups: []string{"support"}, Kind: gate.KindHuman}
	reviewerCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			p, err := reviews.WaitPending(reviewerCtx)
			if err != nil {
				return
			}
			time.Sleep(150 * time.Millisecond) // a human takes a moment
			if strings.HasPrefix(p.Request.Command, "POST") {
				say("reviewer", "%s sees why it is held: %s", alice.Name, p.Request.Reason)
				say("reviewer", "%s denies it: %s", alice.Name, "customer data stays in the house")
				_, _ = reviews.Deny(reviewerCtx, p.ID, alice, "customer data stays in the house")
			} else if strings.HasPrefix(p.Request.Command, "refund") {
				say("reviewer", "%s approves %q: %s", alice.Name, p.Request.Command, "the customer called support")
				_, _ = reviews.Approve(reviewerCtx, p.ID, alice, "the customer called support")
			} else {
				say("reviewer", "%s denies %q: %s", alice.Name, p.Request.Command, "customers are deleted through the GDPR process")
				_, _ = reviews.Deny(reviewerCtx, p.ID, alice, "customers are deleted through the GDPR process")
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// narrator is the demo's step: it prints the call and what the gate let
// the agent see.
func narrator(w io.Writer, say func(who, format string, a ...any)) demoStep {
	return func(n int, title string, callDesc string, f func() (any, error)) {
		fmt.Fprintf(w, "%d. %s\n", n, title)
		say("agent", "calls %s", callDesc)
		out, err := f()
		if err != nil {
			say("gate", "REFUSED -> the agent sees: %s", err)
		} else if v, ok := out.(string); ok {
			say("gate", "ALLOWED -> the agent sees: %s", strings.ReplaceAll(strings.TrimSpace(v), "\n", "\n"+strings.Repeat(" ", 37)))
		} else {
			b, _ := json.Marshal(out)
			say("gate", "ALLOWED -> the agent sees: %s", b)
		}
		fmt.Fprintln(w)
	}
}

// demoToolCalls plays steps 1 to 6: typed tool calls on the customer API.
func demoToolCalls(actx context.Context, api *customerAPI, step demoStep) {
	getCustomer := tool.Wrap("get_customer", func(ctx context.Context, a idArgs) (demoCustomer, error) {
		c, ok := api.customers[a.ID]
		if !ok {
			return demoCustomer{}, fmt.Errorf("no customer %d", a.ID)
		}
		return c, nil
	})
	search := tool.Wrap("search_customers", func(ctx context.Context, a searchArgs) ([]string, error) {
		var names []string
		for i := 1; i <= len(api.customers); i++ {
			if c := api.customers[i]; c.Plan == a.Plan {
				names = append(names, c.Name)
			}
		}
		return names, nil
	})
	deleteAll := tool.Wrap("delete_all_customers", func(ctx context.Context, _ struct{}) (int, error) {
		n := len(api.customers)
		api.customers = map[int]demoCustomer{}
		return n, nil
	})
	refund := tool.Wrap("refund", func(ctx context.Context, a refundArgs) (string, error) {
		return fmt.Sprintf("refunded %.2f EUR to customer %d", a.Amount, a.ID), nil
	})
	deleteOne := tool.Wrap("delete_customer", func(ctx context.Context, a idArgs) (string, error) {
		delete(api.customers, a.ID)
		return fmt.Sprintf("deleted customer %d", a.ID), nil
	})
	step(1, "An allowed read.", `search_customers {"plan":"pro"}`, func() (any, error) { return search(actx, searchArgs{Plan: "pro"}) })
	step(2, "A result that carries a card number and an email: masked before the agent sees it.", `get_customer {"id":1}`,
		func() (any, error) { return getCustomer(actx, idArgs{ID: 1}) })
	step(3, "A denied call: it never reaches the API.", `delete_all_customers {}`, func() (any, error) { return deleteAll(actx, struct{}{}) })
	step(4, "A held call, approved by a human: the call waits, then runs.", `refund {"id":1,"amount":49.9}`,
		func() (any, error) { return refund(actx, refundArgs{ID: 1, Amount: 49.9}) })
	step(5, "A held call, denied by a human.", `delete_customer {"id":2}`, func() (any, error) { return deleteOne(actx, idArgs{ID: 2}) })
	step(6, "A call no rule allows: the default is deny.", `get_invoice {"id":1}`, func() (any, error) {
		return tool.Wrap("get_invoice", func(ctx context.Context, a idArgs) (string, error) { return "invoice", nil })(actx, idArgs{ID: 1})
	})
}

// showDemoRecord prints the tool session's entries and a line for every
// other session, verifies every session and prints the commands to replay
// and verify the record.
func showDemoRecord(w io.Writer, dr *demoRecord, toolSession string) error {
	sessions, err := record.ReadFile(dr.path)
	if err != nil {
		return err
	}
	entries := sessions[toolSession]
	fmt.Fprintf(w, "The session record (%s), %d entries, hash-chained and signed:\n", dr.path, len(entries))
	start := time.Unix(0, entries[0].Time)
	for _, e := range entries {
		fmt.Fprintf(w, "  +%6.3fs #%-3d %-19s %s\n", time.Unix(0, e.Time).Sub(start).Seconds(), e.Seq, e.Kind, summarize(e))
	}
	fmt.Fprintln(w, "\nThe other sessions of the same record:")
	for _, id := range slices.Sorted(maps.Keys(sessions)) {
		if id != toolSession {
			fmt.Fprintln(w, sessionLine(sessions[id]))
		}
	}
	for id, entries := range sessions {
		if err := record.Verify(entries, dr.pub); err != nil {
			return fmt.Errorf("session %s does not verify: %w", id, err)
		}
	}
	fmt.Fprintf(w, "\nrecord.Verify: all %d sessions — chains and signed checkpoints — are intact.\n", len(sessions))
	fmt.Fprintf(w, "Replay it with: go run ./cmd/airlock replay %s\n", dr.path)
	fmt.Fprintf(w, "Verify it with: go run ./cmd/airlock verify %s --key %s\n", dr.path, dr.pubPath)
	return nil
}

// sessionLine is one session in a line: its protocol and target, its
// number of entries and its decisions in order.
func sessionLine(entries []record.Event) string {
	var proto, decisions string
	for _, e := range entries {
		if e.Event != nil && e.Event.Session != nil && proto == "" {
			proto = e.Event.Session.Protocol + " on " + e.Event.Session.Target
		}
		if e.Event != nil && e.Event.Decision != nil {
			decisions += " " + string(e.Event.Decision.Action)
		}
	}
	return fmt.Sprintf("  %-28s %2d entries, decisions:%s", proto, len(entries), decisions)
}

// summarize is a one-line description of a record entry.
func summarize(e record.Event) string {
	if e.Checkpoint != nil {
		return "signed checkpoint over the chain head"
	}
	ev := e.Event
	if ev == nil {
		return ""
	}
	switch {
	case ev.Decision != nil:
		d := ev.Decision
		cmd := ""
		if ev.Request != nil {
			cmd = ev.Request.Command + " -> "
		}
		s := fmt.Sprintf("%s%s by %s", cmd, d.Action, d.Rule)
		if d.Reviewed {
			s += " (after review)"
		}
		return s
	case ev.Approval != nil:
		a := ev.Approval
		if a.Reviewer != nil {
			verb := "denied"
			if a.Approve {
				verb = "approved"
			}
			return fmt.Sprintf("%s %s: %s", a.Reviewer.Subject, verb, a.Reason)
		}
		return "review " + short(a.ID)
	case ev.Output != nil:
		n := 0
		for _, f := range ev.Output.Findings {
			n += f.Count
		}
		return fmt.Sprintf("%s (%d values masked)", string(ev.Output.Data), n)
	case ev.Label != nil:
		return fmt.Sprintf("the run gains the label %s (%s)", ev.Label.Name, ev.Label.Source)
	case ev.Session != nil:
		return fmt.Sprintf("%s as %s on %s", ev.Session.Protocol, ev.Identity.Subject, ev.Session.Target)
	}
	return ev.Error
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
