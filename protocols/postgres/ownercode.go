package postgres

import (
	"context"
	"strings"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/airlock-sdk/airlock/mask"
)

// Code the owner wrote. Under masking the agent cannot define code of its
// own (see Code under masking), but it can run the owner's: a function it
// calls (by name, or through a view, a SQL function's body, attribute
// notation), the triggers, rules, defaults, generated columns, CHECK and
// index expressions and domain checks a write runs. Such code may select
// a masked value by itself and store it where a later read shows it
// under a name of its own, past every column's lineage: a table's row
// (the agent's own row too, through a default, a generated column or a
// BEFORE trigger), an object's name, a comment, an enum label, a
// setting, a sequence. So, under a decision that masks, a statement is
// refused as "postgres/code" when the owner's code it may run (followed
// by name through every function body, view, rule and expression it
// names, transitively) both may read what the decision masks (it names a
// relation whose columns may carry it, runs dynamic SQL, calls a built-in
// that reads data by name, or is in a language whose text is not SQL or
// PL/pgSQL) and may store it (the statement writes a row, or the code
// names a verb that stores: INSERT, UPDATE, DELETE, MERGE, COPY, CREATE,
// ALTER, COMMENT, EXECUTE, set_config, setval, pg_notify, advisory
// locks, large objects). Code that only reads (SELECT name_of(1), a
// PL/pgSQL function returning a masked value: its result is masked or
// withheld) and code that stores only what it does not read from masked
// relations (an audit trigger writing now() and NEW.id) run as before.
// The names are matched as words, in any case and schema: a relation or
// function of that name anywhere counts.
//
// Code run unnamed. Much of the owner's code runs without its function's
// name in the statement: an operator's function (1 #@# 2, ORDER BY x
// USING op), a cast's (explicit, or an implicit or assignment cast that
// fires unwritten: abs(true) under a cast from boolean to int8, INSERT
// of a boolean into an int8 column), a type's (its I/O functions, its
// domain checks, the support functions and operators of its operator
// classes that ORDER BY, GROUP BY, DISTINCT and indexes run), an
// aggregate's state, final and combine functions, an event trigger's.
// These are followed too: from the statement's operators and types (its
// casts, its relations' column types, the types its functions take and
// return, the types code names), and with every statement, the implicit
// and assignment casts and the operator classes of built-in types. A
// function made after initdb is the owner's whatever its schema
// (pg_catalog too) and whether or not an extension installed it, unless
// it is in C and an extension's (a built-in of the extension's); an
// internal function naming a built-in that is not VOLATILE is that
// built-in. A statement that uses a function, operator or type name the
// map does not know (made since it was loaded) reloads it first. An
// EXECUTE of one literal read (EXECUTE 'SELECT ...' INTO r) is code the
// text shows, not SQL built at run time: a function that only reads
// that way runs.

