package gate

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"testing"
)

// TestIDSourceHandsOutEachByteOnce: with a fill that numbers every byte
// it produces, the chunks taken (identifiers' 16 bytes and odd sizes, so
// a buffer's tail is sometimes too short) are each a run of the stream,
// in order, never overlapping an earlier one, and the buffer keeps none
// of the bytes handed out.
func TestIDSourceHandsOutEachByteOnce(t *testing.T) {
	var stream uint32 // position of the next byte the fill produces
	s := &idSource{fill: func(b []byte) {
		for i := 0; i+4 <= len(b); i += 4 { // len(buf) is a multiple of 4
			p := stream + uint32(i)
			b[i], b[i+1], b[i+2], b[i+3] = byte(p>>24), byte(p>>16), byte(p>>8), byte(p)
		}
		stream += uint32(len(b))
	}}
	last := int64(-1) // stream position of the last byte handed out
	sizes := []int{16, 16, 16, 12, 16, 8, 16, 4}
	for i := range 5000 {
		n := sizes[i%len(sizes)]
		b := make([]byte, n)
		s.take(b)
		// Every chunk starts at a multiple of 4 (the sizes are), so its
		// first word is its stream position.
		pos := int64(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
		if pos <= last {
			t.Fatalf("take %d: bytes at stream position %d handed out after position %d", i, pos, last)
		}
		for k := 0; k+4 <= n; k += 4 {
			p := uint32(pos) + uint32(k)
			if want := []byte{byte(p >> 24), byte(p >> 16), byte(p >> 8), byte(p)}; !bytes.Equal(b[k:k+4], want) {
				t.Fatalf("take %d: not one run of the stream: %x", i, b)
			}
		}
		last = pos + int64(n) - 1
		if !bytes.Equal(s.buf[:s.next], make([]byte, s.next)) {
			t.Fatalf("take %d: the buffer still holds bytes handed out", i)
		}
	}
	if stream < 3*uint32(len(s.buf)) {
		t.Fatalf("only %d bytes read: the refill was not exercised", stream)
	}
}

// TestNewIDUnique: identifiers taken from every goroutine at once are 32
// lower-case hex digits and all distinct.
func TestNewIDUnique(t *testing.T) {
	s := &idSource{fill: func(b []byte) { _, _ = rand.Read(b) }}
	const workers, each = 8, 2000
	out := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				var b [16]byte
				s.take(b[:])
				out[w] = append(out[w], hex.EncodeToString(b[:]))
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, ids := range out {
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("identifier %s handed out twice", id)
			}
			seen[id] = true
		}
	}
	for range 1000 {
		id := NewID()
		if len(id) != 32 || id != hex.EncodeToString(mustHex(t, id)) || seen[id] {
			t.Fatalf("NewID %q", id)
		}
		seen[id] = true
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
