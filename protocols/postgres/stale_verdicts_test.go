package postgres

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
)

// staleChange is code a database's owner adds under a statement the
// gateway already judged read-only. %[1]s is the case's tag: every
// object is the case's own, and sv_evil logs the tag it is given.
type staleChange struct {
	name  string
	setup string // before the statement is prepared
	stmt  string // the statement, judged read-only before the change
	param bool   // stmt takes one parameter whose type the client declares as sv_d<tag>
	alter string // the owner's change
	// locks is set when the change locks a relation the statement reads,
	// which waits for a transaction holding a cursor or portal on it.
	locks bool
}

var staleChanges = []staleChange{
	{name: "domain-check", setup: `CREATE DOMAIN sv_d%[1]s AS text`, stmt: `SELECT 'x'::sv_d%[1]s`,
		alter: `ALTER DOMAIN sv_d%[1]s ADD CONSTRAINT k CHECK (sv_evil('%[1]s', VALUE)) NOT VALID`},
	{name: "domain-in-where", setup: `CREATE DOMAIN sv_d%[1]s AS text`, stmt: `SELECT 1 WHERE 'x'::sv_d%[1]s IS NOT NULL`,
		alter: `ALTER DOMAIN sv_d%[1]s ADD CONSTRAINT k CHECK (sv_evil('%[1]s', VALUE)) NOT VALID`},
	{name: "declared-param", setup: `CREATE DOMAIN sv_d%[1]s AS text`, stmt: `SELECT $1::text`, param: true,
		alter: `ALTER DOMAIN sv_d%[1]s ADD CONSTRAINT k CHECK (sv_evil('%[1]s', VALUE)) NOT VALID`},
	{name: "view-redefined", locks: true, setup: `CREATE VIEW sv_v%[1]s AS SELECT 1 AS x`, stmt: `SELECT x FROM sv_v%[1]s`,
		alter: `CREATE OR REPLACE VIEW sv_v%[1]s AS SELECT sv_evil('%[1]s', 'view')::int AS x`},
	{name: "table-swapped", locks: true, setup: `CREATE TABLE sv_t%[1]s (x int); INSERT INTO sv_t%[1]s VALUES (1)`, stmt: `SELECT x FROM sv_t%[1]s ORDER BY x`,
		alter: `ALTER TABLE sv_t%[1]s RENAME TO sv_o%[1]s; CREATE VIEW sv_t%[1]s AS SELECT sv_evil('%[1]s', 'swap')::int AS x`},
	{name: "column-domain", locks: true, setup: `CREATE DOMAIN sv_d%[1]s AS text; CREATE TABLE sv_t%[1]s (x text); INSERT INTO sv_t%[1]s VALUES ('a')`,
		stmt: `SELECT x FROM sv_t%[1]s`,
		alter: `ALTER TABLE sv_t%[1]s RENAME TO sv_o%[1]s; CREATE VIEW sv_t%[1]s AS SELECT x::sv_d%[1]s AS x FROM sv_o%[1]s;
			ALTER DOMAIN sv_d%[1]s ADD CONSTRAINT k CHECK (sv_evil('%[1]s', VALUE)) NOT VALID`},
	{name: "default-opclass", locks: true, setup: `CREATE TYPE sv_p%[1]s AS (a int); CREATE TABLE sv_t%[1]s (p sv_p%[1]s); INSERT INTO sv_t%[1]s VALUES (ROW(2)), (ROW(1))`,
		stmt: `SELECT p FROM sv_t%[1]s ORDER BY p`,
		alter: `CREATE FUNCTION sv_cmp%[1]s(sv_p%[1]s, sv_p%[1]s) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$BEGIN PERFORM sv_evil('%[1]s', 'cmp'); RETURN btint4cmp($1.a, $2.a); END$$;
			CREATE FUNCTION sv_lt%[1]s(sv_p%[1]s, sv_p%[1]s) RETURNS bool LANGUAGE plpgsql IMMUTABLE AS $$BEGIN PERFORM sv_evil('%[1]s', 'lt'); RETURN $1.a < $2.a; END$$;
			CREATE FUNCTION sv_eq%[1]s(sv_p%[1]s, sv_p%[1]s) RETURNS bool LANGUAGE plpgsql IMMUTABLE AS $$BEGIN PERFORM sv_evil('%[1]s', 'eq'); RETURN $1.a = $2.a; END$$;
			CREATE OPERATOR <<< (LEFTARG = sv_p%[1]s, RIGHTARG = sv_p%[1]s, FUNCTION = sv_lt%[1]s);
			CREATE OPERATOR === (LEFTARG = sv_p%[1]s, RIGHTARG = sv_p%[1]s, FUNCTION = sv_eq%[1]s);
			CREATE OPERATOR CLASS sv_ops%[1]s DEFAULT FOR TYPE sv_p%[1]s USING btree AS
			  OPERATOR 1 <<<, OPERATOR 3 ===, FUNCTION 1 sv_cmp%[1]s(sv_p%[1]s, sv_p%[1]s);
			ALTER TABLE sv_t%[1]s RENAME TO sv_o%[1]s; ALTER TABLE sv_o%[1]s RENAME TO sv_t%[1]s`},
}