// ownerCodeSQL lists the owner's code by name: "f" rows are functions
// made after initdb (an OID past the built-ins', in any schema: name, language, body; a C function an extension
// installs counts as a built-in, its SQL and PL/pgSQL ones do not; an
// aggregate's language is "aggregate", an internal function naming a
// built-in that is not VOLATILE "builtin"), "r" rows code a relation
// runs or is defined by (a view's query, a rule, a default, a CHECK, an
// index, a domain check of a column's type), "k" rows the names a write
// to a relation follows to (its triggers' functions, its inheritance kin,
// the tables a foreign key cascades to, the functions of its indexes'
// operator classes). The code that runs unnamed (see Code run unnamed)
// follows: "o" rows an operator's function, "y" rows a type's functions
// (its I/O, its casts, its operator classes' functions and operators;
// type "*" for the implicit and assignment casts and the operator classes
// of built-in types, which any statement may run), "d" rows a domain's
// checks, "u" rows the types a type is made of, "t" rows the types of a
// relation's columns, "p" rows the types of a function's arguments and
// result, "g" rows an aggregate's functions; "N" rows every function's,
// operator's and type's name, built-ins' too: a name a statement uses
// that they do not list was made since (see ownerCode.known).
var ownerCodeSQL = `SELECT 'f', p.proname::text,
	CASE WHEN p.prokind = 'a' THEN 'aggregate'
		WHEN l.lanname = 'internal' AND EXISTS (SELECT 1 FROM pg_catalog.pg_proc b WHERE b.oid < 16384
			AND b.prolang = p.prolang AND b.prosrc = p.prosrc AND b.provolatile <> 'v') THEN 'builtin'
		ELSE l.lanname::text END,
	CASE WHEN p.prosqlbody IS NOT NULL THEN pg_catalog.pg_get_function_sqlbody(p.oid) ELSE coalesce(p.prosrc, '') END
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
WHERE p.oid >= 16384
	AND (l.lanname IN ('sql', 'plpgsql') OR p.oid NOT IN (SELECT d.objid FROM pg_catalog.pg_depend d
		WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.deptype = 'e'))
UNION ALL
SELECT 'v', c.relname::text, '', pg_catalog.pg_get_viewdef(c.oid)
FROM pg_catalog.pg_class c WHERE c.relkind IN ('v', 'm') AND c.relnamespace NOT IN ('pg_catalog'::pg_catalog.regnamespace, 'information_schema'::pg_catalog.regnamespace)
UNION ALL
SELECT 'r', c.relname::text, 'row', pg_catalog.pg_get_ruledef(w.oid)
FROM pg_catalog.pg_rewrite w JOIN pg_catalog.pg_class c ON c.oid = w.ev_class
WHERE w.rulename <> '_RETURN' AND c.relnamespace <> 'pg_catalog'::pg_catalog.regnamespace
UNION ALL
SELECT 'k', c.relname::text, CASE WHEN t.tgtype & 66 <> 0 THEN 'row' ELSE '' END, p.proname::text
FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
WHERE NOT t.tgisinternal
UNION ALL
SELECT 'r', c.relname::text, 'row', pg_catalog.pg_get_expr(ad.adbin, ad.adrelid)
FROM pg_catalog.pg_attrdef ad JOIN pg_catalog.pg_class c ON c.oid = ad.adrelid
WHERE c.relnamespace <> 'pg_catalog'::pg_catalog.regnamespace
UNION ALL
SELECT 'r', c.relname::text, '', pg_catalog.pg_get_constraintdef(co.oid)
FROM pg_catalog.pg_constraint co JOIN pg_catalog.pg_class c ON c.oid = co.conrelid
WHERE co.contype = 'c' AND c.relnamespace <> 'pg_catalog'::pg_catalog.regnamespace
UNION ALL
SELECT 'r', c.relname::text, '', pg_catalog.pg_get_indexdef(i.indexrelid)
FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
WHERE (i.indexprs IS NOT NULL OR i.indpred IS NOT NULL) AND c.relnamespace <> 'pg_catalog'::pg_catalog.regnamespace
UNION ALL
SELECT DISTINCT 'r', c.relname::text, '', pg_catalog.pg_get_constraintdef(co.oid)
FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_constraint co ON co.contypid = a.atttypid
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relnamespace <> 'pg_catalog'::pg_catalog.regnamespace
UNION ALL
SELECT 'k', pc.relname::text, '', cc.relname::text
FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent JOIN pg_catalog.pg_class cc ON cc.oid = i.inhrelid
UNION ALL
SELECT 'k', cc.relname::text, '', pc.relname::text
FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent JOIN pg_catalog.pg_class cc ON cc.oid = i.inhrelid
UNION ALL
SELECT 'k', a.relname::text, '', b.relname::text
FROM pg_catalog.pg_constraint co JOIN pg_catalog.pg_class a ON a.oid = co.confrelid JOIN pg_catalog.pg_class b ON b.oid = co.conrelid
WHERE co.contype = 'f'
UNION ALL
SELECT DISTINCT 'k', c.relname::text, '', p.proname::text
FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_opclass oc ON oc.oid = ANY (i.indclass::pg_catalog.oid[])
JOIN (SELECT amprocfamily AS fam, amproc AS fn FROM pg_catalog.pg_amproc
	UNION SELECT amopfamily, o.oprcode FROM pg_catalog.pg_amop JOIN pg_catalog.pg_operator o ON o.oid = amopopr) f ON f.fam = oc.opcfamily
JOIN pg_catalog.pg_proc p ON p.oid = f.fn
WHERE p.oid >= 16384
UNION ALL
SELECT 'e', p.proname::text, '', ''
FROM pg_catalog.pg_event_trigger e JOIN pg_catalog.pg_proc p ON p.oid = e.evtfoid WHERE e.evtenabled <> 'D'
UNION ALL
SELECT 'n', c.relname::text, c.relkind::text, ''
FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
UNION ALL
SELECT 'o', o.oprname::text, '', p.proname::text
FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_proc p ON p.oid = o.oprcode
WHERE p.oid >= 16384
UNION ALL
SELECT DISTINCT 'y', CASE WHEN f.implicit AND (t.oid < 16384 OR f.everywhere) THEN '*' ELSE t.typname::text END, '', p.proname::text
FROM (SELECT oid AS typ, unnest(ARRAY[typinput, typoutput, typreceive, typsend, typmodin, typmodout, typanalyze, typsubscript]::pg_catalog.oid[]) AS fn,
		false AS implicit, false AS everywhere FROM pg_catalog.pg_type WHERE oid >= 16384
	UNION SELECT castsource, castfunc, castcontext <> 'e', castcontext <> 'e' FROM pg_catalog.pg_cast
	UNION SELECT casttarget, castfunc, castcontext <> 'e', castcontext <> 'e' FROM pg_catalog.pg_cast
	UNION SELECT amproclefttype, amproc, true, false FROM pg_catalog.pg_amproc
	UNION SELECT amprocrighttype, amproc, true, false FROM pg_catalog.pg_amproc
	UNION SELECT amoplefttype, o.oprcode, true, false FROM pg_catalog.pg_amop JOIN pg_catalog.pg_operator o ON o.oid = amopopr
	UNION SELECT amoprighttype, o.oprcode, true, false FROM pg_catalog.pg_amop JOIN pg_catalog.pg_operator o ON o.oid = amopopr
	UNION SELECT oc.opcintype, ap.amproc, true, false FROM pg_catalog.pg_opclass oc JOIN pg_catalog.pg_amproc ap ON ap.amprocfamily = oc.opcfamily) f
JOIN pg_catalog.pg_type t ON t.oid = f.typ
JOIN pg_catalog.pg_proc p ON p.oid = f.fn
WHERE p.oid >= 16384
UNION ALL
SELECT 'd', t.typname::text, '', pg_catalog.pg_get_constraintdef(co.oid)
FROM pg_catalog.pg_constraint co JOIN pg_catalog.pg_type t ON t.oid = co.contypid
UNION ALL
SELECT DISTINCT 'u', t.typname::text, '', u.typname::text
FROM (SELECT oid AS typ, typbasetype AS part FROM pg_catalog.pg_type WHERE oid >= 16384
	UNION SELECT oid, typelem FROM pg_catalog.pg_type WHERE oid >= 16384
	UNION SELECT t.oid, a.atttypid FROM pg_catalog.pg_type t JOIN pg_catalog.pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped WHERE t.oid >= 16384
	UNION SELECT rngtypid, rngsubtype FROM pg_catalog.pg_range) d
JOIN pg_catalog.pg_type t ON t.oid = d.typ
JOIN pg_catalog.pg_type u ON u.oid = d.part AND u.oid >= 16384
UNION ALL
SELECT DISTINCT 't', c.relname::text, '', t.typname::text
FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
WHERE a.attnum > 0 AND NOT a.attisdropped AND t.oid >= 16384 AND c.relnamespace <> 'pg_catalog'::pg_catalog.regnamespace
UNION ALL
SELECT DISTINCT 'p', p.proname::text, '', t.typname::text
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_type t ON t.oid = ANY (p.proargtypes::pg_catalog.oid[] || p.prorettype)
WHERE p.oid >= 16384 AND t.oid >= 16384
UNION ALL
SELECT 'g', p.proname::text, '', fp.proname::text
FROM pg_catalog.pg_aggregate a JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid
JOIN pg_catalog.pg_proc fp ON fp.oid IN (a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn, a.aggdeserialfn,
	a.aggmtransfn, a.aggminvtransfn, a.aggmfinalfn)
WHERE fp.oid >= 16384
UNION ALL
` + strings.ReplaceAll(ownerNamesSQL, "@OID@", ">=")

