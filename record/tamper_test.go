package record_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/record"
)

// entryLines returns the indexes of the entry lines (not the header) of a
// record file.
func entryLines(lines [][]byte) []int {
	var idx []int
	for i, l := range lines {
		if !bytes.HasPrefix(l, []byte(`{"format":`)) && !bytes.Contains(l, []byte(`"kind":"log_checkpoint"`)) {
			idx = append(idx, i)
		}
	}
	return idx
}

func TestTamperingIsCaught(t *testing.T) {
	path, ids := writeFileRecord(t, 1, 9, record.FileOptions{}, record.Options{CheckpointEvery: 4})
	id := ids[0]
	orig := readLines(t, path)
	idx := entryLines(orig)
	n := len(idx)
	if n < 15 {
		t.Fatalf("only %d entries", n)
	}
	clone := func() [][]byte {
		c := make([][]byte, len(orig))
		for i := range orig {
			c[i] = append([]byte(nil), orig[i]...)
		}
		return c
	}
	priv2, _, _ := record.GenerateKey()
	cases := []struct {
		name    string
		tamper  func([][]byte) [][]byte
		wantSeq uint64
		want    string
	}{
		{"edit output", func(l [][]byte) [][]byte {
			i := firstContaining(l, `"kind":"output"`)
			l[i] = bytes.Replace(l[i], []byte(`"stream":"stdout"`), []byte(`"stream":"stderr"`), 1)
			return l
		}, 0, "hash mismatch"},
		{"edit decision action", func(l [][]byte) [][]byte {
			i := firstContaining(l, `"action":"deny"`)
			l[i] = bytes.Replace(l[i], []byte(`"action":"deny"`), []byte(`"action":"allow"`), 1)
			return l
		}, 0, "hash mismatch"},
		{"delete middle entry", func(l [][]byte) [][]byte {
			i := idx[5]
			return append(l[:i], l[i+1:]...)
		}, 7, "missing"},
		{"reorder two entries", func(l [][]byte) [][]byte {
			l[idx[3]], l[idx[4]] = l[idx[4]], l[idx[3]]
			return l
		}, 5, "reordered"},
		{"truncate tail", func(l [][]byte) [][]byte {
			return l[:idx[n-3]]
		}, uint64(n - 2), "without a final checkpoint"},
		{"truncate at a checkpoint", func(l [][]byte) [][]byte {
			j := 0
			for k, i := range idx {
				if bytes.Contains(l[i], []byte(`"kind":"checkpoint"`)) && k < n-1 {
					j = k
				}
			}
			return l[:idx[j]+1]
		}, 0, "without a final checkpoint"},
		{"duplicate entry", func(l [][]byte) [][]byte {
			i := idx[2]
			out := append([][]byte{}, l[:i+1]...)
			out = append(out, l[i])
			return append(out, l[i+1:]...)
		}, 3, "duplicated"},
		{"rewrite the tail with fresh hashes", func(l [][]byte) [][]byte {
			return rechainFrom(t, l, idx[n-4], nil)
		}, 0, "signature"},
		{"rewrite and re-sign with another key", func(l [][]byte) [][]byte {
			return rechainFrom(t, l, idx[2], priv2)
		}, 0, "signature"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lines := tc.tamper(clone())
			writeLines(t, path, lines)
			m, err := record.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			err = record.Verify(m[id], testPub)
			var ve *record.VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("tampering not caught: %v", err)
			}
			if !strings.Contains(ve.Reason, tc.want) {
				t.Fatalf("reason %q, want %q", ve.Reason, tc.want)
			}
			if tc.wantSeq != 0 && ve.Seq != tc.wantSeq {
				t.Fatalf("broken at seq %d, want %d (%v)", ve.Seq, tc.wantSeq, err)
			}
		})
	}
	writeLines(t, path, orig)
	if err := record.Verify(mustRead(t, path)[id], testPub); err != nil {
		t.Fatalf("original does not verify: %v", err)
	}
}

func firstContaining(lines [][]byte, s string) int {
	for i, l := range lines {
		if bytes.Contains(l, []byte(s)) {
			return i
		}
	}
	panic("no line with " + s)
}

// rechainFrom edits the entry at line from and recomputes every hash after
// it, as an attacker without the right key would; with priv it re-signs the
// checkpoints too.
func rechainFrom(t *testing.T, lines [][]byte, from int, priv []byte) [][]byte {
	t.Helper()
	out, err := record.RechainForTest(lines, from, priv)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var _ = context.Background
