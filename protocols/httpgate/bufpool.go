package httpgate

import "sync"

// copyBufSize is the size of the buffers that copy response bodies, the
// size httputil.ReverseProxy allocates for each response without a pool.
const copyBufSize = 32 << 10

// copyBufs lends the buffers that copy response bodies to the client (the
// reverse proxy's, a masked stream's): one buffer per response was the
// largest allocation of the gated path. A buffer is handed back once its
// copy is over; only what a Read filled in it is ever written out, so
// what an earlier response left in it is never sent.
var copyBufs bufPool

// bufPool is an httputil.BufferPool of copyBufSize buffers.
type bufPool struct {
	p sync.Pool // *[]byte, each holding a buffer
	// holders are the *[]byte that p held, emptied: Put reuses them, so
	// that handing a buffer back allocates nothing.
	holders sync.Pool
}

// Get returns a buffer of copyBufSize bytes.
func (b *bufPool) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		buf := *v
		*v = nil
		b.holders.Put(v)
		return buf
	}
	return make([]byte, copyBufSize)
}

// Put hands buf back; buffers of another size are dropped.
func (b *bufPool) Put(buf []byte) {
	if cap(buf) != copyBufSize {
		return
	}
	v, ok := b.holders.Get().(*[]byte)
	if !ok {
		v = new([]byte)
	}
	*v = buf[:copyBufSize]
	b.p.Put(v)
}
