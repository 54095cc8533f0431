package postgres

import (
	"errors"
	"fmt"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
	"github.com/jackc/pgx/v5/pgproto3"
)

// portalInfo is what the upstream goroutine knows of a bound portal.
type portalInfo struct {
	fields  []pgproto3.FieldDescription
	formats []int16
}

// backendState belongs to the upstream goroutine.
type backendState struct {
	stmtFields map[string][]pgproto3.FieldDescription
	portals    map[string]*portalInfo
	cur        *result
	queryIdx   int          // statement index inside a simple Query
	described  bool         // a Describe S got its ParameterDescription
	last       *mask.Policy // the latest decision's policy, for stray notices
	descs      descriptions // RowDescriptions decoded, by their bytes
}

// upstreamLoop reads server messages, matches them to the client's
// messages, masks them and passes them on.
func (c *conn) upstreamLoop() error {
	bs := &backendState{stmtFields: map[string][]pgproto3.FieldDescription{}, portals: map[string]*portalInfo{}}
	for {
		typ, body, raw, err := c.urd.next()
		if err != nil {
			_ = c.cw.Flush()
			c.abort()
			return err
		}
		if err := c.backendMessage(bs, typ, body, raw); err != nil {
			c.srv.log.Error("postgres: closing session", "session", c.session.ID, "error", err)
			c.abort()
			return err
		}
		if c.urd.buffered() == 0 {
			if err := c.cw.Flush(); err != nil {
				c.abort()
				return err
			}
		}
	}
}

func (c *conn) send(raw []byte) error {
	_, err := c.cw.Write(raw)
	return err
}

func (c *conn) sendMsg(m pgproto3.BackendMessage) error {
	b, err := m.Encode(nil)
	if err != nil {
		return err
	}
	return c.send(b)
}

// errOutOfStep ends a session whose server sent a message the gateway
// cannot match to a request it judged.
var errOutOfStep = errors.New("postgres: the server's reply matches no request")

func outOfStep(typ byte, head *op) error {
	want := "nothing"
	if head != nil {
		want = head.kind.String()
	}
	return fmt.Errorf("%w: message %q while expecting the reply to %s", errOutOfStep, typ, want)
}

