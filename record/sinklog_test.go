package record_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
	"github.com/airlock-sdk/airlock/record/pgsink"
)

// verifyFile runs VerifyRecord over a record file.
func verifyFile(t *testing.T, path string, opts record.VerifyOptions) *record.Report {
	t.Helper()
	r, err := record.OpenFileReader(path)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Key == nil {
		opts.Key = testPub
	}
	return record.VerifyRecord(context.Background(), r.Stored(context.Background()), opts)
}

// wantDamage fails unless rep holds a problem of damage d, the first one
// at index (when index >= 0).
func wantDamage(t *testing.T, rep *record.Report, d record.Damage, index int64) {
	t.Helper()
	if rep.OK() {
		t.Fatalf("tampering not detected: %+v", rep.Sessions)
	}
	for _, p := range rep.Problems {
		if p.Damage == d {
			if index >= 0 && p.Index != index {
				t.Fatalf("first %s at index %d, want %d: %v", d, p.Index, index, p)
			}
			return
		}
	}
	t.Fatalf("want %s, got %v", d, rep.Problems)
}

// sessionLines returns the indexes of the lines of session id.
func sessionLines(lines [][]byte, id string) []int {
	var out []int
	for i, l := range lines {
		if bytes.Contains(l, []byte(`"session":"`+id+`"`)) {
			out = append(out, i)
		}
	}
	return out
}

func without(lines [][]byte, drop []int) [][]byte {
	skip := map[int]bool{}
	for _, i := range drop {
		skip[i] = true
	}
	var out [][]byte
	for i, l := range lines {
		if !skip[i] {
			out = append(out, l)
		}
	}
	return out
}

func lineIndex(t *testing.T, line []byte) int64 {
	t.Helper()
	e, err := record.ParseStoredLine(line)
	if err != nil || e == nil {
		t.Fatalf("parse %q: %v", line, err)
	}
	return int64(e.Index)
}

// TestSinkLogTampering plays every row of the table against the
// sink-level log, on a file of five sessions.
func TestSinkLogTampering(t *testing.T) {
	path, ids := writeFileRecord(t, 5, 6, record.FileOptions{}, record.Options{CheckpointEvery: 4, LogCheckpointEvery: 10})
	orig := readLines(t, path)
	if rep := verifyFile(t, path, record.VerifyOptions{}); !rep.OK() || len(rep.Sessions) != 5 || !rep.Logs[0].Closed {
		t.Fatalf("original: %v %+v %+v", rep.Problems, rep.Sessions, rep.Logs)
	}
	for _, s := range verifyFile(t, path, record.VerifyOptions{}).Sessions {
		if s.Status != record.SessionVerified {
			t.Fatalf("session %s: %s", s.ID, s.Status)
		}
	}
	clone := func() [][]byte {
		c := make([][]byte, len(orig))
		for i := range orig {
			c[i] = append([]byte(nil), orig[i]...)
		}
		return c
	}
	mid := sessionLines(orig, ids[2])
	last2 := append(sessionLines(orig, ids[3]), sessionLines(orig, ids[4])...)
	cases := []struct {
		name      string
		tamper    func([][]byte) [][]byte
		allowOpen bool
		want      record.Damage
		index     int64
	}{
		{"edit a field", func(l [][]byte) [][]byte {
			i := mid[3]
			l[i] = bytes.Replace(l[i], []byte(`"stream":"stdout"`), []byte(`"stream":"stderr"`), 1)
			if bytes.Equal(l[i], orig[i]) {
				l[i] = bytes.Replace(l[i], []byte(`"subject":"agent-7"`), []byte(`"subject":"agent-8"`), 1)
			}
			return l
		}, false, record.DamageEdited, -1},
		{"delete a line", func(l [][]byte) [][]byte {
			return without(l, []int{mid[2]})
		}, false, record.DamageDeleted, lineIndex(t, orig[mid[2]])},
		{"reorder lines", func(l [][]byte) [][]byte {
			l[mid[1]], l[mid[2]] = l[mid[2]], l[mid[1]]
			return l
		}, false, record.DamageReordered, -1},
		{"cut the last line", func(l [][]byte) [][]byte { return l[:len(l)-1] }, false, record.DamageUnverified, -1},
		{"delete every line of one session", func(l [][]byte) [][]byte {
			return without(l, mid)
		}, true, record.DamageDeleted, lineIndex(t, orig[mid[0]])},
		{"delete the last sessions (cut on a session boundary)", func(l [][]byte) [][]byte {
			return l[:last2[0]]
		}, false, record.DamageUnverified, -1},
		{"re-chain an edited session", func(l [][]byte) [][]byte {
			return rechainFrom(t, l, mid[1], nil)
		}, true, record.DamageForged, -1},
		{"re-chain and re-sign with another key", func(l [][]byte) [][]byte {
			priv2, _, _ := record.GenerateKey()
			return rechainFrom(t, l, mid[1], priv2)
		}, true, record.DamageForged, -1},
		{"append a chained forged entry to a session", func(l [][]byte) [][]byte {
			e, _ := record.ParseStoredLine(l[mid[len(mid)-1]])
			forged := *e
			forged.Seq++
			forged.PrevHash = e.Hash
			forged.Kind = "error"
			forged.Body = []byte(`{"kind":"error","session_id":"` + e.SessionID + `","time":"2026-01-01T00:00:00Z","error":"x"}`)
			forged.Index = 100000
			forged.Hash = forged.ComputeHash()
			return append(l, record.AppendLineForTest(&forged))
		}, true, record.DamageForged, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			writeLines(t, path, tc.tamper(clone()))
			rep := verifyFile(t, path, record.VerifyOptions{AllowOpen: tc.allowOpen})
			wantDamage(t, rep, tc.want, tc.index)
		})
	}
}

