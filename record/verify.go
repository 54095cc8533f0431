package record

import (
	"crypto/ed25519"
	"errors"
	"fmt"
)

// ErrUnterminated is wrapped by the VerifyError of a session record that ends
// without a final checkpoint: it was cut off, or the session is still open
// (or its recorder died). Entries after the last checkpoint are unproven.
var ErrUnterminated = errors.New("record ends without a final checkpoint")

// VerifyError names the first broken point of a session record.
type VerifyError struct {
	SessionID string
	// Index is the position of the offending entry in the record as read
	// (0-based); Seq is the sequence number found there (or expected, when
	// the record ends early).
	Index int
	Seq   uint64
	// Reason says what is wrong.
	Reason string
	// Err is ErrUnterminated for a record that was cut off.
	Err error
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("record: session %s: entry %d (seq %d): %s", e.SessionID, e.Index, e.Seq, e.Reason)
}

func (e *VerifyError) Unwrap() error { return e.Err }

// Verify checks the record of one session, in the order it was read: every
// entry in sequence, chained to its predecessor, with an intact hash; every
// checkpoint over the entry before it and, when pub is not nil, signed by
// pub's key; and the record ending with a final checkpoint. It returns nil
// or a *VerifyError naming the first broken point.
func Verify(entries []Event, pub ed25519.PublicKey) error {
	if len(entries) == 0 {
		return &VerifyError{Reason: "empty record", Err: ErrUnterminated}
	}
	session := entries[0].SessionID
	prev := ""
	lastCheckpoint := uint64(0)
	fail := func(i int, seq uint64, format string, args ...any) error {
		return &VerifyError{SessionID: session, Index: i, Seq: seq, Reason: fmt.Sprintf(format, args...)}
	}
	for i := range entries {
		e := &entries[i]
		want := uint64(i + 1)
		switch {
		case e.Version != Version && e.Version != VersionLegacy:
			return fail(i, e.Seq, "unknown record version %d", e.Version)
		case e.Version != entries[0].Version:
			return fail(i, e.Seq, "record version %d inside a session of version %d", e.Version, entries[0].Version)
		case e.SessionID != session:
			return fail(i, e.Seq, "entry of session %q inside session %q", e.SessionID, session)
		case e.Seq != want:
			if e.Seq > want {
				return fail(i, e.Seq, "expected seq %d: entries missing or reordered", want)
			}
			return fail(i, e.Seq, "expected seq %d: entry duplicated or reordered", want)
		case e.PrevHash != prev:
			return fail(i, e.Seq, "previous-hash link broken: the entry before it was edited, removed or reordered")
		case e.ComputeHash() != e.Hash:
			return fail(i, e.Seq, "hash mismatch: entry edited")
		}
		if i > 0 && entries[i-1].Kind == KindCheckpoint && entries[i-1].Checkpoint != nil && entries[i-1].Checkpoint.Final {
			return fail(i, e.Seq, "entry after the final checkpoint")
		}
		if e.Event == nil && e.Checkpoint == nil {
			if err := e.decode(); err != nil {
				return fail(i, e.Seq, "undecodable body: %v", err)
			}
		}
		if e.Kind == KindCheckpoint {
			cp := e.Checkpoint
			if cp == nil {
				return fail(i, e.Seq, "checkpoint without body")
			}
			if cp.HeadSeq != e.Seq-1 || cp.HeadHash != e.PrevHash {
				return fail(i, e.Seq, "checkpoint covers seq %d, not the entry before it", cp.HeadSeq)
			}
			if pub != nil {
				if len(cp.Signature) == 0 {
					return fail(i, e.Seq, "checkpoint not signed")
				}
				if !ed25519.Verify(pub, cp.message(session, e.Time), cp.Signature) {
					return fail(i, e.Seq, "bad checkpoint signature (wrong key, or the chain before it was rewritten)")
				}
			}
			lastCheckpoint = e.Seq
		} else if e.Event == nil || string(e.Event.Kind) != e.Kind || e.Event.SessionID != session {
			return fail(i, e.Seq, "body does not match the envelope")
		}
		prev = e.Hash
	}
	last := entries[len(entries)-1]
	if last.Kind != KindCheckpoint || !last.Checkpoint.Final {
		return &VerifyError{SessionID: session, Index: len(entries), Seq: last.Seq + 1, Err: ErrUnterminated,
			Reason: fmt.Sprintf("record ends at seq %d without a final checkpoint (last checkpoint at seq %d): cut off, or the session is still open", last.Seq, lastCheckpoint)}
	}
	return nil
}