// builtinNamesSQL lists the built-ins' names, which never change.
var builtinNamesSQL = strings.ReplaceAll(ownerNamesSQL, "@OID@", "<")

// ownerNamesSQL lists the names of functions, operators and types ("N"
// rows) of an OID @OID@ 16384: the built-ins' (below, loaded once) or
// the rest (loaded with the owner's code).
const ownerNamesSQL = `SELECT DISTINCT 'N', proname::text, 'f', '' FROM pg_catalog.pg_proc WHERE oid @OID@ 16384
UNION ALL
SELECT DISTINCT 'N', oprname::text, 'o', '' FROM pg_catalog.pg_operator WHERE oid @OID@ 16384
UNION ALL
SELECT DISTINCT 'N', typname::text, 'y', '' FROM pg_catalog.pg_type WHERE oid @OID@ 16384`

// ownerCode is the owner's code by lower-case name (every schema's
// together), loaded once per catalog generation.
type ownerCode struct {
	funcs  map[string]*ownerUnit
	rels   map[string]*ownerUnit
	types  map[string]*ownerUnit // by type name; "*" any statement may run
	ops    map[string][]string   // an operator's functions, by its name
	events []string              // the functions of enabled event triggers
	// known and builtin are the names of every function, operator and
	// type when the map was loaded: the rest's and the built-ins'.
	known, builtin *knownNames
}