// TestSinkLogForgedOpenSessions: a fully forged session with no signed
// checkpoint is never accepted as open, whatever log it claims.
func TestSinkLogForgedOpenSessions(t *testing.T) {
	path, _ := writeFileRecord(t, 2, 3, record.FileOptions{}, record.Options{})
	orig := readLines(t, path)
	forge := func(logID string, index uint64) [][]byte {
		id := gate.NewID()
		var out [][]byte
		prev := ""
		for seq := uint64(1); seq <= 3; seq++ {
			kind := gate.EventSessionStart
			if seq > 1 {
				kind = gate.EventDecision
			}
			v := record.Version
			if logID == "" {
				v = record.VersionLegacy // as an old recorder wrote
			}
			e := record.Event{Version: v, SessionID: id, Seq: seq, PrevHash: prev, Kind: string(kind), Time: time.Now().UnixNano(),
				Log: logID, Index: index + seq - 1,
				Body: []byte(fmt.Sprintf(`{"kind":%q,"session_id":%q,"time":"2026-12-04T00:00:00Z"}`, kind, id))}
			e.Hash = e.ComputeHash()
			prev = e.Hash
			out = append(out, record.AppendLineForTest(&e))
		}
		return out
	}
	e, _ := record.ParseStoredLine(orig[len(orig)-1])
	realLog := e.Log
	for _, tc := range []struct {
		name  string
		lines [][]byte
	}{
		{"without sink integrity, appended", append(append([][]byte{}, orig...), forge("", 0)...)},
		{"without sink integrity, first in the file", append(append([][]byte{orig[0]}, forge("", 0)...), orig[1:]...)},
		{"under a log of its own", append(append([][]byte{}, orig...), forge("0123456789abcdef", 0)...)},
		{"after the real log's final checkpoint", append(append([][]byte{}, orig...), forge(realLog, e.Index)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			writeLines(t, path, tc.lines)
			rep := verifyFile(t, path, record.VerifyOptions{AllowOpen: true})
			wantDamage(t, rep, record.DamageForged, -1)
			for _, s := range rep.Sessions {
				if s.Status == record.SessionOpen || s.Status == record.SessionVerified {
					if s.Entries == 3 {
						t.Fatalf("forged session accepted as %s", s.Status)
					}
				}
			}
		})
	}
}

