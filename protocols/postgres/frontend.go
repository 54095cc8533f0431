package postgres

import (
	"errors"
	"fmt"
	"strings"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5/pgproto3"
)

// refuseSQL is what the gate sends upstream in place of a refused message:
// it fails in the parser, so it runs nothing, yet it is an error like any
// other. The server answers as it would the client's statement (ErrorResponse,
// then ReadyForQuery with the true transaction status) and, inside a
// transaction block, aborts the transaction, so client and server agree.
// The gate replaces the server's error with its own.
const refuseSQL = "AIRLOCK REFUSED"

// batch is an extended-protocol batch: the messages up to a Sync or Flush,
// judged together before any of them goes upstream.
type batch struct {
	buf      []byte
	ops      []*op
	parses   int
	parseErr error
	execs    []*op
	execAt   []int // where each Execute starts in buf
	stmts    []pgsql.Statement
	judged   map[*pgsql.Classification]bool // statements already in stmts
	texts    []string
	payload  []byte
	params   []string
	bad      string // why the batch is refused
	badCheck string // the check that refuses it (see refuseCheck)
	ignored  bool   // the server skips this batch: an earlier message failed
	flux     bool   // an Execute of this batch may change how the server reads SQL
	setFlux  bool   // an Execute of this batch changes the session's settings
	stale    bool   // an Execute of this batch may change the session's settings
	variant  bool   // a Parse of this batch may read differently under other settings
	n        int
	// spareBuf and spareOps are the buffers describeExecutes swapped out,
	// reused by its next call.
	spareBuf []byte
	spareOps []*op
	// bind is the room Bind messages are decoded into (decodeBind).
	bind pgproto3.Bind
	// slab is where the client goroutine's ops come from (newOp).
	slab []op
}

// opSlab is how many ops newOp allocates at once.
const opSlab = 8

// newOp returns a new op holding o. Ops are allocated opSlab at a time
// (a point query's Bind, Describe, Execute and Sync take one allocation,
// not four); each is handed out once and never reused, so an op the
// upstream goroutine still holds is never written again.
func (b *batch) newOp(o op) *op {
	if len(b.slab) == 0 {
		b.slab = make([]op, opSlab)
	}
	p := &b.slab[0]
	*p = o
	b.slab = b.slab[1:]
	return p
}

func (b *batch) reset() {
	b.buf = b.buf[:0]
	b.ops = b.ops[:0]
	b.parses = 0
	b.parseErr = nil
	b.execs = b.execs[:0]
	b.execAt = b.execAt[:0]
	b.stmts = nil
	clear(b.judged)
	b.texts = b.texts[:0]
	b.payload = b.payload[:0]
	b.params = nil
	b.bad, b.badCheck = "", ""
	b.ignored, b.flux, b.variant, b.setFlux, b.stale = false, false, false, false, false
	b.n = 0
	if cap(b.buf) > 1<<20 {
		b.buf = nil
	}
	if cap(b.spareBuf) > 1<<20 {
		b.spareBuf = nil
	}
}

// clientLoop reads client messages, judges them and forwards what is
// allowed. It returns when the client goes away or breaks the protocol.
func (c *conn) clientLoop() error {
	for {
		c.idleReading(true)
		typ, body, raw, err := c.rd.next()
		c.idleReading(false)
		if err != nil {
			return err
		}
		if err := c.clientMessage(typ, body, raw); err != nil {
			return err
		}
		if c.rd.buffered() == 0 && c.uw.Buffered() > 0 {
			if err := c.uw.Flush(); err != nil {
				return err
			}
		}
	}
}

