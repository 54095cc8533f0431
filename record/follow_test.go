package record_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/record"
)

// Follow with a session keeps to it, reports a bad line and goes on, and
// stops at the session's final checkpoint; the entries are those a reader
// of the finished file gets.
func TestFollowSessionAndBadLines(t *testing.T) {
	path, ids := writeFileRecord(t, 2, 3, record.FileOptions{}, record.Options{SigningKey: testKey})
	want := mustRead(t, path)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("garbage\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []record.Event
	var bad []error
	for e, err := range record.Follow(ctx, path, record.FollowOptions{Session: ids[1], Poll: time.Millisecond}) {
		if err != nil {
			bad = append(bad, err)
			continue
		}
		got = append(got, e)
	}
	if ctx.Err() != nil {
		t.Fatal("Follow did not stop at the session's final checkpoint")
	}
	if len(got) != len(want[ids[1]]) {
		t.Fatalf("got %d entries, want %d", len(got), len(want[ids[1]]))
	}
	if err := record.Verify(got, testPub); err != nil {
		t.Fatal(err)
	}
	// The session ended before the garbage line: it is never reached.
	if len(bad) != 0 {
		t.Fatalf("errors: %v", bad)
	}

	// Following the whole file reaches the garbage, says where it is, and
	// goes on until the context ends.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	n := 0
	for e, err := range record.Follow(ctx2, path, record.FollowOptions{Poll: time.Millisecond}) {
		var le *record.LineError
		switch {
		case errors.As(err, &le):
			bad = append(bad, err)
		case err != nil:
			t.Fatal(err)
		case e.SessionID != "":
			n++
		}
	}
	if len(bad) != 1 || n != len(want[ids[0]])+len(want[ids[1]]) {
		t.Fatalf("entries %d, errors %v", n, bad)
	}
}

// Breaking out of the loop stops following; a missing file is an error.
func TestFollowBreakAndMissingFile(t *testing.T) {
	path, _ := writeFileRecord(t, 1, 2, record.FileOptions{}, record.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range record.Follow(ctx, path, record.FollowOptions{Poll: time.Millisecond}) {
		break
	}
	if ctx.Err() != nil {
		t.Fatal("break did not stop following")
	}
	var errs []error
	for _, err := range record.Follow(ctx, path+".missing", record.FollowOptions{}) {
		errs = append(errs, err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], os.ErrNotExist) {
		t.Fatalf("missing file: %v", errs)
	}
}
