package record

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Checkpoint is a signed statement over a session's chain head: "the session
// had exactly HeadSeq entries, the last with hash HeadHash". The Recorder
// writes one every Options.CheckpointEvery entries and one with Final set
// right after the session_end event, so a record cut off after its last
// checkpoint is detected. A checkpoint is itself an entry of the chain.
type Checkpoint struct {
	// HeadSeq and HeadHash name the entry the checkpoint covers: the one
	// just before it in the chain.
	HeadSeq  uint64 `json:"head_seq"`
	HeadHash string `json:"head_hash"`
	// Final is set on the checkpoint written at session end.
	Final bool `json:"final,omitempty"`
	// KeyID identifies the signing key (see KeyID).
	KeyID string `json:"key_id,omitempty"`
	// Signature is the Ed25519 signature of the checkpoint message; empty when
	// the recorder has no signing key.
	Signature []byte `json:"sig,omitempty"`
}

// message is what the signature covers: the session, the head, finality and
// the checkpoint entry's own time.
func (c Checkpoint) message(session string, t int64) []byte {
	var b []byte
	b = append(b, "airlock-record-checkpoint/v1\x00"...)
	b = binary.BigEndian.AppendUint64(b, uint64(len(session)))
	b = append(b, session...)
	b = binary.BigEndian.AppendUint64(b, c.HeadSeq)
	b = binary.BigEndian.AppendUint64(b, uint64(len(c.HeadHash)))
	b = append(b, c.HeadHash...)
	if c.Final {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(t))
	return b
}

func marshalCheckpoint(c Checkpoint) ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("record: encode checkpoint: %w", err)
	}
	return b, nil
}

// KeyID returns the identifier of a checkpoint public key: the first 16 bytes
// of its SHA-256, in hex.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:16])
}