func (c *conn) clientMessage(typ byte, body, raw []byte) error {
	if c.discard && typ != 'S' && typ != 'X' {
		return nil
	}
	if c.copyPending && typ != 'd' && typ != 'c' && typ != 'f' {
		// After a COPY FROM STDIN, only its data may come until the
		// server has answered it: anything else would be swallowed by
		// the server's COPY and put the replies out of step.
		if err := c.uw.Flush(); err != nil {
			return err
		}
		copying, ok := c.q.waitCopy(c.ctx.Done())
		if !ok {
			return errors.New("postgres: session ended while waiting for the server")
		}
		if copying && typ != 'X' {
			return fmt.Errorf("postgres: message %q during COPY FROM STDIN", typ)
		}
		c.copyPending = false
	}
	switch typ {
	case 'Q':
		if err := c.closeBatch(); err != nil {
			return err
		}
		var q pgproto3.Query
		if err := q.Decode(body); err != nil {
			return err
		}
		// A Query after extended messages of a group without Sync runs
		// before the group's ReadyForQuery reports any setting changed.
		flux, setFlux := c.grp.flux, c.grp.setFlux
		if skip, err := c.leaveGroup(); skip || err != nil {
			return err
		}
		if err := c.simpleQuery(q.String, raw, flux, setFlux); err != nil {
			return err
		}
		return c.probeIfStale()
	case 'P', 'B', 'D', 'E', 'C':
		return c.addToBatch(typ, body, raw)
	case 'S', 'H':
		if c.discard {
			c.discard = false
			c.q.push(c.batch.newOp(op{kind: opSync}))
			c.endGroup()
			if _, err := c.uw.Write(raw); err != nil {
				return err
			}
			return c.probeIfStale()
		}
		if err := c.endBatch(raw); err != nil {
			return err
		}
		if typ == 'S' {
			return c.probeIfStale()
		}
		return nil
	case 'd', 'c', 'f':
		// COPY FROM STDIN data for a statement already judged; outside a
		// COPY the server ignores them. CopyDone and CopyFail end the
		// client's data: what follows is a new message.
		if typ != 'd' {
			c.copyPending = false
		}
		_, err := c.uw.Write(raw)
		return err
	case 'F':
		if err := c.closeBatch(); err != nil {
			return err
		}
		if skip, err := c.leaveGroup(); skip || err != nil {
			return err
		}
		c.refuseCheck("FunctionCall", "protocol", "the wire-level function call is not allowed")
		return c.refuseSimple(refusal("42501", `airlock: denied by rule "postgres": the wire-level function call is not allowed`))
	case 'X':
		_, _ = c.uw.Write(raw)
		_ = c.uw.Flush()
		return errTerminate
	}
	return fmt.Errorf("postgres: unexpected client message type %q", typ)
}

// flushMsg is a Flush message: the gateway adds one where it must hear
// the server's answers before going on; it changes nothing else.
var flushMsg = []byte{'H', 0, 0, 0, 4}

// closeBatch judges and sends an unfinished extended-protocol batch
// before a Query or FunctionCall, with a Flush so the server answers it.
func (c *conn) closeBatch() error {
	if c.batch.n == 0 {
		return nil
	}
	if c.discard {
		return nil
	}
	return c.endBatch(flushMsg)
}

// leaveGroup prepares for a message answered up to ReadyForQuery (Query,
// FunctionCall) after extended-protocol messages with no Sync: the server
// runs it only if none of them failed. skip is true when the server is
// skipping to Sync and will ignore the message, answering nothing.
func (c *conn) leaveGroup() (skip bool, err error) {
	if !c.grp.open {
		return false, nil
	}
	skipping, err := c.settle()
	if err != nil || skipping {
		return skipping, err
	}
	c.endGroup()
	return false, nil
}

// endGroup forgets the current sync group's pending changes: the server
// has confirmed or dropped them.
func (c *conn) endGroup() {
	c.grp.reset()
	c.grp.open, c.grp.flux, c.grp.setFlux = false, false, false
}