// staleWay is how a client keeps a judged statement and runs it later:
// before runs while the statement is judged read-only, after once the
// owner changed the code under it.
type staleWay struct {
	name   string
	param  bool // the way can declare a parameter type
	inTx   bool // the way keeps a transaction open
	before func(t *testing.T, s *staleSession, stmt string, oid uint32) error
	after  func(t *testing.T, s *staleSession) error
}

// staleSession is one client session of a case.
type staleSession struct {
	pgx  *pgx.Conn
	fe   *pgproto3.Frontend
	psql *psqlPipe
	stmt string // the statement pgx caches
	arg  bool   // the statement takes one parameter
}

var staleWays = []staleWay{
	{name: "pgx-prepared", param: true,
		before: func(_ *testing.T, s *staleSession, stmt string, oid uint32) error {
			_, err := s.pgx.PgConn().Prepare(context.Background(), "sv", stmt, staleOIDs(oid))
			return err
		},
		after: func(_ *testing.T, s *staleSession) error {
			return s.pgx.PgConn().ExecPrepared(context.Background(), "sv", staleArgs(s), nil, nil).Read().Err
		}},
	{name: "pgx-cached", before: func(_ *testing.T, s *staleSession, stmt string, _ uint32) error {
		s.stmt = stmt
		rows, err := s.pgx.Query(context.Background(), stmt)
		if err != nil {
			return err
		}
		rows.Close()
		return rows.Err()
	}, after: func(_ *testing.T, s *staleSession) error {
		rows, err := s.pgx.Query(context.Background(), s.stmt)
		if err != nil {
			return err
		}
		rows.Close()
		return rows.Err()
	}},
	{name: "sql-prepare-simple", before: func(_ *testing.T, s *staleSession, stmt string, _ uint32) error {
		_, err := s.pgx.Exec(context.Background(), "PREPARE sv AS "+stmt, pgx.QueryExecModeSimpleProtocol)
		return err
	}, after: func(_ *testing.T, s *staleSession) error {
		_, err := s.pgx.Exec(context.Background(), "EXECUTE sv", pgx.QueryExecModeSimpleProtocol)
		return err
	}},
	{name: "sql-prepare-extended", before: func(_ *testing.T, s *staleSession, stmt string, _ uint32) error {
		_, err := s.pgx.Exec(context.Background(), "PREPARE sv AS "+stmt, pgx.QueryExecModeExec)
		return err
	}, after: func(_ *testing.T, s *staleSession) error {
		_, err := s.pgx.Exec(context.Background(), "EXECUTE sv", pgx.QueryExecModeExec)
		return err
	}},
	{name: "explain-analyze-execute", before: func(_ *testing.T, s *staleSession, stmt string, _ uint32) error {
		_, err := s.pgx.Exec(context.Background(), "PREPARE sv AS "+stmt, pgx.QueryExecModeSimpleProtocol)
		return err
	}, after: func(_ *testing.T, s *staleSession) error {
		_, err := s.pgx.Exec(context.Background(), "EXPLAIN ANALYZE EXECUTE sv", pgx.QueryExecModeSimpleProtocol)
		return err
	}},
	{name: "portal", param: true, inTx: true, before: func(t *testing.T, s *staleSession, stmt string, oid uint32) error {
		s.fe.Send(&pgproto3.Query{String: "BEGIN"})
		if err := s.fe.Flush(); err != nil {
			return err
		}
		receiveUntilReady(t, s.fe)
		s.fe.Send(&pgproto3.Parse{Name: "sv", Query: stmt, ParameterOIDs: staleOIDs(oid)})
		var args [][]byte
		if oid != 0 {
			args = [][]byte{[]byte("x")}
		}
		s.fe.Send(&pgproto3.Bind{PreparedStatement: "sv", DestinationPortal: "svp", Parameters: args})
		s.fe.Send(&pgproto3.Sync{})
		if err := s.fe.Flush(); err != nil {
			return err
		}
		if got := receiveUntilReady(t, s.fe); strings.Contains(got, "E:") {
			return fmt.Errorf("bind: %s", got)
		}
		return nil
	}, after: func(t *testing.T, s *staleSession) error {
		s.fe.Send(&pgproto3.Execute{Portal: "svp"})
		s.fe.Send(&pgproto3.Sync{})
		if err := s.fe.Flush(); err != nil {
			return err
		}
		if got := receiveUntilReady(t, s.fe); strings.Contains(got, "E:") {
			return fmt.Errorf("execute: %s", got)
		}
		return nil
	}},
	{name: "cursor", inTx: true, before: func(_ *testing.T, s *staleSession, stmt string, _ uint32) error {
		_, err := s.pgx.Exec(context.Background(), "BEGIN; DECLARE svc CURSOR FOR "+stmt, pgx.QueryExecModeSimpleProtocol)
		return err
	}, after: func(_ *testing.T, s *staleSession) error {
		_, err := s.pgx.Exec(context.Background(), "FETCH ALL svc", pgx.QueryExecModeSimpleProtocol)
		return err
	}},
	{name: "psql", before: func(t *testing.T, s *staleSession, stmt string, _ uint32) error {
		return s.psql.send("PREPARE sv AS " + stmt)
	}, after: func(t *testing.T, s *staleSession) error {
		return s.psql.finish("EXECUTE sv")
	}},
}

