package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The operator paths of the README, run as a user runs them: the built
// binary, its exit codes and its words.
func TestCLIAsBuilt(t *testing.T) {
	bin := buildAirlock(t)

	t.Run("version comes from the build", func(t *testing.T) {
		out, code := runBin(t, bin, "version")
		assert.Equal(t, 0, code)
		assert.NotContains(t, out, "0.1.0-dev")
		assert.Regexp(t, `^airlock (v\d|devel)`, out)
	})

	t.Run("help on every subcommand", func(t *testing.T) {
		for _, args := range [][]string{{"demo", "--help"}, {"keygen", "--help"}, {"serve", "--help"}, {"rules", "check", "--help"}, {"verify", "--help"}} {
			out, code := runBin(t, bin, args...)
			assert.Equal(t, 0, code, out)
			assert.Contains(t, out, "usage: airlock "+args[0], args)
			assert.NotContains(t, out, "Usage of", args)
		}
	})

	t.Run("keygen warns inside a git work tree", func(t *testing.T) {
		tree := t.TempDir()
		require.NoError(t, os.Mkdir(filepath.Join(tree, ".git"), 0o755))
		keys := filepath.Join(tree, "keys")
		require.NoError(t, os.Mkdir(keys, 0o755))
		out, code := runBin(t, bin, "keygen", "--out", keys)
		assert.Equal(t, 0, code, out)
		assert.Contains(t, out, "inside the git work tree "+tree)
		outside := t.TempDir()
		out, code = runBin(t, bin, "keygen", "--out", outside)
		assert.Equal(t, 0, code, out)
		assert.NotContains(t, out, "warning")
	})

	t.Run("verify names a private key given as --key", func(t *testing.T) {
		dir := t.TempDir()
		_, code := runBin(t, bin, "keygen", "--out", dir)
		require.Equal(t, 0, code)
		rec := filepath.Join(dir, "r.jsonl")
		require.NoError(t, os.WriteFile(rec, nil, 0o600))
		out, code := runBin(t, bin, "verify", rec, "--key", filepath.Join(dir, "record-signing.pem"))
		assert.Equal(t, 2, code)
		assert.Contains(t, out, "is a private signing key; verify takes the public key")
		assert.NotContains(t, out, "asn1")
	})

	t.Run("session ids by the prefix replay prints", func(t *testing.T) {
		lg, closed, _ := sessionsFixture(t)
		path := lg.path
		ids := []string{closed.ID}
		prefix := ids[0][:8]
		out, code := runBin(t, bin, "replay", path, "--session", prefix)
		assert.Equal(t, 0, code, out)
		out, code = runBin(t, bin, "replay", path, "--session", "zzzzzzzz")
		assert.Equal(t, 1, code)
		assert.Contains(t, out, "airlock sessions lists them")
	})

	t.Run("rules test parses commands; rules check takes a hash key", func(t *testing.T) {
		out, code := runBin(t, bin, "rules", "test", "testdata/rules-commands.yaml", "testdata/cases-commands.yaml")
		assert.Equal(t, 0, code, out)
		assert.Contains(t, out, "6 cases: 6 passed, 0 failed")
		dir := t.TempDir()
		rules := filepath.Join(dir, "hash.yaml")
		require.NoError(t, os.WriteFile(rules, []byte("masking:\n  strategies: {email: hash}\nrules:\n  - {name: m, when: 'true', mask: [email]}\n"), 0o600))
		key := filepath.Join(dir, "hash.key")
		require.NoError(t, os.WriteFile(key, []byte("0123456789abcdef0123"), 0o600))
		out, code = runBin(t, bin, "rules", "check", "--hash-key", key, rules)
		assert.Equal(t, 0, code, out)
		require.NoError(t, os.WriteFile(rules, []byte("masking:\n  detecters: []\nrules: []\n"), 0o600))
		out, code = runBin(t, bin, "rules", "check", rules)
		assert.Equal(t, 1, code)
		assert.Contains(t, out, `unknown key "detecters" in masking (did you mean "detectors"?)`)
	})

	t.Run("a mis-indented config names its line", func(t *testing.T) {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "a.yaml")
		require.NoError(t, os.WriteFile(cfg, []byte("rules:\n  file: r.yaml\nrecord:\n  file:\n    path: /tmp/x\n   group_commit: 5ms\n    max_size: 1\n"), 0o600))
		out, code := runBin(t, bin, "serve", cfg, "--check")
		assert.Equal(t, 1, code)
		assert.Contains(t, out, "line 6: indentation")
		require.NoError(t, os.WriteFile(cfg, []byte("rules:\n  fille: r.yaml\n"), 0o600))
		out, _ = runBin(t, bin, "serve", cfg, "--check")
		assert.Contains(t, out, `line 2: unknown key "fille" in rules (did you mean "file"?)`)
		assert.False(t, strings.Contains(out, "main.") || strings.Contains(out, "serveConfig"), out)
	})
}
