package record

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// SessionProof is one session taken out of a record, with an RFC 6962
// inclusion proof of each entry against a signed log checkpoint, so that
// an auditor can be handed one session and check it alone
// (VerifySessionProof): nothing of it edited, nothing of it left out.
//
// Its file is the JSON that MarshalSessionProof writes, byte for byte:
// VerifySessionProof refuses any other encoding of the same content, so
// that no byte of a proof file can change unnoticed.
type SessionProof struct {
	Format  string `json:"format"` // "airlock-session-proof"
	Version int    `json:"v"`
	Session string `json:"session"`
	// Checkpoint is the signed note of the log checkpoint the proofs are
	// against.
	Checkpoint string       `json:"checkpoint"`
	Entries    []ProofEntry `json:"entries"`
}

// ProofEntry is one record line and its audit path.
type ProofEntry struct {
	// Line is the entry as a record file stores it, without the newline.
	Line string `json:"line"`
	// Proof is the audit path, hex hashes, leaf to root.
	Proof []string `json:"proof"`
}

const proofFormat = "airlock-session-proof"

// MarshalSessionProof returns the file form of p.
func MarshalSessionProof(p *SessionProof) ([]byte, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("record: encode proof: %w", err)
	}
	return append(b, '\n'), nil
}

// ProveSession builds the proof of one session from a whole record: it
// reads every entry of the session's log and picks the newest checkpoint
// that covers the whole session and matches the record.
func ProveSession(ctx context.Context, r StoredReader, session string) (*SessionProof, error) {
	var evs []Event
	var lines [][]byte
	logID := ""
	var leaves []Hash
	var cps []*LogCheckpoint
	// First pass: the session's entries name its log.
	for e, err := range r.Stored(ctx) {
		if err != nil {
			return nil, err
		}
		if e.SessionID == session {
			if e.Log == "" {
				return nil, fmt.Errorf("record: session %s predates sink integrity: no proof can be made", session)
			}
			if logID != "" && e.Log != logID {
				return nil, fmt.Errorf("record: session %s spans two logs", session)
			}
			logID = e.Log
		}
	}
	if logID == "" {
		return nil, fmt.Errorf("record: session %q not found", session)
	}
	for e, err := range r.Stored(ctx) {
		if err != nil {
			return nil, err
		}
		if e.Log != logID {
			continue
		}
		if e.Kind == KindLogCheckpoint {
			if e.LogCheckpoint != nil {
				cps = append(cps, e.LogCheckpoint)
			}
			continue
		}
		if e.Index != uint64(len(leaves)) {
			return nil, fmt.Errorf("record: log %s: entry %d missing or out of order; verify the record", logID, len(leaves))
		}
		sum := e.computeSum()
		leaves = append(leaves, sum)
		if e.SessionID == session {
			line, err := appendLine(nil, &e)
			if err != nil {
				return nil, err
			}
			evs = append(evs, e)
			lines = append(lines, bytes.TrimSuffix(line, []byte("\n")))
		}
	}
	last := evs[len(evs)-1].Index
	var cp *LogCheckpoint
	for i := len(cps) - 1; i >= 0; i-- {
		c := cps[i]
		if c.Size > last && c.Size <= uint64(len(leaves)) && treeRoot(leaves[:c.Size]) == c.Root {
			cp = c
			break
		}
	}
	if cp == nil {
		return nil, fmt.Errorf("record: no signed checkpoint of log %s covers session %s yet", logID, session)
	}
	p := &SessionProof{Format: proofFormat, Version: 1, Session: session, Checkpoint: string(cp.Note())}
	for i, e := range evs {
		path, err := InclusionProof(leaves[:cp.Size], e.Index)
		if err != nil {
			return nil, err
		}
		pe := ProofEntry{Line: string(lines[i]), Proof: make([]string, len(path))}
		for j, h := range path {
			pe.Proof[j] = hex.EncodeToString(h[:])
		}
		p.Entries = append(p.Entries, pe)
	}
	return p, nil
}

// ProofResult is what a verified session proof establishes.
type ProofResult struct {
	Session string
	Entries []Event
	// Checkpoint is the signed checkpoint the entries are included in.
	Checkpoint *LogCheckpoint
	// Complete is set when the session ended (its final checkpoint is in
	// the proof); otherwise Open says where it stops.
	Complete bool
	Open     string
}

// VerifySessionProof checks a proof file alone against the record's
// public key: its exact encoding, the checkpoint's signature, every
// entry's hash and inclusion, and the session's chain from its first
// entry. A session that had not ended yet is returned with Complete unset.
func VerifySessionProof(data []byte, pub ed25519.PublicKey) (*ProofResult, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrProof, fmt.Sprintf(format, args...))
	}
	var p SessionProof
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, bad("not a session proof: %v", err)
	}
	canon, err := MarshalSessionProof(&p)
	if err != nil || !bytes.Equal(canon, data) {
		return nil, bad("the file differs from the canonical encoding of its content (altered)")
	}
	if p.Format != proofFormat || p.Version != 1 || len(p.Entries) == 0 {
		return nil, bad("format %q version %d with %d entries", p.Format, p.Version, len(p.Entries))
	}
	cp, err := ParseLogCheckpoint([]byte(p.Checkpoint))
	if err != nil {
		return nil, err
	}
	if pub == nil {
		return nil, errors.New("record: a public key is required")
	}
	if err := cp.Verify(pub); err != nil {
		return nil, err
	}
	res := &ProofResult{Session: p.Session, Checkpoint: cp}
	for i, pe := range p.Entries {
		e, err := parseLine([]byte(pe.Line))
		if err != nil || e == nil {
			return nil, bad("entry %d does not parse: %v", i, err)
		}
		if line, err := appendLine(nil, e); err != nil || string(line) != pe.Line+"\n" {
			return nil, bad("entry %d is not in canonical form (altered)", i)
		}
		if e.SessionID != p.Session || e.Log != cp.logID() {
			return nil, bad("entry %d belongs to session %q of log %q", i, e.SessionID, e.Log)
		}
		sum := e.computeSum()
		if hex.EncodeToString(sum[:]) != e.Hash {
			return nil, bad("entry %d (seq %d): hash mismatch: entry edited", i, e.Seq)
		}
		path := make([]Hash, len(pe.Proof))
		for j, s := range pe.Proof {
			b, err := hex.DecodeString(s)
			if err != nil || len(b) != len(Hash{}) || hex.EncodeToString(b) != s {
				return nil, bad("entry %d: malformed proof hash %d", i, j)
			}
			path[j] = Hash(b)
		}
		if err := VerifyInclusion(sum, e.Index, cp.Size, path, cp.Root); err != nil {
			return nil, fmt.Errorf("record: entry %d (seq %d): %w", i, e.Seq, err)
		}
		res.Entries = append(res.Entries, *e)
	}
	err = Verify(res.Entries, pub)
	var ve *VerifyError
	switch {
	case err == nil:
		res.Complete = true
	case errors.Is(err, ErrUnterminated) && errors.As(err, &ve):
		res.Open = ve.Reason
	default:
		return nil, err
	}
	return res, nil
}