// knownNames are names of functions (f), operators (o) and types (t),
// lower case.
type knownNames struct{ f, o, t map[string]bool }

func newKnownNames() *knownNames {
	return &knownNames{f: map[string]bool{}, o: map[string]bool{}, t: map[string]bool{}}
}

// add adds name of kind ("f", "o" or "y": an "N" row's).
func (n *knownNames) add(kind, name string) {
	name = strings.ToLower(name)
	switch kind {
	case "f":
		n.f[name] = true
	case "o":
		n.o[name] = true
	case "y":
		n.t[name] = true
	}
}

// ownerUnit is the code of one name: its text (function bodies, a
// relation's definitions and expressions, a domain's checks), the names
// a write follows to (triggers' functions, kin; an aggregate's or a
// type's functions), the types it runs the code of, and whether any of
// it is in a language whose text is not SQL or PL/pgSQL (foreign: it may
// do anything).
type ownerUnit struct {
	text []string
	dyn  []bool // text[i] runs SQL built at run time (see dynamicExecute)
	// words and ops are text[i]'s names (see words) and its possible
	// operator names (see eachOperator), read once when it is loaded
	// rather than with every statement that reaches it.
	words, ops [][]string
	follow     []string
	types      []string
	foreign    bool
	rel        bool     // a table, view, materialized view or foreign table
	names      []string // the relations' names as the catalog spells them
	// shapesRow: code decides what a write stores, in its row or
	// elsewhere (a default or generated column, a BEFORE or INSTEAD OF
	// row trigger, a rule), not only whether it succeeds (a CHECK, an
	// AFTER or constraint trigger, whose stores show in their text).
	shapesRow bool
	rowTrigs  []string // BEFORE and INSTEAD OF row triggers' functions
	runs      bool     // code runs with it: a rule, trigger, default, CHECK, index or domain (a view's query alone does not)
}

// addText adds a piece of code to u.
func (u *ownerUnit) addText(t string) {
	u.text = append(u.text, t)
	u.dyn = append(u.dyn, dynamicExecute(t))
	u.words = append(u.words, words(t))
	var ops []string
	seen := map[string]bool{}
	eachOperator(t, func(op string) {
		if !seen[op] {
			seen[op] = true
			ops = append(ops, op)
		}
	})
	u.ops = append(u.ops, ops)
}

// ownerCode returns the owner's code, loaded under the current generation:
// from the current view without the mutex when it holds the map and the
// catalog is fresh (see cached), else as ownerCodeLocked.
func (k *catalog) ownerCode(ctx context.Context) (*ownerCode, error) {
	if v := k.cached(); v != nil {
		if oc := v.owner.Load(); oc != nil {
			return oc, nil
		}
	}
	return k.ownerCodeLocked(ctx)
}

// ownerCodeLocked is ownerCode under the mutex: the catalog brought up to
// date, then the map cached or loaded.
func (k *catalog) ownerCodeLocked(ctx context.Context) (*ownerCode, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.fresh(ctx)
	v := k.view.Load()
	if oc := v.owner.Load(); oc != nil {
		return oc, nil
	}
	if k.builtinNames == nil {
		// The built-ins' names, loaded once: they never change.
		rows, err := k.query(ctx, builtinNamesSQL)
		if err != nil {
			return nil, err
		}
		b := newKnownNames()
		for _, r := range rows {
			if len(r) == 4 && r[0] == "N" {
				b.add(r[2], r[1])
			}
		}
		k.builtinNames = b
	}
	rows, err := k.query(ctx, ownerCodeSQL)
	if err != nil {
		return nil, err
	}
	oc := newOwnerCode(rows, k.builtinNames)
	v.owner.Store(oc)
	return oc, nil
}

