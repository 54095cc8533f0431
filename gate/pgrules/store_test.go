package pgrules_test

import (
	"context"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/gate/pgrules"
	"github.com/airlock-sdk/airlock/internal/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testPool connects to a fresh database that is dropped after the test.
func testPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), pgtest.Database(t, "airlock_pgrules"))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

const v1 = "default: deny\nrules:\n  - name: reads\n    when: tool.name == 'read'\n    action: allow\n"
const v2 = "default: allow\nrules: []\n"

func TestPublishAndWatchAcrossReplicas(t *testing.T) {
	pool := testPool(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := pgrules.Options{Name: "prod", Retry: 50 * time.Millisecond}
	require.NoError(t, pgrules.Migrate(ctx, pool, opts))
	require.NoError(t, pgrules.Migrate(ctx, pool, opts), "migrate is idempotent")
	store, err := pgrules.New(pool, opts)
	require.NoError(t, err)

	_, err = store.Active(ctx)
	require.ErrorIs(t, err, pgrules.ErrNoRuleSet)

	ver1, err := store.Publish(ctx, []byte(v1), "alice")
	require.NoError(t, err)

	// Three replicas, each its own gate and watcher.
	var replicas []*gate.Gate
	for i := 0; i < 3; i++ {
		g := gate.New(gate.Config{})
		replicas = append(replicas, g)
		go store.Watch(ctx, g)
	}
	for _, g := range replicas {
		require.Eventually(t, func() bool { return g.Rules().Version() == ver1 }, 10*time.Second, 10*time.Millisecond)
	}

	ver2, err := store.Publish(ctx, []byte(v2), "bob")
	require.NoError(t, err)
	for _, g := range replicas {
		require.Eventually(t, func() bool { return g.Rules().Version() == ver2 }, 10*time.Second, 10*time.Millisecond)
	}

	_, err = store.Publish(ctx, []byte("rules:\n  - name: bad\n    when: nope\n    action: allow\n"), "mallory")
	require.Error(t, err, "a rule file that does not compile is never published")

	// Someone writes a broken active version behind the store's back: the
	// replicas keep their last good rules.
	_, err = pool.Exec(ctx, `UPDATE airlock_rule_sets SET active = false WHERE name = 'prod'`)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `INSERT INTO airlock_rule_sets (name, version, content, published_by, active) VALUES ('prod', 'x', 'rules: [{name: b, when: nope, action: allow}]', 'mallory', true)`)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `SELECT pg_notify($1, 'prod x')`, pgrules.Channel)
	require.NoError(t, err)
	time.Sleep(300 * time.Millisecond)
	for _, g := range replicas {
		assert.Equal(t, ver2, g.Rules().Version())
	}

	vs, err := store.Versions(ctx)
	require.NoError(t, err)
	require.Len(t, vs, 3)
	active := 0
	for _, v := range vs {
		if v.Active {
			active++
		}
	}
	assert.Equal(t, 1, active)
}

func TestRepublishReactivatesOldVersion(t *testing.T) {
	pool := testPool(t)
	ctx := context.Background()
	require.NoError(t, pgrules.Migrate(ctx, pool, pgrules.Options{}))
	store, err := pgrules.New(pool, pgrules.Options{})
	require.NoError(t, err)
	a, err := store.Publish(ctx, []byte(v1), "alice")
	require.NoError(t, err)
	_, err = store.Publish(ctx, []byte(v2), "alice")
	require.NoError(t, err)
	again, err := store.Publish(ctx, []byte(v1), "alice")
	require.NoError(t, err)
	assert.Equal(t, a, again)
	rs, err := store.Active(ctx)
	require.NoError(t, err)
	assert.Equal(t, a, rs.Version())
}

func TestNewNeedsAPool(t *testing.T) {
	_, err := pgrules.New(nil, pgrules.Options{})
	require.Error(t, err)
}
