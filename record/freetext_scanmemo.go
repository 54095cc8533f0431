package record

import (
	"bytes"
	"sync"

	"github.com/airlock-sdk/airlock/gate"
)

// The free-text search (freeTextSecrets) reads an event a piece at a time:
// its JSON between the gaps (textGaps), then its byte fields raw. Most of
// those pieces are the same in every event of a kind in a session — the
// session id, the identity, the tables and rules of a statement shape, an
// output's stream — and what the search finds in a piece depends on its
// bytes alone (and on the redactor's names, which never change). A piece
// byte for byte equal to the same piece of the session's last event of
// that kind, where the search found no trigger (freeText.triggered), has
// no trigger either, and is not read again.

// The bounds of the scan memory: past them, pieces are searched whole,
// and a new session past maxMemoSessions makes it forget all the others.
const (
	maxMemoSessions = 1024    // sessions remembered at once
	maxMemoBytes    = 4 << 10 // bytes of clean pieces remembered per event kind
	maxMemoPieces   = 64      // pieces of one event remembered
)

// scanMemos holds the scan memory of each session; the zero value is
// ready to use.
type scanMemos struct {
	mu sync.RWMutex
	m  map[string]*sessionScanMemo
}

// sessionScanMemo is one session's memory: its last decision and its last
// output, the kinds every statement records.
type sessionScanMemo struct {
	decision, output scanMemo
}

// scanMemo is what the search found clean in the last event of a kind: its
// pieces, in order, the clean ones kept in buf. Its lock is held while an
// event is searched; an event that finds it held is searched whole.
type scanMemo struct {
	mu    sync.Mutex
	buf   []byte
	ends  []int  // piece i is buf[ends[i-1]:ends[i]] (from 0 for the first)
	clean uint64 // bit i: piece i had no trigger (its bytes are in buf)
	raw   uint64 // bit i: piece i was searched as raw text, not JSON
	// spare buffers for the next event's pieces.
	spareBuf  []byte
	spareEnds []int
}

// get returns the memory of session's events of kind, locked (release it
// with unlock), or nil: a kind not remembered, too many sessions, or the
// memory in use by another event of the session.
func (ms *scanMemos) get(session string, kind gate.EventKind) *scanMemo {
	if kind != gate.EventDecision && kind != gate.EventOutput {
		return nil
	}
	ms.mu.RLock()
	s := ms.m[session]
	ms.mu.RUnlock()
	if s == nil {
		ms.mu.Lock()
		if s = ms.m[session]; s == nil {
			if ms.m == nil {
				ms.m = map[string]*sessionScanMemo{}
			}
			if len(ms.m) >= maxMemoSessions {
				// Sessions whose end was never recorded (or events
				// that came after it) are forgotten with the rest.
				clear(ms.m)
			}
			s = &sessionScanMemo{}
			ms.m[session] = s
		}
		ms.mu.Unlock()
	}
	m := &s.decision
	if kind == gate.EventOutput {
		m = &s.output
	}
	if !m.mu.TryLock() {
		return nil
	}
	return m
}

// forget drops session's memory.
func (ms *scanMemos) forget(session string) {
	ms.mu.Lock()
	delete(ms.m, session)
	ms.mu.Unlock()
}

// pieceScan searches the pieces of one event, in order, with the memory
// of the last event of its kind (nil: none) and notes them for the next.
type pieceScan struct {
	m     *scanMemo
	i     int
	buf   []byte
	ends  []int
	clean uint64
	raw   uint64
}

func newPieceScan(m *scanMemo) pieceScan {
	if m == nil {
		return pieceScan{}
	}
	return pieceScan{m: m, buf: m.spareBuf[:0], ends: m.spareEnds[:0]}
}

// scan appends to out what f finds in t, the next piece of the event.
func (p *pieceScan) scan(f freeText, out []string, t []byte) []string {
	if p.m == nil {
		return f.scan(out, t)
	}
	i := p.i
	p.i++
	if i >= maxMemoPieces {
		return f.scan(out, t)
	}
	if p.m.knownClean(i, t, !f.json) {
		p.note(i, t, !f.json, true)
		return out
	}
	rules := f.triggered(t)
	p.note(i, t, !f.json, rules == 0)
	return f.scanTriggered(out, t, rules)
}

// note notes t as piece i, searched as raw text or JSON, clean or not.
func (p *pieceScan) note(i int, t []byte, raw, clean bool) {
	if clean && len(p.buf)+len(t) <= maxMemoBytes {
		p.buf = append(p.buf, t...)
		p.clean |= 1 << i
		if raw {
			p.raw |= 1 << i
		}
	}
	p.ends = append(p.ends, len(p.buf))
}

// knownClean reports whether t is piece i of the last event, searched
// the same way (raw text or JSON) and found clean.
func (m *scanMemo) knownClean(i int, t []byte, raw bool) bool {
	if i >= len(m.ends) || m.clean>>i&1 == 0 || (m.raw>>i&1 == 1) != raw {
		return false
	}
	start := 0
	if i > 0 {
		start = m.ends[i-1]
	}
	return bytes.Equal(m.buf[start:m.ends[i]], t)
}

// done makes the event's pieces the memory for the next event of its kind
// and unlocks the memory.
func (p *pieceScan) done() {
	m := p.m
	if m == nil {
		return
	}
	m.spareBuf, m.spareEnds = m.buf, m.ends
	m.buf, m.ends, m.clean, m.raw = p.buf, p.ends, p.clean, p.raw
	m.mu.Unlock()
}
