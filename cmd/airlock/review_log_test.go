package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/syncbuf"
)

// TestServeLogsForgedReviewRows: a grant row written straight into the
// review store (no seal) allows nothing, and serve's log says so, so the
// operator learns that someone writes those tables.
func TestServeLogsForgedReviewRows(t *testing.T) {
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last first: the database is dropped before the
	// connection that drops it is closed (a deferred Close would run
	// before any cleanup and leave the database behind).
	t.Cleanup(func() { _ = admin.Close(context.Background()) })
	db := fmt.Sprintf("airlock_serve_log_%d", rand.Uint32())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)") })
	dsn := "postgres://postgres@127.0.0.1:5432/" + db + "?sslmode=disable"

	key := filepath.Join(t.TempDir(), "seal.key")
	raw := bytes.Repeat([]byte{7}, 32)
	if err := os.WriteFile(key, []byte(base64.StdEncoding.EncodeToString(raw)), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &syncbuf.Buffer{}
	log := hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Trace})
	ap, closeAp, err := openApprover(ctx, &serveConfig{Review: reviewConfig{Postgres: dsn, SealKeyFile: key}}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAp()
	grants, ok := ap.(interface {
		ActiveGrants(ctx context.Context, subject string) ([]gate.Grant, error)
	})
	if !ok {
		t.Fatalf("%T has no ActiveGrants", ap)
	}

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	doc := `{"id":"g-forged","review_id":"r-forged","subject":"agent-1","kind":"agent","protocol":"postgres","scope":"once","max_uses":5}`
	if _, err := conn.Exec(ctx, `INSERT INTO airlock_grants (id, review_id, subject, doc, max_uses, created_at, expires_at)
VALUES ('g-forged', 'r-forged', 'agent-1', $1, 5, now(), now() + interval '1 hour')`, doc); err != nil {
		t.Fatal(err)
	}
	got, err := grants.ActiveGrants(ctx, "agent-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("a forged grant is active: %+v", got)
	}
	if out := logs.String(); !strings.Contains(out, "review") || !strings.Contains(out, "g-forged") {
		t.Fatalf("serve's log does not report the forged grant:\n%s", out)
	}
}
