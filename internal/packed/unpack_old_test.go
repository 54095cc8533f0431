package packed

import (
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
)

// oldUnpacker is Unpack as it was before its work was bounded (every
// accepted raw deflate start inflated and its output visited and walked,
// however many times the same bytes came out): the oracle of
// TestUnpackAgreesWithOld, and the "before" of the adversarial
// measurements. The PDF reader is shared (it charges the embedded
// unpacker's budget, which is this one's).
type oldUnpacker struct {
	unpacker
	// work counts what was done: bytes inflated or read unpacked,
	// compressed bytes consumed by raw deflate, bytes visited, bytes walked.
	inflated, consumed, visited, walked int
	// pdfDone: a PDF's streams were read (in any layer, as it was: a PDF
	// in a later layer went unread).
	pdfDone bool
}

// unpackOld is Unpack as it was.
func unpackOld(data []byte, limit int, visit func([]byte) bool) (*oldUnpacker, error) {
	u := &oldUnpacker{unpacker: unpacker{budget: limit, visit: visit}}
	return u, u.walk(data, 0)
}

func (u *oldUnpacker) walk(data []byte, depth int) error {
	u.walked += len(data)
	var heads printableHeads
	for i := 0; i < len(data) && !u.done; i++ {
		if i = heads.skip(data, i); i == len(data) {
			break
		}
		b := data[i:]
		var (
			r    io.Reader
			name string
		)
		switch m := embeddedMagic(b, false); m {
		case "":
		case "gzip":
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				continue
			}
			zr.Multistream(false)
			r, name = zr, m
		case "bzip2":
			r, name = bzip2.NewReader(bytes.NewReader(b)), m
		case "zip":
			zr, err := zipMember(b)
			if err != nil {
				return err
			}
			if zr == nil {
				continue
			}
			r, name = zr, m
		case "PDF":
			if u.pdfDone {
				continue
			}
			u.pdfDone = true
			err := u.pdfStreams(b, func(out []byte) error { return u.layer(out, depth) })
			if err != nil {
				return err
			}
			continue
		case "OLE2", "SQLite", "Avro", "Java serialization", "Parquet":
			continue
		default:
			return fmt.Errorf("%w: %s data", ErrOpaque, m)
		}
		if r == nil && zlibCandidate(b) && zlibCheck(b) {
			if u.tries++; u.tries > maxCandidates+i>>12 {
				return fmt.Errorf("%w: more than %d zlib headers", ErrOpaque, maxCandidates)
			}
			zr, err := zlib.NewReader(bytes.NewReader(b))
			if err != nil {
				continue
			}
			r, name = zr, "zlib"
		}
		if r == nil && !heads.at(data, i) && deflateStart(b, false) {
			out, err := u.inflateAt(b)
			if err != nil {
				return err
			}
			if out != nil {
				if err := u.layer(out, depth); err != nil {
					return err
				}
			}
			continue
		}
		if r == nil && encodedChar(b[0]) && (i == 0 || !alnum(data[i-1])) {
			stretch := i == 0 || !encodedChar(data[i-1])
			if dec := decodeRun(b, stretch); dec != nil {
				if err := u.walkEncoded(dec, depth); err != nil {
					return err
				}
				continue
			}
			if stretch {
				if err := u.walkStretch(b, depth); err != nil {
					return err
				}
			}
		}
		if r == nil {
			continue
		}
		out, err := u.read(r, name)
		if err != nil {
			return err
		}
		if err := u.layer(out, depth); err != nil {
			return err
		}
	}
	return nil
}

func (u *oldUnpacker) walkEncoded(dec []byte, depth int) error {
	if depth >= maxDepth {
		return fmt.Errorf("%w: nested more than %d deep", ErrOpaque, maxDepth)
	}
	u.visited += len(dec)
	if u.visit(dec) {
		u.done = true
		return nil
	}
	sub := &oldUnpacker{unpacker: unpacker{budget: u.budget, visit: u.visit, tries: u.tries, strict: true, fr: u.fr},
		inflated: u.inflated, consumed: u.consumed, visited: u.visited, walked: u.walked}
	err := sub.walk(dec, depth+1)
	u.budget, u.done, u.tries, u.fr = sub.budget, sub.done, sub.tries, sub.fr
	u.inflated, u.consumed, u.visited, u.walked = sub.inflated, sub.consumed, sub.visited, sub.walked
	return err
}

func (u *oldUnpacker) walkStretch(b []byte, depth int) error {
	n := 0
	for n < len(b) && encodedChar(b[n]) {
		n++
	}
	if n < minStretch {
		return nil
	}
	if depth >= maxDepth {
		return fmt.Errorf("%w: nested more than %d deep", ErrOpaque, maxDepth)
	}
	for enc := range 3 {
		if dec := decodeAll(enc, b[:n]); len(dec)*2 >= n {
			return u.walk(dec, depth+1)
		}
	}
	return nil
}

func (u *oldUnpacker) layer(out []byte, depth int) error {
	if depth >= maxDepth {
		return fmt.Errorf("%w: nested more than %d deep", ErrOpaque, maxDepth)
	}
	u.visited += len(out)
	if u.visit(out) {
		u.done = true
		return nil
	}
	return u.walk(out, depth+1)
}

func (u *oldUnpacker) read(r io.Reader, name string) ([]byte, error) {
	out, err := io.ReadAll(io.LimitReader(r, int64(u.budget)+1))
	u.inflated += len(out)
	if len(out) > u.budget {
		return nil, fmt.Errorf("%w: %s data unpacks to more than the bytes searched", ErrOpaque, name)
	}
	u.budget -= len(out)
	if err != nil && u.strict {
		return nil, fmt.Errorf("%w: encoded %s data cut short: %v", ErrOpaque, name, err)
	}
	return out, nil
}

func (u *oldUnpacker) inflateAt(b []byte) ([]byte, error) {
	src := bytes.NewReader(b)
	if u.fr == nil {
		u.fr = flate.NewReader(src)
	} else if err := u.fr.(flate.Resetter).Reset(src, nil); err != nil {
		return nil, nil
	}
	out, _ := io.ReadAll(io.LimitReader(u.fr, int64(u.budget)+1))
	u.inflated += len(out)
	u.consumed += len(b) - src.Len()
	if len(out) > u.budget {
		return nil, fmt.Errorf("%w: raw deflate data unpacks to more than the bytes searched", ErrOpaque)
	}
	if len(out) < minInflated {
		return nil, nil
	}
	u.budget -= len(out)
	return out, nil
}
