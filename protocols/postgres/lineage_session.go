package postgres

import (
	"bytes"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
	"github.com/jackc/pgx/v5/pgproto3"
)

// sessionLineage is what lineage needs from a session's history: the
// queries behind its cursors and SQL-level prepared statements, and
// whether a schema change ran in the open transaction.
type sessionLineage struct {
	pgsql.Session

	// ddl is set (by the upstream goroutine, from CommandComplete) when the
	// server ran a schema change in the open transaction: the catalog
	// connection cannot see it, so lineage is unknown until the
	// transaction ends.
	ddl atomic.Bool

	// settings is set once a statement that may store a computed value in
	// a setting (set_config(name, pin, false), or a function calling it:
	// any statement that is not read-only, but SET and transaction
	// control, whose values are literals) was judged: SHOW may then show
	// any column's value, so its lineage is unknown for the rest of the
	// session. pg_settings and current_setting are always unknown.
	settings atomic.Bool
}

// literalOnly are kinds of statement that are not read-only but can only
// store the client's own literals in the session's settings.
var literalOnly = map[string]bool{
	"SET": true, "RESET": true, "BEGIN": true, "START": true, "COMMIT": true, "ROLLBACK": true,
	"SAVEPOINT": true, "RELEASE": true, "DISCARD": true, "LISTEN": true, "UNLISTEN": true,
	"DEALLOCATE": true, "CLOSE": true,
}

// noteSettings marks the session's settings as possibly holding data when
// st may have stored a computed value in one.
func (l *sessionLineage) noteSettings(st *gate.SQLStatement) {
	if !st.ReadOnly && !literalOnly[st.Kind] {
		l.settings.Store(true)
	}
}

// lineageOf resolves the lineage of st (nil: unknown).
func (c *conn) lineageOf(st *pgsql.Statement) (*pgsql.Resolved, error) {
	if st == nil || c.lin.ddl.Load() || (st.Kind == "SHOW" && c.lin.settings.Load()) {
		return pgsql.Unknown(), nil
	}
	return c.srv.lineage.Resolve(c.ctx, st, &c.lin.Session)
}

// firstCovered returns the first field of l that p masks by a field rule.
func firstCovered(p *mask.Policy, l pgsql.Lineage) string {
	return firstCoveredBut(p, l, "")
}

// firstCoveredBut is firstCovered for a caller that knows p covers no
// field called known (not asked again: a memo look-up per column).
func firstCoveredBut(p *mask.Policy, l pgsql.Lineage, known string) string {
	for _, f := range l.Fields {
		if f != known && p.FieldStrategy(f) != "" {
			return f
		}
	}
	return ""
}

// maxNameLen is how much of a column name the server keeps (NAMEDATALEN-1).
const maxNameLen = 63

func sameName(ours string, wire []byte) bool {
	if len(ours) <= maxNameLen {
		return ours == string(wire)
	}
	// Truncated by the server, on a character boundary.
	return len(wire) > maxNameLen-4 && strings.HasPrefix(ours, string(wire))
}

