package record

import (
	"errors"
	"fmt"
	"sync"
)

// tracker remembers the head of each session a sink has stored, so that a
// retried batch is stored once (idempotence by session and sequence) and a
// batch that would fork or skip part of a chain is refused.
type tracker struct {
	mu    sync.Mutex
	heads map[string]head
	// ended remembers the last sessions that ended, so a late retry of their
	// final batch is still recognised as a duplicate.
	ended      map[string]head
	endedOrder []string
}

const maxEnded = 4096

type head struct {
	seq  uint64
	hash string
}

// ErrConflict is wrapped by errors for entries that contradict what a sink
// already stored (same session and sequence, different hash) or leave a gap.
var ErrConflict = errors.New("record: conflicting entry")

// filter returns the entries of batch not yet stored, after checking that
// they continue the stored chains. It does not record them; commit does.
func (t *tracker) filter(batch []Event) ([]Event, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Event
	local := map[string]head{}
	for i := range batch {
		e := &batch[i]
		h, ok := local[e.SessionID]
		if !ok {
			h, ok = t.heads[e.SessionID]
		}
		if end, isEnded := t.ended[e.SessionID]; !ok && isEnded {
			if e.Seq > end.seq {
				return nil, fmt.Errorf("%w: session %s seq %d after its final checkpoint", ErrConflict, e.SessionID, e.Seq)
			}
			if e.Seq == end.seq && e.Hash != end.hash {
				return nil, fmt.Errorf("%w: session %s seq %d differs from the stored entry", ErrConflict, e.SessionID, e.Seq)
			}
			continue
		}
		switch {
		case !ok:
			// Unknown session: accept from wherever it starts (the sink may
			// have been restarted); Verify judges the whole record.
		case e.Seq <= h.seq:
			if e.Seq == h.seq && e.Hash != h.hash {
				return nil, fmt.Errorf("%w: session %s seq %d differs from the stored entry", ErrConflict, e.SessionID, e.Seq)
			}
			continue
		case e.Seq != h.seq+1:
			return nil, fmt.Errorf("%w: session %s jumps from seq %d to %d", ErrConflict, e.SessionID, h.seq, e.Seq)
		case e.PrevHash != h.hash:
			return nil, fmt.Errorf("%w: session %s seq %d does not chain to the stored seq %d", ErrConflict, e.SessionID, e.Seq, h.seq)
		}
		local[e.SessionID] = head{e.Seq, e.Hash}
		out = append(out, *e)
	}
	return out, nil
}

// commit records that stored is durable; sessions that ended are forgotten.
func (t *tracker) commit(stored []Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.heads == nil {
		t.heads = map[string]head{}
	}
	for i := range stored {
		e := &stored[i]
		if h, ok := t.heads[e.SessionID]; ok && h.seq >= e.Seq {
			continue
		}
		t.heads[e.SessionID] = head{e.Seq, e.Hash}
	}
}

// forget drops the sessions that ended in batch.
func (t *tracker) forget(batch []Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range batch {
		e := &batch[i]
		if !isFinal(e) {
			continue
		}
		delete(t.heads, e.SessionID)
		if t.ended == nil {
			t.ended = map[string]head{}
		}
		if _, ok := t.ended[e.SessionID]; !ok {
			t.endedOrder = append(t.endedOrder, e.SessionID)
		}
		t.ended[e.SessionID] = head{e.Seq, e.Hash}
		if len(t.endedOrder) > maxEnded {
			delete(t.ended, t.endedOrder[0])
			t.endedOrder = t.endedOrder[1:]
		}
	}
}

func isFinal(e *Event) bool {
	if e.Kind != KindCheckpoint {
		return false
	}
	if e.Checkpoint == nil {
		if e.decode() != nil {
			return false
		}
	}
	return e.Checkpoint.Final
}
