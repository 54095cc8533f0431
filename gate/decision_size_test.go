package gate

import (
	"testing"
	"unsafe"
)

// TestDecisionCopySize: a decision and its names stay one allocation of at
// most 512 bytes, which the allocator serves without a header.
func TestDecisionCopySize(t *testing.T) {
	if n := unsafe.Sizeof(decisionWithNames{}); n > 512 {
		t.Fatalf("decisionWithNames is %d bytes, above 512", n)
	}
}
