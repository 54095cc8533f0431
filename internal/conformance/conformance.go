// Package conformance runs the named checks of a conformance kit (the
// record/sinktest and approval/approvertest packages), the way
// testing/slogtest runs its cases: each check on a fresh harness, as a
// subtest under a *testing.T, or one after another under another
// testing.TB with every failure prefixed by the check's name.
package conformance

import (
	"crypto/rand"
	"encoding/hex"
	"testing"
)

// Check is one named part of a contract, run on a harness H.
type Check[H any] struct {
	// Name names the check: the subtest's name, or the prefix of its
	// failures ("Name: ...").
	Name string
	// Run checks the contract on a fresh harness.
	Run func(t testing.TB, h H)
}

// Run runs every check on a fresh harness from newHarness and reports
// every violation through t. With a *testing.T each check is a subtest;
// with another testing.TB they run one after another, each failure
// prefixed with the check's name.
func Run[H any](t testing.TB, checks []Check[H], newHarness func(testing.TB) H) {
	t.Helper()
	for _, c := range checks {
		if tt, ok := t.(*testing.T); ok {
			tt.Run(c.Name, func(t *testing.T) { c.Run(t, newHarness(t)) })
			continue
		}
		c.Run(prefixed{t, c.Name}, newHarness(t))
	}
}

// prefixed names the check in every failure when checks are not subtests.
type prefixed struct {
	testing.TB
	name string
}

func (p prefixed) Errorf(format string, args ...any) {
	p.TB.Helper()
	p.TB.Errorf(p.name+": "+format, args...)
}

func (p prefixed) Fatalf(format string, args ...any) {
	p.TB.Helper()
	p.TB.Fatalf(p.name+": "+format, args...)
}

// Nonce returns n random bytes in hex, so that what one check names
// (a digest, a session) is never another run's.
func Nonce(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
