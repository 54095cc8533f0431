package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serve's record publishes its checkpoints to the configured anchors, and
// airlock verify --anchor checks the record against them.
func TestServeRecordAnchors(t *testing.T) {
	dir := t.TempDir()
	keygen(t, dir)
	var out, errb bytes.Buffer
	anchor := filepath.Join(t.TempDir(), "anchor.jsonl")
	path := filepath.Join(dir, "record.jsonl")
	cfg := &serveConfig{Record: recordConfig{
		File:           &recordFileConfig{Path: path},
		SigningKeyFile: filepath.Join(dir, "record-signing.pem"), HMACKeyFile: filepath.Join(dir, "record-hmac.key"),
		Anchors: []string{anchor}, CheckpointEvery: 2,
	}}
	rec, err := openRecorder(context.Background(), cfg)
	require.NoError(t, err)
	g := gate.New(gate.Config{Recorder: rec})
	s := &gate.Session{Protocol: "tool", Identity: gate.Identity{Subject: "a"}}
	require.NoError(t, g.OpenSession(context.Background(), s))
	for range 5 {
		_, _ = g.Check(context.Background(), &gate.Request{Session: s, Protocol: "tool", Command: "x", Tool: &gate.ToolCall{Name: "x"}})
	}
	require.NoError(t, g.CloseSession(context.Background(), s, "done"))
	require.NoError(t, rec.Close())

	data, err := os.ReadFile(anchor)
	require.NoError(t, err)
	assert.NotEmpty(t, strings.TrimSpace(string(data)), "checkpoints reached the anchor")
	out.Reset()
	errb.Reset()
	code := run([]string{"verify", path, "--key", filepath.Join(dir, "record-signing.pub"), "--anchor", anchor}, nil, &out, &errb)
	assert.Equal(t, 0, code, out.String()+errb.String())

	// Cutting the record's tail after the anchored checkpoint is detected.
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.SplitAfter(strings.TrimRight(string(raw), "\n"), "\n")
	require.Greater(t, len(lines), 4)
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines[:len(lines)-3], "")), 0o600))
	out.Reset()
	code = run([]string{"verify", path, "--key", filepath.Join(dir, "record-signing.pub"), "--anchor", anchor}, nil, &out, &errb)
	assert.Equal(t, 1, code, out.String())
}
