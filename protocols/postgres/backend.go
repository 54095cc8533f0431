package postgres

import (
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
	last       *mask.Policy // the latest decision's policy, for stray notices
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

func (c *conn) backendMessage(bs *backendState, typ byte, body, raw []byte) error {
	head := c.q.peek()
	if head != nil && head.policy != nil {
		bs.last = head.policy
	}
	switch typ {
	case '1': // ParseComplete
		if o := c.q.pop(); o != nil && o.kind == opParse {
			delete(bs.stmtFields, o.name)
		}
	case '2': // BindComplete
		if o := c.q.pop(); o != nil && o.kind == opBind {
			bs.portals[o.name] = &portalInfo{fields: bs.stmtFields[o.stmt], formats: o.formats}
		}
	case '3': // CloseComplete
		c.q.pop()
	case 'T': // RowDescription
		var rd pgproto3.RowDescription
		if err := rd.Decode(body); err != nil {
			return err
		}
		fields := copyFields(rd.Fields)
		switch {
		case head == nil:
		case head.kind == opDescribeStmt:
			bs.stmtFields[head.name] = fields
			c.q.pop()
		case head.kind == opDescribePortal:
			if p := bs.portals[head.name]; p != nil {
				p.fields = fields
			} else {
				bs.portals[head.name] = &portalInfo{fields: fields}
			}
			c.q.pop()
		case head.kind == opQuery:
			bs.cur = c.newResult(fields, nil, head.policy, head.decision, topStatement(head.stmts, bs.queryIdx))
		}
	case 'n': // NoData
		if head != nil && (head.kind == opDescribeStmt || head.kind == opDescribePortal) {
			if head.kind == opDescribeStmt {
				bs.stmtFields[head.name] = nil
			}
			c.q.pop()
		}
	case 't': // ParameterDescription: a Describe S continues
	case 'D': // DataRow
		r := bs.cur
		if r == nil && head != nil && head.kind == opExecute {
			r = c.executeResult(bs, head)
			bs.cur = r
		}
		if r == nil {
			// Rows nobody asked for: mask them with the strictest policy known.
			r = c.newResult(nil, nil, bs.last, "", nil)
			bs.cur = r
		}
		out, err := c.maskRow(r, body, raw)
		if err != nil {
			return err
		}
		return c.send(out)
	case 'C', 'I', 's': // CommandComplete, EmptyQueryResponse, PortalSuspended
		if typ == 'C' {
			c.lineageCommand(body)
		}
		if typ == 'C' && bs.cur != nil {
			var cc pgproto3.CommandComplete
			if err := cc.Decode(body); err == nil {
				bs.cur.tag = string(cc.CommandTag)
			}
		}
		if err := c.finishResult(bs); err != nil {
			return err
		}
		if head != nil {
			switch head.kind {
			case opExecute:
				c.q.pop()
			case opQuery:
				bs.queryIdx++
			}
		}
	case 'E': // ErrorResponse
		var e pgproto3.ErrorResponse
		if err := e.Decode(body); err != nil {
			return err
		}
		_ = c.finishResult(bs)
		if head != nil && head.kind == opRefuse {
			if !head.simple {
				c.q.pop()
				c.q.dropUntilSync()
			}
			return c.sendMsg(head.refusal)
		}
		p := bs.last
		if head != nil && head.policy != nil {
			p = head.policy
		}
		if head != nil && head.kind != opQuery && head.kind != opSync {
			c.q.dropUntilSync()
		}
		masked, changed, err := maskError(p, &e)
		if err != nil {
			return err
		}
		if scrubbed, err := c.lineageError(head, p, masked); err != nil {
			return err
		} else if scrubbed {
			changed = true
		}
		if !changed {
			return c.send(raw)
		}
		return c.sendMsg(masked)
	case 'N': // NoticeResponse
		var n pgproto3.NoticeResponse
		if err := n.Decode(body); err != nil {
			return err
		}
		p := bs.last
		if head != nil && head.policy != nil {
			p = head.policy
		}
		e := pgproto3.ErrorResponse(n)
		masked, changed, err := maskError(p, &e)
		if err != nil {
			return err
		}
		if scrubbed, err := c.lineageError(head, p, masked); err != nil {
			return err
		} else if scrubbed {
			changed = true
		}
		if !changed {
			return c.send(raw)
		}
		nm := pgproto3.NoticeResponse(*masked)
		return c.sendMsg(&nm)
	case 'A': // NotificationResponse
		if bs.last == nil {
			break
		}
		var n pgproto3.NotificationResponse
		if err := n.Decode(body); err != nil {
			return err
		}
		field, err := c.notificationField(bs.last)
		if err != nil {
			return err
		}
		v, _, err := bs.last.Value(field, n.Payload)
		if err != nil {
			return err
		}
		if v != n.Payload {
			n.Payload = v
			return c.sendMsg(&n)
		}
	case 'Z': // ReadyForQuery
		_ = c.finishResult(bs)
		c.lineageReady(body)
		bs.queryIdx = 0
		for {
			o := c.q.pop()
			if o == nil || o.kind == opSync || o.kind == opQuery || o.kind == opRefuse && o.simple {
				break
			}
		}
	case 'S': // ParameterStatus
		var ps pgproto3.ParameterStatus
		if err := ps.Decode(body); err != nil {
			return err
		}
		c.noteParameter(ps.Name, ps.Value)
	case 'H': // CopyOutResponse
		r := bs.cur
		if r == nil && head != nil {
			if head.kind == opExecute {
				r = c.executeResult(bs, head)
			} else {
				r = c.newResult(nil, nil, head.policy, head.decision, topStatement(head.stmts, bs.queryIdx))
			}
		}
		if r == nil {
			r = c.newResult(nil, nil, bs.last, "", nil)
		}
		bs.cur = r
		if err := c.startCopy(r); err != nil {
			return err
		}
	case 'd': // CopyData (COPY TO STDOUT)
		if bs.cur == nil || !bs.cur.copy {
			// Data without CopyOutResponse: mask with the last policy.
			bs.cur = c.newResult(nil, nil, bs.last, "", nil)
			if err := c.startCopy(bs.cur); err != nil {
				return err
			}
		}
		out, err := c.maskCopy(bs.cur, body, raw)
		if err != nil {
			return err
		}
		return c.send(out)
	case 'K', 'R', 'v':
		// Upstream cancel keys and authentication never reach the client.
		return nil
	}
	return c.send(raw)
}

// topStatement returns the i-th statement of a message as the server
// runs them, skipping the nested entries the classifier adds.
func topStatement(stmts []Statement, i int) *Statement {
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
	var st *Statement
	if len(o.stmts) > 0 {
		st = &o.stmts[0]
	}
	p := bs.portals[o.name]
	if p == nil {
		return c.newResult(nil, nil, o.policy, o.decision, st)
	}
	return c.newResult(p.fields, p.formats, o.policy, o.decision, st)
}
