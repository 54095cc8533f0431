package postgres

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// freshServer starts another Server in front of tg's database, with tg's
// gate: one that has learnt nothing yet (no carriers, no probes).
func (tg *testGateway) freshServer(t *testing.T) (*testGateway, func()) {
	t.Helper()
	up, err := pgconn.ParseConfig(dbURL(tg.db))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Gate: tg.gate, Upstream: up, AllowInsecurePassword: true, Authenticator: testAuth,
		AllowServerReach: tg.srv.cfg.AllowServerReach, AllowClusterChanges: tg.srv.cfg.AllowClusterChanges})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(context.Background(), ln) }()
	stop := func() { _ = srv.Close() }
	t.Cleanup(stop)
	cp := *tg
	cp.srv, cp.addr = srv, ln.Addr().String()
	return &cp, stop
}

// carrierFirstUses are the first statements a fresh gateway sees: each
// computes on customers.card_num (no field rule covers it) before any
// statement read it bare, as text and in binary, in every protocol.
func carrierFirstUses() []string {
	out := append([]string(nil), carrierTransforms...)
	out = append(out,
		"SELECT card_num % 10000000000 FROM customers",
		"SELECT (card_num / 1000000)::text || 'x' FROM customers",
		"SELECT id, card_num / 1000000 AS q FROM customers ORDER BY id",
		"SELECT array_agg(card_num / 1000000)::text FROM customers",
		"SELECT json_build_object('q', card_num / 1000000)::text FROM customers",
		"SELECT card_num / 1000000 FROM customers c JOIN scratch s ON true UNION ALL SELECT card_num / 1000000 FROM customers",
	)
	return out
}

// TestCarrierFirstUse: on a gateway that has learnt nothing, the first
// statement computing on a column that carries card numbers reaches the
// client without any form of them, in text (simple and extended) and in
// binary; a computed column of clean columns still passes.
func TestCarrierFirstUse(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	for _, q := range carrierFirstUses() {
		for _, form := range []string{"simple", "extended-text", "extended-binary"} {
			if form != "simple" && strings.Contains(q, ";") {
				continue // several statements: the simple protocol only
			}
			g, stop := tg.freshServer(t)
			r := g.raw(t, "agent")
			sendInForm(r, form, q)
			msgs := r.until(1, 10*time.Second)
			if s := pgmask3Leak(r.got.Bytes()); s != "" {
				t.Errorf("%s: %q as the first statement leaks %s: %v", form, q, s, msgs)
			}
			if strings.Contains(strings.Join(msgs, " "), "E:") || !strings.Contains(strings.Join(msgs, " "), "D:") {
				t.Errorf("%s: %q: no rows: %v", form, q, msgs)
			}
			stop()
		}
	}
	g, _ := tg.freshServer(t)
	r := g.raw(t, "agent")
	r.send(query("SELECT lower(name), id * 2 FROM customers ORDER BY id"))
	if msgs := r.until(1, 5*time.Second); !has(msgs, "D:ada|2") {
		t.Errorf("a computed column of clean columns is withheld on a fresh gateway: %v", msgs)
	}
}

// TestCarrierProbeUnreadable: a column the gateway cannot read whole
// (more rows than a probe reads) is not known to be clean, so what is
// computed from it is withheld; its bare values still pass.
func TestCarrierProbeUnreadable(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	up := tg.upstream(t)
	if _, err := up.Exec(context.Background(), fmt.Sprintf(`CREATE TABLE big (id int, n int8);
		INSERT INTO big SELECT g, g FROM generate_series(1, %d) g;
		INSERT INTO big VALUES (0, %s)`, probeRows+10, testCard)).ReadAll(); err != nil {
		t.Fatal(err)
	}
	g, _ := tg.freshServer(t)
	r := g.raw(t, "agent")
	r.send(query("SELECT n / 1000000 FROM big WHERE id = 0"))
	msgs := r.until(1, 10*time.Second)
	if s := pgmask3Leak(r.got.Bytes()); s != "" || !has(msgs, "D:") {
		t.Errorf("a computed column of a column too large to probe passes (%s): %v", s, msgs)
	}
	g, _ = tg.freshServer(t)
	r = g.raw(t, "agent")
	r.send(query("SELECT id FROM big WHERE id = 7"))
	if msgs := r.until(1, 10*time.Second); !has(msgs, "D:7") {
		t.Errorf("a bare column of a large table is withheld: %v", msgs)
	}
}

// TestCarrierTaughtByCopy: COPY table TO STDOUT, masked column by column,
// teaches carriers as a bare read does.
func TestCarrierTaughtByCopy(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	g, _ := tg.freshServer(t)
	r := g.raw(t, "agent")
	r.send(query("COPY customers TO STDOUT"))
	r.until(1, 10*time.Second)
	if s := pgmask3Leak(r.got.Bytes()); s != "" {
		t.Fatalf("COPY leaks %s", s)
	}
	if !g.srv.carriers.known("customers.card_num") {
		t.Errorf("COPY customers TO STDOUT did not teach customers.card_num as a carrier")
	}
}

// TestCarrierProbePartitions: a card number in a partition (or an
// inheritance child) of the table a computed column reads is found by the
// probe, which reads every descendant.
func TestCarrierProbePartitions(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	up := tg.upstream(t)
	if _, err := up.Exec(context.Background(), fmt.Sprintf(`CREATE TABLE parts (k int, n int8) PARTITION BY LIST (k);
		CREATE TABLE parts_1 PARTITION OF parts FOR VALUES IN (1);
		CREATE TABLE parts_2 PARTITION OF parts FOR VALUES IN (2);
		INSERT INTO parts VALUES (1, 7), (2, %[1]s);
		CREATE TABLE kin (n int8); CREATE TABLE kin_child () INHERITS (kin);
		INSERT INTO kin VALUES (7); INSERT INTO kin_child VALUES (%[1]s)`, testCard)).ReadAll(); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"SELECT n / 1000000 FROM parts", "SELECT n / 1000000 FROM kin", "SELECT to_hex(n) FROM parts WHERE k = 2"} {
		g, stop := tg.freshServer(t)
		r := g.raw(t, "agent")
		r.send(query(q))
		msgs := r.until(1, 10*time.Second)
		if s := pgmask3Leak(r.got.Bytes()); s != "" || strings.Contains(strings.Join(msgs, " "), "e9b08a568f1c7") {
			t.Errorf("%q leaks %s: %v", q, s, msgs)
		}
		stop()
	}
	g, _ := tg.freshServer(t)
	r := g.raw(t, "agent")
	r.send(query("SELECT k * 10 FROM parts ORDER BY k"))
	if msgs := r.until(1, 5*time.Second); !has(msgs, "D:10") {
		t.Errorf("a computed column of a clean partitioned column is withheld: %v", msgs)
	}
}

// sendInForm sends q on r as one wire form: "simple" (a Query),
// "extended-text" or "extended-binary" (Parse, Bind with text or binary
// results, Describe, Execute, Sync).
func sendInForm(r *rawConn, form, q string) {
	if form == "simple" {
		r.send(query(q))
		return
	}
	b := bind("", "")
	if form == "extended-binary" {
		b.ResultFormatCodes = []int16{1}
	}
	r.send(parse("", q), b, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, syncMsg())
}
