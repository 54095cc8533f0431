package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/airlock-sdk/airlock/mask"
	"github.com/jackc/pgx/v5/pgconn"
)

// catalog answers what lineage and masking need from the upstream's own
// catalog: the "table.column" of a RowDescription field, the columns of a
// relation, the definition of a view or materialized view, the language and
// body of a function. It is the pgsql.Catalog the analyser resolves
// lineage with. It asks on a connection of its own and caches the
// answers for catalogTTL; a session that changed the schema, or a
// statement that failed on a missing relation or column, starts it over.
//
// Names are resolved in every schema at once (the union of what each
// candidate could return): the catalog connection cannot see a session's
// search_path, so no guess about it is made.
type catalog struct {
	cfg *pgconn.Config

	mu             sync.Mutex
	pc             *pgconn.PgConn
	view           atomic.Pointer[catalogView] // this generation's (catalogview.go)
	loaded         time.Time
	checked        time.Time
	until          freshUntil // when fresh has nothing to do (freshness.go)
	version        string
	lastInvalidate time.Time

	rels     map[string][]pgsql.Relation
	funcs    map[string][]pgsql.Function
	userOps  map[string]bool
	casts    map[string]bool
	code     map[string]bool // schema.name: whether a write runs code of the database's
	universe []string
	// builtinNames are the built-ins' names (ownercode.go), kept across
	// generations: they never change.
	builtinNames *knownNames

	// Memos per masking policy, valid for one generation.
	reps   map[*mask.Policy]string
	covers map[*mask.Policy][]string
}

// catalogCheckEvery is how often (at most) the catalog's version is read
// while statements flow: a schema change made outside the gateway (a view
// redefined by a migration) is seen at most this late.
const catalogCheckEvery = time.Second

// catalogTTL bounds how long any answer is kept, version or not.
const catalogTTL = 5 * time.Minute

// catalogVersion changes whenever a relation, view, function, column,
// schema, operator, type, cast, inheritance link, trigger, constraint,
// aggregate, operator class or family member or event trigger is created, changed or dropped (every such change writes a new row
// version in these catalogs).
const catalogVersion = `SELECT
	(SELECT count(*) || ':' || coalesce(sum(xmin::text::int8), 0) FROM pg_catalog.pg_class) || '/' ||
	(SELECT count(*) || ':' || coalesce(sum(xmin::text::int8), 0) FROM pg_catalog.pg_rewrite) || '/' ||
	(SELECT count(*) || ':' || coalesce(sum(xmin::text::int8), 0) FROM pg_catalog.pg_proc) || '/' ||
	(SELECT count(*) || ':' || coalesce(sum(xmin::text::int8), 0) FROM pg_catalog.pg_attribute) || '/' ||
	(SELECT count(*) || ':' || coalesce(sum(xmin::text::int8), 0) FROM pg_catalog.pg_namespace) || '/' ||
	(SELECT count(*) || ':' || coalesce(sum(xmin::text::int8), 0) FROM pg_catalog.pg_operator) || '/' ||
	(SELECT count(*) || ':' || coalesce(sum(xmin::text::int8), 0) FROM pg_catalog.pg_inherits) || '/' ||
	(SELECT count(*) || ':' || coalesce(sum(xmin::text::int8), 0) FROM pg_catalog.pg_type) || '/' ||
	(SELECT count(*) || ':' || coalesce(sum(xmin::text::int8), 0) FROM pg_catalog.pg_cast) || '/' ||
	(SELECT count(*) || ':' || coalesce(sum(xmin::text::int8), 0) FROM pg_catalog.pg_trigger) || '/' ||
	(SELECT count(*) || ':' || coalesce(sum(xmin::text::int8), 0) FROM pg_catalog.pg_constraint) || '/' ||
	(SELECT count(*) || ':' || coalesce(sum(xmin::text::int8), 0) FROM pg_catalog.pg_aggregate) || '/' ||
	(SELECT count(*) || ':' || coalesce(sum(xmin::text::int8), 0) FROM pg_catalog.pg_amproc) || '/' ||
	(SELECT count(*) || ':' || coalesce(sum(xmin::text::int8), 0) FROM pg_catalog.pg_amop) || '/' ||
	(SELECT count(*) || ':' || coalesce(sum(xmin::text::int8), 0) FROM pg_catalog.pg_opclass) || '/' ||
	(SELECT count(*) || ':' || coalesce(sum(xmin::text::int8), 0) FROM pg_catalog.pg_event_trigger)`