func (c *conn) backendMessage(bs *backendState, typ byte, body, raw []byte) error {
	// Asynchronous messages may come at any time.
	switch typ {
	case 'S': // ParameterStatus
		var ps pgproto3.ParameterStatus
		if err := ps.Decode(body); err != nil {
			return err
		}
		c.noteParameter(ps.Name, ps.Value)
		if settingsReader(ps.Name) {
			c.settingsChanged.Store(true)
		}
		return c.parameterStatus(bs, &ps, raw)
	case 'N': // NoticeResponse
		return c.notice(bs, body, raw)
	case 'A': // NotificationResponse
		return c.notification(bs, body, raw)
	}
	if typ == 'E' {
		var e pgproto3.ErrorResponse
		if err := e.Decode(body); err != nil {
			return err
		}
		if e.Severity == "FATAL" || e.Severity == "PANIC" || e.SeverityUnlocalized == "FATAL" || e.SeverityUnlocalized == "PANIC" {
			// The server ends the session (an administrator's command, a
			// timeout): tell the client why, masked, and end it too.
			if err := c.finishResult(bs); err != nil {
				return err
			}
			p := bs.last
			if h := c.q.peek(); h != nil && h.policy != nil {
				p = h.policy
			}
			if err := c.sendError(c.q.peek(), p, &e, raw); err != nil {
				return err
			}
			_ = c.cw.Flush()
			return fmt.Errorf("postgres: the server ended the session: %s", e.Message)
		}
	}
	// Whatever the server skips after an error is answered by nothing.
	skipped, head := c.q.skippedThenPeek()
	for _, o := range skipped {
		c.resolve(bs, o, false)
	}
	if head == nil {
		return outOfStep(typ, nil)
	}
	if head.kind == opProbe {
		return c.probeReply(bs, head, typ, body)
	}
	if head.policy != nil {
		bs.last = head.policy
	}
	if head.kind == opRefuse && typ != 'E' && typ != 'Z' {
		return outOfStep(typ, head)
	}
	switch typ {
	case '1': // ParseComplete
		if head.kind != opParse {
			return outOfStep(typ, head)
		}
		c.q.pop()
		delete(bs.stmtFields, head.name)
		c.resolve(bs, head, true)
	case '2': // BindComplete
		if head.kind != opBind {
			return outOfStep(typ, head)
		}
		c.q.pop()
		bs.bound(head.name, bs.stmtFields[head.stmt], head.formats)
		c.resolve(bs, head, true)
	case '3': // CloseComplete
		if head.kind != opClose {
			return outOfStep(typ, head)
		}
		c.q.pop()
		c.resolve(bs, head, true)
	case 't': // ParameterDescription: a Describe S continues
		if head.kind != opDescribeStmt || bs.described {
			return outOfStep(typ, head)
		}
		var pd pgproto3.ParameterDescription
		if err := pd.Decode(body); err != nil {
			return err
		}
		bs.described = true
		c.model.paramTypes(head.name, append([]uint32(nil), pd.ParameterOIDs...))
	case 'T': // RowDescription
		desc, err := bs.descs.decode(body)
		if err != nil {
			return err
		}
		fields := desc.fields
		switch head.kind {
		case opDescribeStmt:
			if !bs.described {
				return outOfStep(typ, head)
			}
			bs.described = false
			bs.stmtFields[head.name] = fields
			c.q.pop()
		case opDescribePortal:
			// A portal's description states the formats of its columns.
			bs.portals[head.name] = desc
			c.q.pop()
			if head.hidden {
				return nil
			}
		case opQuery:
			if bs.cur != nil {
				return outOfStep(typ, head)
			}
			// A FETCH from a BINARY cursor sends binary values: the
			// RowDescription says so.
			bs.cur = c.newResult(fields, desc.formats, head.policy, head.decision, topStatement(head.stmts, bs.queryIdx))
		default:
			return outOfStep(typ, head)
		}
	case 'n': // NoData
		switch {
		case head.kind == opDescribeStmt && bs.described:
			bs.described = false
			bs.stmtFields[head.name] = nil
		case head.kind == opDescribePortal:
			bs.portals[head.name] = &portalInfo{}
		default:
			return outOfStep(typ, head)
		}
		c.q.pop()
		if head.hidden {
			return nil
		}
	case 'D': // DataRow
		r := bs.cur
		switch {
		case r != nil && !r.copy:
		case r == nil && head.kind == opExecute:
			r = c.executeResult(bs, head)
			bs.cur = r
		default:
			// Rows nobody asked for, or asked for by a message the
			// gateway did not judge: never passed on.
			return outOfStep(typ, head)
		}
		out, err := c.maskRow(r, body, raw)
		if err != nil {
			return err
		}
		return c.send(out)
	case 'C', 'I', 's': // CommandComplete, EmptyQueryResponse, PortalSuspended
		if head.kind != opExecute && head.kind != opQuery || typ == 's' && head.kind != opExecute {
			return outOfStep(typ, head)
		}
		if bs.cur != nil && bs.cur.copy && !bs.cur.copyDone && bs.cur.copyOut {
			return outOfStep(typ, head)
		}
		var st *pgsql.Statement
		if head.kind == opExecute {
			if len(head.stmts) > 0 {
				st = &head.stmts[0]
			}
		} else {
			st = topStatement(head.stmts, bs.queryIdx)
		}
		c.q.setCopyIn(false)
		if typ == 'C' {
			c.lineageCommand(body)
			var cc pgproto3.CommandComplete
			if err := cc.Decode(body); err != nil {
				return err
			}
			tag := tagString(cc.CommandTag)
			c.model.confirmTag(tag, st)
			if r := bs.cur; r != nil && (len(r.fields) > 0 || r.rows > 0 || r.copy) {
				r.tag = tag // the last line of the recorded rows
			} else if err := c.recordText(head.decision, "status", tag); err != nil {
				return err
			}
		}
		if err := c.finishResult(bs); err != nil {
			return err
		}
		switch head.kind {
		case opExecute:
			c.q.pop()
		case opQuery:
			bs.queryIdx++
		}
	case 'E': // ErrorResponse
		var e pgproto3.ErrorResponse
		if err := e.Decode(body); err != nil {
			return err
		}
		if err := c.finishResult(bs); err != nil {
			return err
		}
		bs.described = false
		c.q.setCopyIn(false)
		switch head.kind {
		case opRefuse:
			if !head.simple {
				for _, o := range c.q.fail() {
					c.resolve(bs, o, false)
				}
			}
			return c.sendMsg(head.refusal)
		case opQuery, opSync:
			// A simple Query stops at its error; an error at Sync (a
			// deferred constraint at commit) ends nothing else.
		default:
			for _, o := range c.q.fail() {
				c.resolve(bs, o, false)
			}
		}
		p := head.policy
		if p == nil {
			// No decision of its own (a Parse, a Sync): the latest
			// decision's policy.
			p = bs.last
		}
		return c.sendError(head, p, &e, raw)
	case 'Z': // ReadyForQuery
		if bs.cur != nil {
			return outOfStep(typ, head)
		}
		o := c.q.ready()
		if o == nil {
			return outOfStep(typ, head)
		}
		var rfq pgproto3.ReadyForQuery
		if err := rfq.Decode(body); err != nil {
			return err
		}
		bs.queryIdx = 0
		bs.described = false
		c.resolve(bs, o, true)
		c.lineageReady(body)
		c.idleReady(rfq.TxStatus)
		if rfq.TxStatus != 'T' {
			// Portals end with their transaction.
			c.model.clearPortals()
			clear(bs.portals)
		}
	case 'H': // CopyOutResponse
		if bs.cur != nil || head.kind != opExecute && head.kind != opQuery {
			return outOfStep(typ, head)
		}
		var r *result
		if head.kind == opExecute {
			r = c.executeResult(bs, head)
		} else {
			r = c.newResult(nil, nil, head.policy, head.decision, topStatement(head.stmts, bs.queryIdx))
		}
		bs.cur = r
		var h pgproto3.CopyOutResponse
		if err := h.Decode(body); err != nil {
			return err
		}
		if err := c.startCopy(r, len(h.ColumnFormatCodes)); err != nil {
			return err
		}
		r.copyOut = true
	case 'd': // CopyData (COPY TO STDOUT)
		if bs.cur == nil || !bs.cur.copyOut || bs.cur.copyDone {
			return outOfStep(typ, head)
		}
		out, err := c.maskCopy(bs.cur, body, raw)
		if err != nil {
			return err
		}
		return c.send(out)
	case 'c': // CopyDone
		if bs.cur == nil || !bs.cur.copyOut || bs.cur.copyDone {
			return outOfStep(typ, head)
		}
		bs.cur.copyDone = true
	case 'G': // CopyInResponse: the client sends the data
		if bs.cur != nil || head.kind != opQuery {
			return outOfStep(typ, head)
		}
		c.q.setCopyIn(true)
	default:
		// CopyBothResponse, FunctionCallResponse, authentication, keys,
		// anything unknown: nothing the gateway asked for.
		return outOfStep(typ, head)
	}
	return c.send(raw)
}

