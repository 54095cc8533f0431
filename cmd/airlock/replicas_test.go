package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate/pgrules"
	"github.com/airlock-sdk/airlock/record"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const replicaRules = `default: deny
rules:
  - name: reads
    when: request.protocol == "postgres" && sql.statements.all(s, s.read_only)
    action: allow
  - name: deletes-need-review
    when: request.protocol == "postgres" && sql.statements.exists(s, s.kind == "DELETE")
    action: review
    review: {ttl: 3s}
`

const reviewerToken = "reviewer-token-0123456789"

// replica is one `airlock serve` process of a test, with its PostgreSQL
// listener and review console.
type replica struct {
	*gateway
	pgAddr  string
	console string
}

func startReplica(t *testing.T, bin, dir, stateURL, upstreamDB string, n int) *replica {
	t.Helper()
	r := &replica{pgAddr: freePort(t), console: freePort(t)}
	cfg := fmt.Sprintf(`
rules: {postgres: %q, name: prod, file: %s}
review:
  postgres: %q
  seal_key_file: %s
  console: {listen: %s, reviewers: {%s: {subject: alice, kind: human}}}
record: {postgres: %q}
identities: {tokens: {agent-token-0123456789: {subject: agent-1, kind: agent}}}
postgres:
  listen: %s
  upstream: postgres://postgres@127.0.0.1:5432/%s?sslmode=disable
  allow_insecure_password: true
shutdown_timeout: 5s
`, stateURL, filepath.Join(dir, "rules.yaml"), stateURL, filepath.Join(dir, "seal.key"), r.console, reviewerToken, stateURL, r.pgAddr, upstreamDB)
	r.gateway = startGatewayAt(t, bin, filepath.Join(dir, fmt.Sprintf("replica%d.yaml", n)), cfg)
	return r
}

func (r *replica) psql(ctx context.Context, db, sql string) (string, error) {
	return psqlAs(ctx, r.pgAddr, "agent-1", "agent-token-0123456789", db, sql)
}

func (r *replica) api(t *testing.T, method, path string, body any) []byte {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+r.console+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+reviewerToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	require.Less(t, resp.StatusCode, 300, "%s %s: %s", method, path, out)
	return out
}

func (r *replica) pending(t *testing.T) []approval.ConsoleReview {
	var out []approval.ConsoleReview
	require.NoError(t, json.Unmarshal(r.api(t, "GET", "/api/pending", nil), &out))
	return out
}

// replicaFixture prepares replicas sharing one PostgreSQL state database:
// it writes rules to dir/rules.yaml and returns the binary, dir, the state
// database's URL and the name of the upstream database.
func replicaFixture(t *testing.T, rules string) (bin, dir, stateURL, upstream string) {
	t.Helper()
	requireTool(t, "psql")
	bin = buildAirlock(t)
	upstream = testDatabase(t)
	stateURL = "postgres://postgres@127.0.0.1:5432/" + testDatabase(t) + "?sslmode=disable"
	dir = t.TempDir()
	writeFile(t, filepath.Join(dir, "rules.yaml"), rules)
	writeFile(t, filepath.Join(dir, "seal.key"), testSealKey)
	return bin, dir, stateURL, upstream
}