// resolveColumns names the masking field of every column of r. A column
// the catalog names ("customers.card") and a field rule covers keeps that
// name. Otherwise the column is masked as the first base column of its
// lineage that a field rule covers, followed through sub-queries, CTEs,
// set operations, views, SQL functions and every expression; a column
// whose lineage is unknown is masked as any covered column of the
// database. Positions are trusted only when the lineage lists as many
// columns as the RowDescription, with the same names; otherwise every
// column carries the lineage of all of them (fail closed). A computed
// column that may carry a value of a carrier (see carriers) is withheld.
// A lineage that follows a view or SQL function of the database's is
// trusted only once the catalog is read to be unchanged (one version
// query per such result; plain reads of tables never pay it).
func (c *conn) resolveColumns(r *result) error {
	r.resolved = true
	r.cols = r.columnSlots(len(r.fields))
	r.base, r.carried = nil, nil // made when a column needs them
	res, err := c.lineageOf(r.stmt)
	if err != nil {
		return err
	}
	if res.Definitions() && c.srv.catalog.checkNow(c.ctx) {
		// A view or SQL function the lineage followed may have been
		// replaced since the catalog was last read: the server ran the
		// new text.
		if res, err = c.lineageOf(r.stmt); err != nil {
			return err
		}
	}
	names, lins, positional := res.Columns()
	positional = positional && len(names) == len(r.fields)
	for i := 0; positional && i < len(r.fields); i++ {
		positional = sameName(names[i], r.fields[i].Name)
	}
	p := r.policy
	detects := 0 // whether p runs detectors: 0 not asked yet, 1 yes, 2 no
	rep, repDone := "", false
	for i, f := range r.fields {
		name, view := "", false
		// A system column (ctid, xmin, tableoid: a negative attribute
		// number) holds no column's data; its lineage says so.
		if f.TableOID != 0 && int16(f.TableAttributeNumber) > 0 {
			n, err := c.srv.catalog.column(c.ctx, f.TableOID, f.TableAttributeNumber)
			if err != nil {
				return err
			}
			name, view = n.name, n.view
			if r.base == nil {
				r.base = r.baseSlots(len(r.fields))
			}
			r.base[i] = name
		}
		if name != "" && p.FieldStrategy(name) != "" {
			r.cols[i] = name
			continue
		}
		l := res.Whole()
		if positional {
			l = lins[i]
		}
		// name is not covered (or ""): the test above.
		if src := firstCoveredBut(p, l, name); src != "" {
			r.cols[i] = src
			continue
		}
		// The server names a table's column, or a view's: the latter is
		// bare only when its lineage is a stored value, not computed.
		computed := name == "" || (view && l.Computed)
		if computed && (c.srv.carriers.carries(l) || !c.carrierFree(p, l, &detects)) {
			if r.carried == nil {
				r.carried = make([]bool, len(r.fields))
			}
			r.carried[i] = true
		}
		if l.Unknown {
			if !repDone {
				if rep, err = c.srv.catalog.representative(c.ctx, p); err != nil {
					return err
				}
				repDone = true
			}
			if rep != "" {
				r.cols[i] = rep
				continue
			}
		}
		if name != "" {
			r.cols[i] = name
		} else {
			r.cols[i] = string(f.Name)
		}
	}
	return nil
}

// carrierFree reports whether a computed column of lineage l is known to
// carry no carrier's value: every base column it reads was probed clean
// (probe.go). A policy without detectors has nothing to learn (a field
// rule masks what it covers, and unknown lineage as any covered column);
// under one with detectors, a column of unknown lineage (a PL/pgSQL or C
// function's result, dynamic SQL, a relation the catalog does not know)
// is never known to be free: the gateway cannot tell which columns it
// reads, so it is withheld (fail closed).
func (c *conn) carrierFree(p *mask.Policy, l pgsql.Lineage, detects *int) bool {
	if (!l.Unknown && len(l.Fields) == 0) || p == nil {
		return true
	}
	if *detects == 0 {
		*detects = 2
		if len(p.Detectors()) > 0 {
			*detects = 1
		}
	}
	if *detects == 2 {
		return true
	}
	if l.Unknown {
		return false
	}
	for _, f := range l.Fields {
		if !c.srv.carrierFree(c.ctx, p, f) {
			return false
		}
	}
	return true
}

