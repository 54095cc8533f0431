package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
	parsed   map[string]*Classification // Parse in this batch
	parseErr error
	portals  map[string]string // Bind in this batch: portal -> statement
	closedS  []string
	closedP  []string
	execs    []*op
	stmts    []Statement
	judged   map[*Classification]bool // statements already in stmts
	texts    []string
	payload  []byte
	bad      string
	n        int
}

func (b *batch) reset() {
	b.buf = b.buf[:0]
	b.ops = b.ops[:0]
	b.parsed = nil
	b.parseErr = nil
	b.portals = nil
	b.closedS, b.closedP = b.closedS[:0], b.closedP[:0]
	b.execs = b.execs[:0]
	b.stmts = nil
	b.judged = nil
	b.texts = b.texts[:0]
	b.payload = b.payload[:0]
	b.bad = ""
	b.n = 0
	if cap(b.buf) > 1<<20 {
		b.buf = nil
	}
}

// clientLoop reads client messages, judges them and forwards what is
// allowed. It returns when the client goes away or breaks the protocol.
func (c *conn) clientLoop() error {
	for {
		typ, body, raw, err := c.rd.next()
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
	switch typ {
	case 'Q':
		if c.batch.n > 0 {
			return errors.New("postgres: Query inside an unfinished extended-protocol batch")
		}
		var q pgproto3.Query
		if err := q.Decode(body); err != nil {
			return err
		}
		return c.simpleQuery(q.String, raw)
	case 'P', 'B', 'D', 'E', 'C':
		return c.addToBatch(typ, body, raw)
	case 'S', 'H':
		if c.discard {
			c.discard = false
			c.q.push(&op{kind: opSync})
			_, err := c.uw.Write(raw)
			return err
		}
		return c.endBatch(raw)
	case 'd', 'c', 'f':
		// COPY FROM STDIN data for a statement already judged.
		_, err := c.uw.Write(raw)
		return err
	case 'F':
		c.recordDeny("FunctionCall", "the wire-level function call is not allowed")
		return c.refuseSimple(refusal("42501", `airlock: denied by rule "postgres": the wire-level function call is not allowed`))
	case 'X':
		_, _ = c.uw.Write(raw)
		_ = c.uw.Flush()
		return errTerminate
	}
	return fmt.Errorf("postgres: unexpected client message type %q", typ)
}

// simpleQuery judges a Query message.
func (c *conn) simpleQuery(sql string, raw []byte) error {
	cl, err := c.srv.cls.Classify(sql)
	if err != nil {
		reason := "the statement does not parse"
		c.recordDeny(sql, reason)
		return c.refuseSimple(refusal("42501", "airlock: denied: "+reason+": "+parseMessage(err)))
	}
	if len(cl.Statements) == 0 {
		c.q.push(&op{kind: opQuery})
		_, err := c.uw.Write(raw)
		return err
	}
	if why := c.unsafeParse.Load().(string); why != "" {
		c.recordDeny(sql, why)
		return c.refuseSimple(refusal("42501", "airlock: denied: "+why+"; the gateway cannot judge statements"))
	}
	stmts := c.expand(cl.Statements)
	d, rerr := c.check(sql, nil, stmts)
	if rerr != nil {
		return c.refuseSimple(rerr)
	}
	for _, st := range stmts {
		if st.PrepareName != "" && st.Prepared != nil {
			c.prepared[st.PrepareName] = &Classification{Statements: []Statement{*st.Prepared}}
		}
	}
	c.q.push(&op{kind: opQuery, policy: d.Masker, decision: d.ID, stmts: stmts})
	_, err = c.uw.Write(raw)
	return err
}

// expand adds, after each SQL-level EXECUTE, the statement it runs.
func (c *conn) expand(sts []Statement) []Statement {
	var out []Statement
	for i, st := range sts {
		if st.ExecuteName == "" {
			if out != nil {
				out = append(out, st)
			}
			continue
		}
		if out == nil {
			out = append([]Statement(nil), sts[:i]...)
		}
		out = append(out, st)
		if p := c.prepared[st.ExecuteName]; p != nil {
			for _, ps := range p.Statements {
				ps.Nested = true
				out = append(out, ps)
			}
		}
	}
	if out == nil {
		return sts
	}
	return out
}

// check runs the gate on statements. It returns the decision, or the
// ErrorResponse to show the client.
func (c *conn) check(command string, payload []byte, stmts []Statement) (*gate.Decision, *pgproto3.ErrorResponse) {
	req := &gate.Request{Session: c.session, Protocol: gate.ProtocolPostgres, Command: command, Payload: payload,
		SQL: &gate.SQL{Statements: make([]gate.SQLStatement, len(stmts))}}
	for i := range stmts {
		req.SQL.Statements[i] = stmts[i].SQLStatement
		req.Secrets = append(req.Secrets, stmts[i].Secrets...)
	}
	if err := c.annotateLineage(stmts, req.SQL.Statements); err != nil {
		c.srv.log.Warn("postgres: column lineage", "session", c.session.ID, "error", err)
		c.recordDeny(command, "the catalog could not be read to follow column lineage")
		return nil, refusal("42501", "airlock: denied: the catalog could not be read to follow column lineage")
	}
	// Whatever was already allowed runs while this one is judged (or held).
	if c.uw.Buffered() > 0 {
		if err := c.uw.Flush(); err != nil {
			return nil, refusal("08006", "airlock: the database connection failed")
		}
	}
	ctx, cancel := context.WithCancel(c.ctx)
	c.holdMu.Lock()
	c.holdCancel, c.canceled = cancel, false
	c.holdMu.Unlock()
	stopWatch := c.watchClient(cancel)
	d, err := c.srv.cfg.Gate.Check(ctx, req)
	stopWatch()
	c.holdMu.Lock()
	canceled := c.canceled
	c.holdCancel, c.canceled = nil, false
	c.holdMu.Unlock()
	cancel()
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
	for _, st := range stmts {
		if st.CopyOut && d.Masker != nil && !copyMaskable(st) {
			return nil, refusal("42501", "airlock: denied: COPY TO STDOUT cannot be masked in this format; use SELECT")
		}
	}
	return d, nil
}

// recordDeny records a refusal decided by the proxy itself, before the
// rules (a statement that does not parse, a forbidden message).
func (c *conn) recordDeny(command, reason string) {
	d := &gate.Decision{ID: gate.NewID(), Action: gate.Deny, Rule: "postgres", Reason: reason}
	if rs := c.srv.cfg.Gate.Rules(); rs != nil {
		d.RuleSetVersion = rs.Version()
	}
	req := &gate.Request{Session: c.session, Protocol: gate.ProtocolPostgres, Command: command}
	_ = c.srv.cfg.Gate.RecordEvent(c.ctx, c.session, gate.Event{Kind: gate.EventDecision, Request: req, Decision: d})
}

func refusal(code, msg string) *pgproto3.ErrorResponse {
	return &pgproto3.ErrorResponse{Severity: "ERROR", SeverityUnlocalized: "ERROR", Code: code, Message: msg}
}

func parseMessage(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, ErrUnparsable.Error()+": ")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// refuseSimple answers a refused simple-protocol message through the
// upstream, so the ReadyForQuery that follows carries the real status.
func (c *conn) refuseSimple(e *pgproto3.ErrorResponse) error {
	c.q.push(&op{kind: opRefuse, refusal: e, simple: true})
	b, _ := (&pgproto3.Query{String: refuseSQL}).Encode(nil)
	_, err := c.uw.Write(b)
	return err
}

// addRun adds a statement the batch runs to what is judged, once.
func (b *batch) addRun(c *conn, cl *Classification) []Statement {
	sts := c.expand(cl.Statements)
	if b.judged[cl] {
		return sts
	}
	if b.judged == nil {
		b.judged = map[*Classification]bool{}
	}
	b.judged[cl] = true
	b.stmts = append(b.stmts, sts...)
	if len(cl.Statements) > 0 {
		b.texts = append(b.texts, cl.Statements[0].Text)
	}
	return sts
}

func (c *conn) addToBatch(typ byte, body, raw []byte) error {
	b := &c.batch
	b.n++
	if len(b.buf)+len(raw) > c.srv.cfg.MaxBatchBytes {
		if b.bad == "" {
			b.bad = fmt.Sprintf("the batch exceeds %d bytes", c.srv.cfg.MaxBatchBytes)
		}
		return nil
	}
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
		if b.parsed == nil {
			b.parsed = map[string]*Classification{}
		}
		b.parsed[m.Name] = cl
		b.ops = append(b.ops, &op{kind: opParse, name: m.Name})
	case 'B':
		var m pgproto3.Bind
		if err := m.Decode(body); err != nil {
			return err
		}
		if b.portals == nil {
			b.portals = map[string]string{}
		}
		b.portals[m.DestinationPortal] = m.PreparedStatement
		b.payload = append(b.payload, raw...)
		// Binding plans the statement, which may evaluate functions: it is
		// judged like an execution.
		cl, seen := b.parsed[m.PreparedStatement]
		if !seen {
			cl = c.prepared[m.PreparedStatement]
		}
		if cl == nil {
			if b.bad == "" && b.parseErr == nil {
				b.bad = fmt.Sprintf("statement %q was not judged by the gateway", m.PreparedStatement)
			}
		} else {
			b.addRun(c, cl)
		}
		b.ops = append(b.ops, &op{kind: opBind, name: m.DestinationPortal, stmt: m.PreparedStatement,
			formats: append([]int16(nil), m.ResultFormatCodes...)})
	case 'D':
		var m pgproto3.Describe
		if err := m.Decode(body); err != nil {
			return err
		}
		k := opDescribePortal
		if m.ObjectType == 'S' {
			k = opDescribeStmt
		}
		b.ops = append(b.ops, &op{kind: k, name: m.Name})
	case 'E':
		var m pgproto3.Execute
		if err := m.Decode(body); err != nil {
			return err
		}
		o := &op{kind: opExecute, name: m.Portal}
		b.ops = append(b.ops, o)
		b.execs = append(b.execs, o)
		stmt, ok := b.portals[m.Portal]
		if !ok {
			stmt, ok = c.portals[m.Portal]
		}
		var cl *Classification
		if ok {
			var seen bool
			if cl, seen = b.parsed[stmt]; !seen {
				cl = c.prepared[stmt]
			}
		}
		if cl == nil {
			if b.bad == "" && b.parseErr == nil {
				b.bad = fmt.Sprintf("portal %q runs a statement the gateway has not judged", m.Portal)
			}
		} else {
			o.stmts = b.addRun(c, cl)
		}
	case 'C':
		var m pgproto3.Close
		if err := m.Decode(body); err != nil {
			return err
		}
		if m.ObjectType == 'S' {
			b.closedS = append(b.closedS, m.Name)
		} else {
			b.closedP = append(b.closedP, m.Name)
		}
		b.ops = append(b.ops, &op{kind: opClose, name: m.Name})
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
	if b.n == 0 {
		if sync {
			c.q.push(&op{kind: opSync})
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
		c.recordDeny(command, "the statement does not parse")
		e = refusal("42501", "airlock: denied: the statement does not parse: "+parseMessage(b.parseErr))
	case b.bad != "":
		c.recordDeny(command, b.bad)
		e = refusal("42501", "airlock: denied: "+b.bad)
	case len(b.execs) > 0 || len(b.parsed) > 0:
		if why := c.unsafeParse.Load().(string); why != "" {
			c.recordDeny(command, why)
			e = refusal("42501", "airlock: denied: "+why+"; the gateway cannot judge statements")
			break
		}
		if len(b.execs) == 0 && len(b.judged) == 0 {
			break // preparing runs nothing; the execution is judged
		}
		d, e = c.check(command, append([]byte(nil), b.payload...), b.stmts)
	}
	if e != nil {
		delete(c.prepared, "")
		c.q.push(&op{kind: opRefuse, refusal: e})
		if sync {
			c.q.push(&op{kind: opSync})
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
	// Allowed: commit the batch's statements and portals, then send it.
	for name, cl := range b.parsed {
		c.prepared[name] = cl
	}
	for p, s := range b.portals {
		c.portals[p] = s
	}
	for _, n := range b.closedS {
		delete(c.prepared, n)
	}
	for _, n := range b.closedP {
		delete(c.portals, n)
	}
	if d != nil {
		for _, o := range b.execs {
			o.policy, o.decision = d.Masker, d.ID
		}
	}
	c.q.push(b.ops...)
	if sync {
		c.q.push(&op{kind: opSync})
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
