package httpgate

import (
	"testing"

	"github.com/airlock-sdk/airlock/internal/packed"
)

// wholeLimitOld is wholeLimit before its shortcut for application/json:
// the oracle of TestWholeLimitJSON.
func wholeLimitOld(mt string) int64 {
	if packed.Type(mt) || mt == "application/octet-stream" {
		return maxPackedWhole
	}
	return maxScannedWhole
}

// TestWholeLimitJSON: wholeLimit's shortcut for application/json gives
// what the search of packed's lists gives, as do the media types around
// it.
func TestWholeLimitJSON(t *testing.T) {
	for _, mt := range []string{"application/json", "application/problem+json", "application/json-seq", "application/x-ndjson", "application/octet-stream", "application/gzip", "application/zip", "application/vnd.api+json", "application/cbor", "application/x+cbor", "text/plain", "", "application/jsonx", "application/js"} {
		if got, want := wholeLimit(mt), wholeLimitOld(mt); got != want {
			t.Errorf("wholeLimit(%q) = %d, wholeLimitOld %d", mt, got, want)
		}
	}
	if packed.Type("application/json") {
		t.Fatal("packed.Type says application/json is packed: wholeLimit's shortcut is wrong")
	}
}
