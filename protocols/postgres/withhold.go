package postgres

import (
	"strings"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/airlock-sdk/airlock/mask"
	"github.com/jackc/pgx/v5/pgproto3"
)

// withholdError applies the one rule for the text of the server's errors
// and notices, once detectors have masked it (maskError). When the policy
// p masks any column of the database by a field rule, the server may have
// put that column's values anywhere in a message, quoted or not, and not
// only while the statement that read them runs: a deferred constraint or
// trigger raises at COMMIT, at Sync, at PREPARE TRANSACTION or at SET
// CONSTRAINTS, an immediate trigger raises during another table's write,
// and a notice may come when no statement is running. So every error and
// notice loses its text (withholdMessage) unless the message is proven
// free of data: the server, not a function, raised it answering
// statements that can only read (provenFree) and evaluate no covered
// column, or it is an error of the parse analysis of the client's own
// text (fromAnalysis). When p masks with detectors, a message may quote a
// value computed from a carrier (invalid input syntax for type integer:
// "<the card reversed>"), which no detector recognises: the same rule
// applies, with "covered" meaning a carrier, or a column not probed clean
// (see carriers). It reports whether e changed; an
// error means the catalog could not be read.
func (c *conn) withholdError(o *op, p *mask.Policy, e *pgproto3.ErrorResponse) (bool, error) {
	c.noteSchemaError(e)
	if p == nil {
		return false, nil
	}
	rep, err := c.srv.catalog.representative(c.ctx, p)
	if err != nil || (rep == "" && len(p.Detectors()) == 0) {
		return false, err
	}
	if !raisedByFunction(e) {
		// A function may run where the statement's lineage does not show
		// it (a domain's check, a row-level-security policy): its messages
		// are never proven free.
		free, err := c.provenFree(o, p)
		if err != nil || free {
			return false, err
		}
	}
	withholdMessage(e, opStatements(o))
	return true, nil
}

// readKinds are the kinds of statement that, when read-only, fire no
// trigger and check no constraint, deferred or not: their errors come
// from what they evaluate.
var readKinds = map[string]bool{
	"SELECT": true, "VALUES": true, "TABLE": true, "SHOW": true, "FETCH": true, "MOVE": true,
	"DECLARE": true, "CLOSE": true, "EXPLAIN": true,
}

// provenFree reports whether an error or notice answering o can quote no
// value of a column p covers: o is a Query or Execute whose every
// statement is a read-only read (readKinds) of known lineage evaluating no
// covered column, and, when p masks with detectors, only columns probed
// clean of carriers. Anything else (a write, transaction control, a Sync, a
// message the gateway cannot attribute to a statement) is not.
func (c *conn) provenFree(o *op, p *mask.Policy) (bool, error) {
	if o == nil || (o.kind != opQuery && o.kind != opExecute) || len(o.stmts) == 0 {
		return false, nil
	}
	for i := range o.stmts {
		st := &o.stmts[i]
		if !st.ReadOnly || !readKinds[st.Kind] {
			return false, nil
		}
		res, err := c.lineageOf(st)
		if err != nil {
			return false, err
		}
		if c.mayCarry(p, res.Touched()) {
			return false, nil
		}
	}
	return true, nil
}

// opStatements returns the statements of o: those it runs, or those it
// parses or binds.
func opStatements(o *op) []pgsql.Statement {
	switch {
	case o == nil:
		return nil
	case len(o.stmts) > 0:
		return o.stmts
	case o.sinfo != nil && o.sinfo.cl != nil:
		return o.sinfo.cl.Statements
	case o.portal != nil && o.portal.cl != nil:
		return o.portal.cl.Statements
	}
	return nil
}

// withholdMessage replaces the text of an error or notice by one that
// keeps the SQLSTATE and its class; the detail, hint, context and internal
// query go, and so do the schema, table, column, type and constraint
// names when a function raised it (RAISE ... USING COLUMN = any text).
// One kind of message keeps its text: an error of the parser's analysis
// of the client's own statements (fromAnalysis).
func withholdMessage(e *pgproto3.ErrorResponse, stmts []pgsql.Statement) {
	if !fromAnalysis(e, stmts) {
		e.Message = "[masked] " + sqlstateClass(e.Code) + " " + e.Code + ": the server's message may quote a masked column"
	}
	const masked = "[masked]"
	fields := []*string{&e.Detail, &e.Hint, &e.Where, &e.InternalQuery}
	if raisedByFunction(e) {
		fields = append(fields, &e.SchemaName, &e.TableName, &e.ColumnName, &e.DataTypeName, &e.ConstraintName)
	}
	for _, s := range fields {
		if *s != "" {
			*s = masked
		}
	}
	e.InternalPosition = 0
	for k := range e.UnknownFields {
		e.UnknownFields[k] = masked
	}
}

