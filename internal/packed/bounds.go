package packed

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/maphash"
)

// Unpack's work must stay near-linear in its input, and within a small
// constant times the bytes it unpacks: a gateway runs it on every
// response. Bytes that repeat a short unit ("a-a-a-…", or its base64)
// hold raw deflate starts all along them, and the same stream's bytes at
// each period: inflated, visited and walked each time, they spent the
// whole budget (1 MiB, 8 MiB for MCP) on one output over and over. So:
//
//   - an inflation is remembered by the compressed bytes it read: a
//     start whose bytes are the same, and go on after them, inflates to
//     the same output (an inflater reads no byte it does not use), which
//     is not inflated again;
//   - a layer (an output visited, then walked for the streams it holds)
//     is remembered by its bytes, depth and walk state: the same output
//     again is not visited nor walked again, but what its walk charged
//     is charged again, and where the first walk's checks (the budget,
//     the zlib headers tried) would have failed with what is left now,
//     the replay fails as they would: Unpack ends as it did when each
//     output was read each time, only sooner;
//   - all work (bytes walked, visited, inflated, compressed bytes read)
//     is counted, and past a bound linear in the data and in the bytes
//     unpacked (maxWork) the data is opaque: the runs of an encoded
//     alphabet decoded from each of their offsets, the starts whose
//     streams each run through the next, cost no budget.

// bounds is the state an Unpack call's walks share.
type bounds struct {
	// work is the units of work done (see the comment above); allow the
	// bound not counting the bytes unpacked, spent those unpacked (the
	// budget charged, replays included).
	work, allow, spent int
	// frames are the layers being walked, innermost last.
	frames []*frame
	seed   maphash.Seed // see hashSeed
	seeded bool
	// inflations are remembered inflations by their first 8 bytes.
	inflations map[uint64][]*inflation
	layers     map[layerKey]*layerMemo
	// recent are the last outputs walked, by walk state; prefixWork the
	// work spent on outputs that were a prefix or suffix of one of them
	// (and what they hold), up to
	// prefixAllow; inPrefix that such a walk is under way.
	recent      map[layerKey][recentLayers][]byte
	prefixWork  int
	prefixAllow int
	inPrefix    bool
	// pending is the ErrOpaque Unpack ends in unless it finds a value:
	// outputs were left unsearched past prefixAllow.
	pending error
	// toEnd is the last start whose inflation read to its data's end,
	// and period a period of its bytes (0 when not known yet, -1 when
	// none was found).
	toEnd  []byte
	period int
}

// recentLayers is how many outputs walked recent keeps per walk state.
const recentLayers = 4

// Work on outputs that start or end another's, per byte of data and
// beyond.
const (
	prefixPerByte = 16
	prefixSlack   = 1 << 20
)

// Work per byte of data, per byte unpacked, and beyond both, allowed.
const (
	workPerByte  = 16
	workPerSpent = 16
	workSlack    = 256 << 10
)

// readerSetup is the work a decompressor's start counts: its tables
// and state made or reset.
const readerSetup = 64

// maxInflations is how many inflations are remembered under one key.
const maxInflations = 4

// newBounds returns the bounds of a walk of n bytes. Its memories (the
// maps and the hash seed) are made when first written: most data holds
// nothing packed, and a search of it made them for nothing.
func newBounds(n int) *bounds {
	return &bounds{allow: workPerByte*n + workSlack, prefixAllow: prefixPerByte*n + prefixSlack}
}

// hashSeed returns the seed of the layers' hashes, made on first use.
func (b *bounds) hashSeed() maphash.Seed {
	if !b.seeded {
		b.seed, b.seeded = maphash.MakeSeed(), true
	}
	return b.seed
}

// do counts n units of work: ErrOpaque past the bound.
func (b *bounds) do(n int) error {
	b.work += n
	if b.work > b.allow+workPerSpent*b.spent {
		return fmt.Errorf("%w: more work than the data's bytes and the bytes unpacked allow (%d units)", ErrOpaque, b.work)
	}
	return nil
}