// TestSinkLogRotatedFileDeleted deletes a rotated file, the oldest one,
// and a whole earlier log of a restarted recorder.
func TestSinkLogRotatedFileDeleted(t *testing.T) {
	path, _ := writeFileRecord(t, 6, 8, record.FileOptions{MaxSize: 3000}, record.Options{LogCheckpointEvery: 7})
	r, _ := record.OpenFileReader(path)
	files := r.Files()
	if len(files) < 4 {
		t.Fatalf("want rotation, files %v", files)
	}
	if rep := verifyFile(t, path, record.VerifyOptions{}); !rep.OK() || len(r.MissingFiles()) != 0 {
		t.Fatalf("original: %v %v", rep.Problems, r.MissingFiles())
	}
	for _, victim := range []int{1, 0} {
		t.Run(filepath.Base(files[victim]), func(t *testing.T) {
			b, err := os.ReadFile(files[victim])
			if err != nil {
				t.Fatal(err)
			}
			first := firstEntryIndex(t, b)
			if err := os.Remove(files[victim]); err != nil {
				t.Fatal(err)
			}
			defer os.WriteFile(files[victim], b, 0o600)
			rep := verifyFile(t, path, record.VerifyOptions{AllowOpen: true})
			wantDamage(t, rep, record.DamageDeleted, first)
			r, _ := record.OpenFileReader(path)
			if m := r.MissingFiles(); len(m) != 1 || m[0] != files[victim] {
				t.Fatalf("missing files %v, want %s", m, files[victim])
			}
		})
	}

	// A restarted recorder chains its log to the one before it: deleting
	// the earlier log whole is detected.
	fs, err := record.OpenFile(path, record.FileOptions{MaxSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	rec := record.New(fs, record.Options{SigningKey: testKey})
	recordSession(t, rec, 2)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if rep := verifyFile(t, path, record.VerifyOptions{}); !rep.OK() || len(rep.Logs) != 2 {
		t.Fatalf("two logs: %v %+v", rep.Problems, rep.Logs)
	}
	for _, f := range files[:len(files)-1] {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	lines := readLines(t, path)
	var keep [][]byte
	first := ""
	for _, l := range lines {
		e, _ := record.ParseStoredLine(l)
		if e != nil && first == "" {
			first = e.Log
		}
		if e == nil || e.Log != first {
			keep = append(keep, l)
		}
	}
	writeLines(t, path, keep)
	rep := verifyFile(t, path, record.VerifyOptions{AllowOpen: true})
	wantDamage(t, rep, record.DamageDeleted, 0)
}

func firstEntryIndex(t *testing.T, file []byte) int64 {
	for _, l := range bytes.SplitAfter(file, []byte("\n")) {
		e, err := record.ParseStoredLine(l)
		if err == nil && e != nil && e.Kind != record.KindLogCheckpoint {
			return int64(e.Index)
		}
	}
	t.Fatal("no entry in file")
	return 0
}

// TestSinkLogPostgresRowsDeleted deletes rows of the PostgreSQL sink: one
// entry, a whole session, the newest rows.
func TestSinkLogPostgresRowsDeleted(t *testing.T) {
	dsn := testDB(t)
	ctx := context.Background()
	sink := openPG(t, dsn)
	rec := record.New(sink, record.Options{SigningKey: testKey, AsyncOutput: true, LogCheckpointEvery: 9})
	ids := recordSessions(t, rec, 4, 6)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	check := func() *record.Report {
		p := openPG(t, dsn)
		defer p.Close()
		return record.VerifyRecord(ctx, p.Stored(ctx), record.VerifyOptions{Key: testPub})
	}
	if rep := check(); !rep.OK() || len(rep.Sessions) != 4 {
		t.Fatalf("original: %v %+v", rep.Problems, rep.Sessions)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`CREATE TABLE backup AS SELECT * FROM airlock_record`)
	restore := func() {
		exec(`DELETE FROM airlock_record`)
		exec(`INSERT INTO airlock_record SELECT * FROM backup`)
	}
	var idx int64
	if err := conn.QueryRow(ctx, `SELECT log_index FROM airlock_record WHERE session_id = $1 AND seq = 3`, ids[1]).Scan(&idx); err != nil {
		t.Fatal(err)
	}
	exec(`DELETE FROM airlock_record WHERE session_id = $1 AND seq = 3`, ids[1])
	wantDamage(t, check(), record.DamageDeleted, idx)
	restore()

	if err := conn.QueryRow(ctx, `SELECT min(log_index) FROM airlock_record WHERE session_id = $1`, ids[2]).Scan(&idx); err != nil {
		t.Fatal(err)
	}
	exec(`DELETE FROM airlock_record WHERE session_id = $1`, ids[2])
	wantDamage(t, check(), record.DamageDeleted, idx)
	restore()

	exec(`DELETE FROM airlock_record WHERE session_id = $1 OR (kind = 'log_checkpoint' AND log_index > (SELECT min(log_index) FROM airlock_record WHERE session_id = $1))`, ids[3])
	wantDamage(t, check(), record.DamageUnverified, -1)
	restore()
	if rep := check(); !rep.OK() {
		t.Fatalf("restored: %v", rep.Problems)
	}
}

// TestSinkLogAnchors: a truncation after the newest anchored checkpoint is
// detected; one within the documented bound (after it) is the only loss
// that is not.
func TestSinkLogAnchors(t *testing.T) {
	dir := t.TempDir()
	anchor := &record.FileAnchor{Path: filepath.Join(dir, "anchor.jsonl")}
	path, ids := writeFileRecord(t, 4, 5, record.FileOptions{}, record.Options{LogCheckpointEvery: 8, Anchors: []record.Anchor{anchor}})
	latest, err := anchor.Latest(context.Background())
	if err != nil || len(latest) != 1 || !latest[0].Final {
		t.Fatalf("anchor: %v %v", latest, err)
	}
	orig := readLines(t, path)
	if rep := verifyFile(t, path, record.VerifyOptions{Anchored: latest}); !rep.OK() {
		t.Fatalf("original with anchor: %v", rep.Problems)
	}
	// Cut the last session: with --allow-open and without the anchor, it
	// looks like a recorder still running; the anchor proves the cut.
	cut := orig[:sessionLines(orig, ids[3])[0]]
	writeLines(t, path, cut)
	if rep := verifyFile(t, path, record.VerifyOptions{AllowOpen: true}); !rep.OK() {
		t.Fatalf("without the anchor the cut should be indistinguishable from an open log: %v", rep.Problems)
	}
	wantDamage(t, verifyFile(t, path, record.VerifyOptions{AllowOpen: true, Anchored: latest}), record.DamageTruncated, lineIndex(t, orig[sessionLines(orig, ids[3])[0]]))

	// An anchor that saw only an older checkpoint: cutting entries after
	// it, at a checkpoint boundary, is the documented undetectable loss;
	// cutting into what it covers is detected.
	var older *record.LogCheckpoint
	var olderLine int
	for i, l := range orig {
		if e, _ := record.ParseStoredLine(l); e != nil && e.LogCheckpoint != nil && e.LogCheckpoint.Size > 0 && older == nil {
			older, olderLine = e.LogCheckpoint, i
		}
	}
	writeLines(t, path, orig[:olderLine+1])
	if rep := verifyFile(t, path, record.VerifyOptions{AllowOpen: true, Anchored: []*record.LogCheckpoint{older}}); !rep.OK() {
		t.Fatalf("cut after the anchored checkpoint: %v", rep.Problems)
	}
	writeLines(t, path, orig[:olderLine-2])
	wantDamage(t, verifyFile(t, path, record.VerifyOptions{AllowOpen: true, Anchored: []*record.LogCheckpoint{older}}), record.DamageTruncated, -1)

	// A record rewritten under the anchor: the consistency proof fails.
	writeLines(t, path, rechainFrom(t, orig, sessionLines(orig, ids[0])[1], testKey))
	rep := verifyFile(t, path, record.VerifyOptions{AllowOpen: true, Anchored: latest})
	if rep.OK() {
		t.Fatal("rewritten record verified against the anchor")
	}
}

// TestSinkLogLegacyRecord: a record written without sink integrity is
// read and reported as predating it.
func TestSinkLogLegacyRecord(t *testing.T) {
	path, _ := writeFileRecord(t, 2, 3, record.FileOptions{}, record.Options{LogCheckpointEvery: -1})
	if bytes.Contains(bytes.Join(readLines(t, path), nil), []byte(`"log":`)) {
		t.Fatal("legacy record has log fields")
	}
	rep := verifyFile(t, path, record.VerifyOptions{})
	if !rep.OK() || !rep.Legacy || len(rep.Logs) != 0 {
		t.Fatalf("legacy: %v %+v", rep.Problems, rep)
	}
	for _, s := range rep.Sessions {
		if s.Status != record.SessionLegacy || !strings.Contains(s.Detail, "before sink integrity") {
			t.Fatalf("session %+v", s)
		}
	}
}

// TestPostgresTableBeforeSinkIntegrity: a table created before the log
// columns is migrated, its old rows verify as legacy, the new ones as a
// log; and a role that may only insert into an up-to-date table (not own
// it) can record.
func TestPostgresTableBeforeSinkIntegrity(t *testing.T) {
	dsn := testDB(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	old := strings.Replace(strings.Replace(pgsink.Schema, "\tlog_id      text,                 -- the sink-level log (NULL before sink integrity)\n", "", 1),
		"\tlog_index   bigint,               -- the entry's leaf index in its log\n", "", 1)
	if strings.Contains(old, "log_id") {
		t.Fatal("could not make the old schema")
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf(old, "airlock_record")); err != nil {
		t.Fatal(err)
	}
	mem := &record.Memory{}
	rec := record.New(mem, record.Options{SigningKey: testKey, LogCheckpointEvery: -1})
	legacyID := recordSession(t, rec, 2)
	_ = rec.Close()
	for _, e := range mem.Events(legacyID) {
		if _, err := conn.Exec(ctx, `INSERT INTO airlock_record (session_id, seq, version, prev_hash, hash, kind, ts, event) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
			e.SessionID, int64(e.Seq), e.Version, e.PrevHash, e.Hash, e.Kind, e.Time, string(e.Body)); err != nil {
			t.Fatal(err)
		}
	}
	sink := openPG(t, dsn)
	rec = record.New(sink, record.Options{SigningKey: testKey})
	recordSession(t, rec, 2)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	// A role that may insert and read, and owns nothing, records too.
	role := "airlock_writer_" + fmt.Sprint(time.Now().UnixNano())
	for _, q := range []string{`CREATE ROLE ` + role + ` LOGIN`, `GRANT SELECT, INSERT ON airlock_record TO ` + role} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_, _ = conn.Exec(context.Background(), `DROP OWNED BY `+role)
		_, _ = conn.Exec(context.Background(), `DROP ROLE `+role)
	})
	// Migrate as that role changes nothing, so it succeeds.
	writer := openPG(t, strings.Replace(dsn, "postgres://postgres@", "postgres://"+role+"@", 1))
	rec = record.New(writer, record.Options{SigningKey: testKey})
	recordSession(t, rec, 1)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	p := openPG(t, dsn)
	defer p.Close()
	rep := record.VerifyRecord(ctx, p.Stored(ctx), record.VerifyOptions{Key: testPub})
	if !rep.OK() || !rep.Legacy || len(rep.Logs) != 2 || len(rep.Sessions) != 3 {
		t.Fatalf("%v %+v %+v", rep.Problems, rep.Logs, rep.Sessions)
	}
}

// TestSinkLogDowngrade strips a record of its log (the log fields of
// every entry and the checkpoint lines) to pass it off as one written
// before sink integrity, where deleting a session went unnoticed: the
// hashed version of the entries gives it away.
func TestSinkLogDowngrade(t *testing.T) {
	path, ids := writeFileRecord(t, 3, 2, record.FileOptions{}, record.Options{})
	logField := regexp.MustCompile(`,"log":"[0-9a-f]+","idx":[0-9]+`)
	var stripped [][]byte
	for _, l := range readLines(t, path) {
		if bytes.Contains(l, []byte(`"kind":"log_checkpoint"`)) {
			continue
		}
		stripped = append(stripped, logField.ReplaceAll(l, nil))
	}
	writeLines(t, path, without(stripped, sessionLines(stripped, ids[1])))
	rep := verifyFile(t, path, record.VerifyOptions{AllowOpen: true})
	wantDamage(t, rep, record.DamageForged, -1)
	for _, s := range rep.Sessions {
		if s.Status == record.SessionLegacy {
			t.Fatalf("a stripped session passed as legacy: %+v", s)
		}
	}
}