// settle sends what is buffered and waits until the server has answered
// every earlier message, so the confirmed model is exact. It reports
// whether the server is skipping to Sync after an error in the current
// sync group (then it ignores whatever comes before the Sync).
func (c *conn) settle() (bool, error) {
	if c.uw.Buffered() > 0 {
		if err := c.uw.Flush(); err != nil {
			return false, err
		}
	}
	skipping, ok := c.q.wait(c.ctx.Done())
	if !ok {
		return false, errors.New("postgres: session ended while waiting for the server")
	}
	return skipping, nil
}

// lookupStmt returns what the server holds under a prepared statement's
// name when the next message runs: the pending change of this group, or
// the confirmed state once every earlier message is answered. Nil means
// unknown.
func (c *conn) lookupStmt(ov *overlay, name string) (*stmtInfo, error) {
	for _, o := range []*overlay{ov, &c.grp.overlay} {
		if o == nil {
			continue
		}
		if s, ok := o.stmts[name]; ok {
			return s, nil
		}
		if o.clearedStmts {
			return nil, nil
		}
	}
	if err := c.settleConfirmed(); err != nil {
		return nil, err
	}
	return c.model.stmt(name), nil
}

// settleConfirmed settles before a lookup in the confirmed model; when the
// server is skipping to Sync, the current batch is marked ignored.
func (c *conn) settleConfirmed() error {
	skipping, err := c.settle()
	if err != nil {
		return err
	}
	if skipping {
		c.batch.ignored = true
	}
	return nil
}

// lookupPortal returns what the server holds under a portal's name when
// the next message runs: the pending change of this group, or the
// confirmed state once every earlier message is answered. Nil means
// unknown.
func (c *conn) lookupPortal(name string) (*portalEntry, error) {
	if p, ok := c.grp.portals[name]; ok {
		return p, nil
	}
	if c.grp.clearedPorts {
		return nil, nil
	}
	if err := c.settleConfirmed(); err != nil {
		return nil, err
	}
	return c.model.portal(name), nil
}

// simpleQuery judges a Query message; groupFlux is set when extended
// messages before it, in a group without Sync, may have changed how the
// server reads SQL.
//
// setFlux is set when they may have changed the session's settings.
func (c *conn) simpleQuery(sql string, raw []byte, groupFlux, setFlux bool) error {
	cl, err := c.srv.cls.Classify(sql)
	if err != nil {
		reason, msg := parseRefusal(err)
		c.refuseCheck(sql, "parse", reason)
		return c.refuseSimple(refusal("42501", msg))
	}
	if len(cl.Statements) == 0 {
		c.q.push(c.batch.newOp(op{kind: opQuery}))
		_, err := c.uw.Write(raw)
		return err
	}
	if groupFlux && !readingInvariant(sql) {
		c.refuseCheck(sql, "settings", fluxRefusal)
		return c.refuseSimple(refusal("42501", "airlock: denied: "+fluxRefusal))
	}
	if err := c.settleFlux(sql); err != nil {
		return err
	}
	if why := c.unsafeParse.Load().(string); why != "" {
		c.refuseCheck(sql, "settings", why)
		return c.refuseSimple(refusal("42501", "airlock: denied: "+why+"; the gateway cannot judge statements"))
	}
	var ov overlay
	stmts, err := c.expand(cl.Statements, &ov, true)
	if err != nil {
		return err
	}
	if refuse, _ := c.settingsFollow(stmts, setFlux, true); refuse {
		c.refuseCheck(sql, "settings", settingsRefusal)
		return c.refuseSimple(refusal("42501", "airlock: denied: "+settingsRefusal))
	}
	if refuse, err := c.confirmSettings(); err != nil {
		return err
	} else if refuse {
		c.refuseCheck(sql, "settings", unreadRefusal)
		return c.refuseSimple(refusal("42501", "airlock: denied: "+unreadRefusal))
	}
	d, rerr := c.check(sql, nil, nil, stmts)
	if rerr != nil {
		return c.refuseSimple(rerr)
	}
	c.q.push(c.batch.newOp(op{kind: opQuery, policy: d.Masker, decision: d, stmts: stmts}))
	for i := range stmts {
		c.copyPending = c.copyPending || stmts[i].CopyIn
	}
	c.parseFlux = c.parseFlux || anyChangesReading(stmts)
	c.settingsStale = c.settingsStale || anyChangesSettings(stmts)
	_, err = c.uw.Write(raw)
	return err
}

