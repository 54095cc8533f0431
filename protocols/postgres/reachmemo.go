package postgres

import "github.com/airlock-sdk/airlock/analysis/pgsql"

// reachMemo keeps a session's last ownerCode.reach with everything it
// read: the code map (never changed once loaded) and the statement's
// kind, tables, functions and calls (pgsql.CodeOf). A statement repeated
// with other values (the usual case) costs a comparison instead of a walk
// of the owner's code. It belongs to the session's client goroutine.
type reachMemo struct {
	oc  *ownerCode
	st  pgsql.Statement
	out ownerReach
}

// reach is oc.reach(st), from the memo when oc and st's code are the
// last ones'. The result is shared: its reads are not to be changed.
func (m *reachMemo) reach(oc *ownerCode, st *pgsql.Statement) ownerReach {
	if m.oc == oc && oc != nil && pgsql.SameCode(&m.st, st) {
		return m.out
	}
	out := oc.reach(st)
	m.oc, m.st, m.out = oc, pgsql.CodeOf(st), out
	return out
}
