package pgsql

import (
	"context"
	"strings"
	"sync"
)

// funcName is a function as called: its schema when the call names one.
type funcName struct {
	schema, name string
}

// parts is f as appendCall takes it.
func (f funcName) parts() []string {
	if f.schema != "" {
		return []string{f.schema, f.name}
	}
	return []string{f.name}
}

func (f funcName) String() string {
	if f.schema != "" {
		return f.schema + "." + f.name
	}
	return f.name
}

// Prefixes of the names of implicit calls: an operator (op:+), a function
// in attribute notation (attr:lower for t.lower), a cast (cast:int4).
const (
	opPrefix   = "op:"
	attrPrefix = "attr:"
	castPrefix = "cast:" // cast:T stands for the casts to type T and T's input function
	relPrefix  = "rel:"  // rel:V stands for the functions view V (or a policy of table V) runs
	// anyType stands for the code any value of a built-in type may run
	// unnamed: an implicit cast or a default operator class between
	// built-in types whose function is not a built-in.
	anyType = castPrefix + "*"
)

func isLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// implicitCall reports the names that stand for calls the text does not
// write as such.
func implicitCall(name string) bool {
	if name == "" {
		return false
	}
	// The prefixes start with distinct letters: one comparison each.
	switch name[0] {
	case opPrefix[0]:
		return strings.HasPrefix(name, opPrefix)
	case attrPrefix[0]:
		return strings.HasPrefix(name, attrPrefix)
	case castPrefix[0]:
		return strings.HasPrefix(name, castPrefix)
	case relPrefix[0]:
		return strings.HasPrefix(name, relPrefix)
	}
	return false
}

// calledName returns the name of the function a call runs by its name:
// a call as written, or attribute notation ((x).f and t.f call f(x) and
// f(t): ('/etc/hostname'::text).pg_read_file reads the file); ok is false
// for the operators, casts and relations implicit calls stand for.
func calledName(f funcName) (name string, ok bool) {
	if strings.HasPrefix(f.name, attrPrefix) {
		return strings.TrimPrefix(f.name, attrPrefix), true
	}
	return f.name, !implicitCall(f.name)
}

// appendKindCall is appendCall of a name in another of the catalog's
// kinds (an operator's, a type's): prefix marks its last part.
func appendKindCall(list []funcName, prefix string, parts []string) []funcName {
	parts[len(parts)-1] = prefix + parts[len(parts)-1]
	return appendCall(list, parts)
}

// appendCall adds the function named by parts (as the parser resolved
// them: case kept) once. A three-part name's catalog part is dropped:
// PostgreSQL only accepts the current database there.
func appendCall(list []funcName, parts []string) []funcName {
	f := funcName{name: parts[len(parts)-1]}
	if len(parts) > 1 && parts[len(parts)-2] != "" {
		f.schema = parts[len(parts)-2]
	}
	for _, x := range list {
		if x == f {
			return list
		}
	}
	return append(list, f)
}

// deniedFunctions are never read-only, whatever the catalog says of their
// volatility: they reach outside the database (files, large objects, other
// servers), change server or session state, or run SQL given as a string,
// so the statement around them is not what the rules see.
var deniedFunctions = map[string]bool{}

// deniedPrefixes extend deniedFunctions to whole families.
var deniedPrefixes = []string{"dblink", "lo_", "pg_ls_", "pg_read_", "pg_file_", "pg_stat_reset",
	"pg_advisory", "pg_try_advisory", "pg_create_", "pg_drop_", "pg_replication_", "pg_logical_",
	"binary_upgrade_", "pg_import_", "pg_terminate_", "pg_cancel_", "pg_log_"}

// heavyFunctions cost time or memory out of proportion to the text that
// calls them; rules see them as heavy.
var heavyFunctions = map[string]bool{}

func init() {
	for _, f := range strings.Fields(`set_config pg_stat_file loread lowrite pg_reload_conf
		pg_rotate_logfile pg_switch_wal pg_promote pg_backup_start pg_backup_stop pg_start_backup pg_stop_backup
		pg_create_restore_point pg_wal_replay_pause pg_wal_replay_resume pg_notify nextval setval
		query_to_xml query_to_xmlschema query_to_xml_and_xmlschema cursor_to_xml cursor_to_xmlschema
		table_to_xml table_to_xmlschema table_to_xml_and_xmlschema schema_to_xml schema_to_xmlschema
		schema_to_xml_and_xmlschema database_to_xml database_to_xmlschema database_to_xml_and_xmlschema
		ts_stat ts_rewrite txid_current pg_current_xact_id pg_export_snapshot pg_current_logfile
		set_limit`) {
		deniedFunctions[f] = true
	}
	for _, f := range strings.Fields(`pg_sleep pg_sleep_for pg_sleep_until generate_series generate_subscripts
		repeat lpad rpad array_fill string_agg array_agg regexp_replace regexp_matches regexp_split_to_table
		regexp_split_to_array crypt gen_random_bytes pg_read_file pg_read_binary_file`) {
		heavyFunctions[f] = true
	}
}