// resolve applies what an answered (ok) or failed/skipped op does to the
// model. Additions need the server's confirmation; removals do not.
func (c *conn) resolve(bs *backendState, o *op, ok bool) {
	m := c.model
	switch o.kind {
	case opParse:
		switch {
		case ok:
			m.setStmt(o.name, o.sinfo)
		case o.name == "":
			// The server drops the unnamed statement before parsing.
			m.setStmt("", nil)
		}
	case opBind:
		switch {
		case ok:
			m.setPortal(o.name, o.portal)
		case o.name == "":
			m.setPortal("", nil)
			delete(bs.portals, "")
		}
	case opClose:
		if o.objType == 'S' {
			m.setStmt(o.name, nil)
		} else {
			m.setPortal(o.name, nil)
		}
	case opQuery, opRefuse, opProbe:
		// A simple Query (or the Parse stand-in) drops the unnamed
		// statement and portal.
		m.setStmt("", nil)
		m.setPortal("", nil)
		delete(bs.portals, "")
	}
}

// notice masks and passes on a NoticeResponse, recorded with the decision
// of the statement it belongs to.
func (c *conn) notice(bs *backendState, body, raw []byte) error {
	var n pgproto3.NoticeResponse
	if err := n.Decode(body); err != nil {
		return err
	}
	p := bs.last
	var decision *gate.Decision
	h := c.q.peek()
	if h != nil {
		decision = h.decision
		if h.policy != nil {
			p = h.policy
		}
	}
	e := pgproto3.ErrorResponse(n)
	masked, changed, err := maskError(p, &e)
	if err != nil {
		return err
	}
	if withheld, err := c.withholdError(h, p, masked); err != nil {
		return err
	} else if withheld {
		changed = true
	}
	if err := c.recordMessage("notice", decision, masked); err != nil {
		return err
	}
	if !changed {
		return c.send(raw)
	}
	nm := pgproto3.NoticeResponse(*masked)
	return c.sendMsg(&nm)
}

// sendError masks an ErrorResponse with p, records it under o's decision
// and passes it on: an error that cannot be recorded never reaches the
// client.
func (c *conn) sendError(o *op, p *mask.Policy, e *pgproto3.ErrorResponse, raw []byte) error {
	masked, changed, err := maskError(p, e)
	if err != nil {
		return err
	}
	// The server may quote a covered column's values in any error or
	// notice, raised by the statement that read them or later (withhold.go).
	if withheld, err := c.withholdError(o, p, masked); err != nil {
		return err
	} else if withheld {
		changed = true
	}
	var d *gate.Decision
	if o != nil {
		d = o.decision
	}
	if err := c.recordMessage("error", d, masked); err != nil {
		return err
	}
	if !changed {
		return c.send(raw)
	}
	return c.sendMsg(masked)
}

// topStatement returns the i-th statement of a message as the server
// runs them, skipping the nested entries the classifier adds.
func topStatement(stmts []pgsql.Statement, i int) *pgsql.Statement {
	for k := range stmts {
		if stmts[k].Nested {
			continue
		}
		if i == 0 {
			return &stmts[k]
		}
		i--
	}
	return nil
}

func copyFields(in []pgproto3.FieldDescription) []pgproto3.FieldDescription {
	out := make([]pgproto3.FieldDescription, len(in))
	for i, f := range in {
		out[i] = f
		out[i].Name = append([]byte(nil), f.Name...)
	}
	return out
}

// executeResult starts the result of an Execute from its portal.
func (c *conn) executeResult(bs *backendState, o *op) *result {
	var st *pgsql.Statement
	if len(o.stmts) > 0 {
		st = &o.stmts[0]
	}
	p := bs.portals[o.name]
	if p == nil {
		return c.newResult(nil, nil, o.policy, o.decision, st)
	}
	return c.newResult(p.fields, p.formats, o.policy, o.decision, st)
}
