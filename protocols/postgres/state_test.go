package postgres

import (
	"bufio"
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

const step = 5 * time.Second

// Attack 1: a prepared statement's name reused. The server keeps the first
// statement (42P05); the gateway must judge what the server runs.
func TestAttackPreparedNameReuse(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(strictRules))
	seedPII(t, tg)
	overwrite := map[string][]pgproto3.FrontendMessage{
		"parse": {&pgproto3.Parse{Name: "s1", Query: "SELECT 1"}, &pgproto3.Sync{}},
		"sql":   {&pgproto3.Query{String: "PREPARE s1 AS SELECT 1"}},
	}
	for name, second := range overwrite {
		t.Run(name, func(t *testing.T) {
			r := tg.raw(t, "agent")
			r.send(&pgproto3.Parse{Name: "s1", Query: "DELETE FROM victims"}, &pgproto3.Sync{})
			if got := r.until(1, step); !has(got, "1") {
				t.Fatalf("prepare: %v", got)
			}
			r.send(second...)
			if got := r.until(1, step); !has(got, "E:42P05") {
				t.Fatalf("second prepare: %v", got)
			}
			r.send(&pgproto3.Bind{PreparedStatement: "s1"}, &pgproto3.Execute{}, &pgproto3.Sync{})
			got := r.until(1, step)
			if !has(got, "E:42501") {
				t.Fatalf("bind of the write: %v", got)
			}
			// SQL EXECUTE of the same name is refused too.
			r.send(&pgproto3.Query{String: "EXECUTE s1"})
			if got := r.until(1, step); !has(got, "E:42501") {
				t.Fatalf("EXECUTE of the write: %v", got)
			}
			if n := tg.count(t, "victims"); n != 3 {
				t.Fatalf("victims: %d rows left, want 3", n)
			}
		})
	}
}

