package packed

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"sync"
)

// An encoded run's payload need not start the run: text glued before it
// in the run's alphabet (a JSON key, a label, a long prefix in the same
// string) joins the run, and a client that knows where the payload
// starts decodes it from there. Each character a payload may start at
// is, in one of the decodes (one per group offset), a group boundary:
// UnpackDecoded probes each boundary of a decode for packed data, and
// inflates only what starts there (Unpack, which inflates at every byte
// offset a block's structure may start, would read bytes decoded from
// ordinary text four times as often, and each time the rest of the
// decode).

// nearStart is how far into a decode (in bytes: the first groups, and a
// keyword's before them) a short signature (two bytes: a zlib header, a
// gzip magic) still counts as packed data: further on, in bytes decoded
// from any text, it is chance.
const nearStart = 16

// inflater holds an inflater reused by UnpackDecoded.
type inflater struct {
	fr  io.ReadCloser
	src bytes.Reader
}

var inflaters = sync.Pool{New: func() any { return new(inflater) }}

// inflate returns what the raw deflate b starts with inflates to, at
// most limit bytes (ErrOpaque past them): to its end, or to where it is
// cut short or corrupt (a payload glued to a character after it, whose
// last group then decodes otherwise), as much as a client reads; and
// whether it ended otherwise than with its final block (corrupt, or cut
// short).
func inflate(b []byte, limit int) ([]byte, bool, error) {
	f := inflaters.Get().(*inflater)
	defer inflaters.Put(f)
	f.src.Reset(b)
	if f.fr == nil {
		f.fr = flate.NewReader(&f.src)
	} else if err := f.fr.(flate.Resetter).Reset(&f.src, nil); err != nil {
		return nil, true, nil
	}
	out, err := io.ReadAll(io.LimitReader(f.fr, int64(limit)+1))
	if len(out) > limit {
		return nil, false, fmt.Errorf("%w: raw deflate data unpacks to more than the bytes searched", ErrOpaque)
	}
	return out, err != nil, nil
}

// UnpackDecoded calls visit with what packed data starting at a group
// boundary of dec, the bytes one offset of an encoded run decodes to,
// unpacks to, and what that holds in turn (Unpack), until visit returns
// true; at most limit bytes unpacked in all. Signatures count near dec's
// start, and past it those of three bytes or more (Magic); raw deflate
// and zlib count where their structure may start a stream (MayStart).
// Packed data that cannot be searched where a signature starts is
// ErrOpaque (wrapped).
func UnpackDecoded(dec []byte, limit int, visit func(unpacked []byte) bool) error {
	stop := false
	judge := func(out []byte, unended bool) error {
		if len(out) < minInflated {
			return nil
		}
		limit -= len(out)
		if visit(out) {
			stop = true
			return nil
		}
		if unended {
			// Most often bytes that only looked like a block's start,
			// which inflate to random bytes, some of them long, up to a
			// corrupt code or the decode's end: what they hold is not
			// searched for packed data in turn (a stream nested in a
			// stream is, when the outer one ends).
			return nil
		}
		// Packed data that cannot be searched there (nesting too deep,
		// a signature) is most often chance too; what can be is
		// searched.
		_ = Unpack(out, limit, func(in []byte) bool {
			stop = visit(in)
			return stop
		})
		return nil
	}
	for at := 0; at+4 <= len(dec) && !stop; at += 4 {
		b := dec[at:]
		if m := Magic(b, at > nearStart); m != "" && m != "zlib" {
			err := Unpack(b, limit, func(in []byte) bool {
				stop = visit(in)
				return stop
			})
			if err != nil {
				return fmt.Errorf("decoded bytes %d on: %w", at, err)
			}
			continue
		}
		for _, s := range [2][]byte{b, b[2:]} {
			if len(s) == len(b)-2 && !(zlibCheck(b) && b[0]&0x0f == 8) {
				break
			}
			if stop || !deflateStart(s, false) {
				continue
			}
			out, unended, err := inflate(s, limit)
			if err == nil {
				err = judge(out, unended)
			}
			if err != nil {
				return fmt.Errorf("decoded bytes %d on: %w", at, err)
			}
		}
	}
	return nil
}

// MinValueRun is the fewest characters in a row a value the detectors
// find takes: bytes decoded from a run in the wrong alphabet or offset
// (random bytes) seldom hold as many printable ones.
const MinValueRun = 8

// TextRun reports whether b holds n printable characters (or white
// space) in a row.
func TextRun(b []byte, n int) bool {
	k := 0
	for _, c := range b {
		if c >= 0x20 && c < 0x7f || c == '\t' || c == '\n' || c == '\r' {
			if k++; k >= n {
				return true
			}
		} else {
			k = 0
		}
	}
	return false
}

// DecodedFinds reports whether finds reads a value in dec, the bytes an
// encoded run decodes to (when they hold MinValueRun printable
// characters in a row), or in what packed data in them unpacks to
// (UnpackDecoded, at most limit bytes); err is packed data there that
// cannot be searched. Both gateways read decoded runs so.
func DecodedFinds(dec []byte, limit int, finds func([]byte) bool) (found bool, err error) {
	if TextRun(dec, MinValueRun) && finds(dec) {
		return true, nil
	}
	err = UnpackDecoded(dec, limit, func(in []byte) bool {
		found = TextRun(in, MinValueRun) && finds(in)
		return found
	})
	if found {
		return true, nil
	}
	return false, err
}

// Base85Finds reports whether finds reads a value in what a base85 run
// of text decodes to, or unpacks to (DecodedFinds, at most limit bytes
// unpacked per decode); err is packed data in a run that cannot be
// searched.
func Base85Finds(text []byte, limit int, finds func([]byte) bool) (found bool, err error) {
	Base85Runs(text, func(dec []byte) bool {
		found, err = DecodedFinds(dec, limit, finds)
		return found || err != nil
	})
	return found, err
}