// invalidateEvery bounds how often failing statements can flush the cache,
// so a client cannot turn errors into a flood of catalog queries.
const invalidateEvery = time.Second

// maxCatalogEntries bounds each cache; past it the cache starts over.
const maxCatalogEntries = 65536

// maxPolicyMemo bounds the memos kept per masking policy.
const maxPolicyMemo = 256

// remember stores v under key in *cache, starting the cache over first
// when it already holds limit entries.
func remember[K comparable, V any](cache *map[K]V, key K, v V, limit int) {
	if len(*cache) >= limit {
		*cache = map[K]V{}
	}
	(*cache)[key] = v
}

// inSchema returns the entries of all in schema, or all of them when
// schema is empty.
func inSchema[T any](all []T, schema string, schemaOf func(T) string) []T {
	if schema == "" {
		return all
	}
	var out []T
	for _, e := range all {
		if schemaOf(e) == schema {
			out = append(out, e)
		}
	}
	return out
}

func newCatalog(cfg *pgconn.Config) *catalog {
	k := &catalog{cfg: cfg}
	k.reset()
	return k
}

// reset forgets everything; k.mu is held.
func (k *catalog) reset() {
	var gen uint64
	if v := k.view.Load(); v != nil {
		gen = v.gen
	}
	k.view.Store(&catalogView{gen: gen + 1})
	k.loaded = time.Now()
	k.rels = map[string][]pgsql.Relation{}
	k.funcs = map[string][]pgsql.Function{}
	k.userOps = nil
	k.casts = map[string]bool{}
	k.code = map[string]bool{}
	k.universe = nil
	k.reps = map[*mask.Policy]string{}
	k.covers = map[*mask.Policy][]string{}
	k.until.set(k.loaded, catalogTTL, k.checked, catalogCheckEvery)
}

// fresh starts the cache over when the catalog's version changed (read at
// most every catalogCheckEvery) or the cache is older than catalogTTL;
// k.mu is held. An error reading the version starts over as well: the
// queries that follow report it.
func (k *catalog) fresh(ctx context.Context) {
	if k.until.fresh() {
		return
	}
	if time.Since(k.loaded) > catalogTTL {
		k.reset()
	}
	if time.Since(k.checked) < catalogCheckEvery {
		return
	}
	k.checked = time.Now()
	rows, err := k.query(ctx, catalogVersion)
	v := ""
	if err == nil && len(rows) == 1 && len(rows[0]) == 1 {
		v = rows[0][0]
	}
	if v == "" || v != k.version {
		if k.version != "" || v == "" {
			k.reset()
		}
		k.version = v
	}
	k.until.set(k.loaded, catalogTTL, k.checked, catalogCheckEvery)
}

// Refresh starts the cache over when the catalog changed (see fresh) and
// returns the generation. When fresh would find nothing to do it returns
// without the mutex.
func (k *catalog) Refresh(ctx context.Context) uint64 {
	if k.until.fresh() {
		return k.Generation()
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.fresh(ctx)
	return k.Generation()
}

// checkNow reads the catalog's version now, whatever catalogCheckEvery,
// and starts the cache over when it changed (see fresh); it reports
// whether the cache started over.
func (k *catalog) checkNow(ctx context.Context) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	gen := k.Generation()
	k.checked = time.Time{}
	k.until.clear()
	k.fresh(ctx)
	return k.Generation() != gen
}

// Generation changes whenever the cache starts over.
func (k *catalog) Generation() uint64 { return k.view.Load().gen }

// invalidate forgets every answer: the schema may have changed.
func (k *catalog) invalidate() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.reset()
	k.lastInvalidate = time.Now()
}

// invalidateSoon forgets every answer unless that was done less than
// invalidateEvery ago.
func (k *catalog) invalidateSoon() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if time.Since(k.lastInvalidate) < invalidateEvery {
		return
	}
	k.reset()
	k.lastInvalidate = time.Now()
}

func (k *catalog) close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.pc != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = k.pc.Close(ctx)
		cancel()
		k.pc = nil
	}
}