// newOwnerCode builds the owner's code map from the rows of ownerCodeSQL
// and the built-ins' names. It is never changed after.
func newOwnerCode(rows [][]string, builtin *knownNames) *ownerCode {
	oc := &ownerCode{funcs: map[string]*ownerUnit{}, rels: map[string]*ownerUnit{}, types: map[string]*ownerUnit{}, ops: map[string][]string{},
		known: newKnownNames(), builtin: builtin}
	unit := func(m map[string]*ownerUnit, name string) *ownerUnit {
		name = strings.ToLower(name)
		u := m[name]
		if u == nil {
			u = &ownerUnit{}
			m[name] = u
		}
		return u
	}
	for _, r := range rows {
		if len(r) != 4 {
			continue
		}
		switch r[0] {
		case "f":
			u := unit(oc.funcs, r[1])
			switch r[2] {
			case "sql", "plpgsql":
				u.addText(r[3])
			case "aggregate", "builtin":
				// Its code is its functions' ("g" rows), or a built-in's.
			default:
				u.foreign = true
			}
		case "N":
			oc.known.add(r[2], r[1])
		case "g":
			u := unit(oc.funcs, r[1])
			u.follow = append(u.follow, strings.ToLower(r[3]))
		case "p":
			u := unit(oc.funcs, r[1])
			u.types = append(u.types, strings.ToLower(r[3]))
		case "o":
			oc.ops[r[1]] = append(oc.ops[r[1]], strings.ToLower(r[3]))
		case "y":
			u := unit(oc.types, r[1])
			u.follow = append(u.follow, strings.ToLower(r[3]))
		case "d":
			u := unit(oc.types, r[1])
			u.addText(r[3])
			u.runs = true
		case "u":
			u := unit(oc.types, r[1])
			u.types = append(u.types, strings.ToLower(r[3]))
		case "t":
			u := unit(oc.rels, r[1])
			u.types = append(u.types, strings.ToLower(r[3]))
		case "r":
			u := unit(oc.rels, r[1])
			u.addText(r[3])
			u.runs = true
			u.shapesRow = u.shapesRow || r[2] == "row"
		case "v":
			u := unit(oc.rels, r[1])
			u.addText(r[3])
		case "k":
			u := unit(oc.rels, r[1])
			u.follow = append(u.follow, strings.ToLower(r[3]))
			u.runs = true
			if r[2] == "row" {
				u.rowTrigs = append(u.rowTrigs, strings.ToLower(r[3]))
			}
		case "e":
			oc.events = append(oc.events, strings.ToLower(r[1]))
		case "n":
			u := unit(oc.rels, r[1])
			u.rel = true
			u.names = append(u.names, r[1])
		}
	}
	return oc
}

// storeVerbs are the words of code that may store what it computes where
// a later read shows it (see Code the owner wrote).
var storeVerbs = wordSet(`insert update delete merge copy create alter comment execute truncate
	set_config setval pg_notify notify listen grant revoke security refresh
	lo_from_bytea lo_create lo_creat lo_put lowrite lo_import lo_open lo_truncate
	pg_advisory_lock pg_advisory_lock_shared pg_advisory_xact_lock pg_advisory_xact_lock_shared
	pg_try_advisory_lock pg_try_advisory_lock_shared pg_try_advisory_xact_lock pg_try_advisory_xact_lock_shared`)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// ownerReach is what the owner's code a statement may run may do.
type ownerReach struct {
	code    bool     // it runs any code of the owner's
	missing bool     // st names a relation the code map does not know
	row     bool     // a relation st writes has code that shapes its row
	stores  bool     // that code names a verb that stores
	dynamic bool     // it runs SQL built at run time, a hidden reader, or foreign code
	called  bool     // st calls a function of the owner's itself: named, or an operator's, cast's, type's or aggregate's
	reads   []string // the relations the code names (never the statement's own)
}

