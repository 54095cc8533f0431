package record

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// LogCheckpoint is a signed tree head of a sink-level log, in the C2SP
// tlog-checkpoint text format wrapped in a C2SP signed note:
//
//	airlock.record/3f9c0a1b2c3d4e5f        origin: names the log
//	4096                                    tree size (entries covered)
//	pP9m2Ty…=                               base64 RFC 6962 root hash
//	time 1764378000123456789                extension lines: when,
//	prev 9b1e…                              SHA-256 of the previous checkpoint's note
//	final                                   (only on the one written at Close)
//
//	— airlock-record-5d1f… AbCd…            signature line
//
// Prev chains the checkpoints of a log, and the first checkpoint of a log
// to the newest one the sink held when the log started, as CloudTrail's
// digest files chain: a deleted checkpoint, or a deleted earlier log,
// breaks the chain.
type LogCheckpoint struct {
	Origin string
	Size   uint64
	Root   Hash
	// Time is when the checkpoint was made (Unix ns).
	Time int64
	// Prev is the SHA-256 of the previous checkpoint's full note; zero for
	// the first checkpoint of the first log of a sink.
	Prev Hash
	// Final marks the checkpoint written when the recorder closed: the log
	// ends here.
	Final bool
	// KeyName names the signing key in the signature line.
	KeyName string
	// Signature is the Ed25519 signature of Text().
	Signature []byte
}

// OriginPrefix starts the origin line of every sink-level log.
const OriginPrefix = "airlock.record/"

// KeyName returns the signed-note key name of a record public key.
func KeyName(pub ed25519.PublicKey) string { return "airlock-record-" + KeyID(pub) }

// noteKeyHash is the C2SP signed-note key ID of an Ed25519 key:
// SHA-256(name || "\n" || 0x01 || pub)[:4].
func noteKeyHash(name string, pub ed25519.PublicKey) [4]byte {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', 1})
	h.Write(pub)
	var out [4]byte
	copy(out[:], h.Sum(nil))
	return out
}

// Text returns the checkpoint body that the signature covers.
func (c *LogCheckpoint) Text() []byte {
	var b []byte
	b = append(b, c.Origin...)
	b = append(b, '\n')
	b = strconv.AppendUint(b, c.Size, 10)
	b = append(b, '\n')
	b = base64.StdEncoding.AppendEncode(b, c.Root[:])
	b = append(b, "\ntime "...)
	b = strconv.AppendInt(b, c.Time, 10)
	b = append(b, "\nprev "...)
	b = hex.AppendEncode(b, c.Prev[:])
	b = append(b, '\n')
	if c.Final {
		b = append(b, "final\n"...)
	}
	return b
}

// Note returns the whole signed note: text, blank line, signature line.
func (c *LogCheckpoint) Note() []byte {
	b := c.Text()
	b = append(b, "\n\u2014 "...)
	b = append(b, c.KeyName...)
	b = append(b, ' ')
	return append(b, c.Signature...)
}

// NoteHash is the SHA-256 of the checkpoint's note, what the next one's
// Prev holds.
func (c *LogCheckpoint) NoteHash() Hash { return sha256.Sum256(c.Note()) }

// sign fills in KeyName and the signature line's payload.
func (c *LogCheckpoint) sign(priv ed25519.PrivateKey) {
	pub := priv.Public().(ed25519.PublicKey)
	c.KeyName = KeyName(pub)
	kh := noteKeyHash(c.KeyName, pub)
	sig := ed25519.Sign(priv, c.Text())
	raw := append(kh[:], sig...)
	c.Signature = base64.StdEncoding.AppendEncode(nil, raw)
	c.Signature = append(c.Signature, '\n')
}

// ErrBadCheckpoint is wrapped by the errors of checkpoints that do not
// parse or whose signature does not verify.
var ErrBadCheckpoint = errors.New("record: bad log checkpoint")

