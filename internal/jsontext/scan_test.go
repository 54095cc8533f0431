package jsontext

import (
	"math/rand/v2"
	"testing"
)

// TestScanStringMatchesReadString generates strings from the pieces that
// matter to a JSON string scanner (escapes, broken escapes, surrogate
// halves and pairs, control characters, multi-byte text, a missing closing
// quote) and checks that scanString ends and fails exactly where
// ReadString does.
func TestScanStringMatchesReadString(t *testing.T) {
	pieces := []string{
		"a", "é", "日本", `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u0041`, `\u00e9`,
		`\ud83d\ude00`, `\ud83d`, `\ude00`, `\ud83d\u0041`, `\ud83d\uZZZZ`, `\u12`, `\uGGGG`, `\x`, `\`,
		"\x01", "\x1f", "\x7f", " ", `"`,
	}
	rng := rand.New(rand.NewPCG(3, 4))
	failures, ends := 0, 0
	for range 200_000 {
		b := []byte{'"'}
		for n := rng.IntN(6); n > 0; n-- {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
		if rng.IntN(5) > 0 {
			b = append(b, '"')
		}
		if rng.IntN(3) == 0 {
			b = append(b, `,"x"`...)
		}
		_, _, wantNext, wantErr := ReadString(nil, b, 0)
		next, err := scanString(b, 0)
		if next != wantNext || (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
			t.Fatalf("%q: scanString = %d, %v; ReadString = %d, %v", b, next, err, wantNext, wantErr)
		}
		if err != nil {
			failures++
		} else {
			ends++
		}
	}
	if failures < 10_000 || ends < 10_000 {
		t.Fatalf("generator too one-sided: %d failures, %d good strings", failures, ends)
	}
}

// TestScanStringAllocatesNothing: skipping a string is validation only.
func TestScanStringAllocatesNothing(t *testing.T) {
	src := []byte(`"a long enough string with \n an escape and \u00e9 more text past sixty-four bytes"`)
	if n := testing.AllocsPerRun(100, func() { _, _ = scanString(src, 0) }); n != 0 {
		t.Fatalf("scanString allocates %v times", n)
	}
}
