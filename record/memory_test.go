package record_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

func TestMemoryOrdersAndChainsPerSession(t *testing.T) {
	var m record.Memory
	ctx := context.Background()
	var wg sync.WaitGroup
	for s := 0; s < 4; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				err := m.Record(ctx, gate.Event{Kind: gate.EventOutput, SessionID: fmt.Sprint("s", s), Time: time.Now(),
					Output: &gate.Output{Data: []byte(fmt.Sprint(i))}})
				if err != nil {
					t.Error(err)
				}
			}
		}(s)
	}
	wg.Wait()
	if got := len(m.Sessions()); got != 4 {
		t.Fatalf("sessions = %d, want 4", got)
	}
	for _, id := range m.Sessions() {
		evs := m.Events(id)
		if len(evs) != 50 {
			t.Fatalf("%s: %d events", id, len(evs))
		}
		prev := ""
		for i, e := range evs {
			if e.Seq != uint64(i+1) || e.PrevHash != prev || e.ComputeHash() != e.Hash {
				t.Fatalf("%s: entry %d broken: %+v", id, i, e)
			}
			if string(e.Event.Output.Data) != fmt.Sprint(i) {
				t.Fatalf("%s: entry %d out of order: %q", id, i, e.Event.Output.Data)
			}
			prev = e.Hash
		}
		if len(m.GateEvents(id)) != 50 {
			t.Fatal("GateEvents")
		}
	}
	if m.Len() != 200 {
		t.Fatal("Len", m.Len())
	}
}

func TestMemoryHMACsSecrets(t *testing.T) {
	var m record.Memory
	s := &gate.Session{ID: "s1", Protocol: "postgres"}
	req := &gate.Request{Session: s, Protocol: "postgres", Command: "ALTER ROLE bob PASSWORD 'hunter2hunter2'",
		Secrets: []string{"hunter2hunter2"},
		SQL:     &gate.SQL{Statements: []gate.SQLStatement{{Kind: "ALTER", Text: "ALTER ROLE bob PASSWORD 'hunter2hunter2'"}}}}
	if err := m.Record(context.Background(), gate.Event{Kind: gate.EventDecision, SessionID: "s1", Request: req}); err != nil {
		t.Fatal(err)
	}
	e := m.Events("s1")[0]
	if strings.Contains(string(e.Body), "hunter2") {
		t.Fatalf("secret stored raw: %s", e.Body)
	}
	if !strings.Contains(e.Event.Request.Command, record.SecretPrefix) {
		t.Fatalf("no HMAC in %q", e.Event.Request.Command)
	}
}

func TestMemoryFailsWhenTold(t *testing.T) {
	var m record.Memory
	boom := errors.New("disk on fire")
	m.SetErr(boom)
	if err := m.Record(context.Background(), gate.Event{Kind: gate.EventOutput, SessionID: "x"}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	m.SetErr(nil)
	if err := m.Record(context.Background(), gate.Event{Kind: gate.EventOutput, SessionID: "x"}); err != nil {
		t.Fatal(err)
	}
}

func ExampleMemory() {
	mem := &record.Memory{}
	g := gate.New(gate.Config{Recorder: mem}) // no rules: everything is denied
	s := &gate.Session{ID: "demo", Protocol: gate.ProtocolSSH, Identity: gate.Identity{Subject: "agent-1"}}
	ctx := context.Background()
	_ = g.OpenSession(ctx, s)
	_, err := g.Check(ctx, &gate.Request{Session: s, Command: "rm -rf /"})
	fmt.Println(errors.Is(err, gate.ErrDenied))
	for _, e := range mem.Events("demo") {
		fmt.Println(e.Seq, e.Kind)
	}
	// Output:
	// true
	// 1 session_start
	// 2 decision
}

func TestMemoryRecordVerifies(t *testing.T) {
	var m record.Memory
	id := recordSession(t, &m, 5)
	if err := record.Verify(m.Events(id), nil); err != nil {
		t.Fatal(err)
	}
}

func TestMemoryReader(t *testing.T) {
	var m record.Memory
	id := recordSession(t, &m, 2)
	r := m.Reader()
	ids, err := r.Sessions(context.Background())
	if err != nil || len(ids) != 1 || ids[0] != id {
		t.Fatal(ids, err)
	}
	evs, err := record.ReadSession(context.Background(), r, id)
	if err != nil || record.Verify(evs, nil) != nil {
		t.Fatal(err)
	}
}
