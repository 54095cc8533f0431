package gate_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWatchRulesSwapsAndKeepsLastGood(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	v1 := "default: deny\nrules: []\n"
	require.NoError(t, os.WriteFile(path, []byte(v1), 0o600))
	rs, err := gate.LoadRules(path)
	require.NoError(t, err)
	g := gate.New(gate.Config{Rules: rs})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go g.WatchRules(ctx, path, 10*time.Millisecond)

	require.NoError(t, os.WriteFile(path, []byte("default: allow\nrules: []\n"), 0o600))
	require.Eventually(t, func() bool { return g.Rules().Default() == gate.Allow }, 5*time.Second, 10*time.Millisecond)
	good := g.Rules().Version()

	require.NoError(t, os.WriteFile(path, []byte("default: allow\nrules:\n  - name: broken\n    when: nope\n"), 0o600))
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, good, g.Rules().Version(), "a broken file keeps the last good rules")
}

func TestRetryModeExpiry(t *testing.T) {
	g, mem, _, s := newGate(t, gate.RefuseThenRetry)
	_, err := g.Check(context.Background(), call(s, "delete", 1))
	var ref *gate.RefusedError
	require.ErrorAs(t, err, &ref)
	time.Sleep(400 * time.Millisecond) // the rule's TTL is 300ms
	_, err = mem.Approve(context.Background(), ref.ApprovalID, reviewer, "late")
	require.Error(t, err, "an expired review cannot be approved")
	_, err = g.Check(context.Background(), call(s, "delete", 1))
	var again *gate.RefusedError
	require.ErrorAs(t, err, &again)
	assert.NotEqual(t, ref.ApprovalID, again.ApprovalID, "after expiry a retry files a new review")
}
