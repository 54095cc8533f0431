package postgres

import (
	"bytes"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"testing"
)

// chunkReader hands out its bytes in pieces of random sizes, as a socket
// does.
type chunkReader struct {
	data []byte
	r    *rand.Rand
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.data), 1+c.r.IntN(9000))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// randomStream is a run of protocol messages: short ones, empty ones,
// ones longer than the reader's buffer and than growStep, sometimes
// ending in a bad length or a message cut short.
func randomStream(r *rand.Rand) []byte {
	var out []byte
	for range 1 + r.IntN(40) {
		var n int
		switch r.IntN(10) {
		case 0:
			n = 0
		case 1:
			n = 32<<10 + r.IntN(40<<10) // past the bufio buffer
		case 2:
			if r.IntN(8) == 0 {
				n = growStep + r.IntN(1000) // nextLarge
			}
		default:
			n = r.IntN(300)
		}
		body := make([]byte, n)
		x := r.Uint64()
		for i := range body {
			body[i] = byte(x >> (8 * (i % 8)))
			if i%8 == 7 {
				x = x*6364136223846793005 + 1442695040888963407
			}
		}
		out = append(out, byte('A'+r.IntN(26)))
		out = binary.BigEndian.AppendUint32(out, uint32(n+4))
		out = append(out, body...)
	}
	switch r.IntN(6) {
	case 0:
		out = append(out, 'X', 0, 0, 0, 2) // a length below 4
	case 1:
		out = out[:len(out)-r.IntN(min(len(out), 20))] // cut short
	}
	return out
}

// TestMsgReaderInPlaceOracle compares a reader that returns whole
// buffered messages in place with one that copies every message, over
// generated streams read in random pieces: the same types, bodies, raw
// messages and errors, message after message; and the in-place path is
// taken.
func TestMsgReaderInPlaceOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 3))
	inPlace := 0
	for i := range 150 {
		stream := randomStream(r)
		seed := r.Uint64()
		copying := newMsgReader(&chunkReader{data: stream, r: rand.New(rand.NewPCG(seed, 1))}, 0)
		direct := newMsgReader(&chunkReader{data: stream, r: rand.New(rand.NewPCG(seed, 1))}, 0)
		direct.inPlace = true
		for k := 0; ; k++ {
			wt, wb, wr, werr := copying.next()
			gt, gb, gr, gerr := direct.next()
			if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
				t.Fatalf("stream %d message %d: error %v, copying reader %v", i, k, gerr, werr)
			}
			if werr != nil {
				break
			}
			if gt != wt || !bytes.Equal(gb, wb) || !bytes.Equal(gr, wr) || (gb == nil) != (wb == nil) {
				t.Fatalf("stream %d message %d: %q %d/%d bytes, copying reader %q %d/%d", i, k, gt, len(gb), len(gr), wt, len(wb), len(wr))
			}
			if cap(direct.buf) == 0 || &gr[0] != &direct.buf[:1][0] {
				inPlace++
			}
		}
	}
	if inPlace < 500 {
		t.Fatalf("only %d messages read in place", inPlace)
	}
}
