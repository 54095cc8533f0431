package record

import (
	"bytes"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash"
	"sync"

	"github.com/airlock-sdk/airlock/gate"
)

// Version is the version of the record format written by this package. It is
// part of every event's hash, so a reader can never mistake one format for
// another. Entries of a sink-level log are Version 2; VersionLegacy (1) is
// the format before sink integrity, still written when the log is turned
// off and still read. Because the version is hashed and signed, an entry
// of a log cannot be passed off as one from before sink integrity by
// stripping its log fields.
const Version = 2

// VersionLegacy is the record format before sink-level logs.
const VersionLegacy = 1

// KindCheckpoint is the Kind of a signed checkpoint entry. Every other Kind is
// a gate.EventKind.
const KindCheckpoint = "checkpoint"

// KindLogCheckpoint is the Kind of a sink-level log checkpoint entry (a
// LogCheckpoint note). These entries are stored under the session id
// "airlock-log/<log id>" (IsLogSession), chained by seq and prev hash like
// a session, and are not leaves of the log.
const KindLogCheckpoint = "log_checkpoint"

// Event is one entry of a session record: a gate.Event (or a signed
// Checkpoint) wrapped in an envelope that orders and chains it. In a file,
// a batch or the Postgres table it looks like this (one line):
//
//	{"v":2,"session":"3f9c…","seq":2,"prev":"9b1e…","hash":"c04a…","kind":"decision","ts":1764378000123456789,"log":"5e1a…","idx":41,
//	 "event":{"kind":"decision","session_id":"3f9c…","time":"2026-11-29T01:00:00.123456789Z",
//	          "identity":{"subject":"agent-7","kind":"agent"},
//	          "request":{"protocol":"postgres","command":"ALTER ROLE bob PASSWORD 'hmac-sha256:5d1f…'",…},
//	          "decision":{"id":"…","action":"deny","rule":"no-ddl","rules":["no-ddl"],"rule_set_version":"…",…}}}
//
// The event kinds and the fields each carries are gate.Event's: session_start
// and session_end (identity, protocol, target, client address; the end's
// reason and counters), decision (the request's command and attributes, the
// action, the matching rules, the reason, the rule-set version), the
// approval_* steps (approval id, reviewer, reason), output (the masked
// payload or chunk, findings, exit status) and error. Every body carries the
// session id, the UTC time with nanoseconds and the identity; the envelope
// adds the version, the sequence number and the chain.
//
// Body holds the exact JSON bytes that were hashed; Event and Checkpoint are
// its decoded form (exactly one is set). The chain is
//
//	Hash = SHA-256("airlock-record" | Version | SessionID | Seq | PrevHash | Kind | Time | Body)
//
// with every field length-prefixed, and PrevHash the Hash of the entry with
// Seq-1 in the same session ("" for Seq 1). Editing, removing or reordering
// an entry therefore breaks the chain at that entry; cutting the record off
// is caught by the signed checkpoint that ends every session.
type Event struct {
	// Version is the record format version (Version).
	Version int `json:"v"`
	// SessionID names the session; sequence numbers are per session.
	SessionID string `json:"session"`
	// Seq is 1 for the first entry of a session and grows by one.
	Seq uint64 `json:"seq"`
	// PrevHash is the hex SHA-256 of the previous entry ("" for Seq 1).
	PrevHash string `json:"prev"`
	// Hash is the hex SHA-256 of this entry.
	Hash string `json:"hash"`
	// Kind is a gate.EventKind or KindCheckpoint.
	Kind string `json:"kind"`
	// Time is the event's UTC time in Unix nanoseconds.
	Time int64 `json:"ts"`
	// Log names the sink-level log the entry belongs to ("" in records
	// written before sink integrity).
	Log string `json:"log,omitempty"`
	// Index is the entry's leaf index in its log (0-based); on a log
	// checkpoint entry, the tree size it covers.
	Index uint64 `json:"idx,omitempty"`
	// Body is the JSON of the gate.Event or Checkpoint, as hashed.
	Body json.RawMessage `json:"event"`

	// Event is Body decoded, for event entries.
	Event *gate.Event `json:"-"`
	// Checkpoint is Body decoded, for checkpoint entries.
	Checkpoint *Checkpoint `json:"-"`
	// LogCheckpoint is Body decoded, for log checkpoint entries.
	LogCheckpoint *LogCheckpoint `json:"-"`

	// sum is Hash in binary when summed (set by chain.next, which made
	// Hash from it): the entry's leaf in its log, not decoded back.
	sum    Hash
	summed bool
	// hashHex, prevHex and logHex are the strings this package made for
	// Hash, PrevHash and Log (lower-case hex, or empty), kept to tell
	// whether those fields still hold them (see appendPlain).
	hashHex, prevHex, logHex string
}

