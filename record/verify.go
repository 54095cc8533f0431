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
	v := chainVerifier{pub: pub}
	for i := range entries {
		if err := v.next(&entries[i]); err != nil {
			return err
		}
	}
	return v.end()
}

// chainVerifier checks the entries of one session one at a time, in the
// order they were read, as Verify does; end checks that the record is
// complete.
type chainVerifier struct {
	pub ed25519.PublicKey

	session        string
	version        int
	n              int    // entries checked
	prev           string // hash of the last entry checked
	last           *Event // the last entry checked
	lastCheckpoint uint64
}

func (v *chainVerifier) fail(seq uint64, format string, args ...any) error {
	return &VerifyError{SessionID: v.session, Index: v.n, Seq: seq, Reason: fmt.Sprintf(format, args...)}
}

// next checks e, the next entry of the session (e's body is decoded if it
// was not).
func (v *chainVerifier) next(e *Event) error {
	if v.n == 0 {
		v.session, v.version = e.SessionID, e.Version
	}
	want := uint64(v.n + 1)
	switch {
	case e.Version != Version && e.Version != VersionLegacy:
		return v.fail(e.Seq, "unknown record version %d", e.Version)
	case e.Version != v.version:
		return v.fail(e.Seq, "record version %d inside a session of version %d", e.Version, v.version)
	case e.SessionID != v.session:
		return v.fail(e.Seq, "entry of session %q inside session %q", e.SessionID, v.session)
	case e.Seq != want:
		if e.Seq > want {
			return v.fail(e.Seq, "expected seq %d: entries missing or reordered", want)
		}
		return v.fail(e.Seq, "expected seq %d: entry duplicated or reordered", want)
	case e.PrevHash != v.prev:
		return v.fail(e.Seq, "previous-hash link broken: the entry before it was edited, removed or reordered")
	case e.ComputeHash() != e.Hash:
		return v.fail(e.Seq, "hash mismatch: entry edited")
	}
	if p := v.last; p != nil && p.Kind == KindCheckpoint && p.Checkpoint != nil && p.Checkpoint.Final {
		return v.fail(e.Seq, "entry after the final checkpoint")
	}
	if e.Event == nil && e.Checkpoint == nil {
		if err := e.decode(); err != nil {
			return v.fail(e.Seq, "undecodable body: %v", err)
		}
	}
	if e.Kind == KindCheckpoint {
		cp := e.Checkpoint
		if cp == nil {
			return v.fail(e.Seq, "checkpoint without body")
		}
		if cp.HeadSeq != e.Seq-1 || cp.HeadHash != e.PrevHash {
			return v.fail(e.Seq, "checkpoint covers seq %d, not the entry before it", cp.HeadSeq)
		}
		if v.pub != nil {
			if len(cp.Signature) == 0 {
				return v.fail(e.Seq, "checkpoint not signed")
			}
			if !ed25519.Verify(v.pub, cp.message(v.session, e.Time), cp.Signature) {
				return v.fail(e.Seq, "bad checkpoint signature (wrong key, or the chain before it was rewritten)")
			}
		}
		v.lastCheckpoint = e.Seq
	} else if e.Event == nil || string(e.Event.Kind) != e.Kind || e.Event.SessionID != v.session {
		return v.fail(e.Seq, "body does not match the envelope")
	}
	v.prev = e.Hash
	v.last = e
	v.n++
	return nil
}

// end reports a record that does not end with a final checkpoint.
func (v *chainVerifier) end() error {
	last := v.last
	if last == nil {
		return &VerifyError{Reason: "empty record", Err: ErrUnterminated}
	}
	if last.Kind != KindCheckpoint || !last.Checkpoint.Final {
		return &VerifyError{SessionID: v.session, Index: v.n, Seq: last.Seq + 1, Err: ErrUnterminated,
			Reason: fmt.Sprintf("record ends at seq %d without a final checkpoint (last checkpoint at seq %d): cut off, or the session is still open", last.Seq, v.lastCheckpoint)}
	}
	return nil
}