func staleOIDs(oid uint32) []uint32 {
	if oid == 0 {
		return nil
	}
	return []uint32{oid}
}

func staleArgs(s *staleSession) [][]byte {
	if s.arg {
		return [][]byte{[]byte("x")}
	}
	return nil
}

// psqlPipe is a psql process fed statement by statement.
type psqlPipe struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	mu  sync.Mutex
	out strings.Builder
}

func (p *psqlPipe) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *psqlPipe) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// send writes one statement and waits until psql printed its answer.
func (p *psqlPipe) send(sql string) error {
	n := strings.Count(p.output(), "\n")
	if _, err := io.WriteString(p.in, sql+";\n"); err != nil {
		return err
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if out := p.output(); strings.Count(out, "\n") > n {
			if strings.Contains(out, "ERROR") {
				return fmt.Errorf("psql: %s", out)
			}
			return nil
		}
	}
	return fmt.Errorf("psql: no answer to %q", sql)
}

// finish sends the last statement and waits for psql to end.
func (p *psqlPipe) finish(sql string) error {
	_, _ = io.WriteString(p.in, sql+";\n")
	_ = p.in.Close()
	_ = p.cmd.Wait()
	if out := p.output(); strings.Contains(out, "ERROR") {
		return fmt.Errorf("psql: %s", out)
	}
	return nil
}

// staleRules allow reads, SQL EXECUTE and EXPLAIN of a read included
// (an EXECUTE is read-only when what it runs is), and transactions.
const staleRules = `
default: deny
rules:
  - name: reads
    when: >
      sql.statements.all(s, s.kind in ["BEGIN", "COMMIT", "ROLLBACK"] ||
        (s.read_only && (!s.opaque || s.kind in ["EXECUTE", "EXPLAIN"])))
    action: allow
`