// Attack 1, SQL side: PREPARE a write, fail to overwrite it with Parse,
// then run it through the extended protocol.
func TestAttackSQLPrepareThenBind(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(strictRules))
	seedPII(t, tg)
	r := tg.raw(t, "agent")
	// Whether PREPARE of a write is allowed is the classifier's call; the
	// statement must not run either way.
	r.send(&pgproto3.Query{String: "PREPARE w AS DELETE FROM victims"})
	r.until(1, step)
	r.send(&pgproto3.Parse{Name: "w", Query: "SELECT 1"}, &pgproto3.Sync{})
	r.until(1, step)
	r.send(&pgproto3.Bind{PreparedStatement: "w"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if got := r.until(1, step); has(got, "C:DELETE 3") {
		t.Fatalf("the write ran: %v", got)
	}
	if n := tg.count(t, "victims"); n != 3 {
		t.Fatalf("victims: %d rows left, want 3", n)
	}
}

// looseRules trust the read_only verdict alone (no !opaque): the verdict
// of an EXECUTE must then carry what the prepared statement does.
const looseRules = `
default: deny
rules:
  - name: reads
    when: sql.statements.all(s, s.read_only)
    action: allow
  - name: mask-pii
    when: "true"
    mask: [credit_card, email, ssn]
`

// Attack 4, protocol side: PREPARE a write, then EXECUTE it, EXPLAIN
// ANALYZE EXECUTE it, through both protocols.
func TestAttackExecutePreparedWrite(t *testing.T) {
	t.Parallel()
	for _, rules := range []string{strictRules, looseRules} {
		tg := startGateway(t, withRules(rules))
		seedPII(t, tg)
		for _, run := range []string{"EXECUTE w", "EXPLAIN ANALYZE EXECUTE w", "EXPLAIN (ANALYZE) EXECUTE w", "SELECT 1; EXECUTE w",
			"SELECT 1; EXPLAIN ANALYZE EXECUTE w"} {
			for _, ext := range []bool{false, true} {
				for _, prep := range []string{"parse", "sql"} {
					r := tg.raw(t, "agent")
					if prep == "parse" {
						// Preparing through the extended protocol runs nothing
						// and is not judged.
						r.send(&pgproto3.Parse{Name: "w", Query: "DELETE FROM victims"}, &pgproto3.Sync{})
					} else {
						// Admitted or not, per the classifier's verdict on
						// PREPARE; the write must not run either way.
						r.send(&pgproto3.Query{String: "PREPARE w AS DELETE FROM victims"})
					}
					r.until(1, step)
					if ext && !strings.Contains(run, ";") {
						r.send(&pgproto3.Parse{Query: run}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
					} else {
						r.send(&pgproto3.Query{String: run})
					}
					got := r.until(1, step)
					if n := tg.count(t, "victims"); n != 3 {
						t.Fatalf("%q ext=%v prepared by %s: the write ran (%v)", run, ext, prep, got)
					}
				}
			}
		}
	}
	// Deallocated and prepared again as a write in one group: the EXECUTE
	// is judged by the new statement.
	tg := startGateway(t, withRules(looseRules))
	seedPII(t, tg)
	r := tg.raw(t, "agent")
	r.send(&pgproto3.Parse{Name: "r", Query: "SELECT 1"}, &pgproto3.Sync{})
	r.until(1, step)
	r.send(&pgproto3.Parse{Name: "a", Query: "DEALLOCATE r"}, &pgproto3.Parse{Name: "b", Query: "PREPARE r AS DELETE FROM victims"},
		&pgproto3.Parse{Name: "c", Query: "EXPLAIN ANALYZE EXECUTE r"}, &pgproto3.Sync{})
	r.until(1, step)
	r.send(&pgproto3.Bind{DestinationPortal: "pa", PreparedStatement: "a"}, &pgproto3.Execute{Portal: "pa"},
		&pgproto3.Bind{DestinationPortal: "pb", PreparedStatement: "b"}, &pgproto3.Execute{Portal: "pb"},
		&pgproto3.Bind{DestinationPortal: "pc", PreparedStatement: "c"}, &pgproto3.Execute{Portal: "pc"}, &pgproto3.Sync{})
	got := r.until(1, step)
	if n := tg.count(t, "victims"); n != 3 {
		t.Fatalf("victims: %d rows left, want 3 (%v)", n, got)
	}
	r.send(&pgproto3.Query{String: "DEALLOCATE r; PREPARE r AS DELETE FROM victims; EXPLAIN ANALYZE EXECUTE r"})
	got = r.until(1, step)
	if n := tg.count(t, "victims"); n != 3 {
		t.Fatalf("victims: %d rows left, want 3 (%v)", n, got)
	}
}

// Attack 2: after an error in a batch ended by Flush the server skips to
// Sync, Query included. A refused Query there must not put the replies
// out of step: the next SELECT must be masked.
func TestAttackSkipUntilSync(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(strictRules))
	seedPII(t, tg)
	for _, middle := range []string{"DELETE FROM victims", "SELECT card FROM pii", "SELEC broken"} {
		t.Run(middle, func(t *testing.T) {
			r := tg.raw(t, "agent")
			r.send(&pgproto3.Parse{Query: "SELECT * FROM no_such_table"}, &pgproto3.Flush{})
			// The server's error is in before the Query is sent: the
			// server now ignores the Query and answers only the Sync.
			if got := r.untilSeen("E:42P01", step); !has(got, "E:42P01") {
				t.Fatalf("parse: %v", got)
			}
			r.send(&pgproto3.Query{String: middle})
			r.send(&pgproto3.Sync{})
			got := r.until(1, step)
			if strings.Join(got, ",") != "Z:I" {
				t.Fatalf("after the skipped query: %v", got)
			}
			r.send(&pgproto3.Query{String: "SELECT card, email, ssn FROM pii"})
			got = r.until(1, step)
			if !has(got, "C:SELECT 3") {
				t.Fatalf("select: %v", got)
			}
			if s := leaked(r.got.Bytes()); s != "" {
				t.Fatalf("%q reached the client unmasked: %v", s, got)
			}
			if n := tg.count(t, "victims"); n != 3 {
				t.Fatalf("victims: %d rows left, want 3", n)
			}
		})
	}
	// All in one write: the Query the server skips is not answered, the
	// session stays in step.
	r := tg.raw(t, "agent")
	r.send(&pgproto3.Parse{Query: "SELECT * FROM no_such_table"}, &pgproto3.Flush{}, &pgproto3.Query{String: "SELECT 1"},
		&pgproto3.Sync{}, &pgproto3.Query{String: "SELECT card FROM pii"})
	got := r.until(2, step)
	if strings.Join(got, ",") != "E:42P01,Z:I,T,D:,D:,D:,C:SELECT 3,Z:I" && !strings.HasPrefix(strings.Join(got, ","), "E:42P01,Z:I,T,D:") {
		t.Fatalf("pipelined: %v", got)
	}
	if s := leaked(r.got.Bytes()); s != "" {
		t.Fatalf("%q reached the client unmasked: %v", s, got)
	}
}

// A reply the gateway cannot match to a request ends the session: the
// message is never passed on.
func TestUnmatchedReplyEndsSession(t *testing.T) {
	t.Parallel()
	s := fuzzServer(t)
	row := encode(&pgproto3.DataRow{Values: [][]byte{[]byte(piiValues[0][0])}})
	cases := map[string]struct {
		ops   []*op
		reply []byte
	}{
		"rows with nothing asked":        {nil, row},
		"rows for a Parse":               {[]*op{{kind: opParse}}, row},
		"rows before RowDescription":     {[]*op{{kind: opQuery}}, row},
		"copy data with nothing asked":   {nil, encode(&pgproto3.CopyData{Data: []byte(piiValues[0][0] + "\n")})},
		"copy data for a Query":          {[]*op{{kind: opQuery}}, encode(&pgproto3.CopyData{Data: []byte(piiValues[0][0] + "\n")})},
		"row description for a Bind":     {[]*op{{kind: opBind}}, encode(&pgproto3.RowDescription{})},
		"command complete for a Sync":    {[]*op{{kind: opSync}}, encode(&pgproto3.CommandComplete{CommandTag: []byte("DELETE 3")})},
		"parse complete for a Bind":      {[]*op{{kind: opBind}}, encode(&pgproto3.ParseComplete{})},
		"ready for query out of step":    {[]*op{{kind: opExecute}}, encode(&pgproto3.ReadyForQuery{TxStatus: 'I'})},
		"ready for query with nothing":   {nil, encode(&pgproto3.ReadyForQuery{TxStatus: 'I'})},
		"function call response":         {[]*op{{kind: opQuery}}, encode(&pgproto3.FunctionCallResponse{Result: []byte("x")})},
		"error with nothing asked":       {nil, encode(&pgproto3.ErrorResponse{Severity: "ERROR", Code: "XX000", Message: piiValues[0][1]})},
		"rows for a refused statement":   {[]*op{{kind: opRefuse, refusal: refusal("42501", "no")}}, row},
		"copy out for a Describe":        {[]*op{{kind: opDescribePortal}}, encode(&pgproto3.CopyOutResponse{})},
		"authentication after startup":   {[]*op{{kind: opQuery}}, encode(&pgproto3.AuthenticationOk{})},
		"portal suspended for a Query":   {[]*op{{kind: opQuery}}, encode(&pgproto3.PortalSuspended{})},
		"no data for an Execute":         {[]*op{{kind: opExecute}}, encode(&pgproto3.NoData{})},
		"parameter description for Sync": {[]*op{{kind: opSync}}, encode(&pgproto3.ParameterDescription{})},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			c := fuzzConn(s, bytes.NewReader(nil), bytes.NewReader(tc.reply))
			defer c.stop()
			c.cw = bufio.NewWriter(&out)
			c.q.push(tc.ops...)
			bs := &backendState{stmtFields: map[string][]pgproto3.FieldDescription{}, portals: map[string]*portalInfo{}}
			typ, body, raw, err := c.urd.next()
			if err != nil {
				t.Fatal(err)
			}
			err = c.backendMessage(bs, typ, body, raw)
			_ = c.cw.Flush()
			if !errors.Is(err, errOutOfStep) {
				t.Fatalf("want the session ended, got %v", err)
			}
			if out.Len() > 0 {
				t.Fatalf("passed on: %q", out.Bytes())
			}
		})
	}
	// Asynchronous messages are legitimately unmatched.
	for _, m := range []pgproto3.BackendMessage{&pgproto3.NoticeResponse{Message: "hi"}, &pgproto3.ParameterStatus{Name: "TimeZone", Value: "UTC"},
		&pgproto3.NotificationResponse{Channel: "c", Payload: "p"}} {
		c := fuzzConn(s, bytes.NewReader(nil), bytes.NewReader(encode(m)))
		typ, body, raw, _ := c.urd.next()
		if err := c.backendMessage(&backendState{}, typ, body, raw); err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		c.stop()
	}
}

