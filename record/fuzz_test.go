package record_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/airlock-sdk/airlock/record"
)

func seedLines(f *testing.F) []byte {
	mem := &record.Memory{}
	rec := record.New(mem, record.Options{SigningKey: testKey})
	id := recordSession(f, rec, 3)
	_ = rec.Close()
	h := record.NewHTTPBatchForTest(mem.Events(id))
	return h
}

// FuzzParseBatch feeds the collector's parser arbitrary bodies: it must
// never panic, and whatever it accepts has intact hashes.
func FuzzParseBatch(f *testing.F) {
	good := seedLines(f)
	f.Add(good)
	f.Add([]byte("{}\n"))
	f.Add([]byte(`{"v":1,"session":"s","seq":1,"prev":"","hash":"x","kind":"output","ts":1,"event":{}}` + "\n"))
	f.Add(bytes.Replace(good, []byte(`"seq":2`), []byte(`"seq":-2`), 1))
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := record.ParseBatch(b)
		if err != nil {
			return
		}
		for _, e := range evs {
			if e.ComputeHash() != e.Hash {
				t.Fatalf("accepted an entry with a bad hash: %+v", e)
			}
		}
	})
}

// FuzzReadFile reads arbitrary record files: no panic, and Verify never
// accepts a record that does not end with a final checkpoint.
func FuzzReadFile(f *testing.F) {
	good := seedLines(f)
	f.Add(append([]byte(`{"format":"airlock-record","v":1,"created":"2026-01-01T00:00:00Z"}`+"\n"), good...))
	f.Add([]byte(`{"format":"airlock-record"` + "\n" + `{"v":1,"session":"s"`))
	f.Add([]byte("\n\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "r.jsonl")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := record.OpenFileReader(path)
		if err != nil {
			return
		}
		ids, _ := r.Sessions(context.Background())
		for _, id := range ids {
			evs, err := record.ReadSession(context.Background(), r, id)
			if err != nil {
				continue
			}
			if record.Verify(evs, testPub) == nil {
				last := evs[len(evs)-1]
				if last.Checkpoint == nil || !last.Checkpoint.Final {
					t.Fatal("verified a record without a final checkpoint")
				}
			}
		}
	})
}

// FuzzParsePublicKey parses arbitrary key files.
func FuzzParsePublicKey(f *testing.F) {
	pem, _ := record.MarshalPublicKey(testPub)
	f.Add(pem)
	f.Add([]byte("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="))
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pub, err := record.ParsePublicKey(b)
		if err == nil && len(pub) != 32 {
			t.Fatalf("accepted a %d-byte key", len(pub))
		}
		_, _ = record.ParsePrivateKey(b)
	})
}
