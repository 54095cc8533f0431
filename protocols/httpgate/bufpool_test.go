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