// reach follows the owner's code from the functions and relations st
// names, and from the code its operators, casts, types and aggregates
// run unnamed (see Code run unnamed), transitively by name.
func (oc *ownerCode) reach(st *pgsql.Statement) ownerReach {
	var out ownerReach
	seenF, seenR, seenT, seenRead := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	var fq, rq, tq []string
	for _, f := range st.Functions {
		f = strings.ToLower(f)
		if i := strings.LastIndexByte(f, '.'); i >= 0 {
			f = f[i+1:]
		}
		fq = append(fq, strings.Trim(f, `"`))
	}
	for _, f := range fq {
		// A function made since the map was loaded.
		out.missing = out.missing || !oc.known.f[f] && !oc.builtin.f[f]
	}
	calls := st.ImplicitCalls(func(name string) {
		name = strings.ToLower(name)
		switch {
		case strings.HasPrefix(name, "op:"):
			op := name[len("op:"):]
			fq = append(fq, oc.ops[op]...)
			out.missing = out.missing || !oc.known.o[op] && !oc.builtin.o[op]
		case strings.HasPrefix(name, "cast:"):
			typ := name[len("cast:"):]
			if oc.types[typ] != nil {
				tq = append(tq, typ)
			}
			out.missing = out.missing || !oc.known.t[typ] && !oc.builtin.t[typ] && typ != "*"
		case strings.HasPrefix(name, "attr:"):
			// t.f calls f(t) when t has no column f.
			fq = append(fq, name[len("attr:"):])
		}
	})
	if (calls || len(st.Tables) > 0) && oc.types["*"] != nil {
		// An implicit or assignment cast, a built-in type's operator
		// class: any value may run them.
		tq = append(tq, "*")
	}
	for _, f := range fq {
		out.called = out.called || oc.funcs[f] != nil
	}
	if len(oc.events) > 0 && firesEvents(st) {
		// An event trigger runs with the statement's schema change: its
		// function may store what it reads wherever it likes.
		fq = append(fq, oc.events...)
		out.stores = true
	}
	for _, t := range st.Tables {
		n := strings.ToLower(t.Name)
		rq = append(rq, n)
		if u := oc.rels[n]; u == nil {
			out.missing = true
		} else if t.Access == "write" && (u.shapesRow || oc.anyShapes(u.rowTrigs)) {
			out.row = true
		}
	}
	scan := func(u *ownerUnit, i int) {
		dyn := u.dyn[i]
		for _, w := range u.words[i] {
			if w == "execute" {
				// A literal read (EXECUTE 'SELECT ...') is code the
				// text shows: its words are scanned as the rest.
				if dyn {
					out.stores, out.dynamic = true, true
				}
				continue
			}
			if storeVerbs[w] {
				out.stores = true
			}
			if pgsql.ReadsHiddenData(w) {
				out.dynamic = true
			}
			if oc.funcs[w] != nil {
				fq = append(fq, w)
			}
			if oc.types[w] != nil {
				tq = append(tq, w)
			}
			if u := oc.rels[w]; u != nil {
				rq = append(rq, w)
				if u.rel && !seenRead[w] {
					seenRead[w] = true
					out.reads = append(out.reads, w)
				}
			}
		}
		if len(oc.ops) > 0 {
			for _, op := range u.ops[i] {
				fq = append(fq, oc.ops[op]...)
			}
		}
	}
	// next pops the last name of q and returns its unit the first time
	// the name comes up (nil after, or for a name with no unit).
	next := func(q *[]string, seen map[string]bool, units map[string]*ownerUnit) *ownerUnit {
		n := (*q)[len(*q)-1]
		*q = (*q)[:len(*q)-1]
		if seen[n] {
			return nil
		}
		seen[n] = true
		return units[n]
	}
	// read scans a unit's code and queues what it runs.
	read := func(u *ownerUnit) {
		for i := range u.text {
			scan(u, i)
		}
		fq = append(fq, u.follow...)
		tq = append(tq, u.types...)
	}
	for len(fq) > 0 || len(rq) > 0 || len(tq) > 0 {
		switch {
		case len(fq) > 0:
			if u := next(&fq, seenF, oc.funcs); u != nil {
				out.code = true
				if u.foreign {
					out.dynamic, out.stores = true, true
				}
				read(u)
			}
		case len(tq) > 0:
			if u := next(&tq, seenT, oc.types); u != nil {
				out.code = out.code || u.runs
				read(u)
			}
		default:
			if u := next(&rq, seenR, oc.rels); u != nil {
				out.code = out.code || u.runs
				read(u)
				rq = append(rq, u.follow...)
			}
		}
	}
	return out
}

// operatorByte reports whether b may be part of an operator's name.
func operatorByte(b byte) bool {
	return strings.IndexByte("+-*/<>=~!@#%^&|`?", b) >= 0
}

// maxOperatorName is the longest name an operator may have (NAMEDATALEN-1).
const maxOperatorName = 63

