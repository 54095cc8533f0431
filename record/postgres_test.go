package record_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/airlock-sdk/airlock/internal/pgtest"
	"github.com/airlock-sdk/airlock/record"
	"github.com/airlock-sdk/airlock/record/pgsink"
)

// testDB creates a throwaway database and returns its connection string.
func testDB(t testing.TB) string {
	t.Helper()
	return pgtest.Database(t, "airlock_record")
}

// openPG migrates the default table of dsn and returns a sink over a pool
// of its own, closed when the test ends.
func openPG(t testing.TB, dsn string) *pgsink.Sink {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pgtest.Store(t, pool, pgsink.Options{}, pgsink.Migrate, pgsink.New)
}

func TestPostgresRecordReplaysAndVerifies(t *testing.T) {
	dsn := testDB(t)
	ctx := context.Background()
	sink := openPG(t, dsn)
	rec := record.New(sink, record.Options{SigningKey: testKey, AsyncOutput: true, CheckpointEvery: 7})
	ids := recordSessions(t, rec, 3, 12)
	secret := recordSecretSession(t, rec)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	r := openPG(t, dsn)
	defer r.Close()
	got, err := r.Sessions(ctx)
	if err != nil || len(got) != 4 {
		t.Fatalf("sessions %v %v", got, err)
	}
	for _, id := range append(ids, secret) {
		readVerified(t, r, id)
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
