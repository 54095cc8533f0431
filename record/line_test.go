package record_test

import (
	"testing"

	"github.com/airlock-sdk/airlock/record"
)

func TestParseLine(t *testing.T) {
	path, _ := writeFileRecord(t, 1, 2, record.FileOptions{}, record.Options{})
	lines := readLines(t, path)
	if e, err := record.ParseStoredLine(lines[0]); e != nil || err != nil {
		t.Fatalf("header: %v %v", e, err)
	}
	cp, err := record.ParseStoredLine(lines[1])
	if err != nil || cp == nil || cp.LogCheckpoint == nil || cp.LogCheckpoint.Size != 0 {
		t.Fatalf("first line is not the log's first checkpoint: %+v %v", cp, err)
	}
	e, err := record.ParseStoredLine(lines[2])
	if err != nil || e == nil || e.Seq != 1 || e.Event == nil || e.ComputeHash() != e.Hash || e.Log != cp.Log || e.Index != 0 {
		t.Fatalf("first entry: %+v %v", e, err)
	}
	for _, bad := range []string{`{"v":1,"session":"x","seq":`, `{"format":"other"}`, `not json`} {
		if _, err := record.ParseStoredLine([]byte(bad)); err == nil {
			t.Fatalf("%q parsed", bad)
		}
	}
}
