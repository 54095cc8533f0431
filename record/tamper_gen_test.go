package record_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/airlock-sdk/airlock/record"
)

// TestSinkLogRandomTampering is the generator behind the table tests: it
// applies random deletions (of any range of lines), duplications, swaps
// of entries, and byte flips anywhere but the file header to a record of
// several sessions, and requires verify to report each (without
// --allow-open; with it, every change but a cut of the tail).
func TestSinkLogRandomTampering(t *testing.T) {
	path, _ := writeFileRecord(t, 4, 3, record.FileOptions{}, record.Options{CheckpointEvery: 3, LogCheckpointEvery: 5})
	orig := readLines(t, path)
	n := len(orig)
	rng := rand.New(rand.NewPCG(17, 4))
	isCP := func(l []byte) bool { return bytes.Contains(l, []byte(`"kind":"log_checkpoint"`)) }
	for iter := 0; iter < 200; iter++ {
		lines := make([][]byte, len(orig))
		for i := range orig {
			lines[i] = bytes.Clone(orig[i])
		}
		var what string
		tail := false
		switch op := rng.IntN(4); op {
		case 0:
			i := 1 + rng.IntN(n-1)
			j := i + 1 + rng.IntN(min(8, n-i))
			what = "delete lines"
			tail = j == n
			lines = append(lines[:i], lines[j:]...)
		case 1:
			i := 1 + rng.IntN(n-1)
			what = "duplicate a line"
			lines = append(lines[:i+1], lines[i:]...)
		case 2:
			i, j := 1+rng.IntN(n-1), 1+rng.IntN(n-1)
			if i == j || isCP(lines[i]) || isCP(lines[j]) {
				continue // a checkpoint's place among the entries is not evidence
			}
			what = "swap entries"
			lines[i], lines[j] = lines[j], lines[i]
		case 3:
			i := 1 + rng.IntN(n-1)
			k := rng.IntN(len(lines[i]) - 1) // not the newline
			what = "flip a byte"
			lines[i][k] ^= byte(1 << rng.IntN(7))
		}
		writeLines(t, path, lines)
		if rep := verifyFile(t, path, record.VerifyOptions{}); rep.OK() {
			t.Fatalf("iteration %d: %s not detected", iter, what)
		}
		if !tail {
			if rep := verifyFile(t, path, record.VerifyOptions{AllowOpen: true}); rep.OK() {
				t.Fatalf("iteration %d: %s not detected with --allow-open", iter, what)
			}
		}
	}
}
