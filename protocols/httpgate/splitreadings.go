package httpgate

import (
	"fmt"

	"github.com/airlock-sdk/airlock/internal/packed"
	"github.com/airlock-sdk/airlock/mask"
)

// A client of a token stream joins the deltas of a field (or the data of
// events) and decodes what they spell: a base85 run or a protobuf field
// cut across records is whole only there. Under a rule's mask, sseMasker
// keeps, per field it follows, the end of the data joined so far from
// where its last run of base85 characters starts (and protoHold bytes
// before it, for protobuf framing), up to maxJoinedRun bytes, and reads
// it with each new piece as the body's readings read one record
// (protofields.go, base85.go); a value found ends the stream. Runs that
// ended before a piece were read with it already.

// maxJoinedRun bounds the joined data kept per field (a compressed value
// of some 1.5 KiB in base85). A run longer than that cannot be read
// whole as a client decodes it: the piece that makes a run spanning
// pieces longer, and every piece that continues a run kept only in part,
// is cut (redacted), so the client never gets more of a run than was
// read from its start.
const maxJoinedRun = 2 << 10

// joinedReadings reads piece s of the field at path joined to what the
// field sent before; it reports whether s must be cut (see maxJoinedRun).
func (m *sseMasker) joinedReadings(path, s string) (bool, error) {
	if m.runs == nil {
		m.runs = map[string]string{}
		m.runCut = map[string]bool{}
	}
	prev, known := m.runs[path]
	if !known && len(m.runs) >= sseMaxFields {
		path, prev = "", m.runs[""]
	}
	if m.runCut[path] {
		if s != "" && base85Char(s[0]) {
			return true, nil
		}
		// The run ended: what the client decodes of it was read.
		delete(m.runCut, path)
		prev = ""
	}
	joined := prev + s
	at := len(prev)
	end := len(joined)
	last := end
	for last > 0 && base85Char(joined[last-1]) {
		last--
	}
	if last < at && end-last > maxJoinedRun-protoHold {
		// A run across the join too long to be read whole.
		m.runs[path] = ""
		m.runCut[path] = true
		return true, nil
	}
	start := at
	for start > 0 && base85Char(joined[start-1]) {
		start--
	}
	from := max(0, start-protoHold)
	if prev != "" {
		text := []byte(joined[from:])
		if packed.ProtoGlued(text, m.p.Finds) {
			return false, errProtoField
		}
		// The run near the join is read whole (a value decoded there
		// spans it); the run from its start only for packed data, whose
		// stream starts there (what bytes decoded from ordinary text
		// read as text holds false alarms in proportion to its length,
		// and a field of records, not deltas, joins into long runs).
		near := max(start, at-base85Behind)
		if len(joined)-near >= packed.MinBase85Run {
			if err := refuseBase85(m.p, []byte(joined[near:]), &m.decodes); err != nil {
				return false, err
			}
		}
		if near > start {
			if err := refusePackedBase85(m.p, []byte(joined[start:])); err != nil {
				return false, err
			}
		}
	}
	// Keep what the next piece may join: the last run and the framing
	// before it; a run of this piece alone too long to keep whole cuts
	// the pieces that continue it.
	if end-last > maxJoinedRun-protoHold {
		m.runCut[path] = true
	}
	m.runs[path] = joined[max(0, last-protoHold, end-maxJoinedRun):]
	return false, nil
}

// base85Char reports whether c is a character of a base85 alphabet
// (ASCII85's, Z85's or RFC 1924's: printable ASCII but the space, and
// ASCII85's line breaks).
func base85Char(c byte) bool { return c > ' ' && c < 0x7f || c == '\n' || c == '\r' }

// refusePackedBase85 returns the error that refuses text one of whose
// base85 runs decodes to packed data holding a value, or nil.
func refusePackedBase85(p *mask.Policy, text []byte) error {
	var found bool
	var err error
	packed.Base85Runs(text, func(dec []byte) bool {
		err = packed.UnpackDecoded(dec, maxBase85Unpacked, func(in []byte) bool {
			found = packed.TextRun(in, packed.MinValueRun) && findsIn(p, in)
			return found
		})
		return found || err != nil
	})
	switch {
	case found:
		return fmt.Errorf("%w: base85 text joined across records decodes to compressed data with a value the masker reads", errUnmaskable)
	case err != nil:
		return fmt.Errorf("%w: base85 text joined across records decodes to %w", errUnmaskable, err)
	}
	return nil
}