// TestReplicasShareApprovalsRecordsAndRules runs three gateway processes
// against one PostgreSQL: a statement held on one replica is approved through
// another's console API and completes; a replica killed mid-hold loses
// nothing; a rule set published once reaches every replica.
func TestReplicasShareApprovalsRecordsAndRules(t *testing.T) {
	bin, dir, stateURL, upstream := replicaFixture(t, replicaRules)
	var rs []*replica
	for i := 0; i < 3; i++ {
		rs = append(rs, startReplica(t, bin, dir, stateURL, upstream, i))
	}
	ctx := context.Background()
	out, err := rs[2].psql(ctx, upstream, "SELECT count(*) FROM customers")
	require.NoError(t, err, out)
	assert.Equal(t, "1\n", out)

	// 1. Held on replica 0, seen on replica 1, approved through replica 2.
	held := make(chan string, 1)
	go func() {
		out, err := rs[0].psql(ctx, upstream, "DELETE FROM customers WHERE id = 1")
		if err != nil {
			out = "error: " + out
		}
		held <- out
	}()
	review := onePending(t, rs[1])
	assert.Contains(t, review.Command, "DELETE FROM customers")
	rs[2].api(t, "POST", "/api/decide", approval.Decision{ID: review.ID, Decision: "approve", Reason: "ticket 7"})
	select {
	case out := <-held:
		assert.Equal(t, "DELETE 1\n", out)
	case <-time.After(15 * time.Second):
		t.Fatal("the held statement did not complete after approval on another replica")
	}
	out, err = rs[1].psql(ctx, upstream, "SELECT count(*) FROM customers")
	require.NoError(t, err, out)
	assert.Equal(t, "0\n", out)

	// 2. A replica killed mid-hold: its client gets an error, the review
	// expires (swept by a surviving replica) and the record keeps what
	// was accepted.
	go func() {
		out, err := rs[0].psql(ctx, upstream, "DELETE FROM customers WHERE id = 2")
		if err == nil {
			out = "unexpected success: " + out
		}
		held <- out
	}()
	require.Eventually(t, func() bool { return len(rs[1].pending(t)) == 1 }, 15*time.Second, 50*time.Millisecond)
	require.NoError(t, rs[0].cmd.Process.Kill())
	select {
	case out := <-held:
		assert.NotContains(t, out, "unexpected success")
	case <-time.After(15 * time.Second):
		t.Fatal("the client of a killed replica hung")
	}
	require.Eventually(t, func() bool {
		var hist []approval.ConsoleReview
		require.NoError(t, json.Unmarshal(rs[2].api(t, "GET", "/api/history", nil), &hist))
		for _, h := range hist {
			if strings.Contains(h.Command, "id = 2") {
				return h.State == "expired"
			}
		}
		return false
	}, 20*time.Second, 200*time.Millisecond)

	// 3. Publish a rule set once: every live replica swaps to it.
	pool, err := pgxpool.New(ctx, stateURL)
	require.NoError(t, err)
	defer pool.Close()
	store, err := pgrules.New(pool, pgrules.Options{Name: "prod"})
	require.NoError(t, err)
	_, err = store.Publish(ctx, []byte("default: deny\nrules: []\n"), "test")
	require.NoError(t, err)
	for _, r := range rs[1:] {
		var last string
		require.Eventually(t, func() bool {
			out, err := r.psql(ctx, upstream, "SELECT 1")
			last = out
			return err != nil && strings.Contains(out, "denied")
		}, 15*time.Second, 100*time.Millisecond, "last answer: %s; replica log: %s", &last, r.logs)
	}

	// Records of all replicas are in one store; each session's chain
	// verifies (the killed replica's session is open: no final checkpoint).
	for _, r := range rs[1:] {
		_, _ = r.wait(syscall.SIGTERM, time.Hour)
	}
	sink, err := openRecordTable(ctx, stateURL, "")
	require.NoError(t, err)
	defer sink.Close()
	sessions, err := sink.Sessions(ctx)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(sessions), 5)
	var sawHeldDelete bool
	for _, id := range sessions {
		entries, err := record.ReadSession(ctx, sink, id)
		require.NoError(t, err)
		closed := false
		for _, e := range entries {
			if e.Kind == "session_end" {
				closed = true
			}
			if e.Event != nil && e.Event.Request != nil && strings.Contains(e.Event.Request.Command, "id = 2") {
				sawHeldDelete = true
			}
		}
		if closed {
			require.NoError(t, record.Verify(entries, nil), "session %s", id)
		}
	}
	assert.True(t, sawHeldDelete, "the decision to hold was recorded before the replica died")

	conn, err := pgx.Connect(ctx, stateURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var consumed int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM airlock_reviews WHERE state = 'consumed'`).Scan(&consumed))
	assert.Equal(t, 1, consumed)
}
