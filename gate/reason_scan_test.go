package gate

import (
	"math/rand/v2"
	"testing"
)

// TestSQLReasonSkipsOnlyWithoutComments is a differential test of
// sqlReason, which scans only SQL holding "/*", against its scan of every
// statement (scanSQLReason, the oracle): generated SQL of comment
// markers, quotes, dollar signs and reasons, in and out of literals.
func TestSQLReasonSkipsOnlyWithoutComments(t *testing.T) {
	pieces := []string{"SELECT 1", " ", "/*", "*/", "/* reason: r */", "reason:", "'", `"`, "''", "--", "\n", "$$", "$1",
		"E'", "/", "*", "x", "/* REASON: why */", "-- /* reason: no */\n"}
	r := rand.New(rand.NewPCG(5, 6))
	found := 0
	for range 20000 {
		var b []byte
		for range r.IntN(8) {
			b = append(b, pieces[r.IntN(len(pieces))]...)
		}
		sql := string(b)
		got, want := sqlReason(sql), scanSQLReason(sql)
		if got != want {
			t.Fatalf("sqlReason(%q) = %q, the full scan %q", sql, got, want)
		}
		if want != "" {
			found++
		}
	}
	if found == 0 {
		t.Fatal("no generated statement had a reason")
	}
}
