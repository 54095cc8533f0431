package record

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// logState is the write side's sink-level log (guarded by Recorder.wmu): every entry it seals
// becomes the next leaf of an RFC 6962 tree, and a signed LogCheckpoint
// over the tree is sealed into the stream every LogCheckpointEvery entries,
// after LogCheckpointInterval, and at Close.
type logState struct {
	id      string
	origin  string
	priv    ed25519.PrivateKey
	tree    frontier
	ch      chain // the chain of checkpoint entries (session logSession(id))
	prev    Hash  // note hash of the last checkpoint sealed
	covered uint64
	last    int64 // Unix ns of the last checkpoint
	started bool
	final   bool
}

func newLogState(priv ed25519.PrivateKey, prev Hash) *logState {
	var id [8]byte
	_, _ = rand.Read(id[:])
	if priv == nil {
		// Without a signing key the checkpoints are signed by a key nobody
		// keeps: they still prove the record consistent with itself.
		_, priv, _ = ed25519.GenerateKey(rand.Reader)
	}
	s := &logState{id: hex.EncodeToString(id[:]), priv: priv, prev: prev}
	s.origin = OriginPrefix + s.id
	return s
}

// add makes e the next leaf.
func (l *logState) add(e *Event) {
	leaf, _ := leafOf(e)
	e.Log, e.Index = l.id, l.tree.size
	e.logHex = l.id
	l.tree.append(leaf)
}

// pending is the number of leaves not yet covered by a checkpoint.
func (l *logState) pending() uint64 { return l.tree.size - l.covered }

// checkpoint seals a signed checkpoint over the whole tree.
func (l *logState) checkpoint(now int64, final bool) (Event, error) {
	cp := LogCheckpoint{Origin: l.origin, Size: l.tree.size, Root: l.tree.root(), Time: now, Prev: l.prev, Final: final}
	cp.sign(l.priv)
	body, err := json.Marshal(logCheckpointBody{Note: string(cp.Note())})
	if err != nil {
		return Event{}, fmt.Errorf("record: encode log checkpoint: %w", err)
	}
	e := l.ch.next(logSession(l.id), KindLogCheckpoint, now, body)
	e.Log, e.Index = l.id, cp.Size
	e.logHex = l.id
	e.LogCheckpoint = &cp
	l.prev = cp.NoteHash()
	l.covered = cp.Size
	l.last = now
	l.final = final
	return e, nil
}

// CheckpointSource is implemented by sinks that can tell the newest log
// checkpoint they hold, so that a new Recorder's log chains to the log
// before it (deleting a whole earlier log then breaks the chain).
type CheckpointSource interface {
	LastLogCheckpoint(ctx context.Context) (*LogCheckpoint, error)
}