// expand adds, after each SQL-level EXECUTE (or EXPLAIN EXECUTE), the
// statements it runs, as the session will hold them when it runs: earlier
// statements of the same message or group may PREPARE or DEALLOCATE. An
// EXECUTE of a name the gateway does not know is not read-only, and an
// EXECUTE is read-only only if what it runs is. With apply, the
// statements' own effects (PREPARE, DEALLOCATE, DISCARD ALL) are applied
// to ov in order.
func (c *conn) expand(sts []pgsql.Statement, ov *overlay, apply bool) ([]pgsql.Statement, error) {
	var out []pgsql.Statement
	for i := range sts {
		st := sts[i]
		name := executeName(&st)
		c.noteCursor(&st)
		if name == "" {
			if c.fetchStale(&st) && out == nil {
				out = append(make([]pgsql.Statement, 0, len(sts)), sts[:i]...)
			}
			if out != nil {
				out = append(out, st)
			}
		} else {
			if out == nil {
				out = append([]pgsql.Statement(nil), sts[:i]...)
			}
			p, err := c.lookupStmt(ov, name)
			if err != nil {
				return nil, err
			}
			var runs []pgsql.Statement
			var cl *pgsql.Classification
			if p != nil {
				// Judged again when the catalog changed since PREPARE.
				cl = c.current(p.cl, p.j)
			}
			if cl == nil {
				st.ReadOnly = false
			} else {
				for _, ps := range cl.Statements {
					ps.Nested = true
					st.ReadOnly = st.ReadOnly && ps.ReadOnly
					runs = append(runs, ps)
				}
			}
			out = append(out, st)
			out = append(out, runs...)
		}
		if apply {
			ov.apply(effectOf(&sts[i]))
		}
	}
	if out == nil {
		return sts, nil
	}
	return out, nil
}