// deniedFunction reports whether name (any schema) is on the deny-list.
func deniedFunction(name string) bool {
	n := strings.ToLower(name)
	if deniedFunctions[n] {
		return true
	}
	for _, p := range deniedPrefixes {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// staticFunctionVerdict judges calls without the upstream's catalog: only
// the built-ins of readOnlyFunctions are trusted. It is what a classifier
// used on its own reports; WithProcCatalog replaces it with the catalog's.
func staticFunctionVerdict(structRO bool, calls []funcName) (readOnly, volatile, heavy bool) {
	for _, f := range calls {
		if implicitCall(f.name) {
			// Without the catalog, operators and attribute notation
			// are taken as the built-ins they almost always are, but
			// (x).f of a denied function is the call f(x).
			if name, ok := calledName(f); ok && deniedFunction(name) {
				volatile = true
			}
			continue
		}
		safe := (f.schema == "" || f.schema == "pg_catalog") && readOnlyFunctions[f.name] && !deniedFunction(f.name)
		volatile = volatile || !safe
		heavy = heavy || heavyFunctions[strings.ToLower(f.name)]
	}
	return structRO && !volatile, volatile, heavy
}

// callsWriteStatic is CallsWrite without the upstream's catalog: any call
// staticFunctionVerdict does not vouch for.
func callsWriteStatic(calls []funcName) bool {
	ro, _, _ := staticFunctionVerdict(true, calls)
	return !ro
}

// Proc is one pg_proc row, reduced to what the function verdict needs.
// Operators, casts, views and row-level-security policies are listed
// under prefixed names (see ProcCatalog).
type Proc struct {
	Schema   string // of the function, or of the operator, type or relation
	FnSchema string // of the function (an operator's code, a cast's function)
	Volatile byte   // provolatile: i, s or v
	Lang     string // pg_language.lanname
	OneArg   bool   // callable with one argument (attribute notation)
	// Fn is the function's own name; for a definition (FnSchema empty),
	// SQL text to judge as a statement (see ProcCatalog).
	Fn string
}

// definition reports whether the row is SQL text (Fn) to be judged as a
// statement rather than a function: a view's query, a policy, a domain's
// constraint, or a type a value is made of (SELECT NULL::T).
func (p Proc) definition() bool {
	return p.FnSchema == "" && p.Fn != ""
}

// trusted reports whether a function's declared volatility can be
// believed: only a built-in's. PostgreSQL runs the SQL statements of a
// STABLE or IMMUTABLE SQL or PL/pgSQL function read-only, but such a
// function may still call volatile ones (set_config, dblink_exec, pg_notify,
// lo_import) and has its effects; a C or untrusted-language function can
// declare anything. So a function of any other schema is judged volatile.
func (p Proc) trusted() bool {
	return p.FnSchema == "pg_catalog"
}

// ProcCatalog is what function verdicts need from a database's pg_proc.
// Rows are listed by exact name; besides functions, "op:<operator>" lists
// an operator (Fn its function), "cast:<type>" the code a value of the
// type may run — the casts to it, its input function, and, where they are
// not built-ins, its other I/O functions, the implicit and assignment
// casts from it (every cast from a type made in the database: to_json
// runs its explicit cast to json) and the functions and operators of its default operator
// classes' families (sorting, grouping, DISTINCT run them unnamed; other
// classes run only where an operator is named), plus definitions: its
// domain constraints ("SELECT <check>") and the types it is made of
// ("SELECT NULL::<type>": a domain's base, an array's element, a
// composite's attributes, a range's subtype) — and "rel:<relation>" a
// view (Fn its query), a row-level-security policy of a table (Fn "SELECT
// <using>, <check> FROM <table>"), the types of a relation's columns
// ("SELECT NULL::<type>": a value read may be compared, sorted or cast by
// its type's code), the functions of its indexes' operator families (an
// index scan runs them), a foreign table's wrapper handler and, for a
// table with inheritance children or partitions, each child ("SELECT 1
// FROM <child>": reading the parent reads them); "cast:*"
// lists the functions of implicit casts and default operator classes
// between built-in types that are not built-ins, judged with every
// statement that calls anything; "oid:<type OID>" names a type made in the
// database ("SELECT NULL::<type>", for parameter types a client declares
// by OID). A row whose
// FnSchema is empty is such a definition, judged as a statement. The
// analyser never does I/O: an implementation loads and caches the rows; it
// must be safe for concurrent use.
type ProcCatalog interface {
	// Procs returns the rows called name, those of schema only when schema
	// is not empty. ok is false when the catalog cannot be read. reload
	// allows a reload for a name the loaded catalog does not list (the
	// implementation bounds how often); a stale or never loaded catalog
	// is (re)loaded either way.
	Procs(ctx context.Context, schema, name string, reload bool) (rows []Proc, ok bool)
	// Generation changes whenever the rows may have changed (a reload):
	// verdicts memoised under an older generation are dropped.
	Generation() uint64
}

// MatchingProcs keeps the rows of schema, or all rows for an unqualified
// call: the session's search_path decides which one runs, so every
// candidate counts. It is the filter a ProcCatalog applies.
func MatchingProcs(rows []Proc, schema string) []Proc {
	if schema == "" {
		return rows
	}
	var out []Proc
	for _, r := range rows {
		if r.Schema == schema {
			out = append(out, r)
		}
	}
	return out
}

// harmlessVolatile are built-ins declared VOLATILE because their result
// changes from call to call, not because they change anything: they keep
// a statement read-only (it is still marked volatile). The built-ins of
// readOnlyFunctions (sizes, clocks: pg_database_size, clock_timestamp)
// count as such too.
var harmlessVolatile = map[string]bool{"random": true, "random_normal": true, "clock_timestamp": true,
	"timeofday": true, "pg_sleep": true, "pg_sleep_for": true, "pg_sleep_until": true, "gen_random_uuid": true}

// funcJudge judges the functions of statements by a ProcCatalog, and
// memoises the verdicts of view and policy definitions per generation.
type funcJudge struct {
	cat ProcCatalog

	mu   sync.Mutex
	gen  uint64
	defs map[string][3]bool // verdicts of view and policy definitions

	calls callMemo // verdicts of the call lists of cached classifications
}

// verdict judges the calls of one statement. volatile: some call may
// resolve to a volatile, untrusted, unknown or denied function (the most
// dangerous overload or schema wins). writes: the same, except for the
// harmless volatile built-ins; a statement with writes is not read-only.
func (k *funcJudge) verdict(ctx context.Context, calls []funcName, depth int) (volatile, heavy, writes bool) {
	if depth == 0 && len(calls) > 0 {
		// Built-in values meet implicit casts and sorts wherever a
		// function, operator or relation is involved.
		rows, ok := k.cat.Procs(ctx, "", anyType, false)
		if !ok {
			return true, false, true
		}
		for _, r := range rows {
			v, h, w := k.procVerdict(ctx, r, depth)
			volatile, heavy, writes = volatile || v, heavy || h, writes || w
		}
	}
	for _, f := range calls {
		if strings.HasPrefix(f.name, attrPrefix) {
			// t.f is a column unless a one-argument function f exists.
			all, ok := k.cat.Procs(ctx, "", strings.TrimPrefix(f.name, attrPrefix), false)
			if !ok {
				volatile, writes = true, true
				continue
			}
			var rows []Proc
			for _, r := range all {
				if r.OneArg {
					rows = append(rows, r)
				}
			}
			if len(rows) == 0 {
				continue
			}
			f = funcName{name: strings.TrimPrefix(f.name, attrPrefix)}
		}
		if strings.HasPrefix(f.name, relPrefix) {
			// A view runs its query, a table its row-level security
			// policies: both are classified like the statement itself.
			rows, ok := k.cat.Procs(ctx, f.schema, f.name, false)
			if !ok {
				volatile, writes = true, true
				continue
			}
			for _, r := range rows {
				if r.Schema == "pg_catalog" || r.Schema == "information_schema" {
					continue // system views: only a superuser can change them
				}
				v, h, w := k.procVerdict(ctx, r, depth)
				volatile, heavy, writes = volatile || v, heavy || h, writes || w
			}
			continue
		}
		heavy = heavy || heavyFunctions[strings.ToLower(f.name)]
		if deniedFunction(f.name) {
			volatile, writes = true, true
			continue
		}
		rows, ok := k.cat.Procs(ctx, f.schema, f.name, true)
		if !ok || len(rows) == 0 {
			// Unreadable, or not in the upstream catalog.
			volatile, writes = true, true
			continue
		}
		for _, r := range rows {
			v, h, w := k.procVerdict(ctx, r, depth)
			volatile, heavy, writes = volatile || v, heavy || h, writes || w
		}
	}
	return volatile, heavy, writes
}

// procVerdict judges one row a name stands for: a function by rowVerdict,
// a definition (SQL text, see Proc.definition) as a statement of its own.
func (k *funcJudge) procVerdict(ctx context.Context, r Proc, depth int) (volatile, heavy, writes bool) {
	if r.definition() {
		return k.definitionVerdict(ctx, r.Fn, depth)
	}
	v, w := rowVerdict(r)
	return v, false, w
}

// maxViewDepth bounds views over views.
const maxViewDepth = 16

// definitionVerdict judges the SQL of a view or policy as a statement of
// its own: anything but a read-only SELECT makes the caller not read-only.
func (k *funcJudge) definitionVerdict(ctx context.Context, def string, depth int) (volatile, heavy, writes bool) {
	if depth >= maxViewDepth {
		return true, false, true
	}
	gen := k.cat.Generation()
	k.mu.Lock()
	if k.gen != gen {
		k.gen, k.defs = gen, nil
	}
	memo, ok := k.defs[def]
	k.mu.Unlock()
	if ok {
		return memo[0], memo[1], memo[2]
	}
	cl, err := ParserClassifier{}.Classify(def)
	if err != nil || len(cl.Statements) == 0 {
		return true, false, true
	}
	for _, st := range cl.Statements {
		v, h, w := k.verdict(ctx, st.calls, depth+1)
		volatile, heavy = volatile || v, heavy || h
		writes = writes || w || !st.structRO
	}
	k.mu.Lock()
	if k.gen == gen && k.cat.Generation() == gen {
		if k.defs == nil {
			k.defs = map[string][3]bool{}
		}
		k.defs[def] = [3]bool{volatile, heavy, writes}
	}
	k.mu.Unlock()
	return volatile, heavy, writes
}

// rowVerdict judges one function a call may resolve to.
func rowVerdict(r Proc) (volatile, writes bool) {
	switch {
	case !r.trusted():
		return true, true
	case r.Volatile == 'i' || r.Volatile == 's':
		return false, false
	case r.FnSchema == "pg_catalog" && (harmlessVolatile[r.Fn] || readOnlyFunctions[r.Fn]) && !deniedFunction(r.Fn):
		return true, false
	}
	return true, true
}

// annotateFunctions replaces the static function verdict of each
// statement (and of a PREPARE's statement) with the catalog's. The
// generation is read before any verdict: a change the judging races with
// makes the verdict stale, never current.
func (k *funcJudge) annotateFunctions(ctx context.Context, stmts []Statement) {
	k.annotateUnder(ctx, stmts, k.cat.Generation())
}

func (k *funcJudge) annotateUnder(ctx context.Context, stmts []Statement, gen uint64) {
	for i := range stmts {
		st := &stmts[i]
		st.JudgedUnder = gen
		if len(st.calls) > 0 {
			var writes bool
			st.Volatile, st.Heavy, writes = k.calls.verdict(ctx, k, st.calls)
			st.ReadOnly = st.structRO && !writes
			st.CallsWrite = writes
		}
		if st.Prepared != nil {
			p := []Statement{*st.Prepared}
			k.annotateUnder(ctx, p, gen)
			st.Prepared = &p[0]
		}
	}
}

// catalogClassifier applies a function catalog to what another Classifier
// found. Classifications are shared by every session and cached; the
// catalog pass runs after the cache, on a copy.
type catalogClassifier struct {
	inner Classifier
	judge *funcJudge
}

// WithProcCatalog wraps cls so that the functions, operators, casts, views
// and policies its statements call are judged by cat instead of the
// static built-in list: ReadOnly, Volatile and Heavy are recomputed. A
// call cat does not know, or any call when cat cannot be read, is volatile
// and not read-only (fail closed).
func WithProcCatalog(cls Classifier, cat ProcCatalog) Classifier {
	return &catalogClassifier{inner: cls, judge: &funcJudge{cat: cat}}
}

// Classify classifies sql with the inner classifier, then judges its
// functions from the catalog.
func (c *catalogClassifier) Classify(sql string) (*Classification, error) {
	if o, ok := c.inner.(ownedClassifier); ok {
		// The inner result is already a copy of its own: judged in place.
		cl, err := o.classifyOwned(sql)
		if err != nil || cl == nil {
			return cl, err
		}
		c.judge.annotateFunctions(context.Background(), cl.Statements)
		return cl, nil
	}
	cl, err := c.inner.Classify(sql)
	if err != nil || cl == nil {
		return cl, err
	}
	out := &Classification{Statements: append([]Statement(nil), cl.Statements...)}
	c.judge.annotateFunctions(context.Background(), out.Statements)
	return out, nil
}

// ownedClassifier is a Classifier that can return a classification the
// caller owns: its Statements slice shared with nothing (a cache's entry
// stays as it was), so a wrapper may change the statements' fields in
// place instead of copying them again.
type ownedClassifier interface {
	classifyOwned(sql string) (*Classification, error)
}
