package record_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/record"
	"github.com/airlock-sdk/airlock/record/pgsink"
)

// TestAnchorOverHTTPAndPostgres publishes checkpoints to a witness over
// HTTP (an AnchorServer storing in a file) and to a PostgreSQL table at
// once, and checks a cut record against each.
func TestAnchorOverHTTPAndPostgres(t *testing.T) {
	dir := t.TempDir()
	srv := httptest.NewServer(&record.AnchorServer{Store: &record.FileAnchor{Path: filepath.Join(dir, "witness.jsonl")}, Key: testPub, Token: "anchor-token"})
	defer srv.Close()
	httpAnchor := &record.HTTPAnchor{URL: srv.URL, Token: "anchor-token"}
	pgAnchor := &pgsink.Anchor{ConnString: testDB(t)}
	path, ids := writeFileRecord(t, 3, 4, record.FileOptions{}, record.Options{LogCheckpointEvery: 6, Anchors: []record.Anchor{httpAnchor, pgAnchor}})
	ctx := context.Background()
	orig := readLines(t, path)
	cut := orig[:sessionLines(orig, ids[2])[0]]
	for name, a := range map[string]record.Anchor{"http": httpAnchor, "postgres": pgAnchor} {
		t.Run(name, func(t *testing.T) {
			latest, err := a.Latest(ctx)
			if err != nil || len(latest) != 1 || !latest[0].Final {
				t.Fatalf("latest: %v %v", latest, err)
			}
			writeLines(t, path, orig)
			if rep := verifyFile(t, path, record.VerifyOptions{Anchored: latest}); !rep.OK() || rep.Logs[0].Anchored == 0 {
				t.Fatalf("anchored record: %v %+v", rep.Problems, rep.Logs)
			}
			writeLines(t, path, cut)
			wantDamage(t, verifyFile(t, path, record.VerifyOptions{AllowOpen: true, Anchored: latest}), record.DamageTruncated, -1)
		})
	}
}

// TestAnchorServerRefuses: a witness takes only signed checkpoints that
// extend what it holds.
func TestAnchorServerRefuses(t *testing.T) {
	dir := t.TempDir()
	srv := httptest.NewServer(&record.AnchorServer{Store: &record.FileAnchor{Path: filepath.Join(dir, "w.jsonl")}, Key: testPub, Token: "tok"})
	defer srv.Close()
	path, _ := writeFileRecord(t, 1, 2, record.FileOptions{}, record.Options{LogCheckpointEvery: 3})
	var cps []*record.LogCheckpoint
	for _, l := range readLines(t, path) {
		if e, _ := record.ParseStoredLine(l); e != nil && e.LogCheckpoint != nil {
			cps = append(cps, e.LogCheckpoint)
		}
	}
	if len(cps) < 3 {
		t.Fatalf("%d checkpoints", len(cps))
	}
	ctx := context.Background()
	a := &record.HTTPAnchor{URL: srv.URL, Token: "tok", Client: &http.Client{Timeout: 5 * time.Second}}
	if err := a.Publish(ctx, cps[1]); err != nil {
		t.Fatal(err)
	}
	if err := a.Publish(ctx, cps[0]); err == nil || !strings.Contains(err.Error(), "409") {
		t.Fatalf("an older checkpoint accepted: %v", err)
	}
	forged := *cps[2]
	forged.Size++
	if err := a.Publish(ctx, &forged); err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("a forged checkpoint accepted: %v", err)
	}
	otherPriv, _, _ := record.GenerateKey()
	if err := (&record.HTTPAnchor{URL: srv.URL, Token: "wrong"}).Publish(ctx, cps[2]); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("bad token: %v", err)
	}
	if err := a.Publish(ctx, cps[2]); err != nil {
		t.Fatal(err)
	}
	latest, err := a.Latest(ctx)
	if err != nil || len(latest) != 1 || latest[0].Size != cps[2].Size {
		t.Fatalf("latest %v %v", latest, err)
	}
	if err := latest[0].Verify(testPub); err != nil {
		t.Fatal(err)
	}
	var pub ed25519.PublicKey = otherPriv.Public().(ed25519.PublicKey)
	if err := latest[0].Verify(pub); !errors.Is(err, record.ErrBadCheckpoint) {
		t.Fatalf("verified with another key: %v", err)
	}
}

// TestCollectorKeepsSinkIntegrity: two recorders ship to one collector;
// the collector's file holds both logs, verifies, and a session deleted
// from it is detected.
func TestCollectorKeepsSinkIntegrity(t *testing.T) {
	path := filepath.Join(t.TempDir(), "collected.jsonl")
	fs, err := record.OpenFile(path, record.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&record.Collector{Sink: fs, Token: "tok"})
	defer srv.Close()
	var ids []string
	for i := 0; i < 2; i++ {
		rec := record.New(record.NewHTTP(srv.URL, "tok", record.HTTPOptions{}), record.Options{SigningKey: testKey, LogCheckpointEvery: 5})
		ids = append(ids, recordSession(t, rec, 3), recordSession(t, rec, 3))
		if err := rec.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	rep := verifyFile(t, path, record.VerifyOptions{})
	if !rep.OK() || len(rep.Logs) != 2 || len(rep.Sessions) != 4 {
		t.Fatalf("collected: %v %+v", rep.Problems, rep.Logs)
	}
	lines := readLines(t, path)
	writeLines(t, path, without(lines, sessionLines(lines, ids[2])))
	wantDamage(t, verifyFile(t, path, record.VerifyOptions{AllowOpen: true}), record.DamageDeleted, -1)
}
