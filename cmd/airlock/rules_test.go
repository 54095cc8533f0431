package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRulesCheck(t *testing.T) {
	var out, errb bytes.Buffer
	assert.Equal(t, 0, run([]string{"rules", "check", "testdata/rules.yaml"}, nil, &out, &errb), errb.String())
	assert.Contains(t, out.String(), "4 rules, default deny")
	assert.Contains(t, out.String(), "read-only-for-agents")
	assert.Contains(t, out.String(), "postgres")

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	assert.NoError(t, os.WriteFile(bad, []byte("rules:\n  - name: typo\n    when: sql.statments.size() > 0\n    action: deny\n"), 0o600))
	out.Reset()
	errb.Reset()
	assert.Equal(t, 1, run([]string{"rules", "check", bad}, nil, &out, &errb))
	assert.Contains(t, errb.String(), `bad.yaml:2: rule "typo"`)
}

func TestRulesTest(t *testing.T) {
	var out, errb bytes.Buffer
	assert.Equal(t, 0, run([]string{"rules", "test", "testdata/rules.yaml", "testdata/cases.yaml", "-v"}, nil, &out, &errb), out.String()+errb.String())
	assert.Contains(t, out.String(), "3 cases: 3 passed, 0 failed")
	out.Reset()
	assert.Equal(t, 1, run([]string{"rules", "test", "testdata/rules.yaml", "testdata/cases-failing.yaml"}, nil, &out, &errb))
	assert.Contains(t, out.String(), "FAIL wrong expectation")
	assert.Contains(t, out.String(), "action: got review")
	assert.Equal(t, 2, run([]string{"rules", "test", "testdata/rules.yaml"}, nil, &out, &errb))
}

// Cases written with only a command are parsed as the gateway parses them:
// a DROP is a DROP, not an empty statement list that passes .all().
func TestRulesTestParsesCommands(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"rules", "test", "-v", "testdata/rules-commands.yaml", "testdata/cases-commands.yaml"}, nil, &out, &errb)
	assert.Equal(t, 0, code, out.String()+errb.String())
	assert.Contains(t, out.String(), "6 cases: 6 passed, 0 failed")
	assert.Contains(t, out.String(), "PASS a drop is refused (deny by no-destructive-ddl)")

	// The case: a DROP written as a command must not come out allow.
	cases := filepath.Join(t.TempDir(), "cases.yaml")
	assert.NoError(t, os.WriteFile(cases, []byte("cases:\n  - name: drop\n    request: {protocol: postgres, command: DROP TABLE customers}\n    expect: {action: allow}\n"), 0o600))
	out.Reset()
	assert.Equal(t, 1, run([]string{"rules", "test", "testdata/rules-commands.yaml", cases}, nil, &out, &errb))
	assert.Contains(t, out.String(), "action: got deny")

	// A command with no protocol cannot be parsed: say so.
	assert.NoError(t, os.WriteFile(cases, []byte("cases:\n  - name: x\n    request: {command: DROP TABLE customers}\n    expect: {action: deny}\n"), 0o600))
	errb.Reset()
	assert.Equal(t, 1, run([]string{"rules", "test", "testdata/rules-commands.yaml", cases}, nil, &out, &errb))
	assert.Contains(t, errb.String(), "no request.protocol")
}

func TestRulesCheckHashStrategy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hash.yaml")
	assert.NoError(t, os.WriteFile(path, []byte("masking:\n  strategies: {email: hash}\nrules:\n  - {name: m, when: 'true', mask: [email]}\n"), 0o600))
	var out, errb bytes.Buffer
	assert.Equal(t, 0, run([]string{"rules", "check", path}, nil, &out, &errb), errb.String())
	key := filepath.Join(t.TempDir(), "hash.key")
	assert.NoError(t, os.WriteFile(key, []byte("0123456789abcdef0123"), 0o600))
	assert.Equal(t, 0, run([]string{"rules", "check", "--hash-key", key, path}, nil, &out, &errb), errb.String())
	assert.Equal(t, 1, run([]string{"rules", "check", "--hash-key", "/nonexistent", path}, nil, &out, &errb))
}