// check runs the gate on statements. It returns the decision, or the
// ErrorResponse to show the client.
func (c *conn) check(command string, payload []byte, params []string, stmts []pgsql.Statement) (*gate.Decision, *pgproto3.ErrorResponse) {
	if !c.srv.cfg.AllowServerReach {
		if why := judgeReach(stmts); why != "" {
			c.refuseCheck(command, "reach", why)
			return nil, refusal("42501", "airlock: denied: "+why)
		}
	}
	if !c.srv.cfg.AllowClusterChanges {
		if why := judgeCluster(stmts); why != "" {
			c.refuseCheck(command, "cluster", why)
			return nil, refusal("42501", "airlock: denied: "+why)
		}
	}
	if why, check := c.srv.self.judge(c.ctx, stmts); why != "" {
		c.refuseCheck(command, check, why)
		return nil, refusal("42501", "airlock: denied: "+why)
	}
	c.listened.note(stmts)
	req := newRequest(command, payload, params, len(stmts))
	req.SQL.Settings = c.settings
	for i := range stmts {
		req.SQL.Statements[i] = stmts[i].SQLStatement
		req.Secrets = append(req.Secrets, stmts[i].Secrets...)
	}
	computes, err := c.annotateLineage(stmts, req.SQL.Statements)
	if err != nil {
		c.srv.log.Warn("postgres: column lineage", "session", c.session.ID, "error", err)
		c.refuseCheck(command, "lineage", "the catalog could not be read to follow column lineage")
		return nil, refusal("42501", "airlock: denied: the catalog could not be read to follow column lineage")
	}
	// Whatever was already allowed runs while this one is judged (or held).
	if c.uw.Buffered() > 0 {
		if err := c.uw.Flush(); err != nil {
			return nil, refusal("08006", "airlock: the database connection failed")
		}
	}
	ctx, cancel := c.checks.context(c.ctx)
	c.holdMu.Lock()
	c.holdCancel, c.canceled = cancel, false
	c.holdMu.Unlock()
	c.watch.arm(cancel)
	d, err := c.gc.Check(ctx, req)
	c.watch.disarm()
	c.holdMu.Lock()
	canceled := c.canceled
	c.holdCancel, c.canceled = nil, false
	c.holdMu.Unlock()
	c.checks.done(err == nil && decidedByRules(d))
	if err != nil {
		if canceled {
			return nil, refusal("57014", "canceling statement due to user request")
		}
		var re *gate.RefusedError
		if errors.As(err, &re) {
			return nil, refusal("42501", re.Error())
		}
		return nil, refusal("42501", "airlock: denied")
	}
	if len(d.Mask) > 0 && d.Masker == nil {
		return nil, refusal("42501", "airlock: denied: the results could not be masked")
	}
	if d.Masker != nil {
		if c.taint.taintRefuses(stmts) {
			return nil, refusal("42501", "airlock: denied: "+timeZoneRefusal)
		}
		why, err := c.judgeCode(d.Masker, stmts)
		if err != nil {
			why = "the catalog could not be read to judge the code a statement runs"
		}
		if why != "" {
			c.refuseCheck(command, "code", why)
			return nil, refusal("42501", "airlock: denied: "+why)
		}
		// Read back with the next read of the settings (settingstaint.go).
		c.taint.pending = c.taint.pending || computes
	}
	for i := range stmts {
		if st := &stmts[i]; st.CopyOut && d.Masker != nil && !copyMaskable(st) {
			return nil, refusal("42501", "airlock: denied: COPY TO STDOUT cannot be masked in this format; use SELECT")
		}
	}
	return d, nil
}

// refuseCheck records a refusal the proxy decides itself, before the rules,
// as the deny decision "postgres/<check>": "parse" (a statement that does
// not parse), "settings" (server settings under which the parser cannot
// judge, a statement after a change of the session's settings in the
// same message), "lineage" (a catalog that cannot be read), "size" (a batch above
// MaxBatchBytes), "unknown" (a statement or portal the gateway does not
// know), "protocol" (a message the gateway never forwards), "self" (a
// statement that may write the gateway's own tables: selfGuard), "reach"
// (a statement that reaches past the database: reachguard.go), "cluster"
// (a statement that changes a database or role: clusterguard.go), "code"
// (under masking, code or state that may store a masked value where a
// later read shows it: codeguard.go). The caller
// answers the client; a refusal that cannot be recorded ends the session
// (gate.Conn.Done).
// checkRequest is a gate request with its SQL and room for one statement
// in one allocation. It is never reused: the gate and its recorder may
// keep the request after Check returns.
type checkRequest struct {
	req  gate.Request
	sql  gate.SQL
	stmt [1]gate.SQLStatement
}

// newRequest returns a PostgreSQL gate request for n statements.
func newRequest(command string, payload []byte, params []string, n int) *gate.Request {
	x := &checkRequest{req: gate.Request{Protocol: gate.ProtocolPostgres, Command: command, Payload: payload},
		sql: gate.SQL{Params: params}}
	x.req.SQL = &x.sql
	if n <= len(x.stmt) {
		x.sql.Statements = x.stmt[:n:n]
	} else {
		x.sql.Statements = make([]gate.SQLStatement, n)
	}
	return &x.req
}

func (c *conn) refuseCheck(command, check, reason string) {
	_, _ = c.gc.Refuse(c.ctx, &gate.Request{Protocol: gate.ProtocolPostgres, Command: command}, check, reason)
}

