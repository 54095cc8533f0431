package record_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

func TestHTTPSinkToCollector(t *testing.T) {
	path := t.TempDir() + "/collected.jsonl"
	fs, err := record.OpenFile(path, record.FileOptions{GroupCommit: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	col := &record.Collector{Sink: fs, Token: "s3cret-token"}
	srv := httptest.NewServer(col)
	defer srv.Close()

	rec := record.New(record.NewHTTP(srv.URL, "s3cret-token", record.HTTPOptions{}), record.Options{SigningKey: testKey, AsyncOutput: true})
	id := recordSession(t, rec, 20)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	evs := mustRead(t, path)[id]
	if err := record.Verify(evs, testPub); err != nil {
		t.Fatal(err)
	}
}

func TestCollectorRefusesBadInput(t *testing.T) {
	mem := &record.Memory{}
	rec := record.New(mem, record.Options{SigningKey: testKey})
	id := recordSession(t, rec, 4)
	_ = rec.Close()
	evs := mem.Events(id)

	target := &record.Memory{}
	col := &record.Collector{Sink: target, Token: "tok"}
	srv := httptest.NewServer(col)
	defer srv.Close()
	ctx := context.Background()

	if err := record.NewHTTP(srv.URL, "wrong", record.HTTPOptions{}).Write(ctx, evs); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("bad token: %v", err)
	}
	good := record.NewHTTP(srv.URL, "tok", record.HTTPOptions{})
	if err := good.Write(ctx, evs[:5]); err != nil {
		t.Fatal(err)
	}
	// A retry, overlapping what is stored, stores each entry once.
	if err := good.Write(ctx, evs[3:]); err != nil {
		t.Fatal(err)
	}
	if err := good.Write(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if got := len(target.Events(id)); got != len(evs) {
		t.Fatalf("stored %d, want %d", got, len(evs))
	}
	if err := record.Verify(target.Events(id), testPub); err != nil {
		t.Fatal(err)
	}

	// An edited entry (hash no longer matches) is refused.
	forged := append([]record.Event(nil), evs[1])
	forged[0].Body = bytes.Replace(forged[0].Body, []byte(`"agent-7"`), []byte(`"agent-8"`), 1)
	if err := good.Write(ctx, forged); err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("forged entry: %v", err)
	}
	// A re-hashed entry that forks a live session is refused.
	target2 := &record.Memory{}
	srv2 := httptest.NewServer(&record.Collector{Sink: target2, Token: "tok"})
	defer srv2.Close()
	h2 := record.NewHTTP(srv2.URL, "tok", record.HTTPOptions{})
	if err := h2.Write(ctx, evs[:3]); err != nil {
		t.Fatal(err)
	}
	fork := evs[3]
	fork.PrevHash = strings.Repeat("a", 64)
	fork.Hash = fork.ComputeHash()
	if err := h2.Write(ctx, []record.Event{fork}); err == nil || !strings.Contains(err.Error(), "409") {
		t.Fatalf("fork: %v", err)
	}
	gap := evs[5]
	if err := h2.Write(ctx, []record.Event{gap}); err == nil || !strings.Contains(err.Error(), "409") {
		t.Fatalf("gap: %v", err)
	}
	// The collector's sink failing is a 503, and the sender sees an error.
	target2.SetErr(errors.New("disk full"))
	if err := h2.Write(ctx, evs[3:5]); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("sink failure: %v", err)
	}
	// Not POST.
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatal(resp.Status)
	}
}

func TestTeeNamesFailedSinkAndStoresOnce(t *testing.T) {
	a, b := &record.Memory{}, &record.Memory{}
	tee := record.NewTee([]record.Sink{a, b}, "primary", "archive")
	ctx := context.Background()
	mem := &record.Memory{}
	src := record.New(mem, record.Options{SigningKey: testKey})
	id := recordSession(t, src, 6)
	_ = src.Close()
	evs := mem.Events(id)

	b.SetErr(errors.New("archive offline"))
	err := tee.Write(ctx, evs[:4])
	var te *record.TeeError
	if !errors.As(err, &te) || len(te.Failed) != 1 || te.Failed["archive"] == nil {
		t.Fatalf("tee error %v", err)
	}
	if !strings.Contains(err.Error(), "archive: archive offline") {
		t.Fatal(err)
	}
	b.SetErr(nil)
	if err := tee.Write(ctx, evs[:4]); err != nil {
		t.Fatal(err)
	}
	if err := tee.Write(ctx, evs[4:]); err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]*record.Memory{"primary": a, "archive": b} {
		if err := record.Verify(m.Events(id), testPub); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if err := tee.Close(); err != nil {
		t.Fatal(err)
	}
}

// A Recorder over a Tee whose second sink fails for a while: the gate
// refuses meanwhile, the first sink never stores an entry twice, and once
// healed both hold the same verifiable record.
func TestRecorderOverTeeWithPartialFailure(t *testing.T) {
	a, b := &record.Memory{}, &record.Memory{}
	tee := record.NewTee([]record.Sink{a, b}, "primary", "archive")
	rec := record.New(tee, record.Options{SigningKey: testKey, AsyncOutput: true, RetryBackoff: 2 * time.Millisecond})
	n := 0 // fail the archive from the 6th to the 9th event
	fwd := gate.RecorderFunc(func(ctx context.Context, e gate.Event) error {
		n++
		if n == 6 {
			b.SetErr(errors.New("archive offline"))
		}
		if n == 9 {
			b.SetErr(nil)
		}
		return rec.Record(ctx, e)
	})
	id := recordSession(t, fwd, 12)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	ea, eb := a.Events(id), b.Events(id)
	if err := record.Verify(ea, testPub); err != nil {
		t.Fatalf("primary: %v", err)
	}
	if err := record.Verify(eb, testPub); err != nil {
		t.Fatalf("archive: %v", err)
	}
	if len(ea) != len(eb) {
		t.Fatalf("primary %d entries, archive %d", len(ea), len(eb))
	}
}
