package postgres

import (
	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/airlock-sdk/airlock/mask"
)

// Code under masking. Code the gateway cannot follow may store what it
// reads where a later read shows it under a name of its own, past every
// column's lineage: an object named after a masked value (EXECUTE
// format('CREATE TABLE %I ()', name), read back from pg_class, \d or an
// error naming it, in any later session), a comment, an enum label, a
// view's text; or a setting whose effect every later statement shows (a
// plan under enable_seqscan, a timeout, a date's format, the table
// search_path resolves a name to), one bit of a masked value per
// statement. The catalog outlives the session, so no masking of later
// reads can follow it. So, under a decision that masks, a statement is
// refused as "postgres/code" when it may run such code: a DO block, a
// CALL, a call of a VOLATILE function of the database's own (or of an
// operator, cast, type, view or policy whose code may write, or one the
// catalog does not know), a write to a relation whose writes run code of
// the database's own (a trigger, a rule, a default or check calling a
// function of its own: writeRunsCode); or when it calls a built-in that
// stores its arguments in the session's or the server's state
// (set_config, advisory locks, pg_notify, setval, large objects) and
// reads a covered column, one of unknown lineage, or, when the decision
// masks with detectors, one not probed clean of carriers (CASE WHEN name
// LIKE 'A%' THEN 'off' ELSE 'on' END as enable_seqscan, or a WHERE on
// name deciding whether set_config runs at all).

// codeRefusal is why a statement is refused under masking.
const codeRefusal = "under masking, code the gateway cannot follow (a DO block, CALL, a volatile function of the database's, a write that fires a trigger or rule) or a change of session state computed from masked data may store a masked value where later reads show it (an object's name, a comment, a setting); run it without masking, or without masked columns"

// judgeCode returns why stmts must be refused under the decision's
// policy p (see Code under masking), or "". An error means the catalog
// could not be read: the caller refuses.
func (c *conn) judgeCode(p *mask.Policy, stmts []pgsql.Statement) (string, error) {
	for i := range stmts {
		st := &stmts[i]
		if pgsql.RunsHiddenCode(st) || c.writeRunsCode(st, false) {
			return codeRefusal, nil
		}
		if !st.CallsWrite {
			continue
		}
		cc := pgsql.CallsCode(c.ctx, c.srv.procs, st)
		if cc.UserCode {
			return codeRefusal, nil
		}
		if !cc.StateWrites {
			continue
		}
		res, err := c.lineageOf(st)
		if err != nil {
			return "", err
		}
		if c.mayCarry(p, res.Touched()) {
			return codeRefusal, nil
		}
	}
	return "", nil
}

// mayCarry reports whether values of lineage l may carry what p masks:
// l is unknown, holds a column a field rule of p covers, or, when p masks
// with detectors, one not probed clean of carriers.
func (c *conn) mayCarry(p *mask.Policy, l pgsql.Lineage) bool {
	if l.Unknown || firstCovered(p, l) != "" {
		return true
	}
	if len(p.Detectors()) > 0 {
		for _, f := range l.Fields {
			if !c.srv.carrierFree(c.ctx, p, f) {
				return true
			}
		}
	}
	return false
}
