package postgres

import (
	"github.com/airlock-sdk/airlock/analysis/pgsql"
)

// Parse state in flux. The gateway's parser reads SQL as the server does
// only while standard_conforming_strings is on and the client encoding is
// UTF8 (conn.noteParameter). A statement may change either (SET, RESET,
// DISCARD, a function or trigger calling set_config, a DO block), and the
// server reports the change only with its next ReadyForQuery; meanwhile it
// reads every later message (a pipelined Query, a Parse later in the same
// sync group) the new way, while the gateway judged it the old way: 'a\'
// || ' ; DELETE ...' is one string to one and a DELETE to the other. So
// after a statement that may change them, a text whose reading could
// differ is judged only once the server has answered (a new Query or sync
// group waits for it), and within the same sync group, where no answer
// comes before Sync, it is refused. A text of ASCII without a backslash
// reads the same under every setting and every client encoding (all are
// ASCII supersets) and is judged at once.

// readingInvariant reports whether sql reads the same whatever
// standard_conforming_strings and the client encoding.
func readingInvariant(sql string) bool {
	for i := 0; i < len(sql); i++ {
		if sql[i] >= 0x80 || sql[i] == '\\' {
			return false
		}
	}
	return true
}

// settingsSafe are kinds that are not read-only but change no setting the
// parser depends on and run no code that could.
var settingsSafe = map[string]bool{"BEGIN": true, "START": true, "SAVEPOINT": true, "RELEASE": true,
	"LISTEN": true, "UNLISTEN": true, "DEALLOCATE": true, "CLOSE": true, "PREPARE": true}

// mayChangeReading reports whether running st may change how the server
// reads later SQL: anything not read-only (a SET, a write whose trigger
// calls set_config, COMMIT running deferred triggers, ROLLBACK undoing a
// SET) but the kinds of settingsSafe, and anything opaque.
func mayChangeReading(st *pgsql.Statement) bool {
	return st.Opaque || (!st.ReadOnly && !settingsSafe[upperKind(st.Kind)])
}

// anyChangesReading reports whether one of sts may change how the server
// reads later SQL.
func anyChangesReading(sts []pgsql.Statement) bool {
	for i := range sts {
		if mayChangeReading(&sts[i]) {
			return true
		}
	}
	return false
}

// fluxRefusal is why a text is refused within a sync group after a
// statement that may change how the server reads it.
const fluxRefusal = "a statement earlier in this sync group may change how the server reads SQL (standard_conforming_strings, client_encoding); send Sync before a statement with a backslash or a non-ASCII character"

// settleFlux waits, before a text whose reading could differ is judged,
// until the server has answered every earlier message when one of them
// may have changed how it reads SQL: its ParameterStatus has then been
// noted. The caller is outside any sync group.
func (c *conn) settleFlux(sql string) error {
	if !c.parseFlux || readingInvariant(sql) {
		return nil
	}
	if _, err := c.settle(); err != nil {
		return err
	}
	c.parseFlux = false
	return nil
}
