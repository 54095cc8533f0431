package record

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
)

// RechainForTest plays an attacker: it edits the entry at line from (its
// body's "stdout" becomes "stdOUT", or its time moves) and recomputes the
// hash of every later entry of the same session, re-signing checkpoints
// with priv when given.
func RechainForTest(lines [][]byte, from int, priv []byte) ([][]byte, error) {
	out := make([][]byte, len(lines))
	prev := ""
	session := ""
	for i, l := range lines {
		out[i] = l
		if i < from || bytes.HasPrefix(l, []byte(`{"format":`)) {
			continue
		}
		e, err := parseLine(l)
		if err != nil {
			return nil, err
		}
		if i == from {
			session = e.SessionID
			e.Time++
			prev = e.PrevHash
		} else if e.SessionID != session {
			continue
		}
		e.PrevHash = prev
		if e.Kind == KindCheckpoint {
			cp := *e.Checkpoint
			cp.HeadHash = prev
			if priv != nil {
				cp.Signature = ed25519.Sign(ed25519.PrivateKey(priv), cp.message(session, e.Time))
			}
			e.Body, _ = json.Marshal(cp)
		}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		b, err := appendLine(nil, e)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// NewHTTPBatchForTest encodes evs as a collector batch body.
func NewHTTPBatchForTest(evs []Event) []byte {
	var b []byte
	for i := range evs {
		b, _ = appendLine(b, &evs[i])
	}
	return b
}

// AppendLineForTest encodes e as one record line.
func AppendLineForTest(e *Event) []byte {
	b, _ := appendLine(nil, e)
	return b
}

// FailFileSyncs makes every later fsync of fs fail, as a failing disk would.
func FailFileSyncs(fs *File) {
	fs.flushMu.Lock()
	fs.syncFile = func(*os.File) error { return errors.New("input/output error") }
	fs.flushMu.Unlock()
}

// HoldFileSyncs makes every later fsync of fs wait until release is
// closed, telling started each time one begins: a disk slow to flush.
func HoldFileSyncs(fs *File, started chan<- struct{}, release <-chan struct{}) {
	fs.flushMu.Lock()
	fs.syncFile = func(f *os.File) error {
		started <- struct{}{}
		<-release
		return f.Sync()
	}
	fs.flushMu.Unlock()
}

// FileRing reports whether fs fsyncs in the background through io_uring,
// and closes that ring when breakRing is set, so that its next fsync
// fails.
func FileRing(fs *File, breakRing bool) bool {
	fs.flushMu.Lock()
	defer fs.flushMu.Unlock()
	if fs.syncer != nil && breakRing {
		fs.syncer.Close()
	}
	return fs.syncer != nil
}
