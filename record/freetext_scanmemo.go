package record

import (
	"slices"
	"sync"

	"github.com/airlock-sdk/airlock/gate"
)

// The free-text search (freeTextSecrets) reads an event a piece at a time:
// its JSON between the gaps (textGaps), then its byte fields raw. Most of
// those pieces are the same in every event of a kind in a session — the
// session id, the identity, the tables and rules of a statement shape, an
// output's stream — and what the search finds in a piece depends on its
// bytes alone (and on the redactor's names, which never change). A piece
// byte for byte equal to the piece at the same place of the session's
// last event of that kind that had one, searched the same way (JSON or
// raw) and with no trigger found (freeText.triggered), has no trigger
// either, and is not read again. The encoder keeps there the JSON of the
// identity too, which every event of a session repeats (identityMemo).

// The bounds of the scan memory: past them, pieces are searched without
// it, and a new session past maxMemoSessions makes it forget all the
// others.
const (
	maxMemoSessions = 1024    // sessions remembered at once
	maxMemoBytes    = 4 << 10 // bytes of clean pieces remembered per event kind
	maxMemoPieces   = 64      // pieces of an event remembered
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

// scanMemo is what the search found clean in the last events of a kind:
// piece i of the last event that had one, when it was clean; and the last
// identity's JSON. Its lock is held while an event is encoded and
// searched; an event that finds it held goes without it.
type scanMemo struct {
	mu     sync.Mutex
	pieces []memoPiece
	bytes  int // the capacity of the pieces' buffers
	// id is the identity of the last event (when idSet), idJSON its JSON
	// as the encoder wrote it and idGap the gap it noted in it, if
	// idHasGap (see identityMemo).
	id       gate.Identity
	idJSON   []byte
	idGap    [2]int
	idHasGap bool
	idSet    bool
	// originals are the last decision's originals with their finds,
	// origBytes what they count (see memoOriginal).
	originals []memoOriginal
	origBytes int
}

// memoPiece is one piece of an event, as the search read it.
type memoPiece struct {
	text  []byte // the piece, when clean
	clean bool
	raw   bool // searched as raw text, not JSON
}

// get returns the memory of session's events of kind, locked (release it
// with unlock), or nil: a kind not remembered, or the memory in use by
// another event of the session.
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
// of the last events of its kind (nil: none), which it brings up to date.
// For each piece, known tells whether the memory holds it clean; if not,
// scan searches it.
type pieceScan struct {
	m *scanMemo
	i int // the index of the next piece
}

func newPieceScan(m *scanMemo) pieceScan { return pieceScan{m: m} }

// known moves on to t, the next piece, searched raw or as JSON, and
// reports whether it is known clean: empty (the search finds nothing in
// nothing), or held by the memory: equal to the piece at the same place,
// searched the same way, of the last event that had one.
func (p *pieceScan) known(t []byte, raw bool) bool {
	m, i := p.m, p.i
	p.i++
	if len(t) == 0 {
		return true
	}
	if m == nil || i >= len(m.pieces) {
		return false
	}
	mp := &m.pieces[i]
	return mp.clean && mp.raw == raw && string(mp.text) == string(t)
}

// scan appends to out what f finds in t, the piece known just looked at
// (and reported not clean), and notes it in the memory.
func (p *pieceScan) scan(f freeText, out []string, t []byte) []string {
	m, i := p.m, p.i-1
	if m == nil || i >= maxMemoPieces {
		return f.scan(out, t)
	}
	rules := f.triggered(t)
	m.note(i, t, !f.json, rules == 0)
	return f.scanTriggered(out, t, rules)
}

// note makes t, searched raw or as JSON and found clean or not, piece i.
// The memory keeps no more than maxMemoBytes of piece buffers (their
// capacity counts) for the kind: a piece past it is not kept.
func (m *scanMemo) note(i int, t []byte, raw, clean bool) {
	for len(m.pieces) <= i {
		m.pieces = append(m.pieces, memoPiece{})
	}
	mp := &m.pieces[i]
	m.bytes -= cap(mp.text)
	mp.clean, mp.raw = false, raw
	if !clean || m.bytes+len(t) > maxMemoBytes {
		mp.text = nil
		return
	}
	mp.text = append(mp.text[:0], t...)
	if m.bytes+cap(mp.text) > maxMemoBytes {
		mp.text = nil
		return
	}
	mp.clean = true
	m.bytes += cap(mp.text)
}

// unlock releases m (nil: nothing).
func (m *scanMemo) unlock() {
	if m != nil {
		m.mu.Unlock()
	}
}

// identityMemo writes id as encoder.identity does, from m's copy when id
// holds no claims and what identity writes of it (subject, name, groups
// and kind) is what it wrote of the identity m kept, the same in every
// event of a session; otherwise it writes it and keeps it in m.
func (e *encoder) identityMemo(b []byte, id *gate.Identity, m *scanMemo) []byte {
	if m == nil || len(id.Claims) > 0 {
		return e.identity(b, id)
	}
	start := len(b)
	if m.idSet && id.Subject == m.id.Subject && id.Name == m.id.Name && id.Kind == m.id.Kind && slices.Equal(id.Groups, m.id.Groups) {
		b = append(b, m.idJSON...)
		if m.idHasGap {
			e.gaps.add(start+m.idGap[0], start+m.idGap[1])
		}
		return b
	}
	n := e.gaps.n
	b = e.identity(b, id)
	m.idSet = false
	if n >= len(e.gaps.s) || len(b)-start > maxMemoBytes/2 {
		return b // a gap identity notes could have been dropped
	}
	// identity notes one gap, its kind, or none (no kind), never joined
	// to the one before it (its subject comes between).
	m.idHasGap = e.gaps.n > n
	if m.idHasGap {
		m.idGap = [2]int{e.gaps.s[n][0] - start, e.gaps.s[n][1] - start}
	}
	m.id = gate.Identity{Subject: id.Subject, Name: id.Name, Groups: slices.Clone(id.Groups), Kind: id.Kind}
	m.idJSON = append(m.idJSON[:0], b[start:]...)
	m.idSet = true
	return b
}