// query runs one catalog query; k.mu is held.
func (k *catalog) query(ctx context.Context, sql string, args ...string) ([][]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if k.pc == nil {
		pc, err := pgconn.ConnectConfig(ctx, catalogConnConfig(k.cfg))
		if err != nil {
			return nil, fmt.Errorf("postgres: catalog connection: %w", err)
		}
		k.pc = pc
	}
	params := make([][]byte, len(args))
	for i, a := range args {
		params[i] = []byte(a)
	}
	res := k.pc.ExecParams(ctx, sql, params, nil, nil, nil).Read()
	if res.Err != nil {
		if k.pc.IsClosed() {
			k.pc = nil
		}
		return nil, fmt.Errorf("postgres: catalog query: %w", res.Err)
	}
	out := make([][]string, len(res.Rows))
	for i, row := range res.Rows {
		out[i] = make([]string, len(row))
		for j, v := range row {
			out[i][j] = string(v)
		}
	}
	return out, nil
}

// columnName is what a RowDescription field's table OID and attribute
// number name: "table.column", and whether the relation is a view or the
// column generated, whose values may be computed (see
// pgsql.Lineage.Computed).
type columnName struct {
	name string
	view bool
}

// column returns "table.column" for a table OID and attribute number:
// from the current view without the mutex when it holds the answer and
// the catalog is fresh (see cached), else as columnLocked.
func (k *catalog) column(ctx context.Context, oid uint32, att uint16) (columnName, error) {
	key := [2]uint32{oid, uint32(att)}
	if v := k.cached(); v != nil {
		if n, ok := v.cachedColumn(key); ok {
			return n, nil
		}
	}
	return k.columnLocked(ctx, key)
}

// columnLocked is column under the mutex: the catalog brought up to date,
// then the answer cached or asked.
func (k *catalog) columnLocked(ctx context.Context, key [2]uint32) (columnName, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.fresh(ctx)
	v := k.view.Load()
	if n, ok := v.lockedColumn(key); ok {
		return n, nil
	}
	oid, att := key[0], key[1]
	rows, err := k.query(ctx, `SELECT c.relname, a.attname, CASE WHEN a.attgenerated <> '' THEN 'g' ELSE c.relkind END
		FROM pg_catalog.pg_attribute a
		JOIN pg_catalog.pg_class c ON c.oid = a.attrelid WHERE a.attrelid = $1::oid AND a.attnum = $2::int2`,
		strconv.FormatUint(uint64(oid), 10), strconv.FormatUint(uint64(att), 10))
	if err != nil {
		return columnName{}, err
	}
	var n columnName
	if len(rows) == 1 && len(rows[0]) == 3 {
		n = columnName{name: rows[0][0] + "." + rows[0][1], view: slices.Contains([]string{"v", "m", "f", "g"}, rows[0][2])}
	}
	v.rememberColumn(key, n)
	return n, nil
}

// Relations returns every relation called name (in schema, when given),
// with its columns and, for a view or materialized view, its definition.
func (k *catalog) Relations(ctx context.Context, schema, name string) ([]pgsql.Relation, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.fresh(ctx)
	all, ok := k.rels[name]
	if !ok {
		rows, err := k.query(ctx, `SELECT c.oid, n.nspname, c.relkind,
			CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) ELSE '' END,
			coalesce(a.attname, ''), `+kinSQL+`, c.relrowsecurity,
			`+generatedFromSQL+`, `+generatedByUserSQL+`, `+userCastSQL+`
			FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
			WHERE c.relname = $1 ORDER BY c.oid, a.attnum`, name)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if len(r) != 10 {
				continue
			}
			oid, _ := strconv.ParseUint(r[0], 10, 32)
			if len(all) == 0 || all[len(all)-1].OID != uint32(oid) {
				ri := pgsql.Relation{OID: uint32(oid), Schema: r[1], Name: name, ViewDef: r[3], RowSecurity: r[6] == "t"}
				if r[2] != "" {
					ri.Kind = r[2][0]
				}
				if err := json.Unmarshal([]byte(r[5]), &ri.Kin); err != nil {
					return nil, fmt.Errorf("postgres: catalog: relations sharing rows with %q: %w", name, err)
				}
				all = append(all, ri)
			}
			if r[4] != "" {
				if err := addColumn(&all[len(all)-1], r[4], r[7], r[8] == "t", r[9] == "t"); err != nil {
					return nil, fmt.Errorf("postgres: catalog: generated column %s.%s: %w", name, r[4], err)
				}
			}
		}
		remember(&k.rels, name, all, maxCatalogEntries)
	}
	return inSchema(all, schema, func(r pgsql.Relation) string { return r.Schema }), nil
}

