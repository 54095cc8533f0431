package record

import (
	"context"
	"crypto/rand"
	"fmt"
	"iter"
	"sort"
	"sync"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// Memory keeps session records in memory. It is both a gate.Recorder (Record
// redacts, numbers and chains each event itself) and a Sink (Write stores
// events a Recorder sealed), so tests can give it to gate.Config directly or
// put it behind a Recorder, a Collector or a Tee. The zero value is ready to
// use and safe for concurrent use.
//
// As a Recorder, Memory stores secrets as HMACs under a random key of its
// own and writes only an unsigned final checkpoint after session_end, so
// Verify(m.Events(id), nil) checks its chains; use New with a Memory sink for
// signed checkpoints.
type Memory struct {
	mu       sync.Mutex
	sessions map[string][]Event
	order    []string
	all      []Event // every entry in stored order
	chains   map[string]*chain
	red      *redactor
	// err, set with SetErr, makes Record and Write fail: a sink that cannot
	// record, for fail-closed tests.
	err error
}

// SetErr makes every later Record and Write fail with err (nil heals it).
func (m *Memory) SetErr(err error) {
	m.mu.Lock()
	m.err = err
	m.mu.Unlock()
}

// Record implements gate.Recorder.
func (m *Memory) Record(ctx context.Context, e gate.Event) error {
	if e.SessionID == "" {
		return fmt.Errorf("record: %s event without session id", e.Kind)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	if m.red == nil {
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		m.red = &redactor{key: key, names: mask.CompileSecretNames(nil), nameFilter: newNameFilter(nil)}
	}
	body, err := m.red.body(e)
	if err != nil {
		return err
	}
	if m.chains == nil {
		m.chains = make(map[string]*chain)
	}
	c := m.chains[e.SessionID]
	if c == nil {
		c = &chain{version: VersionLegacy} // Memory as a Recorder keeps no log
		m.chains[e.SessionID] = c
	}
	ev := c.next(e.SessionID, string(e.Kind), e.Time.UTC().UnixNano(), body)
	if err := ev.decode(); err != nil {
		return err
	}
	m.appendLocked(ev)
	if e.Kind == gate.EventSessionEnd || e.Kind == gate.EventRefused {
		// An unsigned final checkpoint, so Verify(m.Events(id), nil) passes.
		cp, _ := marshalCheckpoint(Checkpoint{HeadSeq: c.seq, HeadHash: c.head, Final: true})
		end := c.next(e.SessionID, KindCheckpoint, ev.Time, cp)
		_ = end.decode()
		m.appendLocked(end)
		delete(m.chains, e.SessionID)
	}
	return nil
}

// Write implements Sink.
func (m *Memory) Write(ctx context.Context, batch []Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	for _, e := range batch {
		m.appendLocked(e) // decoded when read
	}
	return nil
}

func (m *Memory) appendLocked(e Event) {
	if m.sessions == nil {
		m.sessions = make(map[string][]Event)
	}
	if _, ok := m.sessions[e.SessionID]; !ok && !IsLogSession(e.SessionID) {
		m.order = append(m.order, e.SessionID)
	}
	m.sessions[e.SessionID] = append(m.sessions[e.SessionID], e)
	m.all = append(m.all, e)
}

// Close implements Sink; the events stay readable.
func (m *Memory) Close() error { return nil }

// Events returns a copy of the session's entries in sequence order,
// checkpoints included (Kind == KindCheckpoint).
func (m *Memory) Events(sessionID string) []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	stored := m.sessions[sessionID]
	for i := range stored {
		if stored[i].Event == nil && stored[i].Checkpoint == nil && stored[i].LogCheckpoint == nil {
			_ = stored[i].decode() // Verify reports bodies that do not decode
		}
	}
	evs := append([]Event(nil), stored...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Seq < evs[j].Seq })
	return evs
}

// GateEvents returns the session's gate events in order, without checkpoints.
func (m *Memory) GateEvents(sessionID string) []gate.Event {
	var out []gate.Event
	for _, e := range m.Events(sessionID) {
		if e.Event != nil {
			out = append(out, *e.Event)
		}
	}
	return out
}

// Sessions returns the ids of the recorded sessions in the order they were
// first seen.
func (m *Memory) Sessions() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.order...)
}

// Len returns the number of stored entries over all sessions.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, evs := range m.sessions {
		n += len(evs)
	}
	return n
}

// Reader returns a Reader over m's sessions, for code that reads any sink
// (replay, verification).
func (m *Memory) Reader() StoredReader { return memReader{m} }

type memReader struct{ m *Memory }

func (r memReader) Sessions(ctx context.Context) ([]string, error) { return r.m.Sessions(), nil }

// Stored yields every stored entry in the order it was stored.
func (r memReader) Stored(ctx context.Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		r.m.mu.Lock()
		all := append([]Event(nil), r.m.all...)
		r.m.mu.Unlock()
		for _, e := range all {
			if e.Event == nil && e.Checkpoint == nil && e.LogCheckpoint == nil {
				_ = e.decode()
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}

func (r memReader) Read(ctx context.Context, session string) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for _, e := range r.m.Events(session) {
			if !yield(e, nil) {
				return
			}
		}
	}
}