// eachOperator calls f with every run of operator characters in text and
// every part of one that starts or ends it (a+-b is a + and a prefix -):
// the names of operators code may use.
func eachOperator(text string, f func(op string)) {
	for i := 0; i < len(text); {
		if !operatorByte(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && operatorByte(text[j]) {
			j++
		}
		for a := i; a < j; a++ {
			for b := a + 1; b <= j && b-a <= maxOperatorName; b++ {
				f(text[a:b])
			}
		}
		i = j
	}
}

// dynamicExecute reports whether code runs SQL built at run time: an
// EXECUTE that is not of one literal read (EXECUTE 'SELECT ...' [INTO
// ...] [USING ...]: a SELECT, VALUES or TABLE storing nothing, whose
// words are the code's own). Anything else (a string built by format()
// or ||, a variable, a literal that writes, SELECT INTO, a prepared
// statement's name) is dynamic: fail closed.
func dynamicExecute(text string) bool {
	low := strings.ToLower(text)
	for i := 0; ; {
		j := strings.Index(low[i:], "execute")
		if j < 0 {
			return false
		}
		at := i + j
		i = at + len("execute")
		if at > 0 && isWordByte(low[at-1]) || i < len(low) && isWordByte(low[i]) {
			continue
		}
		if !literalRead(text[i:]) {
			return true
		}
	}
}

// literalRead reports whether rest (what follows an EXECUTE) is one
// string literal holding a read, followed by the statement's end, INTO
// or USING.
func literalRead(rest string) bool {
	rest = strings.TrimLeft(rest, " \t\r\n")
	if !strings.HasPrefix(rest, "'") {
		return false
	}
	var lit strings.Builder
	k := 1
	for {
		if k >= len(rest) {
			return false
		}
		if rest[k] == '\'' {
			if k+1 < len(rest) && rest[k+1] == '\'' {
				lit.WriteByte('\'')
				k += 2
				continue
			}
			break
		}
		if rest[k] == '\\' {
			// An escape a setting may give meaning to: not judged.
			return false
		}
		lit.WriteByte(rest[k])
		k++
	}
	after := strings.TrimLeft(rest[k+1:], " \t\r\n")
	if !strings.HasPrefix(after, ";") {
		if w := words(after); len(w) == 0 || w[0] != "into" && w[0] != "using" || !strings.HasPrefix(strings.ToLower(after), w[0]) {
			return false
		}
	}
	for _, w := range words(lit.String()) {
		if w == "into" || w == "execute" || storeVerbs[w] {
			return false
		}
	}
	cl, err := pgsql.ParserClassifier{}.Classify(lit.String())
	if err != nil || len(cl.Statements) != 1 {
		return false
	}
	st := &cl.Statements[0]
	switch upperKind(st.Kind) {
	case "SELECT", "VALUES", "TABLE":
	default:
		return false
	}
	if st.Opaque {
		return false
	}
	for _, t := range st.Tables {
		if t.Access != "read" {
			return false
		}
	}
	return true
}

// anyShapes reports whether one of the trigger functions fns may change
// the row a write stores (see assignsRow).
func (oc *ownerCode) anyShapes(fns []string) bool {
	for _, f := range fns {
		u := oc.funcs[f]
		if u == nil || u.foreign {
			return true
		}
		for _, t := range u.text {
			if assignsRow(t) {
				return true
			}
		}
	}
	return false
}

// assignsRow reports whether a trigger function's body may change the
// row it returns: it assigns NEW or a field of it (:= or =, SELECT ...
// INTO NEW), or returns anything but NEW, OLD or NULL. A comparison
// (IF NEW.v = 1) counts too: fail closed.
func assignsRow(body string) bool {
	w := words(body)
	low := strings.ToLower(body)
	for i, x := range w {
		switch x {
		case "into":
			if i+1 < len(w) && w[i+1] == "new" {
				return true
			}
		case "return":
			if i+1 >= len(w) || (w[i+1] != "new" && w[i+1] != "old" && w[i+1] != "null") {
				return true
			}
		}
	}
	for i := 0; ; {
		j := strings.Index(low[i:], "new")
		if j < 0 {
			return false
		}
		at := i + j
		i = at + 3
		if at > 0 && isWordByte(low[at-1]) || i < len(low) && isWordByte(low[i]) {
			continue
		}
		rest := strings.TrimLeft(low[i:], " \t\r\n")
		if strings.HasPrefix(rest, ".") {
			rest = strings.TrimLeft(rest[1:], " \t\r\n")
			k := 0
			for k < len(rest) && (isWordByte(rest[k]) || rest[k] == '"') {
				k++
			}
			rest = strings.TrimLeft(rest[k:], " \t\r\n")
		}
		if strings.HasPrefix(rest, ":=") || strings.HasPrefix(rest, "=") {
			return true
		}
	}
}

func isWordByte(b byte) bool {
	return b == '_' || b == '$' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b >= 0x80
}

// firesEvents reports whether st may fire an event trigger: anything but
// a read, a data change, session and transaction control.
func firesEvents(st *pgsql.Statement) bool {
	switch upperKind(st.Kind) {
	case "SELECT", "VALUES", "TABLE", "INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "SHOW", "SET", "RESET",
		"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE", "DECLARE", "FETCH", "MOVE", "CLOSE",
		"PREPARE", "EXECUTE", "DEALLOCATE", "EXPLAIN", "LISTEN", "UNLISTEN", "NOTIFY", "DISCARD", "LOCK":
		return false
	}
	return true
}

// words returns the identifiers of text, lower case (quoted ones
// unquoted): every name code may use.
func words(text string) []string {
	var out []string
	low := strings.ToLower(text)
	word := func(b byte) bool {
		return b == '_' || b == '$' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b >= 0x80
	}
	for i := 0; i < len(low); {
		if !word(low[i]) {
			i++
			continue
		}
		j := i
		for j < len(low) && word(low[j]) {
			j++
		}
		out = append(out, low[i:j])
		i = j
	}
	return out
}

// ownerRefusal is why a statement running the owner's code is refused.
const ownerRefusal = "under masking, code the gateway cannot follow that the statement runs (the database's own function, view, trigger, rule, default or generated column) may read masked data and store it where later reads show it (a table, a row, an object's name, a comment, a setting); run it without masking"

// judgeOwnerCode returns ownerRefusal when st may run code of the
// owner's that may read what p masks and store it (see Code the owner
// wrote), or "". An error means the catalog could not be read.
func (c *conn) judgeOwnerCode(p *mask.Policy, st *pgsql.Statement) (string, error) {
	if len(st.Functions) == 0 && len(st.Tables) == 0 && !firesEvents(st) && !st.ImplicitCalls(func(string) {}) {
		return "", nil
	}
	oc, err := c.srv.catalog.ownerCode(c.ctx)
	if err != nil {
		return "", err
	}
	r := c.reachMemo.reach(oc, st)
	if !r.missing {
		r.missing = c.unknownUserFunc(oc, st)
	}
	if r.code || r.missing {
		// Judge by the code as it is now: the owner may have made or
		// replaced it a moment ago (the version is read once per such
		// statement, as for a result that follows a view).
		if c.srv.catalog.checkNow(c.ctx) {
			if oc, err = c.srv.catalog.ownerCode(c.ctx); err != nil {
				return "", err
			}
			r = c.reachMemo.reach(oc, st)
		}
	}
	if !r.code {
		return "", nil
	}
	if !r.stores && !r.row && !(r.called && writesRow(st)) {
		return "", nil
	}
	if r.dynamic {
		return ownerRefusal, nil
	}
	for _, rel := range r.reads {
		for _, name := range oc.rels[rel].names {
			carry, err := c.relationCarries(p, name)
			if err != nil {
				return "", err
			}
			if carry {
				return ownerRefusal, nil
			}
		}
	}
	return "", nil
}

// writesRow reports whether st writes a row: what a function of the
// owner's it calls returns (INSERT ... SELECT name_of(1), an operator's,
// a cast's) may be stored.
func writesRow(st *pgsql.Statement) bool {
	for _, t := range st.Tables {
		if t.Access == "write" {
			return true
		}
	}
	return false
}

// unknownUserFunc reports whether st calls a function the code map does
// not know that the function catalog lists outside pg_catalog: one made
// since the map was loaded.
func (c *conn) unknownUserFunc(oc *ownerCode, st *pgsql.Statement) bool {
	for _, f := range st.Functions {
		f = strings.Trim(strings.ToLower(f[strings.LastIndexByte(f, '.')+1:]), `"`)
		if oc.funcs[f] != nil {
			continue
		}
		rows, ok := c.srv.procs.Procs(c.ctx, "", f, true)
		if !ok || len(rows) == 0 {
			return true
		}
		for _, r := range rows {
			if r.FnSchema != "pg_catalog" && r.FnSchema != "information_schema" && r.FnSchema != "" {
				return true
			}
		}
	}
	return false
}

// relationCarries reports whether the columns of every relation called
// name may carry what p masks (see mayCarry), remembered per policy and
// catalog generation.
func (c *conn) relationCarries(p *mask.Policy, name string) (bool, error) {
	gen := c.srv.catalog.Generation()
	if c.carries == nil || c.carriesGen != gen || c.carriesPolicy != p {
		c.carries, c.carriesGen, c.carriesPolicy = map[string]bool{}, gen, p
	}
	if v, ok := c.carries[name]; ok {
		return v, nil
	}
	cl, err := c.srv.cls.Classify("SELECT * FROM " + quoteIdent(name))
	if err != nil || len(cl.Statements) != 1 {
		return true, nil
	}
	res, err := c.lineageOf(&cl.Statements[0])
	if err != nil {
		return true, err
	}
	v := c.mayCarry(p, res.Touched())
	c.carries[name] = v
	return v, nil
}