// A COPY FROM STDIN is answered before anything but its data is passed
// on: a Query in the middle of the data would be swallowed by the server.
func TestCopyInThenQuery(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	r := tg.raw(t, "admin")
	r.send(query("COPY scratch FROM STDIN"), &pgproto3.CopyData{Data: []byte("1\tone\n")}, &pgproto3.CopyDone{},
		query("SELECT count(*) FROM scratch"))
	if got := strings.Join(r.until(2, step), ","); got != "CopyInResponse,C:COPY 1,Z:I,T,D:1,C:SELECT 1,Z:I" &&
		got != "*pgproto3.CopyInResponse,C:COPY 1,Z:I,T,D:1,C:SELECT 1,Z:I" {
		t.Fatalf("copy then query: %s", got)
	}
	// A COPY that fails before its data: the next Query runs.
	r.send(query("COPY no_such_table FROM STDIN"), query("SELECT 1"))
	if got := strings.Join(r.until(2, step), ","); !strings.HasSuffix(got, "D:1,C:SELECT 1,Z:I") {
		t.Fatalf("failed copy then query: %s", got)
	}
	// A Query in the middle of the data ends the session.
	r.send(query("COPY scratch FROM STDIN"), &pgproto3.CopyData{Data: []byte("2\ttwo\n")}, query("SELECT 1"))
	got := r.until(2, step)
	if got[len(got)-1] != "closed" {
		t.Fatalf("query during copy: %v", got)
	}
}

