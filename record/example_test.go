package record_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// A gate records to a file; the session is read back and verified.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "airlock-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "record.jsonl")

	priv, pub, _ := record.GenerateKey()
	sink, err := record.OpenFile(path, record.FileOptions{})
	if err != nil {
		panic(err)
	}
	rec := record.New(sink, record.Options{SigningKey: priv, HMACKey: []byte("a 32-byte secret for the HMACs!!")})
	g := gate.New(gate.Config{Recorder: rec}) // no rules: everything is denied

	ctx := context.Background()
	s := &gate.Session{Protocol: gate.ProtocolPostgres, Identity: gate.Identity{Subject: "agent-1"}}
	_ = g.OpenSession(ctx, s)
	_, err = g.Check(ctx, &gate.Request{Session: s, Command: "ALTER ROLE app PASSWORD 'hunter2'", Secrets: []string{"hunter2"}})
	fmt.Println("denied:", err != nil)
	_ = g.CloseSession(ctx, s, "client closed")
	if err := rec.Close(); err != nil { // flushes and writes nothing more
		panic(err)
	}

	r, _ := record.OpenFileReader(path)
	entries, _ := record.ReadSession(ctx, r, s.ID)
	for _, e := range entries {
		fmt.Println(e.Seq, e.Kind)
	}
	fmt.Println("verify:", record.Verify(entries, pub))
	// Output:
	// denied: true
	// 1 session_start
	// 2 decision
	// 3 session_end
	// 4 checkpoint
	// verify: <nil>
}

// An agent runtime ships its record to a collector in another process.
func ExampleCollector() {
	store := &record.Memory{}
	srv := httptest.NewServer(&record.Collector{Sink: store, Token: "long-random-token"})
	defer srv.Close()

	rec := record.New(record.NewHTTP(srv.URL, "long-random-token", record.HTTPOptions{}), record.Options{})
	ctx := context.Background()
	_ = rec.Record(ctx, gate.Event{Kind: gate.EventSessionStart, SessionID: "s1", Session: &gate.SessionInfo{Protocol: "tool"}})
	_ = rec.Record(ctx, gate.Event{Kind: gate.EventSessionEnd, SessionID: "s1", Session: &gate.SessionInfo{Protocol: "tool"}})
	_ = rec.Close()

	fmt.Println(len(store.Events("s1")), record.Verify(store.Events("s1"), nil))
	// Output: 3 <nil>
}

// Verify names the first broken point.
func ExampleVerify() {
	mem := &record.Memory{}
	rec := record.New(mem, record.Options{})
	ctx := context.Background()
	for _, k := range []gate.EventKind{gate.EventSessionStart, gate.EventOutput, gate.EventOutput, gate.EventSessionEnd} {
		_ = rec.Record(ctx, gate.Event{Kind: k, SessionID: "s1", Output: &gate.Output{Data: []byte("hi")}})
	}
	_ = rec.Close()
	entries := mem.Events("s1")
	entries = append(entries[:2], entries[3:]...) // remove one output
	fmt.Println(record.Verify(entries, nil))
	// Output: record: session s1: entry 2 (seq 4): expected seq 3: entries missing or reordered
}