// logCheckpointBody is the stored body of a log checkpoint entry.
type logCheckpointBody struct {
	Note string `json:"note"`
}

// ComputeHash returns the hex SHA-256 of e's hashed fields (everything but
// Hash and the decoded forms).
func (e *Event) ComputeHash() string {
	return hashHex(e.computeSum())
}

// hashHex returns h in lower-case hex with one allocation (the string),
// where hex.EncodeToString makes two.
func hashHex(h Hash) string {
	var buf [2 * len(Hash{})]byte
	encodeHex(buf[:], h[:])
	return string(buf[:])
}

// hexPairs holds the lower-case hex of every byte, its two digits in one
// little-endian word.
var hexPairs = func() (t [256]uint16) {
	const digits = "0123456789abcdef"
	for c := range 256 {
		t[c] = uint16(digits[c>>4]) | uint16(digits[c&15])<<8
	}
	return t
}()

// encodeHex writes src to dst (2*len(src) bytes) in lower-case hex, as
// hex.Encode does: one table look-up a byte, eight digits a store.
func encodeHex(dst, src []byte) {
	dst = dst[:2*len(src)]
	for len(src) >= 4 {
		s := src[:4]
		binary.LittleEndian.PutUint64(dst, uint64(hexPairs[s[0]])|uint64(hexPairs[s[1]])<<16|
			uint64(hexPairs[s[2]])<<32|uint64(hexPairs[s[3]])<<48)
		src, dst = src[4:], dst[8:]
	}
	for i, c := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], hexPairs[c])
	}
}

func (e *Event) computeSum() Hash {
	p := hashInputs.Get().(*[]byte)
	b := e.appendHashInput((*p)[:0])
	sum := sha256.Sum256(b)
	if cap(b) <= maxPooledHashInput {
		*p = b
		hashInputs.Put(p)
	}
	return sum
}

// hashInputs holds buffers for the hashed bytes of an entry: hashing them
// in one piece with sha256.Sum256 allocates nothing, where a streaming
// hash.Hash allocates the state and every string it is given.
var hashInputs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

const maxPooledHashInput = 1 << 20

// appendHashInput appends the bytes the chain hash covers, encoded as
// internal/fieldhash encodes fields: every byte field preceded by its
// length and every number written in eight bytes, both big-endian.
func (e *Event) appendHashInput(b []byte) []byte {
	b = appendHashPrefix(b, e.Version, e.SessionID)
	b = binary.BigEndian.AppendUint64(b, e.Seq)
	b = appendHashField(b, e.PrevHash)
	b = appendHashField(b, e.Kind)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time))
	b = binary.BigEndian.AppendUint64(b, uint64(len(e.Body)))
	return append(b, e.Body...)
}

// appendHashField appends s as a field of the hashed bytes: its length,
// then s.
func appendHashField(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

// appendHashPrefix appends the start of the hashed bytes of every entry
// of session in format version: the same for all of them.
func appendHashPrefix(b []byte, version int, session string) []byte {
	b = appendHashField(b, "airlock-record")
	b = binary.BigEndian.AppendUint64(b, uint64(version))
	return appendHashField(b, session)
}

// prefixSum is a chain's SHA-256 state after the whole 64-byte blocks of
// the prefix all its entries' hashed bytes start with (appendHashPrefix;
// with a 32-character session id, the first block): an entry's hash goes
// on from there instead of hashing that block again. Entries are sealed
// one at a time (under Recorder.wmu), so one digest serves the chain.
type prefixSum struct {
	prefix []byte // the hashed bytes the state covers
	state  []byte // the digest's state after prefix (MarshalBinary)
	h      hash.Hash
	out    Hash // Sum's buffer: h.Sum on a stack array would allocate
}

// newPrefixSum returns the prefixSum of the entries of session in format
// version, or nil when their common prefix holds no whole block.
func newPrefixSum(version int, session string) *prefixSum {
	p := appendHashPrefix(nil, version, session)
	n := len(p) / sha256.BlockSize * sha256.BlockSize
	if n == 0 {
		return nil
	}
	h := sha256.New()
	h.Write(p[:n])
	state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil
	}
	return &prefixSum{prefix: p[:n], state: state, h: h}
}