// A frame is a layer being walked: what the checks in it asked, relative
// to its start.
type frame struct {
	spent0, tries0 int
	// peak is the most of the budget a check asked for (charged since
	// the start, and the check's bytes); slack the least zlib header
	// bound less the headers tried since the start.
	peak, slack int
}

// An inflation is the compressed bytes a raw deflate start read (ending
// before the data's end) and what they inflated to.
type inflation struct {
	in, out []byte
}

// layerKey names a layer: what a walk of its output does depends on the
// output, the depth and whether it is strict.
type layerKey struct {
	hash     uint64
	n, depth int
	strict   bool
}

// A layerMemo is what a layer's walk did, for a replay: nothing found,
// no error; the budget charged and zlib headers tried, and its frame.
type layerMemo struct {
	out          []byte
	spent, tries int
	peak, slack  int
}

// need records that a check asks for n bytes of the budget.
func (b *bounds) need(n int) {
	for _, f := range b.frames {
		f.peak = max(f.peak, b.spent-f.spent0+n)
	}
}

// tried records a zlib header check: tries headers tried, bound the most
// allowed there.
func (b *bounds) tried(tries, bound int) {
	for _, f := range b.frames {
		f.slack = min(f.slack, bound-(tries-f.tries0))
	}
}

// charge takes n bytes from the budget.
func (u *unpacker) charge(n int) {
	u.budget -= n
	if u.b != nil {
		u.b.spent += n
	}
}

// over reports whether n bytes are more than the budget left, the check
// a layer's replay repeats.
func (u *unpacker) over(n int) bool {
	if u.b != nil {
		u.b.need(n)
	}
	return n > u.budget
}

// inflationKey is the key of inflations for a start at b, ok when b is
// long enough.
func inflationKey(b []byte) (uint64, bool) {
	if len(b) < 8 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b), true
}

// remembered returns the output of the remembered inflation whose
// compressed bytes b starts with and goes on after, or nil.
func (b *bounds) remembered(s []byte) (*inflation, error) {
	k, ok := inflationKey(s)
	if !ok {
		return nil, nil
	}
	for _, e := range b.inflations[k] {
		// A comparison (a vector one) counts a unit per 16 bytes.
		if err := b.do(1 + len(e.in)/16); err != nil {
			return nil, err
		}
		if len(s) > len(e.in) && bytes.Equal(s[:len(e.in)], e.in) {
			return e, nil
		}
	}
	return nil, nil
}

// remember keeps what the start at s inflated to, having read in bytes.
func (b *bounds) remember(s []byte, read int, out []byte) {
	k, ok := inflationKey(s)
	if !ok || read >= len(s) {
		return // read to the data's end, where another start's bytes go on
	}
	l := b.inflations[k]
	if len(l) == maxInflations {
		l = l[1:]
	}
	if b.inflations == nil {
		b.inflations = map[uint64][]*inflation{}
	}
	b.inflations[k] = append(l, &inflation{in: s[:read], out: out})
}

// readToEnd keeps s, a start whose inflation read to its data's end.
func (b *bounds) readToEnd(s []byte) {
	b.toEnd, b.period = s, 0
}

// repeatsToEnd reports whether s, a later start in the same data, reads
// the bytes the last start read to the end read, cut short: its output
// starts that one's (a prefix layer), left unsearched once Unpack ends
// opaque anyway (pending). The period of the last start's bytes is found
// once, by the first later start; others a multiple of it away repeat.
func (b *bounds) repeatsToEnd(s []byte) bool {
	l := b.toEnd
	if b.pending == nil || len(s) == 0 || len(l) <= len(s) || &l[len(l)-1] != &s[len(s)-1] || b.period < 0 {
		return false
	}
	d := len(l) - len(s)
	if b.period == 0 {
		b.period = -1
		if b.do(len(s)/16) == nil && bytes.Equal(l[:len(s)], s) {
			b.period = d
		}
	}
	return b.period > 0 && d%b.period == 0
}

