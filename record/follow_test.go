package record_test

import (
	"bytes"
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

// With Verify, Follow yields only entries that extend their chain: an
// edited entry is reported as a *VerifyError in its place and its
// session's later entries are withheld; other sessions go on.
func TestFollowVerifies(t *testing.T) {
	path, ids := writeFileRecord(t, 2, 4, record.FileOptions{}, record.Options{SigningKey: testKey})
	want := mustRead(t, path)
	lines := readLines(t, path)
	// Edit the third entry of the first session.
	n := 0
	for i, l := range lines {
		e, err := record.ParseLine(l)
		if err != nil || e == nil || e.SessionID != ids[0] {
			continue
		}
		if n++; n == 3 {
			lines[i] = record.AppendLineForTest(editedCopy(t, e))
		}
	}
	writeLines(t, path, lines)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	got := map[string]int{}
	var verr []*record.VerifyError
	for e, err := range record.Follow(ctx, path, record.FollowOptions{Poll: time.Millisecond, Verify: true, Key: testPub}) {
		var ve *record.VerifyError
		switch {
		case errors.As(err, &ve):
			verr = append(verr, ve)
		case err != nil:
			t.Fatal(err)
		default:
			got[e.SessionID]++
		}
	}
	if len(verr) != 1 || verr[0].SessionID != ids[0] || verr[0].Seq != 3 {
		t.Fatalf("verify errors: %v", verr)
	}
	if got[ids[0]] != 2 || got[ids[1]] != len(want[ids[1]]) {
		t.Fatalf("yielded %v", got)
	}

	// Following the broken session alone ends at the break.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	var errs []error
	for _, err := range record.Follow(ctx2, path, record.FollowOptions{Session: ids[0], Poll: time.Millisecond, Verify: true}) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if ctx2.Err() != nil || len(errs) != 1 {
		t.Fatalf("following the broken session: %v (context %v)", errs, ctx2.Err())
	}
}

// editedCopy returns e with its body changed and its envelope otherwise
// intact: what an editor who cannot recompute the chain leaves behind.
func editedCopy(t *testing.T, e *record.Event) *record.Event {
	t.Helper()
	c := *e
	c.Body = bytes.Replace(append([]byte(nil), e.Body...), []byte(`"kind"`), []byte(`"kind" `), 1)
	if bytes.Equal(c.Body, e.Body) {
		t.Fatal("nothing edited")
	}
	return &c
}
