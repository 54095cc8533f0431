package main

import (
	"context"
	"io"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// largeRecord writes sessions×(decisions + decisions×outputs) entries through
// a real gate and Recorder.
func largeRecord(b *testing.B, sessions, decisions, outputs int) (string, int) {
	b.Helper()
	rs, err := gate.ParseRules("b.yaml", []byte(recRules))
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "large.jsonl")
	fs, err := record.OpenFile(path, record.FileOptions{MaxSize: -1})
	if err != nil {
		b.Fatal(err)
	}
	rec := record.New(fs, record.Options{AsyncOutput: true})
	g := gate.New(gate.Config{Rules: rs, Recorder: rec})
	ctx := context.Background()
	for i := 0; i < sessions; i++ {
		s := &gate.Session{Protocol: gate.ProtocolSSH, Target: "web-" + strconv.Itoa(i), Identity: gate.Identity{Subject: "agent"}}
		if err := g.OpenSession(ctx, s); err != nil {
			b.Fatal(err)
		}
		for j := 0; j < decisions; j++ {
			d, err := g.Check(ctx, &gate.Request{Session: s, Command: "cat /var/log/app.log"})
			if err != nil {
				b.Fatal(err)
			}
			for k := 0; k < outputs; k++ {
				_ = g.RecordOutput(ctx, s, gate.Output{DecisionID: d.ID, Stream: "stdout", Data: []byte("2026-11-29T01:00:00Z GET /v1/users 200 12ms\n")})
			}
		}
		if err := g.CloseSession(ctx, s, "done"); err != nil {
			b.Fatal(err)
		}
	}
	if err := rec.Close(); err != nil {
		b.Fatal(err)
	}
	_ = fs.Close()
	m, err := record.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, evs := range m {
		n += len(evs)
	}
	return path, n
}

// BenchmarkReplayLarge measures airlock replay and airlock sessions over a
// record of about 100k entries in 20 sessions. Run with
// go test -run '^$' -bench Large -benchtime 5x ./cmd/airlock/
func BenchmarkReplayLarge(b *testing.B) {
	path, n := largeRecord(b, 20, 50, 100)
	for _, c := range []struct {
		name string
		run  func() int
	}{
		{"replay", func() int { return runReplay(context.Background(), []string{path}, io.Discard, io.Discard) }},
		{"replay-detail", func() int { return runReplay(context.Background(), []string{path, "--detail"}, io.Discard, io.Discard) }},
		{"sessions", func() int { return runSessions(context.Background(), []string{path}, io.Discard, io.Discard) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if code := c.run(); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
