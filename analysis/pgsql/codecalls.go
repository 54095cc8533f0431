package pgsql

import (
	"context"
	"strings"
)

// CodeCalls says what the calls of a statement may do beyond computing
// their result, as far as a proxy that masks results must know: code
// that no analysis follows may store what it reads where a later read
// shows it under a name of its own (an object named after a value, a
// comment, a setting that changes a plan or a format), and a built-in
// may store its arguments in the session's or the server's state.
type CodeCalls struct {
	// UserCode is set when the statement may run code of the database's
	// own that may write: a VOLATILE function or procedure that is not a
	// built-in (of any language: its statements may be dynamic SQL), the
	// code of an operator, cast, type, view or policy that may write, a
	// function on the deny-list, or a call the catalog does not know.
	UserCode bool
	// StateWrites is set when the statement calls a built-in that changes
	// state its result does not show: set_config, advisory locks,
	// pg_notify, setval, large objects (any built-in that is volatile and
	// not on the list of harmless ones).
	StateWrites bool
}

// CallsCode judges the calls of st by cat (see CodeCalls). A call that
// cannot be judged is UserCode (fail closed). STABLE and IMMUTABLE
// functions of the database's are not UserCode: PostgreSQL runs their
// statements read-only (no schema change, no write), though they may
// still call volatile functions.
func CallsCode(ctx context.Context, cat ProcCatalog, st *Statement) CodeCalls {
	var out CodeCalls
	if st == nil {
		return out
	}
	k := &funcJudge{cat: cat}
	for _, f := range st.calls {
		if out.UserCode {
			break
		}
		if name, ok := calledName(f); !ok || name != f.name {
			// An operator, cast, view, policy or attribute notation:
			// judged as the function verdict judges it.
			if _, _, w := k.verdict(ctx, []funcName{f}, 1); w {
				out.UserCode = true
			}
			continue
		}
		if deniedFunction(f.name) {
			out.UserCode = true
			continue
		}
		rows, ok := cat.Procs(ctx, f.schema, f.name, true)
		if !ok || len(rows) == 0 {
			out.UserCode = true
			continue
		}
		for _, r := range rows {
			switch {
			case r.definition():
				if _, _, w := k.procVerdict(ctx, r, 1); w {
					out.UserCode = true
				}
			case r.trusted():
				if _, w := rowVerdict(r); w {
					out.StateWrites = true
				}
			case r.Volatile != 'i' && r.Volatile != 's':
				out.UserCode = true
			}
		}
	}
	return out
}

// RunsHiddenCode reports whether st is code the statement's text does not
// show at all: a DO block or a CALL.
func RunsHiddenCode(st *Statement) bool {
	switch strings.ToUpper(st.Kind) {
	case "DO", "CALL":
		return true
	}
	return false
}
