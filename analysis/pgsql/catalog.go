package pgsql

import "context"

// Catalog is what lineage needs from a database's catalog: the relations
// and functions of a name and the user-defined operators. The analyser
// never does I/O: an implementation asks the database (or a fixture) and
// may cache the answers; it must be safe for concurrent use.
//
// Names are resolved in every schema at once (the union of what each
// candidate could return) when schema is empty: a session's search_path
// is not known, so no guess about it is made.
type Catalog interface {
	// Relations returns every relation called name (in schema, when
	// given), with its columns and, for a view or materialized view, its
	// definition.
	Relations(ctx context.Context, schema, name string) ([]Relation, error)
	// Functions returns every function called name (in schema, when
	// given).
	Functions(ctx context.Context, schema, name string) ([]Function, error)
	// UserOperator reports whether an operator called name is defined
	// outside pg_catalog (its function may read anything).
	UserOperator(ctx context.Context, name string) (bool, error)
	// UserCast reports whether a cast to a type called name may run a
	// function defined outside pg_catalog: the type is defined outside it
	// (a cast to it runs the cast's function, whatever that is), or a cast
	// to it has such a function.
	UserCast(ctx context.Context, name string) (bool, error)
	// Refresh checks whether the catalog changed (the implementation
	// decides how often it asks) and returns the generation. The Resolver
	// calls it once per statement it resolves.
	Refresh(ctx context.Context) uint64
	// Generation changes whenever earlier answers may be stale; it does no
	// I/O. Lineage memoised under an older generation is dropped.
	Generation() uint64
}

// Relation is one relation of a given name (pg_class).
type Relation struct {
	OID     uint32
	Schema  string
	Name    string
	Kind    byte     // pg_class.relkind
	Columns []string // in attribute order, dropped columns left out
	ViewDef string   // a view's or materialized view's query
	// Kin names every relation this one inherits from or is a partition
	// of, and every one that inherits from it or is a partition of it,
	// transitively: they share rows, so a column carries its kin's.
	Kin []string
	// RowSecurity is set when row-level security is enabled on the
	// relation (pg_class.relrowsecurity): its policies' expressions run
	// with every statement that reads it, out of the statement's lineage.
	RowSecurity bool
	// Generated maps each generated column (computed from the row's
	// other columns when it is written, not read) to its generation.
	Generated map[string]Generation
	// ImplicitUserCast holds the columns on which a cast of the database's own
	// may run without being written: an implicit cast from their type
	// (or the type under their domain or array) through a function
	// outside pg_catalog, or such a cast to json from a type of the
	// database's own.
	ImplicitUserCast map[string]bool
}

// Generation is how a generated column is computed: from the columns
// From, by an expression that calls code of the database's own (a
// function, operator or type outside pg_catalog) when ByUser is set.
type Generation struct {
	From   []string
	ByUser bool
}

// Function is one function of a given name (pg_proc).
type Function struct {
	OID    uint32
	Schema string
	Lang   uint32 // pg_language OID: 12 internal, 13 C, 14 SQL
	Kind   byte   // prokind: f, a, w, p
	Body   string // SQL functions: the body text
	// Src is a built-in's C symbol (pg_proc.prosrc): aliases of a
	// function share it whatever their names.
	Src string
}
