package record_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/record"
)

func TestFileRecordReplaysAndVerifies(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts record.FileOptions
	}{{"fsync-each", record.FileOptions{}}, {"group-commit", record.FileOptions{GroupCommit: 2 * time.Millisecond}}} {
		t.Run(tc.name, func(t *testing.T) {
			path, ids := writeFileRecord(t, 3, 10, tc.opts, record.Options{AsyncOutput: true, CheckpointEvery: 5})
			r, err := record.OpenFileReader(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Sessions(context.Background())
			if err != nil || len(got) != 3 {
				t.Fatalf("sessions %v %v", got, err)
			}
			for _, id := range ids {
				evs := readVerified(t, r, id)
				if evs[0].Kind != "session_start" || evs[0].Event.Session.ClientAddr != "10.0.0.7:5555" {
					t.Fatalf("first entry %+v", evs[0])
				}
				var cps int
				for _, e := range evs {
					if e.Kind == record.KindCheckpoint {
						cps++
					}
				}
				if cps < 3 {
					t.Fatalf("only %d checkpoints", cps)
				}
			}
		})
	}
}

func TestFileRotationKeepsChains(t *testing.T) {
	path, ids := writeFileRecord(t, 4, 30, record.FileOptions{MaxSize: 4096}, record.Options{})
	r, err := record.OpenFileReader(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Files()) < 3 {
		t.Fatalf("expected rotation, files: %v", r.Files())
	}
	for _, id := range ids {
		readVerified(t, r, id)
	}
}

func TestFileTornLineIsReportedAndMovedAside(t *testing.T) {
	path, ids := writeFileRecord(t, 1, 5, record.FileOptions{}, record.Options{})
	lines := readLines(t, path)
	// The crash comes before the final log checkpoint: cut the last
	// line of the session in half, as a crash mid-write would.
	for bytes.Contains(lines[len(lines)-1], []byte(`"kind":"log_checkpoint"`)) {
		lines = lines[:len(lines)-1]
	}
	last := lines[len(lines)-1]
	lines[len(lines)-1] = last[:len(last)/2]
	writeLines(t, path, lines)

	_, err := record.ReadFile(path)
	if !errors.Is(err, record.ErrTorn) {
		t.Fatalf("want ErrTorn, got %v", err)
	}
	// Reopening must not append after the torn line nor drop it.
	id2 := appendSession(t, path, 2)
	r, _ := record.OpenFileReader(path)
	if len(r.Files()) != 2 {
		t.Fatalf("files %v", r.Files())
	}
	evs, err := record.ReadSession(context.Background(), r, ids[0])
	if !errors.Is(err, record.ErrTorn) {
		t.Fatalf("old session: want ErrTorn, got %v", err)
	}
	if verr := record.Verify(evs, testPub); !errors.Is(verr, record.ErrUnterminated) {
		t.Fatalf("cut session verified: %v", verr)
	}
	readVerified(t, r, id2)
}

func TestFileStoresSecretsAsHMAC(t *testing.T) {
	path, _ := writeFileRecord(t, 1, 1, record.FileOptions{}, record.Options{HMACKey: []byte("0123456789abcdef")})
	fs, _ := record.OpenFile(path, record.FileOptions{})
	rec := record.New(fs, record.Options{HMACKey: []byte("0123456789abcdef"), SigningKey: testKey})
	recordSecretSession(t, rec)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	b := bytes.Join(readLines(t, path), nil)
	for _, secret := range []string{"s3cr3t-pa55w0rd", "eyJhbGciOiJIUzI1NiJ9.tok", "sessionid=abcdef123456"} {
		if bytes.Contains(b, []byte(secret)) {
			t.Fatalf("secret %q stored raw", secret)
		}
	}
	if !strings.Contains(string(b), record.SecretPrefix) {
		t.Fatal("no HMAC stored")
	}
}

// Several recorders (say, one per listener) share one file: their writes
// share fsyncs, and every session still verifies.
func TestFileSharedByRecordersGroupCommits(t *testing.T) {
	path := t.TempDir() + "/shared.jsonl"
	fs, err := record.OpenFile(path, record.FileOptions{GroupCommit: 2 * time.Millisecond, MaxSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := record.New(nopClose{fs}, record.Options{SigningKey: testKey, AsyncOutput: i%2 == 0})
			id := recordSession(t, rec, 15)
			if err := rec.Close(); err != nil {
				t.Error(err)
			}
			mu.Lock()
			ids = append(ids, id)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	m := mustRead(t, path)
	for _, id := range ids {
		if err := record.Verify(m[id], testPub); err != nil {
			t.Fatal(err)
		}
	}
}

// nopClose keeps a shared sink open when one of its recorders closes.
type nopClose struct{ record.Sink }

func (nopClose) Close() error { return nil }