// annotateLineage sets, on each statement the rules see, the columns it
// uses outside its output list (filter_columns), those of them a field
// rule of the rule file covers (masked_columns_filtered), and the covered
// columns its output expressions compute on (masked_columns_computed; for a statement that stores, every covered
// column it touches). It also notes the
// cursors and prepared statements the statements define, and reports
// whether one of them may store a value computed from data in a setting
// (computesSetting). An error means the catalog could not be read: the
// caller refuses.
func (c *conn) annotateLineage(stmts []pgsql.Statement, out []gate.SQLStatement) (computes bool, err error) {
	var all *mask.Policy
	if rs := c.gc.Rules(); rs != nil && rs.Masks() != nil {
		p, err := rs.Masks().EveryPolicy()
		if err != nil {
			return false, err
		}
		all = p
	}
	for i := range stmts {
		c.lin.Remember(stmts, i)
		c.lin.noteSettings(&out[i])
		if stmts[i].Nested && !stmts[i].HasLineage() {
			// A data-modifying statement repeated from the one before,
			// which carries the lineage.
			computes = computes || stores(&out[i])
			continue
		}
		res, err := c.lineageOf(&stmts[i])
		if err != nil {
			return false, err
		}
		computes = computes || computesSetting(&stmts[i], &out[i], res.Touched())
		filter := res.Filter()
		fc := slices.Clone(filter.Fields)
		slices.Sort(fc)
		if filter.Unknown {
			fc = append(fc, "*")
		}
		out[i].FilterColumns = fc
		if out[i].MaskedColumnsFiltered, err = c.maskedOf(all, filter); err != nil {
			return false, err
		}
		computed := res.Computed()
		if stores(&out[i]) {
			computed = res.Touched()
		}
		if out[i].MaskedColumnsComputed, err = c.maskedOf(all, computed); err != nil {
			return false, err
		}
	}
	return computes, nil
}

// stores reports whether st may store what it reads (INSERT ... SELECT,
// UPDATE ... SET v = (SELECT ...), a writable CTE, a function with side
// effects): a masked column copied, even bare, into a column no field rule
// covers comes back unmasked from a later read, so every covered column
// such a statement touches counts as computed on.
func stores(st *gate.SQLStatement) bool {
	return !st.ReadOnly && !literalOnly[st.Kind]
}

// maskedOf returns the fields of l that p covers, sorted; every covered
// column of the database when l is unknown.
func (c *conn) maskedOf(p *mask.Policy, l pgsql.Lineage) ([]string, error) {
	var masked []string
	for _, f := range l.Fields {
		if p.FieldStrategy(f) != "" {
			masked = append(masked, f)
		}
	}
	if l.Unknown {
		cov, err := c.srv.catalog.covered(c.ctx, p)
		if err != nil {
			return nil, err
		}
		for _, f := range cov {
			if !slices.Contains(masked, f) {
				masked = append(masked, f)
			}
		}
	}
	slices.Sort(masked)
	return masked, nil
}

// lineageCommand notes, from a CommandComplete the server sent, that a
// schema change ran: lineage is unknown until the transaction ends.
func (c *conn) lineageCommand(body []byte) {
	if changesSchemaTag(body) {
		c.lin.ddl.Store(true)
	}
}

// changesSchemaTag reports whether a CommandComplete's body is the tag
// of a command that may change the schema. The tag is read in place: a
// switch on string(verb) makes no string.
func changesSchemaTag(body []byte) bool {
	verb, _, _ := bytes.Cut(bytes.TrimRight(body, "\x00"), []byte(" "))
	switch string(verb) {
	case "CREATE", "ALTER", "DROP", "IMPORT", "DO", "CALL", "COMMENT", "SECURITY", "REFRESH":
		return true
	}
	return false
}

// lineageReady ends the unknown state at the end of a transaction in
// which the schema changed, and starts the catalog over so every session
// sees the change.
func (c *conn) lineageReady(body []byte) {
	if len(body) == 1 && body[0] == 'I' && c.lin.ddl.Load() {
		c.srv.catalog.invalidate()
		c.lin.ddl.Store(false)
	}
}

// notificationField is the field a NOTIFY payload is masked as: any session
// (a trigger, pg_notify(name)) may send any value, so its lineage is
// unknown, and it is masked whenever a field rule of p covers a column of
// the database.
func (c *conn) notificationField(p *mask.Policy) (string, error) {
	return c.srv.catalog.representative(c.ctx, p)
}

// schemaErrors are SQLSTATEs that suggest the catalog cache is stale.
var schemaErrors = map[string]bool{
	"42P01": true, // undefined_table
	"42703": true, // undefined_column
	"42883": true, // undefined_function
	"42704": true, // undefined_object
	"0A000": true, // feature_not_supported: "cached plan must not change result type"
}

// noteSchemaError starts the catalog over soon after an error that
// suggests it is stale.
func (c *conn) noteSchemaError(e *pgproto3.ErrorResponse) {
	if schemaErrors[e.Code] {
		c.srv.catalog.invalidateSoon()
	}
}