// addColumn appends column col to rel. from is the JSON array of the
// columns it is generated from ("" when it is not generated), byUser
// whether its generation calls code of the database's own, userCast
// whether a cast of the database's own may run on it implicitly.
func addColumn(rel *pgsql.Relation, col, from string, byUser, userCast bool) error {
	rel.Columns = append(rel.Columns, col)
	if from != "" {
		g := pgsql.Generation{ByUser: byUser}
		if err := json.Unmarshal([]byte(from), &g.From); err != nil {
			return err
		}
		if rel.Generated == nil {
			rel.Generated = map[string]pgsql.Generation{}
		}
		rel.Generated[col] = g
	}
	if userCast {
		if rel.ImplicitUserCast == nil {
			rel.ImplicitUserCast = map[string]bool{}
		}
		rel.ImplicitUserCast[col] = true
	}
	return nil
}

// generatedFromSQL is, for a generated column a, the JSON array of the
// columns its expression reads (the server records them as its default's
// dependencies); ” for any other column.
const generatedFromSQL = `CASE WHEN a.attgenerated <> '' THEN coalesce((
		SELECT pg_catalog.json_agg(ra.attname ORDER BY ra.attnum)
		FROM pg_catalog.pg_attrdef ad JOIN pg_catalog.pg_depend dp
			ON dp.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND dp.objid = ad.oid
		JOIN pg_catalog.pg_attribute ra ON ra.attrelid = dp.refobjid AND ra.attnum = dp.refobjsubid
		WHERE ad.adrelid = c.oid AND ad.adnum = a.attnum AND dp.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
			AND dp.refobjid = c.oid AND dp.refobjsubid > 0 AND dp.refobjsubid <> a.attnum), '[]')::text ELSE '' END`

// generatedByUserSQL tells whether the expression of a's generated column
// depends on a function, operator or type outside the system's schemas
// (an implicit cast's function counts: the server records it).
const generatedByUserSQL = `coalesce(a.attgenerated <> '' AND EXISTS (
		SELECT 1 FROM pg_catalog.pg_attrdef ad JOIN pg_catalog.pg_depend dp
			ON dp.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND dp.objid = ad.oid
		WHERE ad.adrelid = c.oid AND ad.adnum = a.attnum AND (
			dp.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
				WHERE p.oid = dp.refobjid AND p.pronamespace <> 'pg_catalog'::pg_catalog.regnamespace)
			OR dp.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND EXISTS (SELECT 1 FROM pg_catalog.pg_operator o
				WHERE o.oid = dp.refobjid AND o.oprnamespace <> 'pg_catalog'::pg_catalog.regnamespace)
			OR dp.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass AND EXISTS (SELECT 1 FROM pg_catalog.pg_type t
				WHERE t.oid = dp.refobjid AND t.typnamespace <> 'pg_catalog'::pg_catalog.regnamespace))), false)`

// userCastSQL tells whether a cast of the database's own may run on a's
// values without being written: an implicit cast (CREATE CAST ... AS
// IMPLICIT) through a function outside pg_catalog, from a's type or,
// through domains (whose casts the server ignores) and arrays, from the
// type it is built on; or, for a type of the database's own, any such
// cast to json or jsonb (to_json and row_to_json use it).
const userCastSQL = `coalesce((WITH RECURSIVE b(oid, n) AS (SELECT a.atttypid, 0
		UNION ALL SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.typelem END, b.n + 1
		FROM b JOIN pg_catalog.pg_type t ON t.oid = b.oid
		WHERE (t.typtype = 'd' OR t.typcategory = 'A' AND t.typelem <> 0) AND b.n < 16)
	SELECT EXISTS (SELECT 1 FROM b JOIN pg_catalog.pg_cast k ON k.castsource = b.oid
		JOIN pg_catalog.pg_proc p ON p.oid = k.castfunc
		WHERE p.pronamespace <> 'pg_catalog'::pg_catalog.regnamespace AND (k.castcontext = 'i'
			OR b.oid >= 16384 AND k.casttarget IN ('pg_catalog.json'::pg_catalog.regtype, 'pg_catalog.jsonb'::pg_catalog.regtype)))), false)`