func refusal(code, msg string) *pgproto3.ErrorResponse {
	return &pgproto3.ErrorResponse{Severity: "ERROR", SeverityUnlocalized: "ERROR", Code: code, Message: msg}
}

// parseRefusal returns the reason recorded for a statement the classifier
// could not read, and the message its client gets.
func parseRefusal(err error) (reason, msg string) {
	reason = "the statement does not parse"
	if errors.Is(err, pgsql.ErrTooLarge) {
		reason = "the statement is too large to judge"
	}
	return reason, "airlock: denied: " + reason + ": " + parseMessage(err)
}

func parseMessage(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, pgsql.ErrUnparsable.Error()+": ")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// refuseSimple answers a refused simple-protocol message through the
// upstream, so the ReadyForQuery that follows carries the real status.
func (c *conn) refuseSimple(e *pgproto3.ErrorResponse) error {
	c.q.push(c.batch.newOp(op{kind: opRefuse, refusal: e, simple: true}))
	b, _ := (&pgproto3.Query{String: refuseSQL}).Encode(nil)
	_, err := c.uw.Write(b)
	return err
}

// addRun adds a statement the batch runs to what is judged. A statement
// is judged once per batch, unless it EXECUTEs a prepared statement: what
// that runs may change within the batch.
func (b *batch) addRun(c *conn, cl *pgsql.Classification) ([]pgsql.Statement, error) {
	sts, err := c.expand(cl.Statements, &c.grp.overlay, false)
	if err != nil {
		return nil, err
	}
	if b.judged[cl] {
		return sts, nil
	}
	runsPrepared := false
	for i := range cl.Statements {
		runsPrepared = runsPrepared || executeName(&cl.Statements[i]) != ""
	}
	if !runsPrepared {
		if b.judged == nil {
			b.judged = map[*pgsql.Classification]bool{}
		}
		b.judged[cl] = true
	}
	b.stmts = append(b.stmts, sts...)
	if len(cl.Statements) > 0 {
		b.texts = append(b.texts, cl.Statements[0].Text)
	}
	return sts, nil
}

// refuseLater marks the batch refused by check with reason, unless it
// already is.
func (b *batch) refuseLater(check, reason string) {
	if b.bad == "" && b.parseErr == nil {
		b.bad, b.badCheck = reason, check
	}
}

