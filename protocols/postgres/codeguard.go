package postgres

import (
	"strings"

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
// refused as "postgres/code" when it runs or defines code whose text it
// does not show (a DO block, a CALL, CREATE or ALTER of a function,
// procedure, trigger, rule or event trigger: code a later statement
// would run); when it hands a value that may carry masked data (see
// mayCarry: of unknown lineage too) to code of the database's own that
// may write (a VOLATILE function not in SQL, an operator, cast or type
// whose code may write, a write to a relation whose writes run code: a
// trigger, a rule, a default or check calling a function of its own,
// pg_settings) — the result of the one such function a statement calls
// counts as computed from what it is handed, so SELECT f(id) FROM t is
// judged by t.id, and its result withheld as before; and
// when it calls a built-in that stores its arguments in the session's or
// the server's state (set_config, advisory locks, pg_notify, setval,
// large objects) and reads anything that may carry masked data, of
// unknown lineage included (CASE WHEN name LIKE 'A%' THEN 'off' ELSE 'on'
// END as enable_seqscan, or a WHERE on name deciding whether set_config
// runs at all).
//
// Code of the database's own that selects a masked value by itself and
// stores it (a PL/pgSQL function the owner wrote that names a table
// after a value it reads, called alone; a trigger; a default) is judged
// by its text: see Code the owner wrote (ownercode.go).

// codeRefusal is why a statement is refused under masking.
const codeRefusal = "under masking, code the gateway cannot follow (a DO block, CALL, a new function, trigger or rule; a volatile function, trigger or rule given masked data) or session state set from masked data (set_config, advisory locks, pg_notify) may store a masked value where later reads show it (an object's name, a comment, a setting's effect); run it without masking, or without masked columns"

// judgeCode returns why stmts must be refused under the decision's
// policy p (see Code under masking), or "". An error means the catalog
// could not be read: the caller refuses.
func (c *conn) judgeCode(p *mask.Policy, stmts []pgsql.Statement) (string, error) {
	for i := range stmts {
		st := &stmts[i]
		if pgsql.HiddenCode(st) {
			return codeRefusal, nil
		}
		if why, err := c.judgeOwnerCode(p, st); why != "" || err != nil {
			return why, err
		}
		code := c.writeRunsCode(st, false)
		var cc pgsql.CodeCalls
		if st.CallsWrite {
			cc = pgsql.CallsCode(c.ctx, c.srv.procs, st)
		}
		if !code && !cc.UserCode && !cc.StateWrites {
			continue
		}
		res, err := c.lineageOf(st)
		if err != nil {
			return "", err
		}
		if !code && !cc.StateWrites && !cc.UserOther && len(cc.UserFuncs) == 1 && res.Touched().Unknown &&
			mentions(st.Text, cc.UserFuncs[0]) == 1 {
			// One call's own result is of unknown lineage (it may read
			// anything, and its result is withheld): what matters is
			// what the statement hands it. Not so for f(f(x)), where
			// one call hands the other what it read.
			if res, err = c.srv.lineage.ResolveComputing(c.ctx, st, &c.lin.Session, map[string]bool{cc.UserFuncs[0]: true}); err != nil {
				return "", err
			}
		}
		if c.mayCarry(p, res.Touched()) {
			return codeRefusal, nil
		}
	}
	return "", nil
}

// mayCarry reports whether values of lineage l may carry what p masks:
// l is unknown, or mayCarryKnown.
func (c *conn) mayCarry(p *mask.Policy, l pgsql.Lineage) bool {
	return l.Unknown || c.mayCarryKnown(p, l)
}

// mayCarryKnown reports whether the known columns of lineage l may carry
// what p masks: one a field rule of p covers, or, when p masks with
// detectors, one not probed clean of carriers.
func (c *conn) mayCarryKnown(p *mask.Policy, l pgsql.Lineage) bool {
	if firstCovered(p, l) != "" {
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

// mentions counts the words of text that are name, in any case (a word:
// letters, digits, _ and $): at least the calls of a function of that
// name, in any notation.
func mentions(text, name string) int {
	n := 0
	low := strings.ToLower(text)
	word := func(b byte) bool {
		return b == '_' || b == '$' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b >= 0x80
	}
	for i := 0; ; {
		j := strings.Index(low[i:], name)
		if j < 0 {
			return n
		}
		at, end := i+j, i+j+len(name)
		if (at == 0 || !word(low[at-1])) && (end == len(low) || !word(low[end])) {
			n++
		}
		i = at + 1
	}
}
