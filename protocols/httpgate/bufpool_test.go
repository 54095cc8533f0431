package httpgate

import "testing"

func TestBufPoolLendsWholeBuffers(t *testing.T) {
	var p bufPool
	b := p.Get()
	if len(b) != copyBufSize {
		t.Fatalf("Get: %d bytes, want %d", len(b), copyBufSize)
	}
	p.Put(b[:10]) // a reslice comes back whole
	p.Put(make([]byte, 100))
	for range 4 {
		if got := p.Get(); len(got) != copyBufSize {
			t.Fatalf("Get after Put: %d bytes, want %d", len(got), copyBufSize)
		}
	}
}

// TestBufPoolPutAllocatesNothing: handing a buffer back reuses the holder
// its Get emptied (one allocation per response before).
func TestBufPoolPutAllocatesNothing(t *testing.T) {
	var p bufPool
	p.Put(p.Get())
	// Under the race detector sync.Pool drops some items on purpose: the
	// average stays below one.
	if n := testing.AllocsPerRun(200, func() { p.Put(p.Get()) }); n >= 1 {
		t.Fatalf("Get and Put allocate %.2f times", n)
	}
}