// raisedByFunction reports whether e may have been raised by a function,
// which chooses every field's text and code.
func raisedByFunction(e *pgproto3.ErrorResponse) bool {
	return strings.HasPrefix(e.Code, "P0") || strings.HasPrefix(e.Code, "38") || strings.HasPrefix(e.Code, "39") ||
		!standardClass(e.Code) || e.Where != "" || e.InternalQuery != "" || e.Routine == "exec_stmt_raise"
}

// fromAnalysis reports whether e is an error of parse analysis of the
// client's text: analysis reads the catalog, never a table's rows, and
// the errors a function or the executor raises carry no position in the
// client's statement. The quoted parts must come from the text as well.
func fromAnalysis(e *pgproto3.ErrorResponse, stmts []pgsql.Statement) bool {
	if !strings.HasPrefix(e.Code, "42") || e.Position <= 0 || raisedByFunction(e) || e.Severity != "ERROR" {
		return false
	}
	parts := strings.Split(e.Message, `"`)
	if len(parts)%2 == 0 {
		return false
	}
	for i := 1; i < len(parts); i += 2 {
		if !quotedInTexts(parts[i], stmts) {
			return false
		}
	}
	return true
}

// quotedInTexts reports whether part occurs in the text of one of stmts.
func quotedInTexts(part string, stmts []pgsql.Statement) bool {
	if part == "" {
		return false
	}
	for i := range stmts {
		if strings.Contains(strings.ToLower(stmts[i].Text), strings.ToLower(part)) {
			return true
		}
	}
	return false
}

// sqlstateClasses names the SQLSTATE classes (PostgreSQL's Appendix A).
var sqlstateClasses = map[string]string{
	"01": "warning", "02": "no data", "03": "SQL statement not yet complete", "08": "connection exception",
	"09": "triggered action exception", "0A": "feature not supported", "0B": "invalid transaction initiation",
	"0F": "locator exception", "0L": "invalid grantor", "0P": "invalid role specification",
	"0Z": "diagnostics exception", "20": "case not found", "21": "cardinality violation", "22": "data exception",
	"23": "integrity constraint violation", "24": "invalid cursor state", "25": "invalid transaction state",
	"26": "invalid SQL statement name", "27": "triggered data change violation",
	"28": "invalid authorization specification", "2B": "dependent privilege descriptors still exist",
	"2D": "invalid transaction termination", "2F": "SQL routine exception", "34": "invalid cursor name",
	"38": "external routine exception", "39": "external routine invocation exception",
	"3B": "savepoint exception", "3D": "invalid catalog name", "3F": "invalid schema name",
	"40": "transaction rollback", "42": "syntax error or access rule violation", "44": "with check option violation",
	"53": "insufficient resources", "54": "program limit exceeded", "55": "object not in prerequisite state",
	"57": "operator intervention", "58": "system error", "72": "snapshot failure", "F0": "configuration file error",
	"HV": "foreign data wrapper error", "P0": "PL/pgSQL error", "XX": "internal error",
}

// sqlstateClass names the class of a SQLSTATE.
func sqlstateClass(code string) string {
	if len(code) == 5 {
		if name, ok := sqlstateClasses[code[:2]]; ok {
			return name
		}
	}
	return "error"
}

// standardClass reports whether a SQLSTATE belongs to a class the server
// itself raises (a function may raise any code with any message).
func standardClass(code string) bool {
	if len(code) != 5 {
		return false
	}
	switch code[:2] {
	case "00", "01", "02", "03", "08", "09", "0A", "0B", "0F", "0L", "0P", "0Z", "20", "21", "22", "23", "24",
		"25", "26", "27", "28", "2B", "2D", "2F", "34", "3B", "3D", "3F", "40", "42", "44", "53", "54", "55",
		"57", "58", "72", "F0", "HV", "XX":
		return true
	}
	return false
}
