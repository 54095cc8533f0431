package postgres

import (
	"fmt"
	"strings"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/jackc/pgx/v5/pgproto3"
)

// Session settings. What a statement does depends on settings the
// statement does not show: under DateStyle DMY, DELETE ... WHERE at <
// '01/12/2026' deletes up to the first of December, not the twelfth of
// January; search_path decides which table an unqualified name is;
// session_replication_role = replica turns triggers off; role decides
// whose rights and row-security policies apply. A statement may change
// them (SET, SET LOCAL, set_config, RESET, DISCARD ALL, a function or
// trigger calling set_config, COMMIT or ROLLBACK undoing a SET), and the
// server reports only a few of them (ParameterStatus), and those only at
// the next ReadyForQuery.
//
// So the gateway reads them from the server itself, with SHOW (which
// takes no snapshot and runs no user code): at connect, after the startup
// options and the role's and database's ALTER ... SET took effect, and
// after every message whose statements may have changed them (one not
// read-only, as for the parse state, parsestate.go), as a Query of its
// own sent right after that message's Sync or Query, whose replies the
// client never sees. A message may have changed them when a statement of
// it is not read-only, ends a transaction or rolls back to a savepoint,
// or changes them (changesSettings); and whenever the server reports a
// change of one (ParameterStatus), whatever the gateway thought. A message is judged only once that read is
// answered; its request carries the settings read (gate.SQL.Settings),
// which rules read, reviewers are shown and approvals bind. Within one
// message, where the server answers nothing before the end, a statement
// after one that changes settings (SET, RESET, DISCARD, COMMIT,
// ROLLBACK, an opaque statement, a call of a function that may write, a
// write whose relation runs code of the database's own: a trigger may
// call set_config) is refused as "postgres/settings", unless it is itself
// transaction control or a setting's change: its settings could not be
// shown.
//
// In a failed transaction the read fails; nothing but the transaction's
// end runs there, so the settings shown stay the last ones read, and the
// read is made again after the next message; so it is when a cancel
// request of the client's reached the read. Any other failure of the read
// ends the session.

// probedSettings are the settings read with SHOW, by their lower-case
// names: those that change what a statement reads, writes or means.
// Every one exists in every supported server version.
var probedSettings = []string{
	"datestyle", "intervalstyle", "timezone", "timezone_abbreviations", "search_path", "role",
	"session_authorization", "is_superuser", "session_replication_role", "row_security", "bytea_output",
	"extra_float_digits", "lc_monetary", "lc_numeric", "lc_time", "transform_null_equals", "array_nulls",
	"xmloption", "xmlbinary", "default_transaction_read_only", "default_transaction_isolation",
	"gin_fuzzy_search_limit", "standard_conforming_strings", "client_encoding",
}

// probedSet holds probedSettings, for the ParameterStatus watch.
var probedSet = func() map[string]bool {
	m := make(map[string]bool, len(probedSettings))
	for _, n := range probedSettings {
		m[n] = true
	}
	return m
}()

// probeSQL reads probedSettings, one SHOW each, in their order.
var probeSQL = func() string {
	var b strings.Builder
	for _, n := range probedSettings {
		b.WriteString("SHOW ")
		b.WriteString(n)
		b.WriteString(";")
	}
	return b.String()
}()

// probeMsg is probeSQL as a Query message.
var probeMsg, _ = (&pgproto3.Query{String: probeSQL}).Encode(nil)

// settingsRead is what a probe Query got: written by the upstream
// goroutine before it pops the probe, read by the client goroutine once
// the queue is settled past it.
type settingsRead struct {
	vals []string
	code string // the SQLSTATE of its error, if any
	err  string
}

// settingsOf maps the values of a read to probedSettings' names.
func settingsOf(vals []string) (map[string]string, error) {
	if len(vals) != len(probedSettings) {
		return nil, fmt.Errorf("postgres: the session's settings: %d values for %d settings", len(vals), len(probedSettings))
	}
	m := make(map[string]string, len(vals))
	for i, n := range probedSettings {
		m[n] = vals[i]
	}
	return m, nil
}

