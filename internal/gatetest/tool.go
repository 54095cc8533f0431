package gatetest

import (
	"os"
	"os/exec"
	"testing"
)

// NeedTool returns the path of the command-line tool name (a real client
// such as psql, ssh or curl). When it is missing the test is skipped,
// except under CI (CI set), where a skipped integration test would hide a
// gap: there the test fails.
func NeedTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("%s not installed", name)
		}
		t.Fatalf("%s not installed (CI must install it)", name)
	}
	return p
}