func (c *conn) addToBatch(typ byte, body, raw []byte) error {
	b := &c.batch
	b.n++
	if len(b.buf)+len(raw) > c.srv.cfg.MaxBatchBytes {
		if b.bad == "" {
			b.bad, b.badCheck = fmt.Sprintf("the batch exceeds %d bytes", c.srv.cfg.MaxBatchBytes), "size"
		}
		return nil
	}
	// Each statement and execution is judged and held until the batch's
	// decision, like the statements of one text (pgsql.MaxStatements).
	if typ == 'P' && b.parses >= pgsql.MaxStatements || typ == 'E' && len(b.execs) >= pgsql.MaxStatements {
		if b.bad == "" {
			b.bad, b.badCheck = fmt.Sprintf("the batch holds more than %d statements", pgsql.MaxStatements), "size"
		}
		return nil
	}
	g := &c.grp.overlay
	switch typ {
	case 'P':
		var m pgproto3.Parse
		if err := m.Decode(body); err != nil {
			return err
		}
		cl, err := c.srv.cls.Classify(m.Query)
		if err != nil {
			if b.parseErr == nil {
				b.parseErr = err
				b.texts = append(b.texts, m.Query)
			}
		}
		if !readingInvariant(m.Query) {
			b.variant = true
			if c.grp.flux || b.flux {
				b.refuseLater("settings", fluxRefusal)
			}
		}
		var si *stmtInfo
		if cl != nil {
			if !c.srv.declaredTypesReadOnly(m.ParameterOIDs) {
				cl = notReadOnly(cl)
			}
			oids := append([]uint32(nil), m.ParameterOIDs...)
			si = &stmtInfo{cl: cl, paramOIDs: oids, j: &judgedText{src: m.Query, declared: oids}}
			for _, st := range cl.Statements {
				if st.CopyIn {
					b.refuseLater("protocol", "COPY FROM STDIN is supported in a simple Query only")
				}
			}
		}
		// Until the server confirms, the name holds this statement for
		// the rest of the group (if the Parse fails, the server skips the
		// rest), and nothing for the model.
		g.setStmt(m.Name, si)
		b.parses++
		b.ops = append(b.ops, c.batch.newOp(op{kind: opParse, name: m.Name, sinfo: si}))
	case 'B':
		m := &b.bind
		if err := decodeBind(m, body); err != nil {
			return err
		}
		// The parameters are slices of body: not kept past this message.
		defer clear(m.Parameters)
		b.payload = append(b.payload, raw...)
		si, err := c.lookupStmt(nil, m.PreparedStatement)
		if err != nil {
			return err
		}
		var pe *portalEntry
		var cl *pgsql.Classification
		if si != nil {
			// Judged again when the catalog changed since the Parse: the
			// server plans the statement again with what changed.
			cl = c.current(si.cl, si.j)
		}
		if cl == nil {
			b.refuseLater("unknown", fmt.Sprintf("statement %q is not known to the gateway", m.PreparedStatement))
		} else {
			// Binding plans the statement, which may evaluate functions:
			// it is judged like an execution.
			if _, err := b.addRun(c, cl); err != nil {
				return err
			}
			pe = &portalEntry{cl: cl, params: bindParams(m, si.paramOIDs), j: si.j}
		}
		g.setPortal(m.DestinationPortal, pe)
		b.ops = append(b.ops, c.batch.newOp(op{kind: opBind, name: m.DestinationPortal, stmt: m.PreparedStatement,
			formats: append([]int16(nil), m.ResultFormatCodes...), portal: pe}))
	case 'D':
		var m pgproto3.Describe
		if err := m.Decode(body); err != nil {
			return err
		}
		k := opDescribePortal
		if m.ObjectType == 'S' {
			k = opDescribeStmt
		}
		b.ops = append(b.ops, c.batch.newOp(op{kind: k, name: m.Name}))
	case 'E':
		var m pgproto3.Execute
		if err := decodeExecute(&m, body); err != nil {
			return err
		}
		o := c.batch.newOp(op{kind: opExecute, name: m.Portal})
		b.ops = append(b.ops, o)
		b.execs = append(b.execs, o)
		b.execAt = append(b.execAt, len(b.buf))
		pe, err := c.lookupPortal(m.Portal)
		if err != nil {
			return err
		}
		var cl *pgsql.Classification
		if pe != nil {
			cl = c.current(pe.cl, pe.j)
		}
		if cl == nil {
			b.refuseLater("unknown", fmt.Sprintf("portal %q is not known to the gateway", m.Portal))
		} else {
			if o.stmts, err = b.addRun(c, cl); err != nil {
				return err
			}
			b.flux = b.flux || anyChangesReading(o.stmts)
			refuse, changes := c.settingsFollow(o.stmts, b.setFlux || c.grp.setFlux, false)
			if refuse {
				b.refuseLater("settings", settingsRefusal)
			}
			b.setFlux = b.setFlux || changes
			b.stale = b.stale || anyChangesSettings(o.stmts)
			if b.params == nil {
				// The portal's own list, never written: full, so an
				// append copies it.
				b.params = pe.params[:len(pe.params):len(pe.params)]
			} else {
				b.params = append(b.params, pe.params...)
			}
			for i := range cl.Statements {
				g.apply(effectOf(&cl.Statements[i]))
			}
		}
	case 'C':
		var m pgproto3.Close
		if err := m.Decode(body); err != nil {
			return err
		}
		if m.ObjectType == 'S' {
			g.setStmt(m.Name, nil)
		} else {
			g.setPortal(m.Name, nil)
		}
		b.ops = append(b.ops, c.batch.newOp(op{kind: opClose, name: m.Name, objType: m.ObjectType}))
	}
	b.buf = append(b.buf, raw...)
	return nil
}

