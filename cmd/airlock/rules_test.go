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