// TestStaleVerdicts: a statement judged read-only and kept (a prepared
// statement by Parse or SQL PREPARE, a bound portal, a cursor, pgx's
// statement cache, psql's PREPARE) must not run code its database's owner
// added under it later (a domain's CHECK, a redefined view, a table
// swapped for a view, a default operator class) once the gateway's
// catalog saw the change. Judged by effects: the rows the code logs.
//
// Not parallel: it holds a session per case open at once, which with
// other tests' sessions could exhaust the server's connection slots.
func TestStaleVerdicts(t *testing.T) {
	psql := gatetest.NeedTool(t, "psql")
	tg := startGateway(t, withRules(staleRules))
	ctx := context.Background()
	up := tg.upstream(t)
	if _, err := up.Exec(ctx, `CREATE TABLE sv_log (tag text, what text);
		CREATE FUNCTION sv_evil(text, text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS
		$$BEGIN INSERT INTO sv_log VALUES ($1, $2); RETURN true; END$$`).ReadAll(); err != nil {
		t.Fatal(err)
	}
	type kase struct {
		tag    string
		change staleChange
		way    staleWay
		s      *staleSession
	}
	var cases []*kase
	for ci, ch := range staleChanges {
		for wi, w := range staleWays {
			if ch.param && !w.param || ch.locks && w.inTx {
				continue
			}
			tag := fmt.Sprintf("c%dw%d", ci, wi)
			cases = append(cases, &kase{tag: tag, change: ch, way: w})
			if _, err := up.Exec(ctx, fmt.Sprintf(ch.setup, tag)).ReadAll(); err != nil {
				t.Fatalf("%s: setup: %v", tag, err)
			}
		}
	}
	oidOf := func(typ string) uint32 {
		r, err := up.Exec(ctx, "SELECT '"+typ+"'::regtype::oid").ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var o uint32
		_, _ = fmt.Sscan(string(r[0].Rows[0][0]), &o)
		return o
	}
	// Before: each case judges and keeps its statement, on a session of
	// its own, while the statement is clean.
	for _, k := range cases {
		s := &staleSession{}
		switch k.way.name {
		case "portal":
			s.fe = rawLogin(t, tg, "admin")
		case "psql":
			p := &psqlPipe{}
			p.cmd = exec.Command(psql, "-X")
			p.cmd.Env = tg.clientEnv("admin")
			p.cmd.Stdout, p.cmd.Stderr = p, p
			in, err := p.cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			p.in = in
			if err := p.cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = p.in.Close(); _ = p.cmd.Wait() })
			s.psql = p
		default:
			s.pgx = tg.connect(t, "admin")
		}
		var oid uint32
		stmt := k.change.stmt
		if strings.Contains(stmt, "%[1]s") {
			stmt = fmt.Sprintf(stmt, k.tag)
		}
		if k.change.param {
			oid = oidOf("sv_d" + k.tag)
			s.arg = true
		}
		if err := k.way.before(t, s, stmt, oid); err != nil {
			t.Fatalf("%s %s/%s: the clean statement %q was refused: %v", k.tag, k.change.name, k.way.name, stmt, err)
		}
		k.s = s
	}
	// The owner changes the code under every statement, then the gateway's
	// catalog check comes round.
	for _, k := range cases {
		if _, err := up.Exec(ctx, "SET lock_timeout = '5s'; "+fmt.Sprintf(k.change.alter, k.tag)).ReadAll(); err != nil {
			t.Fatalf("%s: alter: %v", k.tag, err)
		}
	}
	logged := func(tag string) int {
		r, err := up.Exec(ctx, "SELECT count(*) FROM sv_log WHERE tag = '"+tag+"'").ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var n int
		_, _ = fmt.Sscan(string(r[0].Rows[0][0]), &n)
		return n
	}
	time.Sleep(funcCatalogCheckEvery + 200*time.Millisecond)
	// A statement run on a fresh session first makes the gateway see the
	// change; the kept statements are run after that.
	if _, err := tg.connect(t, "admin").Exec(ctx, "SELECT count(*) FROM victims"); err != nil {
		t.Fatal(err)
	}
	for _, k := range cases {
		base := logged(k.tag)
		err := k.way.after(t, k.s)
		t.Logf("%s %s/%s: %v", k.tag, k.change.name, k.way.name, err)
		if n := logged(k.tag); n != base {
			t.Errorf("%s %s/%s: the kept statement ran the owner's new code (%d rows logged, err %v)", k.tag, k.change.name, k.way.name, n-base, err)
		} else if err == nil {
			t.Errorf("%s %s/%s: the kept statement was run under its old verdict (no visible effect)", k.tag, k.change.name, k.way.name)
		} else if !strings.Contains(err.Error(), "42501") && !strings.Contains(err.Error(), "airlock: denied") {
			t.Errorf("%s %s/%s: failed, not refused by the gateway: %v", k.tag, k.change.name, k.way.name, err)
		}
	}
}