// SQL cursors share the portals' names: a portal replaced by DECLARE is no
// longer the one the gateway judged.
func TestCursorReplacesPortal(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(fuzzRules))
	seedPII(t, tg)
	r := tg.raw(t, "agent")
	r.send(query("BEGIN"), parse("", "SELECT 1"), bind("p1", ""), syncMsg())
	r.until(2, step)
	r.send(query("CLOSE p1"), query("DECLARE p1 CURSOR FOR SELECT card FROM pii"))
	r.until(2, step)
	r.send(execute("p1"), syncMsg())
	if got := r.until(1, step); !has(got, "E:42501") {
		t.Fatalf("execute of the replaced portal: %v", got)
	}
}

// After a refused batch ended by Flush, a further Flush changes nothing:
// the session waits for Sync, in step.
func TestRefusedFlushThenFlush(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(strictRules))
	seedPII(t, tg)
	r := tg.raw(t, "agent")
	r.send(parse("", "DELETE FROM victims"), bind("", ""), execute(""), flush())
	if got := r.untilSeen("E:42501", step); !has(got, "E:42501") {
		t.Fatalf("refusal: %v", got)
	}
	r.send(flush(), parse("", "SELECT 1"), bind("", ""), execute(""), flush(), syncMsg(), query("SELECT card FROM pii"))
	got := strings.Join(r.until(2, step), ",")
	if !strings.HasPrefix(got, "Z:I,T,D:") || !strings.HasSuffix(got, "C:SELECT 3,Z:I") {
		t.Fatalf("after the refusal: %s", got)
	}
	if s := leaked(r.got.Bytes()); s != "" {
		t.Fatalf("%q leaked", s)
	}
}

// A FATAL error from the server (an administrator ends the backend) is
// passed on and ends the session.
func TestServerFatalEndsSession(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	r := tg.raw(t, "agent")
	for pid := range tg.sessionPIDs() {
		tg.adminExec(t, "SELECT pg_terminate_backend("+strconv.Itoa(pid)+")")
	}
	got := r.until(1, step)
	if !has(got, "E:57P01") || got[len(got)-1] != "closed" {
		t.Fatalf("after the backend was terminated: %v", got)
	}
}

// A FunctionCall the server would skip (after an error, before Sync) is
// not answered, and the session stays in step.
func TestFunctionCallWhileSkipping(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(strictRules))
	seedPII(t, tg)
	r := tg.raw(t, "agent")
	r.send(parse("", "SELECT * FROM no_such_table"), flush())
	if got := r.untilSeen("E:42P01", step); !has(got, "E:42P01") {
		t.Fatalf("parse: %v", got)
	}
	r.send(&pgproto3.FunctionCall{Function: 1}, syncMsg(), query("SELECT card FROM pii"))
	got := strings.Join(r.until(2, step), ",")
	if !strings.HasPrefix(got, "Z:I,T,D:") || !strings.HasSuffix(got, "C:SELECT 3,Z:I") {
		t.Fatalf("after the skipped function call: %s", got)
	}
}

// A Query straight after extended-protocol messages (no Sync, no Flush)
// runs after them, as on the server; after their error it is skipped.
func TestQueryAfterUnfinishedBatch(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(strictRules))
	seedPII(t, tg)
	r := tg.raw(t, "agent")
	r.send(parse("", "SELECT 1"), bind("", ""), execute(""), query("SELECT card FROM pii"), syncMsg())
	got := strings.Join(r.until(2, step), ",")
	if got != "1,2,D:1,C:SELECT 1,T,D:[CREDIT_CARD],D:[CREDIT_CARD],D:[CREDIT_CARD],C:SELECT 3,Z:I,Z:I" {
		t.Fatalf("allowed batch then query: %s", got)
	}
	r.send(parse("", "SELECT * FROM no_such_table"), query("SELECT card FROM pii"), syncMsg(), query("SELECT 1"))
	got = strings.Join(r.until(2, step), ",")
	if got != "E:42P01,Z:I,T,D:1,C:SELECT 1,Z:I" {
		t.Fatalf("failed batch then query: %s", got)
	}
	r.send(parse("", "DELETE FROM victims"), bind("", ""), execute(""), query("SELECT card FROM pii"), syncMsg(), query("SELECT 1"))
	got = strings.Join(r.until(2, step), ",")
	if got != "E:42501,Z:I,T,D:1,C:SELECT 1,Z:I" {
		t.Fatalf("refused batch then query: %s", got)
	}
	if s := leaked(r.got.Bytes()); s != "" || tg.count(t, "victims") != 3 {
		t.Fatalf("leak %q or victims gone", s)
	}
}