// ParseLogCheckpoint parses a signed checkpoint note strictly: a note that
// differs from what Note would write for the parsed value, by one byte, is
// refused. It does not check the signature (Verify does).
func ParseLogCheckpoint(note []byte) (*LogCheckpoint, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadCheckpoint, fmt.Sprintf(format, args...))
	}
	if !utf8.Valid(note) {
		return nil, bad("not UTF-8")
	}
	text, sigs, ok := bytes.Cut(note, []byte("\n\n"))
	if !ok {
		return nil, bad("no signature block")
	}
	text = append(text, '\n')
	lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
	if len(lines) < 5 {
		return nil, bad("%d lines, want origin, size, root, time and prev", len(lines))
	}
	c := &LogCheckpoint{Origin: lines[0]}
	if !strings.HasPrefix(c.Origin, OriginPrefix) || len(c.Origin) == len(OriginPrefix) {
		return nil, bad("origin %q is not an airlock record log", c.Origin)
	}
	var err error
	if c.Size, err = strconv.ParseUint(lines[1], 10, 64); err != nil {
		return nil, bad("size %q", lines[1])
	}
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != len(c.Root) {
		return nil, bad("root hash %q", lines[2])
	}
	copy(c.Root[:], root)
	ts, ok := strings.CutPrefix(lines[3], "time ")
	if c.Time, err = strconv.ParseInt(ts, 10, 64); !ok || err != nil {
		return nil, bad("time line %q", lines[3])
	}
	ph, ok := strings.CutPrefix(lines[4], "prev ")
	prev, err := hex.DecodeString(ph)
	if !ok || err != nil || len(prev) != len(c.Prev) {
		return nil, bad("prev line %q", lines[4])
	}
	copy(c.Prev[:], prev)
	switch {
	case len(lines) == 6 && lines[5] == "final":
		c.Final = true
	case len(lines) != 5:
		return nil, bad("unknown extension line %q", lines[5])
	}
	sigLine, ok := strings.CutPrefix(string(sigs), "\u2014 ")
	if !ok || !strings.HasSuffix(sigLine, "\n") || strings.Count(sigLine, "\n") != 1 {
		return nil, bad("want one signature line")
	}
	name, sig, ok := strings.Cut(strings.TrimSuffix(sigLine, "\n"), " ")
	if !ok || name == "" {
		return nil, bad("signature line")
	}
	c.KeyName, c.Signature = name, []byte(sig+"\n")
	if !bytes.Equal(c.Note(), note) {
		return nil, bad("not in canonical form")
	}
	return c, nil
}

// Verify checks the signature line against pub.
func (c *LogCheckpoint) Verify(pub ed25519.PublicKey) error {
	if c.KeyName != KeyName(pub) {
		return fmt.Errorf("%w: signed by key %q, not by %s", ErrBadCheckpoint, c.KeyName, KeyName(pub))
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(strings.TrimSuffix(string(c.Signature), "\n"))
	if err != nil || len(raw) != 4+ed25519.SignatureSize {
		return fmt.Errorf("%w: malformed signature", ErrBadCheckpoint)
	}
	if kh := noteKeyHash(c.KeyName, pub); !bytes.Equal(raw[:4], kh[:]) {
		return fmt.Errorf("%w: key hash does not match the key", ErrBadCheckpoint)
	}
	if !ed25519.Verify(pub, c.Text(), raw[4:]) {
		return fmt.Errorf("%w: signature does not verify", ErrBadCheckpoint)
	}
	return nil
}

// logID returns the log name of the origin (the part after OriginPrefix).
func (c *LogCheckpoint) logID() string { return strings.TrimPrefix(c.Origin, OriginPrefix) }

// logSession is the session id under which a log's checkpoints are stored
// in a sink (they chain like a session's entries, by seq and prev hash).
func logSession(logID string) string { return "airlock-log/" + logID }

// IsLogSession reports whether a stored session id holds a log's
// checkpoints rather than a gated session.
func IsLogSession(id string) bool { return strings.HasPrefix(id, "airlock-log/") }

// leafOf returns the log leaf hash of an entry. It is the entry's own
// Hash: ComputeHash is SHA-256 over a length-prefixed encoding of the
// entry's fields that starts with the 8-byte length of "airlock-record",
// whose first byte is 0x00, so Hash = SHA-256(0x00 || rest), the RFC 6962
// leaf hash of the leaf input rest (the entry, every field of it). The
// caller has checked (or made) Hash.
func leafOf(e *Event) (Hash, bool) {
	if e.summed {
		return e.sum, true
	}
	var leaf Hash
	if len(e.Hash) != 2*sha256.Size {
		return leaf, false
	}
	if _, err := hex.Decode(leaf[:], []byte(e.Hash)); err != nil {
		return Hash{}, false
	}
	return leaf, true
}
