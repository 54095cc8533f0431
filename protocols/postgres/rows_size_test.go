package postgres

import (
	"testing"
	"unsafe"
)

// TestResultFitsItsClass: a result, its output writer and its rooms
// inside, stays in one 768-byte allocation (with the allocator's header
// for objects over 512 bytes): a field more moves it to the 896-byte
// class.
func TestResultFitsItsClass(t *testing.T) {
	if n := unsafe.Sizeof(result{}) + 8; n > resultClassBytes {
		t.Fatalf("a result takes %d bytes with its header, more than %d", n, resultClassBytes)
	}
}
