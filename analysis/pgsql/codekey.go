package pgsql

import "slices"

// SameCode reports whether a and b are alike in everything that decides
// which code of the database's own a statement may run: its kind, its
// tables (name, schema, access), the functions it names and the calls the
// parser resolved (ImplicitCalls). A proxy may reuse what it worked out
// from a for b when they are (see CodeOf).
func SameCode(a, b *Statement) bool {
	return a.Kind == b.Kind && slices.Equal(a.Tables, b.Tables) &&
		slices.Equal(a.Functions, b.Functions) && slices.Equal(a.calls, b.calls)
}

// CodeOf returns a statement holding only the fields of st SameCode
// compares, in slices of its own: a key that stays what st was, whatever
// becomes of st.
func CodeOf(st *Statement) Statement {
	var c Statement
	c.Kind = st.Kind
	c.Tables = slices.Clone(st.Tables)
	c.Functions = slices.Clone(st.Functions)
	c.calls = slices.Clone(st.calls)
	return c
}