// settingsReader reports whether a ParameterStatus names a setting the
// gateway reads itself.
func settingsReader(name string) bool { return probedSet[strings.ToLower(name)] }

// changesSettings reports whether st changes settings for the statements
// after it in the same message: a SET or RESET of any kind, DISCARD,
// the end of a transaction or a rollback to a savepoint (a SET LOCAL or a
// SET in it is undone), LOAD, an opaque statement (DO, CALL, EXECUTE)
// and a call of code that may write (which may call set_config).
func changesSettings(st *pgsql.Statement) bool {
	if st.Opaque || st.CallsWrite {
		return true
	}
	switch upperKind(st.Kind) {
	case "SET", "RESET", "DISCARD", "COMMIT", "ROLLBACK", "PREPARE TRANSACTION", "LOAD":
		return true
	}
	return false
}

// anyChangesSettings reports whether one of sts may change the session's
// settings: one that changes them for the next statement, or one not
// read-only (a write whose trigger calls set_config).
func anyChangesSettings(sts []pgsql.Statement) bool {
	for i := range sts {
		if changesSettings(&sts[i]) || mayChangeReading(&sts[i]) {
			return true
		}
	}
	return false
}

// afterSettingsChange are the kinds that may follow a change of settings
// in the same message: their meaning does not depend on the settings.
var afterSettingsChange = map[string]bool{"SET": true, "RESET": true, "SHOW": true, "DISCARD": true,
	"BEGIN": true, "START": true, "COMMIT": true, "ROLLBACK": true, "SAVEPOINT": true, "RELEASE": true}

// settingsRefusal is why a statement after a change of settings in the
// same message is refused.
const settingsRefusal = "a statement earlier in this message may change the session's settings (SET, RESET, set_config, a transaction's end), which decide what this one means; send it in a message of its own (a Query or a sync group of its own)"

// unreadRefusal is why a statement is refused when the settings an
// earlier sync group may have changed cannot be read before it.
const unreadRefusal = "an earlier message may have changed the session's settings, which cannot be read within this sync group; send Sync first"

// settingsFollow reports whether a statement of sts runs after one that
// changes settings, in order, flux telling whether one ran before them
// in the same message; and whether one of sts changes them. Besides
// changesSettings, a write to a relation whose writes run code of the
// database's own (a trigger, a rule, a default or constraint calling a
// function of its own, a domain: writeRunsCode) changes them, as does
// any write after a statement of the same message that may have changed
// the catalog (CREATE TRIGGER, ALTER TABLE): what the catalog says is
// not what the server will run. With lastFree (a whole Query), changes
// leaves out a code-running write that is the last statement.
func (c *conn) settingsFollow(sts []pgsql.Statement, flux, lastFree bool) (refuse, changes bool) {
	ddl := false
	for i := range sts {
		st := &sts[i]
		if flux && !st.Nested && !afterSettingsChange[upperKind(st.Kind)] {
			return true, true
		}
		// The last statement of a Query changes nothing after it in the
		// message (lastFree): its write's code is not looked up.
		if changesSettings(st) || !(lastFree && i == len(sts)-1) && c.writeRunsCode(st, ddl) {
			flux, changes = true, true
		}
		ddl = ddl || changesCatalog(st)
	}
	return false, changes
}

// writeKinds are the kinds of statement that write rows of the relations
// they name.
var writeKinds = map[string]bool{"INSERT": true, "UPDATE": true, "DELETE": true, "MERGE": true, "COPY": true,
	"TRUNCATE": true, "SELECT": true, "VALUES": true, "TABLE": true, "EXPLAIN": true}

// changesCatalog reports whether st may change what the catalog says of
// a relation's code: a statement that is not read-only, not a write of
// rows and not one of the kinds that only change the session.
func changesCatalog(st *pgsql.Statement) bool {
	if st.ReadOnly {
		return false
	}
	k := upperKind(st.Kind)
	return !writeKinds[k] && !literalOnly[k]
}

