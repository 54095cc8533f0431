package rawio

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteAt writes at offsets past the end, over earlier bytes and in
// a piece larger than one page, and reads back what os.File.WriteAt
// would have left.
func TestWriteAt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	big := make([]byte, 3<<20)
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 0, len(big)+100)
	for _, w := range []struct {
		off int64
		p   []byte
	}{{0, []byte("hello")}, {10, []byte("world")}, {2, []byte("LL")}, {15, big}} {
		n, err := WriteAt(f, w.p, w.off)
		if err != nil || n != len(w.p) {
			t.Fatalf("WriteAt(%d bytes at %d) = %d, %v", len(w.p), w.off, n, err)
		}
		if end := int(w.off) + len(w.p); end > len(want) {
			want = append(want, make([]byte, end-len(want))...)
		}
		copy(want[w.off:], w.p)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("file holds %d bytes, not the %d written", len(got), len(want))
	}
}

// TestWriteAtFails: a closed file and one opened read-only give an error,
// never a write that claims to have happened.
func TestWriteAtFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	ro, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if n, err := WriteAt(ro, []byte("y"), 0); err == nil || n != 0 {
		t.Fatalf("WriteAt on a read-only file = %d, %v", n, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := WriteAt(f, []byte("y"), 0); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("WriteAt on a closed file = %v, want os.ErrClosed", err)
	}
}

// TestWriteAtNoAllocations: a WriteAt allocates nothing once warm (the
// record writes one per batch).
func TestWriteAtNoAllocations(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := []byte("line\n")
	off := int64(0)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := WriteAt(f, p, off); err != nil {
			t.Fatal(err)
		}
		off += int64(len(p))
	})
	if allocs > 0 {
		t.Fatalf("WriteAt allocates %.1f times", allocs)
	}
}
