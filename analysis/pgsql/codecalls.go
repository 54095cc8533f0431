package pgsql

import (
	"context"
	"slices"
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
	// own that may write and whose statements no analysis follows: a
	// VOLATILE function that is not a built-in nor in SQL (PL/pgSQL, C:
	// its statements may be dynamic SQL), the code of an operator, cast,
	// type, view or policy that may write, a function on the deny-list,
	// or a call the catalog does not know.
	UserCode bool
	// UserFuncs are the names (lower case) of the VOLATILE functions not
	// in SQL that make UserCode; UserOther is set when anything else does
	// (an operator, cast, type, view or policy, the deny-list, a call the
	// catalog does not know).
	UserFuncs []string
	UserOther bool
	// StateWrites is set when the statement calls a built-in that stores
	// its arguments in state its result does not show (stateWriters).
	StateWrites bool
}

// stateWriters are the built-ins that store their arguments in the
// session's or the server's state, where later statements see them by
// their effect: a setting (a plan, a format, a timeout, the table a name
// resolves to), an advisory lock (another session's try-lock), a
// notification's channel, a sequence, a large object's number.
var stateWriters = map[string]bool{
	"set_config": true, "pg_notify": true, "setval": true,
	"pg_advisory_lock": true, "pg_advisory_lock_shared": true, "pg_advisory_xact_lock": true,
	"pg_advisory_xact_lock_shared": true, "pg_try_advisory_lock": true, "pg_try_advisory_lock_shared": true,
	"pg_try_advisory_xact_lock": true, "pg_try_advisory_xact_lock_shared": true,
	"pg_advisory_unlock": true, "pg_advisory_unlock_shared": true,
	"lo_create": true, "lo_creat": true, "lo_from_bytea": true, "lo_put": true, "lowrite": true, "lo_import": true,
}

// CallsCode judges the calls of st by cat (see CodeCalls). A call that
// cannot be judged is UserCode (fail closed). STABLE and IMMUTABLE
// functions of the database's are not UserCode: PostgreSQL runs their
// statements read-only (no schema change, no write), though they may
// still call volatile functions; nor are SQL functions, whose bodies
// lineage follows.
func CallsCode(ctx context.Context, cat ProcCatalog, st *Statement) CodeCalls {
	var out CodeCalls
	if st == nil {
		return out
	}
	k := &funcJudge{cat: cat}
	for _, f := range st.calls {
		name, ok := calledName(f)
		if !ok {
			// An operator, cast, view or policy: judged as the function
			// verdict judges it.
			if _, _, w := k.verdict(ctx, []funcName{f}, 1); w {
				out.UserCode, out.UserOther = true, true
			}
			continue
		}
		// Attribute notation ((x).f) calls f(x), when f exists.
		f = funcName{schema: f.schema, name: name}
		if stateWriters[strings.ToLower(f.name)] && (f.schema == "" || strings.EqualFold(f.schema, "pg_catalog")) {
			// On the deny-list too (it is never read-only), but a
			// built-in of a known effect; a function of that name in
			// another schema is judged below as well.
			out.StateWrites = true
			if f.schema != "" {
				continue
			}
		}
		if strings.EqualFold(f.name, "nextval") && (f.schema == "" || strings.EqualFold(f.schema, "pg_catalog")) {
			// Advances a sequence (whose value is read as unknown): it
			// stores none of its arguments. How many times it runs is
			// a predicate's channel, for the rules (filter_columns).
			if rows, ok := cat.Procs(ctx, f.schema, f.name, true); ok && len(rows) > 0 && !slices.ContainsFunc(rows, func(r Proc) bool { return !r.trusted() }) {
				continue
			}
		}
		if deniedFunction(f.name) && !stateWriters[strings.ToLower(f.name)] {
			out.UserCode, out.UserOther = true, true
			continue
		}
		rows, ok := cat.Procs(ctx, f.schema, f.name, true)
		if !ok || len(rows) == 0 {
			out.UserCode, out.UserOther = true, true
			continue
		}
		for _, r := range rows {
			switch {
			case r.definition():
				if _, _, w := k.procVerdict(ctx, r, 1); w {
					out.UserCode, out.UserOther = true, true
				}
			case r.trusted():
				out.StateWrites = out.StateWrites || stateWriters[strings.ToLower(r.Fn)]
			case r.Volatile != 'i' && r.Volatile != 's' && r.Lang != "sql":
				out.UserCode = true
				if n := strings.ToLower(f.name); !slices.Contains(out.UserFuncs, n) {
					out.UserFuncs = append(out.UserFuncs, n)
				}
			}
		}
	}
	return out
}

// HiddenCode reports whether st runs or defines code its text does not
// show the effects of: a DO block, a CALL, or a CREATE or ALTER of a
// function, procedure, trigger, rule or event trigger (code a later
// statement runs).
func HiddenCode(st *Statement) bool {
	if !st.Opaque || st.HiddenRead {
		return false
	}
	switch strings.ToUpper(st.Kind) {
	case "DO", "CALL", "CREATE", "ALTER":
		return true
	}
	return false
}

// ImplicitCalls calls f with the name of each call st makes that its text
// does not write as a call of a function by name: "op:<operator>" (any
// operator, a comparison BETWEEN, IN, CASE or JOIN USING makes), "cast:<type>"
// (a cast to the type, or a value of it), "rel:<relation>" (the code a
// view or a policy runs) and "attr:<function>" (t.f, which calls f(t)
// when t has no column f), each as the parser resolved it, its schema
// dropped. It reports whether st makes any call at all, by name or not.
func (st *Statement) ImplicitCalls(f func(name string)) bool {
	for _, c := range st.calls {
		if implicitCall(c.name) {
			f(c.name)
		}
	}
	return len(st.calls) > 0
}
