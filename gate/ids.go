package gate

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
)

// NewID returns a random 128-bit identifier in hex: 16 bytes of
// crypto/rand, taken from idBytes.
func NewID() string {
	var b [16]byte
	idBytes.take(b[:])
	var h [32]byte
	hex.Encode(h[:], b[:])
	return string(h[:]) // one allocation, where hex.EncodeToString makes two
}

// idBytes is the source of NewID.
var idBytes = idSource{fill: func(b []byte) { _, _ = rand.Read(b) }} // crypto/rand.Read never fails on supported platforms

// idSource hands out bytes of crypto/rand read a buffer at a time: one
// system call (getrandom) per 256 identifiers instead of one for each,
// every decision making one. Each byte read is handed out once, and
// cleared from the buffer as it is, so the buffer never holds an
// identifier already given.
type idSource struct {
	fill func([]byte) // reads random bytes into the whole slice

	mu   sync.Mutex
	buf  [4096]byte
	next int  // bytes of buf handed out
	full bool // buf was filled (next counts from there)
}

// take fills b (at most len(buf) bytes) with bytes never handed out
// before.
func (s *idSource) take(b []byte) {
	s.mu.Lock()
	if !s.full || s.next+len(b) > len(s.buf) {
		s.fill(s.buf[:])
		s.next, s.full = 0, true
	}
	n := copy(b, s.buf[s.next:])
	clear(s.buf[s.next : s.next+n])
	s.next += n
	s.mu.Unlock()
}
