package fieldhash

import (
	"bytes"
	"crypto/sha256"
	"testing"
)

func TestEncoding(t *testing.T) {
	f := New()
	f.Field([]byte("ab"))
	f.Num(7)
	f.Field(nil)
	want := sha256.Sum256([]byte("\x00\x00\x00\x00\x00\x00\x00\x02ab" +
		"\x00\x00\x00\x00\x00\x00\x00\x07" +
		"\x00\x00\x00\x00\x00\x00\x00\x00"))
	if got := f.Sum(nil); !bytes.Equal(got, want[:]) {
		t.Fatalf("sum %x, want %x", got, want)
	}
}

func TestFieldBoundariesAreBound(t *testing.T) {
	a, b := New(), New()
	a.Field([]byte("ab"))
	a.Field([]byte("c"))
	b.Field([]byte("a"))
	b.Field([]byte("bc"))
	if bytes.Equal(a.Sum(nil), b.Sum(nil)) {
		t.Fatal("moving a field boundary kept the sum")
	}
}
