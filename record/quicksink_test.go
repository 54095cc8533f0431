package record

import (
	"path/filepath"
	"testing"
	"time"
)

// TestQuickSinks: callers write their own events only to sinks whose
// Write waits on nothing but this machine: not on a network, nor on a
// group commit's window (an fsync of its own is fine).
func TestQuickSinks(t *testing.T) {
	open := func(o FileOptions) *File {
		o.MaxSize = -1
		fs, err := OpenFile(filepath.Join(t.TempDir(), "r.jsonl"), o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { fs.Close() })
		return fs
	}
	write, fsync, group := open(FileOptions{}), open(FileOptions{Durability: DurabilityFsync}), open(FileOptions{GroupCommit: time.Millisecond})
	cases := []struct {
		name  string
		sink  Sink
		quick bool
	}{
		{"file, write durability", write, true},
		{"file, fsync durability", fsync, true},
		{"file, group commit", group, false},
		{"memory", &Memory{}, true},
		{"http", &HTTP{}, false},
		{"tee of quick sinks", NewTee([]Sink{write, &Memory{}}), true},
		{"tee with an fsync file", NewTee([]Sink{write, fsync}), true},
		{"tee with a group commit", NewTee([]Sink{write, group}), false},
		{"tee with an http sink", NewTee([]Sink{&Memory{}, &HTTP{}}), false},
	}
	for _, c := range cases {
		if got := isQuick(c.sink); got != c.quick {
			t.Errorf("%s: quick = %v, want %v", c.name, got, c.quick)
		}
	}
}