// kinSQL is the names of every relation c inherits from or is a
// partition of, and of every one that inherits from c or is a partition
// of it, transitively, as a JSON array.
const kinSQL = `(WITH RECURSIVE up(oid) AS (
		SELECT i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid
		UNION SELECT i.inhparent FROM pg_catalog.pg_inherits i JOIN up ON i.inhrelid = up.oid),
	down(oid) AS (
		SELECT i.inhrelid FROM pg_catalog.pg_inherits i WHERE i.inhparent = c.oid
		UNION SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN down ON i.inhparent = down.oid)
	SELECT coalesce(pg_catalog.json_agg(p.relname ORDER BY p.oid), '[]')::text
	FROM (SELECT oid FROM up UNION SELECT oid FROM down) k JOIN pg_catalog.pg_class p ON p.oid = k.oid)`

// Functions returns every function called name (in schema, when given).
func (k *catalog) Functions(ctx context.Context, schema, name string) ([]pgsql.Function, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.fresh(ctx)
	all, ok := k.funcs[name]
	if !ok {
		rows, err := k.query(ctx, `SELECT p.oid, n.nspname, p.prolang, p.prokind,
			CASE WHEN p.prolang = 14 THEN coalesce(nullif(p.prosrc, ''),
				'CREATE FUNCTION pg_temp.body() RETURNS void LANGUAGE sql ' || pg_catalog.pg_get_function_sqlbody(p.oid),
				'unreadable')
			ELSE '' END,
			CASE WHEN p.prolang IN (12, 13) THEN p.prosrc ELSE '' END
			FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
			WHERE p.proname = $1 ORDER BY p.oid`, name)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if len(r) != 6 {
				continue
			}
			oid, _ := strconv.ParseUint(r[0], 10, 32)
			lang, _ := strconv.ParseUint(r[2], 10, 32)
			fi := pgsql.Function{OID: uint32(oid), Schema: r[1], Lang: uint32(lang), Body: r[4], Src: r[5]}
			if r[3] != "" {
				fi.Kind = r[3][0]
			}
			all = append(all, fi)
		}
		remember(&k.funcs, name, all, maxCatalogEntries)
	}
	return inSchema(all, schema, func(f pgsql.Function) string { return f.Schema }), nil
}

// UserOperator reports whether an operator called name is defined outside
// pg_catalog (its function may read anything).
func (k *catalog) UserOperator(ctx context.Context, name string) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.fresh(ctx)
	if k.userOps == nil {
		rows, err := k.query(ctx, `SELECT DISTINCT o.oprname FROM pg_catalog.pg_operator o
			JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace WHERE n.nspname <> 'pg_catalog'`)
		if err != nil {
			return false, err
		}
		k.userOps = map[string]bool{}
		for _, r := range rows {
			if len(r) == 1 {
				k.userOps[r[0]] = true
			}
		}
	}
	return k.userOps[name], nil
}