// writeRunsCode reports whether st writes a relation whose writes may run
// code of the database's own, which may call set_config; any write does
// after a change of the catalog in the same message (afterDDL), and
// when the catalog cannot be read (fail closed).
func (c *conn) writeRunsCode(st *pgsql.Statement, afterDDL bool) bool {
	if st.ReadOnly {
		return false
	}
	wrote := false
	for _, t := range st.Tables {
		if t.Access != "write" {
			continue
		}
		wrote = true
		if afterDDL {
			return true
		}
		code, err := c.srv.catalog.writeRunsCode(c.ctx, t.Schema, t.Name)
		if err != nil || code {
			return true
		}
	}
	if !wrote {
		switch upperKind(st.Kind) {
		case "INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "TRUNCATE":
			// A write whose relation the gateway cannot name.
			return true
		}
	}
	return false
}

// sendProbe sends the settings read right after a message that closed a
// sync group; the client goroutine reads its answer before it judges the
// next statement (confirmSettings).
func (c *conn) sendProbe() error {
	o := &op{kind: opProbe, read: &settingsRead{}}
	c.q.push(o)
	c.probe = o
	_, err := c.uw.Write(probeMsg)
	return err
}

// probeIfStale sends the settings read after a message that closed a
// sync group when that message (or an earlier one of its group) may have
// changed the settings. Not while the server waits for COPY data: the
// read goes before the next statement is judged instead.
func (c *conn) probeIfStale() error {
	if !c.settingsStale || c.probe != nil || c.copyPending {
		return nil
	}
	return c.sendProbe()
}

// confirmSettings brings c.settings up to what the server holds before a
// statement is judged: when an earlier message may have changed them, it
// waits for the read sent after it (or sends one, outside a sync group).
// refuse is set when they cannot be read there (inside a sync group) or
// a cancel request of the client's stopped the read.
func (c *conn) confirmSettings() (refuse bool, err error) {
	if !c.settingsStale && !c.settingsChanged.Load() {
		return false, nil
	}
	c.settingsStale = true
	if c.probe == nil {
		if c.grp.open {
			return true, nil
		}
		if err := c.sendProbe(); err != nil {
			return false, err
		}
	}
	if _, err := c.settle(); err != nil {
		return false, err
	}
	// Every setting the server reported before the read is in it.
	c.settingsChanged.Store(false)
	r := c.probe.read
	c.probe = nil
	switch {
	case r.code == "25P02":
		// A failed transaction: only its end runs, which reads them again.
		return false, nil
	case r.code == "57014":
		// The client's cancel request reached the read: this statement
		// is refused, the next one reads them again (stale stays set).
		return true, nil
	case r.code != "" || r.err != "":
		return false, fmt.Errorf("postgres: the session's settings could not be read: %s", r.err)
	}
	m, err := settingsOf(r.vals)
	if err != nil {
		return false, err
	}
	c.settings, c.settingsStale = c.taint.read(m), false
	return false, nil
}

// probeReply takes the server's reply to the gateway's settings read:
// never passed on.
func (c *conn) probeReply(bs *backendState, head *op, typ byte, body []byte) error {
	r := head.read
	switch typ {
	case 'T', 'C':
	case 'D':
		var dr pgproto3.DataRow
		if err := dr.Decode(body); err != nil {
			return err
		}
		if len(dr.Values) != 1 {
			return outOfStep(typ, head)
		}
		r.vals = append(r.vals, string(dr.Values[0]))
	case 'E':
		var e pgproto3.ErrorResponse
		if err := e.Decode(body); err != nil {
			return err
		}
		if r.code == "" {
			r.code, r.err = e.Code, e.Code+": "+e.Message
		}
	case 'Z':
		if c.q.ready() != head {
			return outOfStep(typ, head)
		}
		// Like any Query, it dropped the unnamed statement and portal.
		c.resolve(bs, head, true)
		if len(body) == 1 {
			c.idleReady(body[0])
		}
	default:
		return outOfStep(typ, head)
	}
	return nil
}