// sum returns SHA-256(b), as sha256.Sum256(b) does, going on from the
// saved state when b starts with its prefix.
func (p *prefixSum) sum(b []byte) Hash {
	if p == nil || !bytes.HasPrefix(b, p.prefix) {
		return sha256.Sum256(b)
	}
	if err := p.h.(encoding.BinaryUnmarshaler).UnmarshalBinary(p.state); err != nil {
		return sha256.Sum256(b)
	}
	p.h.Write(b[len(p.prefix):])
	p.h.Sum(p.out[:0])
	return p.out
}

// Decode fills in Event, Checkpoint or LogCheckpoint from Body, by Kind. A
// Reader calls it for every entry it reads back (ignoring the error:
// Verify reports a body that does not decode).
func (e *Event) Decode() error { return e.decode() }

// decode fills in Event or Checkpoint from Body.
func (e *Event) decode() error {
	if e.Kind == KindLogCheckpoint {
		var b logCheckpointBody
		if err := json.Unmarshal(e.Body, &b); err != nil {
			return fmt.Errorf("record: decode log checkpoint %s/%d: %w", e.SessionID, e.Seq, err)
		}
		c, err := ParseLogCheckpoint([]byte(b.Note))
		if err != nil {
			return err
		}
		e.LogCheckpoint, e.Event, e.Checkpoint = c, nil, nil
		return nil
	}
	if e.Kind == KindCheckpoint {
		var c Checkpoint
		if err := json.Unmarshal(e.Body, &c); err != nil {
			return fmt.Errorf("record: decode checkpoint %s/%d: %w", e.SessionID, e.Seq, err)
		}
		e.Checkpoint, e.Event = &c, nil
		return nil
	}
	var g gate.Event
	if err := json.Unmarshal(e.Body, &g); err != nil {
		return fmt.Errorf("record: decode event %s/%d: %w", e.SessionID, e.Seq, err)
	}
	e.Event, e.Checkpoint = &g, nil
	return nil
}

// chain is the running state of one session's hash chain.
type chain struct {
	// pre hashes the prefix common to the chain's entries once (see
	// prefixSum; nil: none), made for preSession and preVersion when
	// preMade.
	pre        *prefixSum
	preMade    bool
	preSession string
	preVersion int
	// version of the entries it seals; zero means Version.
	version int
	seq     uint64
	head    string
	since   int  // entries since the last checkpoint
	ended   bool // a final checkpoint was sealed
	// lastCheckpoint is when the last checkpoint was sealed (Unix ns), or
	// when the chain started.
	lastCheckpoint int64
	// hex makes the entries' hex hashes (nil: hashHex, one allocation
	// each); the chain's owner guards it as it guards the chain.
	hex *hexArena
}

// next seals a new entry with kind, time and body onto the chain.
func (c *chain) next(session, kind string, t int64, body []byte) Event {
	var e Event
	c.nextInto(&e, session, kind, t, body)
	return e
}

// nextInto is next writing the entry into *e, which holds the zero Event
// (an Event is some thirty words: the caller's slot is written in place,
// not a copy of it made and copied again).
func (c *chain) nextInto(e *Event, session, kind string, t int64, body []byte) {
	v := c.version
	if v == 0 {
		v = Version
	}
	e.Version, e.SessionID, e.Seq, e.PrevHash, e.Kind, e.Time, e.Body = v, session, c.seq+1, c.head, kind, t, body
	if !c.preMade || c.preSession != session || c.preVersion != v {
		c.pre, c.preMade, c.preSession, c.preVersion = newPrefixSum(v, session), true, session, v
	}
	pb := hashInputs.Get().(*[]byte)
	b := e.appendHashInput((*pb)[:0])
	e.sum, e.summed = c.pre.sum(b), true
	if cap(b) <= maxPooledHashInput {
		*pb = b
		hashInputs.Put(pb)
	}
	if c.hex != nil {
		e.Hash = c.hex.hex(e.sum)
	} else {
		e.Hash = hashHex(e.sum)
	}
	e.hashHex, e.prevHex = e.Hash, e.PrevHash
	c.seq, c.head = e.Seq, e.Hash
}