// UserCast reports whether a cast to a type called name may run a
// function defined outside pg_catalog (see pgsql.Catalog).
func (k *catalog) UserCast(ctx context.Context, name string) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.fresh(ctx)
	if user, ok := k.casts[name]; ok {
		return user, nil
	}
	rows, err := k.query(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_type t
			JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
			WHERE t.typname = $1 AND n.nspname <> 'pg_catalog')
		OR EXISTS (SELECT 1 FROM pg_catalog.pg_cast c JOIN pg_catalog.pg_type t ON t.oid = c.casttarget
			JOIN pg_catalog.pg_proc p ON p.oid = c.castfunc JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
			WHERE t.typname = $1 AND n.nspname <> 'pg_catalog')`, name)
	if err != nil {
		return false, err
	}
	user := len(rows) != 1 || len(rows[0]) != 1 || rows[0][0] != "f"
	remember(&k.casts, name, user, maxCatalogEntries)
	return user, nil
}

// allColumns returns "table.column" for every column of every relation
// that holds or shows data: what an opaque function could read.
func (k *catalog) allColumns(ctx context.Context) ([]string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.fresh(ctx)
	if k.universe != nil {
		return k.universe, nil
	}
	rows, err := k.query(ctx, `SELECT c.relname, a.attname FROM pg_catalog.pg_attribute a
		JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
		WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
		ORDER BY c.oid, a.attnum`)
	if err != nil {
		return nil, err
	}
	u := make([]string, 0, len(rows))
	for _, r := range rows {
		if len(r) == 2 {
			u = append(u, r[0]+"."+r[1])
		}
	}
	k.universe = u
	return u, nil
}

// representative returns a column of the database that p masks by a field
// rule, or "": the field an output of unknown lineage is masked as.
func (k *catalog) representative(ctx context.Context, p *mask.Policy) (string, error) {
	if p == nil {
		return "", nil
	}
	k.mu.Lock()
	rep, ok := k.reps[p]
	k.mu.Unlock()
	if ok {
		return rep, nil
	}
	cols, err := k.covered(ctx, p)
	if err != nil {
		return "", err
	}
	if len(cols) > 0 {
		rep = cols[0]
	}
	k.mu.Lock()
	remember(&k.reps, p, rep, maxPolicyMemo)
	k.mu.Unlock()
	return rep, nil
}

// covered returns every column of the database that p masks by a field
// rule.
func (k *catalog) covered(ctx context.Context, p *mask.Policy) ([]string, error) {
	if p == nil {
		return nil, nil
	}
	k.mu.Lock()
	c, ok := k.covers[p]
	k.mu.Unlock()
	if ok {
		return c, nil
	}
	all, err := k.allColumns(ctx)
	if err != nil {
		return nil, err
	}
	c = []string{}
	for _, f := range all {
		if p.FieldStrategy(f) != "" {
			c = append(c, f)
		}
	}
	k.mu.Lock()
	remember(&k.covers, p, c, maxPolicyMemo)
	k.mu.Unlock()
	return c, nil
}

// writeRunsCodeSQL tells whether a write to a relation called $1 (in
// schema $2, or any when empty) may run code of the database's own: the
// relation, its inheritance kin and partitions, and every table a
// foreign key's action writes from it, transitively, being a view or
// foreign table, or having a user trigger, a rule, a default, CHECK
// constraint or index expression calling a function outside pg_catalog,
// or a column of a type outside pg_catalog (a domain's CHECK).
const writeRunsCodeSQL = `WITH RECURSIVE edges(a, b) AS (
	SELECT i.inhparent, i.inhrelid FROM pg_catalog.pg_inherits i
	UNION ALL SELECT i.inhrelid, i.inhparent FROM pg_catalog.pg_inherits i
	UNION ALL SELECT co.confrelid, co.conrelid FROM pg_catalog.pg_constraint co WHERE co.contype = 'f'
),
rel(oid) AS (
	SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	WHERE c.relname = $1 AND ($2 = '' OR n.nspname = $2)
	UNION SELECT e.b FROM rel JOIN edges e ON e.a = rel.oid
)
SELECT EXISTS (SELECT 1 FROM rel JOIN pg_catalog.pg_class c ON c.oid = rel.oid WHERE c.relkind IN ('v', 'f')
	OR EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal)
	OR EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite w WHERE w.ev_class = c.oid AND w.ev_type <> '1')
	OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_proc p ON p.oid = d.refobjid
		WHERE d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass
		AND p.pronamespace <> 'pg_catalog'::pg_catalog.regnamespace AND (
			d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass
				AND d.objid IN (SELECT ad.oid FROM pg_catalog.pg_attrdef ad WHERE ad.adrelid = c.oid)
			OR d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass
				AND d.objid IN (SELECT co.oid FROM pg_catalog.pg_constraint co WHERE co.conrelid = c.oid)
			OR d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
				AND d.objid IN (SELECT i.indexrelid FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid)))
	OR EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
		WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		AND ty.typnamespace <> 'pg_catalog'::pg_catalog.regnamespace))::text`

// writeRunsCode reports whether a write to the relation schema.name (any
// schema when empty) may run code of the database's own
// (writeRunsCodeSQL), cached like the rest of the catalog.
func (k *catalog) writeRunsCode(ctx context.Context, schema, name string) (bool, error) {
	key := schema + "." + name
	k.mu.Lock()
	defer k.mu.Unlock()
	k.fresh(ctx)
	if code, ok := k.code[key]; ok {
		return code, nil
	}
	rows, err := k.query(ctx, writeRunsCodeSQL, name, schema)
	if err != nil {
		return true, err
	}
	code := len(rows) != 1 || len(rows[0]) != 1 || rows[0][0] != "false"
	remember(&k.code, key, code, maxCatalogEntries)
	return code, nil
}