// key names the layer of out at depth in u's walk.
func (u *unpacker) key(out []byte, depth int) layerKey {
	return layerKey{hash: maphash.Bytes(u.b.hashSeed(), out), n: len(out), depth: depth, strict: u.strict}
}

// replay charges what the remembered layer m charged, and fails where
// one of its checks would fail now.
func (u *unpacker) replay(m *layerMemo) error {
	b := u.b
	if u.budget < m.peak {
		return fmt.Errorf("%w: raw deflate data unpacks to more than the bytes searched", ErrOpaque)
	}
	if u.tries > m.slack {
		return fmt.Errorf("%w: more than %d zlib headers", ErrOpaque, maxCandidates)
	}
	for _, f := range b.frames {
		f.peak = max(f.peak, b.spent-f.spent0+m.peak)
		f.slack = min(f.slack, m.slack-(u.tries-f.tries0))
	}
	u.charge(m.spent)
	u.tries += m.tries
	return nil
}

// layer visits what a stream unpacked to and searches it in turn; the
// same output again, in the same walk state, is replayed.
func (u *unpacker) layer(out []byte, depth int) error {
	if depth >= maxDepth {
		return fmt.Errorf("%w: nested more than %d deep", ErrOpaque, maxDepth)
	}
	b := u.b
	k := u.key(out, depth)
	if m := b.layers[k]; m != nil && bytes.Equal(m.out, out) {
		if err := b.do(len(out)); err != nil { // the comparison
			return err
		}
		return u.replay(m)
	}
	prefix := !b.inPrefix && b.partOfRecent(k, out)
	if !prefix {
		return u.visitAndWalk(out, depth, k)
	}
	if b.prefixWork > b.prefixAllow {
		// Not searched: the walk goes on for values elsewhere, and
		// Unpack ends in ErrOpaque unless it finds one.
		if b.pending == nil {
			b.pending = fmt.Errorf("%w: more streams whose outputs start or end others' than the data's bytes allow", ErrOpaque)
		}
		return nil
	}
	work0 := b.work
	b.inPrefix = true
	err := u.visitAndWalk(out, depth, k)
	b.inPrefix = false
	b.prefixWork += b.work - work0
	return err
}

// visitAndWalk visits out, a layer's output, and walks it; it
// remembers the layer.
func (u *unpacker) visitAndWalk(out []byte, depth int, k layerKey) error {
	b := u.b
	if err := b.do(3 * len(out)); err != nil { // the hash, the visit, a prefix's comparisons
		return err
	}
	if u.visit(out) {
		u.done = true
		return nil
	}
	f := &frame{spent0: b.spent, tries0: u.tries, slack: 1 << 62}
	b.frames = append(b.frames, f)
	err := u.walk(out, depth+1)
	b.frames = b.frames[:len(b.frames)-1]
	if err == nil && !u.done {
		if b.layers == nil {
			b.layers = map[layerKey]*layerMemo{}
		}
		b.layers[k] = &layerMemo{out: out, spent: b.spent - f.spent0, tries: u.tries - f.tries0, peak: f.peak, slack: f.slack}
	}
	return err
}

// partOfRecent reports whether out is a proper prefix or suffix of one
// of the last outputs walked in the same walk state (a stream that
// starts a period later in periodic bytes, read to their end or to the
// same corrupt code), and keeps out among them.
func (b *bounds) partOfRecent(k layerKey, out []byte) bool {
	k.hash, k.n = 0, 0
	r := b.recent[k]
	found := false
	for _, x := range r {
		if len(x) > len(out) && (bytes.Equal(x[:len(out)], out) || bytes.Equal(x[len(x)-len(out):], out)) {
			found = true
			break
		}
	}
	copy(r[1:], r[:recentLayers-1])
	r[0] = out
	if b.recent == nil {
		b.recent = map[layerKey][recentLayers][]byte{}
	}
	b.recent[k] = r
	return found
}
