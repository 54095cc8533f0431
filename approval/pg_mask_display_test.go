package approval_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5/pgconn"
)

// maskedCodeCases enumerates statements in which a masker for display,
// reading a secret's value or a private key to where it thinks the value
// ends, would cover code PostgreSQL runs: a password assignment whose
// value runs past a backslash (no escape in a standard string) or past
// the literal into the next one, PASSWORD inside a literal, an assignment
// or a key block inside comments, a double quote inside a literal. Each
// statement deletes every row of jobs through the code named by its
// marker (OR 7 = 7, or a second DELETE); a reviewer who does not see the
// marker approved something else.
func maskedCodeCases() map[string]string {
	keywords := []string{"password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "access_key", "private_key", "credential", "DB_PASSWORD"}
	ops := []string{"=", ": ", " := ", " => "}
	out := map[string]string{}
	for _, kw := range keywords {
		for _, op := range ops {
			out["backslash "+kw+op] = fmt.Sprintf(`DELETE FROM jobs WHERE b = '%s%sx\' OR 7 = 7 --' AND a = 'keep'`, kw, op)
			out["comment "+kw+op] = fmt.Sprintf(`DELETE FROM jobs WHERE a = 'keep' /* %s%s'*/ OR 7 = 7 --'`, kw, op)
			out["double quote "+kw+op] = fmt.Sprintf(`DELETE FROM jobs WHERE a = 'keep' AND b = '%s%s" ' OR 7 = 7; --"'`, kw, op)
			out["second statement "+kw+op] = fmt.Sprintf(`DELETE FROM jobs WHERE a = 'keep' AND b = '%s%sx\'; DELETE FROM jobs; --'`, kw, op)
		}
	}
	for _, op := range []string{"=", " = ", "\t=\t", " <> ", " >= "} {
		out["column backslash "+op] = fmt.Sprintf(`DELETE FROM jobs WHERE password_hint%s'x\' OR 7 = 7 --' AND a = 'keep'`, op)
	}
	for _, lit := range []string{"'password '", "'reset PASSWORD  '", "'old password\t'", "E'password '"} {
		out["password literal "+lit] = fmt.Sprintf(`DELETE FROM jobs WHERE a = 'keep' AND b = %s OR 7 = 7 OR b = ''`, lit)
		out["password literal statement "+lit] = fmt.Sprintf(`SELECT %s; DELETE FROM jobs; SELECT ''`, lit)
	}
	for _, kind := range []string{"RSA PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY", "EC PRIVATE KEY"} {
		out["key block "+kind] = fmt.Sprintf("DELETE FROM jobs WHERE a = 'keep' /* -----BEGIN %[1]s-----\n*/ OR 7 = 7 /*\n-----END %[1]s----- */", kind)
	}
	return out
}

// What reviewers are shown of a SQL statement holds all of its code: a
// mask for display covers a value, never code. Before the fix, the
// reviewer saw "DELETE FROM jobs WHERE b = '[PASSWORD_ASSIGNMENT]' AND a
// = 'keep'" and approved a DELETE of every row (count below).
func TestMaskedDisplayHidesNoCode(t *testing.T) {
	addr, dbURL, mem := jobGateway(t, false)
	cfg, err := pgconn.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgconn.Connect(context.Background(), fmt.Sprintf("postgres://agent:agent-secret@%s/%s?sslmode=disable", addr, cfg.Database))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	up, err := pgconn.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close(context.Background())
	cases := maskedCodeCases()
	hidden, wiped := 0, 0
	for name, sql := range cases {
		if err := up.Exec(context.Background(), "DELETE FROM jobs; INSERT INTO jobs VALUES ('keep', 'x', 'x'), ('other', 'y', 'y')").Close(); err != nil {
			t.Fatal(err)
		}
		shown, ran := approveShown(t, conn, mem, sql)
		marker := "OR 7 = 7"
		if !strings.Contains(sql, marker) {
			marker = "; DELETE FROM jobs;"
		}
		if !strings.Contains(shown, marker) {
			hidden++
			t.Errorf("%s: shown %q", name, shown)
			if ran && rows(t, up) == 0 {
				wiped++
			}
		}
	}
	t.Logf("%d of %d statements shown without the code that runs; %d wiped the table once approved", hidden, len(cases), wiped)
}

// approveShown sends sql, approves the review it is held for and returns
// the command reviewers were shown and whether the statement then ran.
func approveShown(t *testing.T, conn *pgconn.PgConn, mem *approval.Memory, sql string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := conn.Exec(ctx, sql).ReadAll()
		done <- err
	}()
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	held := make(chan approval.Pending, 1)
	go func() {
		if p, err := mem.WaitPending(wctx); err == nil {
			held <- p
		}
	}()
	var p approval.Pending
	select {
	case p = <-held:
	case err := <-done:
		t.Fatalf("%s: not held: %v", sql, err)
	}
	if _, err := mem.Approve(ctx, p.ID, gate.Identity{Subject: "rita", Kind: gate.KindHuman}, ""); err != nil {
		t.Fatal(err)
	}
	return p.Request.Command, <-done == nil
}

// rows counts the rows of jobs.
func rows(t *testing.T, up *pgconn.PgConn) int {
	t.Helper()
	res := up.ExecParams(context.Background(), "SELECT count(*) FROM jobs", nil, nil, nil, nil).Read()
	if res.Err != nil || len(res.Rows) != 1 {
		t.Fatal(res.Err)
	}
	var n int
	fmt.Sscan(string(res.Rows[0][0]), &n)
	return n
}
