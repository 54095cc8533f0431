package record_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/airlock-sdk/airlock/record"
)

const pgAdmin = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// testDB creates a randomly named database, dropped when the test ends, and
// returns its connection string.
func testDB(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgAdmin)
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("PostgreSQL not reachable: %v", err)
		}
		t.Fatalf("PostgreSQL not reachable: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "airlock_record_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
		admin.Close(ctx)
	})
	return strings.Replace(pgAdmin, "/test?", "/"+name+"?", 1)
}

func TestPostgresRecordReplaysAndVerifies(t *testing.T) {
	dsn := testDB(t)
	ctx := context.Background()
	sink, err := record.OpenPostgres(ctx, dsn, record.PostgresOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec := record.New(sink, record.Options{SigningKey: testKey, AsyncOutput: true, CheckpointEvery: 7})
	var ids []string
	for i := 0; i < 3; i++ {
		ids = append(ids, recordSession(t, rec, 12))
	}
	secret := recordSecretSession(t, rec)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := record.OpenPostgres(ctx, dsn, record.PostgresOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := r.Sessions(ctx)
	if err != nil || len(got) != 4 {
		t.Fatalf("sessions %v %v", got, err)
	}
	for _, id := range append(ids, secret) {
		evs, err := record.ReadSession(ctx, r, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := record.Verify(evs, testPub); err != nil {
			t.Fatal(err)
		}
	}

	// Retrying a stored batch stores nothing twice; a forked one is refused.
	evs, _ := record.ReadSession(ctx, r, ids[0])
	if err := r.Write(ctx, evs[2:6]); err != nil {
		t.Fatalf("idempotent retry: %v", err)
	}
	forged := append([]record.Event(nil), evs[3])
	forged[0].Hash = strings.Repeat("0", 64)
	if err := r.Write(ctx, forged); !errors.Is(err, record.ErrConflict) {
		t.Fatalf("forked entry: %v", err)
	}

	// Tampering in the table is caught.
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, tc := range []struct {
		name, sql, want string
	}{
		{"edit", `UPDATE airlock_record SET event = replace(event::text, '"stdout"', '"stderr"')::json WHERE session_id = $1 AND seq = 5`, "hash mismatch"},
		{"delete", `DELETE FROM airlock_record WHERE session_id = $1 AND seq = 4`, "missing"},
		{"truncate", `DELETE FROM airlock_record WHERE session_id = $1 AND seq > 20`, "final checkpoint"},
	} {
		id := ids[0]
		if tc.name == "delete" {
			id = ids[1]
		} else if tc.name == "truncate" {
			id = ids[2]
		}
		if _, err := conn.Exec(ctx, tc.sql, id); err != nil {
			t.Fatal(err)
		}
		evs, err := record.ReadSession(ctx, r, id)
		if err != nil {
			t.Fatal(err)
		}
		err = record.Verify(evs, testPub)
		var ve *record.VerifyError
		if !errors.As(err, &ve) || !strings.Contains(ve.Reason, tc.want) {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}
}
