package record

import (
	"math/bits"
	"sync"
)

// bodyBufs recycles the buffers of stored bodies (the JSON the redactor
// writes for each event) once the sink has written them. A body is most
// of what the recorder allocates per event (the base64 of an HTTP
// response, a statement's JSON): garbage that made the collector run
// more often. Only a sink that copies a batch before Write returns and
// keeps nothing of it (a File) lets a body go back (see
// Recorder.recycleBodies); a Memory keeps its events, and a body given to
// it is never reused.
//
// Buffers are kept by size class (powers of two from minBodyBuf to
// maxBodyBuf), at most maxFreeBodyBytes in all. The zero value is ready
// to use; a nil *bodyBufs allocates every buffer and keeps none.
type bodyBufs struct {
	mu    sync.Mutex
	free  [bodyClasses][][]byte
	bytes int // the capacity of the buffers in free
}

const (
	minBodyBufShift  = 9 // 512 bytes
	maxBodyBufShift  = 16
	bodyClasses      = maxBodyBufShift - minBodyBufShift + 1
	maxBodyBuf       = 1 << maxBodyBufShift
	maxFreeBodyBytes = 1 << 20
)

// get returns an empty buffer with room for at least n bytes.
func (p *bodyBufs) get(n int) []byte {
	if p == nil || n > maxBodyBuf {
		return make([]byte, 0, n)
	}
	c := bodyClassFor(n)
	p.mu.Lock()
	if l := len(p.free[c]); l > 0 {
		b := p.free[c][l-1]
		p.free[c][l-1] = nil
		p.free[c] = p.free[c][:l-1]
		p.bytes -= cap(b)
		p.mu.Unlock()
		return b
	}
	p.mu.Unlock()
	return make([]byte, 0, 1<<(c+minBodyBufShift))
}

// put gives b back for reuse: nothing may read or write it any more.
func (p *bodyBufs) put(b []byte) {
	if p == nil || cap(b) < 1<<minBodyBufShift || cap(b) > maxBodyBuf {
		return
	}
	// The largest class b holds: a buffer grown past its class by append
	// serves the class below its capacity.
	c := bits.Len(uint(cap(b))) - 1 - minBodyBufShift
	p.mu.Lock()
	if p.bytes+cap(b) <= maxFreeBodyBytes {
		p.free[c] = append(p.free[c], b[:0])
		p.bytes += cap(b)
	}
	p.mu.Unlock()
}

// bodyClassFor returns the smallest class whose buffers hold n bytes
// (n <= maxBodyBuf).
func bodyClassFor(n int) int {
	if n <= 1<<minBodyBufShift {
		return 0
	}
	return bits.Len(uint(n-1)) - minBodyBufShift
}