// endBatch judges the buffered batch and sends it, or its refusal, with
// the terminator (Sync or Flush).
func (c *conn) endBatch(term []byte) error {
	b := &c.batch
	defer b.reset()
	sync := len(term) > 0 && term[0] == 'S'
	if b.n == 0 || b.ignored {
		// Nothing, or nothing the server will run: it skips to Sync after
		// an earlier error in this group.
		if sync {
			c.q.push(c.batch.newOp(op{kind: opSync}))
			c.endGroup()
		}
		if len(term) > 0 {
			_, err := c.uw.Write(term)
			return err
		}
		return nil
	}
	command := strings.Join(b.texts, ";\n")
	var e *pgproto3.ErrorResponse
	var d *gate.Decision
	switch {
	case b.parseErr != nil:
		reason, msg := parseRefusal(b.parseErr)
		c.refuseCheck(command, "parse", reason)
		e = refusal("42501", msg)
	case b.bad != "":
		c.refuseCheck(command, b.badCheck, b.bad)
		e = refusal("42501", "airlock: denied: "+b.bad)
	case len(b.execs) > 0 || b.parses > 0 || len(b.judged) > 0 || len(b.stmts) > 0:
		if b.variant && c.parseFlux && !c.grp.open {
			// A new sync group: the server's answers to the last one
			// report how it now reads SQL.
			if _, err := c.settle(); err != nil {
				return err
			}
			c.parseFlux = false
		}
		if why := c.unsafeParse.Load().(string); why != "" {
			c.refuseCheck(command, "settings", why)
			e = refusal("42501", "airlock: denied: "+why+"; the gateway cannot judge statements")
			break
		}
		if len(b.execs) == 0 && len(b.stmts) == 0 {
			break // preparing runs nothing; the execution is judged
		}
		if refuse, err := c.confirmSettings(); err != nil {
			return err
		} else if refuse {
			c.refuseCheck(command, "settings", unreadRefusal)
			e = refusal("42501", "airlock: denied: "+unreadRefusal)
			break
		}
		d, e = c.check(command, append([]byte(nil), b.payload...), b.params, b.stmts)
	}
	c.grp.open = true
	if e != nil {
		// The stand-in fails on the server, which then skips to Sync:
		// nothing of this group runs after it.
		c.q.push(c.batch.newOp(op{kind: opRefuse, refusal: e}))
		if sync {
			c.q.push(c.batch.newOp(op{kind: opSync}))
			c.endGroup()
		} else {
			c.discard = true
		}
		m, _ := (&pgproto3.Parse{Query: refuseSQL}).Encode(nil)
		if _, err := c.uw.Write(m); err != nil {
			return err
		}
		if len(term) > 0 {
			_, err := c.uw.Write(term)
			return err
		}
		return nil
	}
	if d != nil && d.Masker != nil {
		b.describeExecutes()
	}
	if d != nil {
		// Every reply of the batch (an error quoting a value, rows) is
		// masked and recorded under its decision.
		for _, o := range b.ops {
			o.policy, o.decision = d.Masker, d
		}
	}
	c.q.push(b.ops...)
	if b.flux {
		c.grp.flux, c.parseFlux = true, true
	}
	c.settingsStale = c.settingsStale || b.stale
	c.grp.setFlux = c.grp.setFlux || b.setFlux
	if sync {
		c.q.push(c.batch.newOp(op{kind: opSync}))
		c.endGroup()
	}
	if _, err := c.uw.Write(b.buf); err != nil {
		return err
	}
	if len(term) > 0 {
		_, err := c.uw.Write(term)
		return err
	}
	return nil
}
