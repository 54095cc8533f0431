package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/internal/pgtest"
	"github.com/airlock-sdk/airlock/record"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkFixture writes a complete, valid serve configuration whose rules,
// reviews and record all live in PostgreSQL database db, and returns its
// path. edit may change the YAML before it is written.
func checkFixture(t *testing.T, dbURL string, edit func(string) string) (dir, cfgPath string) {
	t.Helper()
	dir = t.TempDir()
	priv, _, err := record.GenerateKey()
	require.NoError(t, err)
	privPEM, err := record.MarshalPrivateKey(priv)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "signing.pem"), privPEM, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hmac.key"), []byte("0123456789abcdef0123456789abcdef"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(serveRules), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "seal.key"), []byte(testSealKey), 0o600))
	cfg := fmt.Sprintf(`
rules: {file: %[1]s/rules.yaml, postgres: "%[2]s"}
review: {postgres: "%[2]s", seal_key_file: %[1]s/seal.key}
record:
  file: {path: %[1]s/record.jsonl}
  postgres: "%[2]s"
  signing_key_file: %[1]s/signing.pem
  hmac_key_file: %[1]s/hmac.key
identities:
  tokens:
    agent-token-0123456789: {subject: agent-1, kind: agent}
postgres:
  listen: 127.0.0.1:6543
  upstream: postgres://postgres@127.0.0.1:5432/test?sslmode=disable
http:
  listen: 127.0.0.1:8088
  upstream: http://127.0.0.1:9
`, dir, dbURL)
	if edit != nil {
		cfg = edit(cfg)
	}
	cfgPath = filepath.Join(dir, "airlock.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	return dir, cfgPath
}

func runBin(t *testing.T, bin string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	}
	require.NoError(t, err)
	return string(out), 0
}

// dumpDatabase is the whole database as pg_dump writes it: schema and data.
func dumpDatabase(t *testing.T, dbURL string) string {
	t.Helper()
	out, err := exec.Command("pg_dump", "--no-owner", dbURL).CombinedOutput()
	require.NoError(t, err, string(out))
	// \restrict lines carry a random key per run; everything else is stable.
	var keep []string
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, "\\restrict ") && !strings.HasPrefix(line, "\\unrestrict ") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

