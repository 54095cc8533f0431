package main

import (
	"context"
	"encoding/base64"
	"errors"
	"github.com/hashicorp/go-hclog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testSealKey is a review.seal_key_file of the tests (base64 of 33 bytes).
const testSealKey = "YWlybG9jayB0ZXN0IHNlYWwga2V5LCAzMiBieXRlcyBvcg==\n"

func TestReviewStoreMustBeSealedOrSaySo(t *testing.T) {
	const pg = "postgres://postgres@127.0.0.1:1/x"
	for _, tc := range []struct {
		name   string
		review reviewConfig
		want   string // "" when valid
	}{
		{"memory store", reviewConfig{}, ""},
		{"postgres without a key", reviewConfig{Postgres: pg}, "review.seal_key_file: required with review.postgres"},
		{"postgres with a key", reviewConfig{Postgres: pg, SealKeyFile: "k"}, ""},
		{"postgres, explicitly unsealed", reviewConfig{Postgres: pg, Unsealed: true}, ""},
		{"both", reviewConfig{Postgres: pg, SealKeyFile: "k", Unsealed: true}, "set one, not both"},
		{"a key without postgres", reviewConfig{SealKeyFile: "k"}, "only with review.postgres"},
	} {
		var p configProblems
		c := &serveConfig{Review: tc.review}
		c.validateReviewStore(&p)
		err := errors.Join(p...)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestReadSealKey(t *testing.T) {
	dir := t.TempDir()
	raw := []byte("0123456789abcdef0123456789abcdef\x00\xff")
	b64 := func(b []byte) []byte { return []byte(base64.StdEncoding.EncodeToString(b) + "\n") }
	write := func(name string, data []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name string
		path string
		want string // "" when accepted
	}{
		{"base64, 0600", write("b64", b64(raw), 0o600), ""},
		{"base64, 0400", write("b64-ro", b64(raw), 0o400), ""},
		{"raw bytes", write("raw", raw, 0o600), "does not hold a base64 key"},
		{"world-readable", write("world", b64(raw), 0o644), "readable by its group or others"},
		{"group-readable", write("group", b64(raw), 0o640), "readable by its group or others"},
		{"short", write("short", b64(raw[:31]), 0o600), "at least 32"},
		{"missing", filepath.Join(dir, "none"), "no such file"},
		{"a directory", dir, "not a regular file"},
	} {
		key, err := readSealKey(tc.path)
		switch {
		case tc.want == "" && (err != nil || string(key) != string(raw)):
			t.Errorf("%s: %q, %v", tc.name, key, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// serve refuses to open the postgres review store with a key file others
// can read, before it connects.
func TestServeRefusesAWorldReadableSealKey(t *testing.T) {
	p := filepath.Join(t.TempDir(), "seal.key")
	if err := os.WriteFile(p, []byte("0123456789abcdef0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := &serveConfig{Review: reviewConfig{Postgres: "postgres://postgres@127.0.0.1:1/x?connect_timeout=1", SealKeyFile: p}}
	_, _, err := openApprover(context.Background(), cfg, hclog.NewNullLogger())
	if err == nil || !strings.Contains(err.Error(), "review.seal_key_file") || !strings.Contains(err.Error(), "readable") {
		t.Fatalf("%v", err)
	}
}