func TestServeCheckChangesNothing(t *testing.T) {
	requireTool(t, "pg_dump")
	bin := buildAirlock(t)
	dbURL := pgtest.Database(t, "airlock_check")
	dir, cfgPath := checkFixture(t, dbURL, nil)
	before := dumpDatabase(t, dbURL)

	out, code := runBin(t, bin, "serve", cfgPath, "--check")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "configuration valid")
	assert.Contains(t, out, "serve will create its table and seed it")

	assert.Equal(t, before, dumpDatabase(t, dbURL), "--check changed the database")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var tables int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`).Scan(&tables))
	assert.Zero(t, tables, "--check created relations")
	_, err = os.Stat(filepath.Join(dir, "record.jsonl"))
	assert.True(t, os.IsNotExist(err), "--check created the record file")
}

func TestServeCheckCatchesWhatServeWouldFailOn(t *testing.T) {
	bin := buildAirlock(t)
	dbURL := pgtest.Database(t, "airlock_check")
	cases := []struct {
		name string
		edit func(dir, cfg string) string
		want []string
	}{
		{"missing signing key", func(dir, c string) string {
			return strings.Replace(c, dir+"/signing.pem", dir+"/nope.pem", 1)
		}, []string{"record.signing_key_file", "no such file", "airlock keygen"}},
		{"public key where a private one goes", func(dir, c string) string {
			_, pub, _ := record.GenerateKey()
			pem, _ := record.MarshalPublicKey(pub)
			_ = os.WriteFile(dir+"/signing.pub", pem, 0o600)
			return strings.Replace(c, dir+"/signing.pem", dir+"/signing.pub", 1)
		}, []string{"record.signing_key_file"}},
		{"short hmac key", func(dir, c string) string {
			_ = os.WriteFile(dir+"/short.key", []byte("abc"), 0o600)
			return strings.Replace(c, dir+"/hmac.key", dir+"/short.key", 1)
		}, []string{"record.hmac_key_file", "at least 16"}},
		{"port out of range", func(_, c string) string {
			return strings.Replace(c, "127.0.0.1:6543", "127.0.0.1:70000", 1)
		}, []string{"postgres.listen", "70000"}},
		{"no port", func(_, c string) string {
			return strings.Replace(c, "listen: 127.0.0.1:8088", "listen: 127.0.0.1", 1)
		}, []string{"http.listen", "not host:port"}},
		{"upstream without scheme", func(_, c string) string {
			return strings.Replace(c, "upstream: http://127.0.0.1:9", "upstream: 127.0.0.1:9", 1)
		}, []string{"http.upstream"}},
		{"record directory missing", func(dir, c string) string {
			return strings.Replace(c, dir+"/record.jsonl", dir+"/no/such/dir/record.jsonl", 1)
		}, []string{"record.file.path", "does not exist"}},
		{"broken local rules with a store", func(dir, c string) string {
			_ = os.WriteFile(dir+"/rules.yaml", []byte("rules:\n  - name: x\n    when: request.nope\n    action: allow\n"), 0o600)
			return c
		}, []string{"rules.file", "undeclared reference"}},
		{"unreachable database", func(_, c string) string {
			return strings.Replace(c, `review: {postgres: "`+dbURL+`"`, `review: {postgres: "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"`, 1)
		}, []string{"review.postgres", "cannot connect"}},
		{"a seal key others can read", func(dir, c string) string {
			_ = os.Chmod(dir+"/seal.key", 0o644)
			return c
		}, []string{"review.seal_key_file", "readable by its group or others"}},
		{"a postgres review store without a seal key", func(dir, c string) string {
			return strings.Replace(c, ", seal_key_file: "+dir+"/seal.key", "", 1)
		}, []string{"review.seal_key_file: required"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var d string
			_, cfgPath := checkFixture(t, dbURL, func(c string) string { return c })
			d = filepath.Dir(cfgPath)
			data, err := os.ReadFile(cfgPath)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(cfgPath, []byte(tc.edit(d, string(data))), 0o600))
			out, code := runBin(t, bin, "serve", "--config", cfgPath, "--check")
			assert.Equal(t, 1, code, out)
			assert.NotContains(t, out, "configuration valid")
			for _, w := range tc.want {
				assert.Contains(t, out, w)
			}
		})
	}
}

func TestServeCheckListsEveryProblem(t *testing.T) {
	bin := buildAirlock(t)
	dbURL := pgtest.Database(t, "airlock_check")
	_, cfgPath := checkFixture(t, dbURL, func(c string) string {
		c = strings.Replace(c, "127.0.0.1:6543", "127.0.0.1:70000", 1)
		return strings.Replace(c, "upstream: http://127.0.0.1:9", "upstream: ftp://x", 1)
	})
	out, code := runBin(t, bin, "serve", cfgPath, "--check")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "2 problem(s)")
	assert.Contains(t, out, "postgres.listen")
	assert.Contains(t, out, "http.upstream")
}

func TestServeCheckCompilesTheStoresActiveRules(t *testing.T) {
	bin := buildAirlock(t)
	// An active version that does not compile (written behind the store's
	// back, as an older airlock with another vocabulary might have).
	dbURL := ruleStoreWith(t, "rules: [{name: x, when: request.nope, action: allow}]")
	_, cfgPath := checkFixture(t, dbURL, nil)
	out, code := runBin(t, bin, "serve", cfgPath, "--check")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "rules.postgres: the active version v1 does not compile")
}

// A store that holds good rules does not excuse a local rule file that does
// not compile: serve would seed or reload from it.
func TestServeCheckCompilesTheLocalFileBesideAStore(t *testing.T) {
	bin := buildAirlock(t)
	dbURL := ruleStoreWith(t, `rules: [{name: x, when: "true", action: allow}]`)
	dir, cfgPath := checkFixture(t, dbURL, nil)
	out, code := runBin(t, bin, "serve", cfgPath, "--check")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "rules default@v1")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte("rules: [{name: x, when: request.nope, action: allow}]\n"), 0o600))
	out, code = runBin(t, bin, "serve", cfgPath, "--check")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "rules.file")
}

// ruleStoreWith makes a throwaway database whose rule store holds content
// as the active version v1 of the rule set "default".
func ruleStoreWith(t *testing.T, content string) string {
	t.Helper()
	dbURL := pgtest.Database(t, "airlock_check")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CREATE TABLE airlock_rule_sets (name text, version text, content text, published_by text,
published_at timestamptz DEFAULT now(), active boolean)`)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `INSERT INTO airlock_rule_sets VALUES ('default', 'v1', $1, 'test', now(), true)`, content)
	require.NoError(t, err)
	return dbURL
}
