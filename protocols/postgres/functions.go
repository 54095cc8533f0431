package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5/pgconn"
)

// funcName is a function as called: its schema when the call names one.
type funcName struct {
	schema, name string
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
)

func isLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// implicitCall reports the names that stand for calls the text does not
// write as such.
func implicitCall(name string) bool {
	for _, p := range []string{opPrefix, attrPrefix, castPrefix, relPrefix} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
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
// used on its own reports; the Server replaces it with the catalog's.
func staticFunctionVerdict(structRO bool, calls []funcName) (readOnly, volatile, heavy bool) {
	for _, f := range calls {
		if implicitCall(f.name) {
			// Without the catalog, operators and attribute notation
			// are taken as the built-ins they almost always are.
			continue
		}
		safe := (f.schema == "" || f.schema == "pg_catalog") && readOnlyFunctions[f.name] && !deniedFunction(f.name)
		volatile = volatile || !safe
		heavy = heavy || heavyFunctions[strings.ToLower(f.name)]
	}
	return structRO && !volatile, volatile, heavy
}

// procInfo is one pg_proc row, reduced to what the verdict needs.
type procInfo struct {
	schema   string // of the function, or of the operator
	fnSchema string // of the function (an operator's code)
	volatile byte   // provolatile: i, s or v
	lang     string
	oneArg   bool   // callable with one argument (attribute notation)
	fn       string // the function's own name
}

// trusted reports whether a function's declared volatility can be
// believed: only a built-in's. PostgreSQL runs the SQL statements of a
// STABLE or IMMUTABLE SQL or PL/pgSQL function read-only, but such a
// function may still call volatile ones (set_config, dblink_exec, pg_notify,
// lo_import) and has its effects; a C or untrusted-language function can
// declare anything. So a function of any other schema is judged volatile.
func (p procInfo) trusted() bool {
	return p.fnSchema == "pg_catalog"
}

// funcCatalog judges functions from one upstream's pg_proc. It loads the
// whole catalog (a few thousand rows) on a short-lived connection of its
// own, reloads it when it is older than funcCatalogTTL, and at most once
// per funcCatalogRetry when a statement calls a name it does not know.
type funcCatalog struct {
	cfg *pgconn.Config
	log hclog.Logger

	mu      sync.Mutex
	procs   map[string][]procInfo // by exact name
	defs    map[string][3]bool    // verdicts of view and policy definitions
	loaded  time.Time
	tried   time.Time
	lastErr error
}

// funcCatalogTTL bounds how stale the catalog may be.
const funcCatalogTTL = time.Minute

// funcCatalogRetry bounds reloads caused by unknown names.
const funcCatalogRetry = time.Second

var (
	funcCatalogsMu sync.Mutex
	funcCatalogs   = map[string]*funcCatalog{}
)

// funcCatalogFor returns the catalog of one connection target, shared by
// every server that connects there.
func funcCatalogFor(cfg *pgconn.Config, log hclog.Logger) *funcCatalog {
	key := fmt.Sprintf("%s:%d/%s/%s", cfg.Host, cfg.Port, cfg.Database, cfg.User)
	funcCatalogsMu.Lock()
	defer funcCatalogsMu.Unlock()
	k := funcCatalogs[key]
	if k == nil {
		k = &funcCatalog{cfg: cfg, log: log}
		funcCatalogs[key] = k
	}
	return k
}

// Every column is text: with name columns first, UNION ALL would type the
// last column name and cut view definitions to 63 bytes.
const procQuery = `SELECT p.proname::text, n.nspname::text, n.nspname::text, p.provolatile::text, l.lanname::text,
  (p.pronargs - p.pronargdefaults <= 1 AND p.pronargs >= 1)::text, p.proname::text
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
UNION ALL
SELECT 'op:' || o.oprname, on_.nspname, n.nspname, p.provolatile::text, l.lanname, 'false', p.proname
FROM pg_catalog.pg_operator o
JOIN pg_catalog.pg_namespace on_ ON on_.oid = o.oprnamespace
JOIN pg_catalog.pg_proc p ON p.oid = o.oprcode
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
UNION ALL
SELECT 'cast:' || t.typname, tn.nspname, n.nspname, p.provolatile::text, l.lanname, 'false', p.proname
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_cast c ON c.casttarget = t.oid AND c.castfunc <> 0
JOIN pg_catalog.pg_proc p ON p.oid = c.castfunc OR p.oid = t.typinput
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
UNION ALL
SELECT 'rel:' || c.relname, n.nspname, '', 'v', 'sql', 'false', pg_catalog.pg_get_viewdef(c.oid)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'v'
UNION ALL
SELECT 'rel:' || c.relname, n.nspname, '', 'v', 'sql', 'false',
  'SELECT ' || coalesce(pg_catalog.pg_get_expr(pol.polqual, pol.polrelid), 'true') || ', ' ||
  coalesce(pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid), 'true') || ' FROM ' ||
  pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
FROM pg_catalog.pg_policy pol
JOIN pg_catalog.pg_class c ON c.oid = pol.polrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace`

// load reads pg_proc; the caller holds k.mu.
func (k *funcCatalog) load(ctx context.Context) error {
	k.tried = time.Now()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	pc, err := pgconn.ConnectConfig(ctx, k.cfg.Copy())
	if err != nil {
		return fmt.Errorf("postgres: function catalog connection: %w", err)
	}
	defer func() { _ = pc.Close(context.Background()) }()
	res := pc.ExecParams(ctx, procQuery, nil, nil, nil, nil).Read()
	if res.Err != nil {
		return fmt.Errorf("postgres: function catalog query: %w", res.Err)
	}
	procs := make(map[string][]procInfo, len(res.Rows))
	for _, r := range res.Rows {
		if len(r) != 7 || len(r[3]) != 1 {
			return fmt.Errorf("postgres: function catalog: unexpected row")
		}
		name := string(r[0])
		procs[name] = append(procs[name], procInfo{schema: string(r[1]), fnSchema: string(r[2]),
			volatile: r[3][0], lang: string(r[4]), oneArg: string(r[5]) == "true", fn: string(r[6])})
	}
	k.procs, k.loaded, k.defs = procs, time.Now(), nil
	return nil
}

// lookup returns the pg_proc rows a call may resolve to; ok is false when
// the catalog cannot be read.
func (k *funcCatalog) lookup(ctx context.Context, f funcName) (rows []procInfo, ok bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := time.Now()
	stale := k.procs == nil || now.Sub(k.loaded) > funcCatalogTTL
	if !stale {
		rows = matching(k.procs[f.name], f.schema)
		stale = len(rows) == 0
	}
	if stale && now.Sub(k.tried) >= funcCatalogRetry {
		if err := k.load(ctx); err != nil {
			if k.log != nil && (k.lastErr == nil || k.lastErr.Error() != err.Error()) {
				k.log.Error("function catalog unreachable: statements that call functions are not read-only", "error", err)
			}
			k.lastErr = err
			k.procs = nil
		} else {
			k.lastErr = nil
		}
	}
	if k.procs == nil {
		return nil, false
	}
	return matching(k.procs[f.name], f.schema), true
}

// matching keeps the rows of schema, or all rows for an unqualified call:
// the session's search_path decides which one runs, so every candidate
// counts.
func matching(rows []procInfo, schema string) []procInfo {
	if schema == "" {
		return rows
	}
	var out []procInfo
	for _, r := range rows {
		if r.schema == schema {
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

// verdict judges the calls of one statement. volatile: some call may
// resolve to a volatile, untrusted, unknown or denied function (the most
// dangerous overload or schema wins). writes: the same, except for the
// harmless volatile built-ins; a statement with writes is not read-only.
func (k *funcCatalog) verdict(ctx context.Context, calls []funcName, depth int) (volatile, heavy, writes bool) {
	for _, f := range calls {
		if strings.HasPrefix(f.name, attrPrefix) {
			// t.f is a column unless a one-argument function f exists.
			if _, ok := k.lookup(ctx, funcName{name: opPrefix + "="}); !ok { // loads the catalog when stale
				volatile, writes = true, true
				continue
			}
			var rows []procInfo
			k.mu.Lock()
			for _, r := range k.procs[strings.TrimPrefix(f.name, attrPrefix)] {
				if r.oneArg {
					rows = append(rows, r)
				}
			}
			k.mu.Unlock()
			if len(rows) == 0 {
				continue
			}
			f = funcName{name: strings.TrimPrefix(f.name, attrPrefix)}
		}
		if strings.HasPrefix(f.name, relPrefix) {
			// A view runs its query, a table its row-level security
			// policies: both are classified like the statement itself.
			if _, ok := k.lookup(ctx, funcName{name: opPrefix + "="}); !ok { // loads the catalog when stale
				volatile, writes = true, true
				continue
			}
			k.mu.Lock()
			rows := matching(k.procs[f.name], f.schema)
			k.mu.Unlock()
			for _, r := range rows {
				if r.schema == "pg_catalog" || r.schema == "information_schema" {
					continue // system views: only a superuser can change them
				}
				v, h, w := k.definitionVerdict(ctx, r.fn, depth)
				volatile, heavy, writes = volatile || v, heavy || h, writes || w
			}
			continue
		}
		heavy = heavy || heavyFunctions[strings.ToLower(f.name)]
		if deniedFunction(f.name) {
			volatile, writes = true, true
			continue
		}
		rows, ok := k.lookup(ctx, f)
		if !ok {
			volatile, writes = true, true
			continue
		}
		if len(rows) == 0 {
			if k.log != nil {
				k.log.Warn("function not in the upstream catalog: statement not read-only", "function", f.String())
			}
			volatile, writes = true, true
			continue
		}
		for _, r := range rows {
			v, w := rowVerdict(r)
			volatile, writes = volatile || v, writes || w
		}
	}
	return volatile, heavy, writes
}

// maxViewDepth bounds views over views.
const maxViewDepth = 16

// definitionVerdict judges the SQL of a view or policy as a statement of
// its own: anything but a read-only SELECT makes the caller not read-only.
func (k *funcCatalog) definitionVerdict(ctx context.Context, def string, depth int) (volatile, heavy, writes bool) {
	if depth >= maxViewDepth {
		return true, false, true
	}
	k.mu.Lock()
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
	if k.defs == nil {
		k.defs = map[string][3]bool{}
	}
	k.defs[def] = [3]bool{volatile, heavy, writes}
	k.mu.Unlock()
	return volatile, heavy, writes
}

// rowVerdict judges one function a call may resolve to.
func rowVerdict(r procInfo) (volatile, writes bool) {
	switch {
	case !r.trusted():
		return true, true
	case r.volatile == 'i' || r.volatile == 's':
		return false, false
	case r.fnSchema == "pg_catalog" && (harmlessVolatile[r.fn] || readOnlyFunctions[r.fn]) && !deniedFunction(r.fn):
		return true, false
	}
	return true, true
}

// annotateFunctions replaces the static function verdict of each
// statement (and of a PREPARE's statement) with the catalog's.
func (k *funcCatalog) annotateFunctions(ctx context.Context, stmts []Statement) {
	for i := range stmts {
		st := &stmts[i]
		if len(st.calls) > 0 {
			var writes bool
			st.Volatile, st.Heavy, writes = k.verdict(ctx, st.calls, 0)
			st.ReadOnly = st.structRO && !writes
		}
		if st.Prepared != nil {
			p := []Statement{*st.Prepared}
			k.annotateFunctions(ctx, p)
			st.Prepared = &p[0]
		}
	}
}

// catalogClassifier applies an upstream's function catalog to what another
// Classifier found. Classifications are shared by every session and
// cached; the catalog pass runs after the cache, on a copy.
type catalogClassifier struct {
	inner Classifier
	cat   *funcCatalog
}

// withFunctionCatalog wraps cls so that functions are judged by the
// catalog of the upstream cfg connects to.
func withFunctionCatalog(cls Classifier, cfg *pgconn.Config, log hclog.Logger) Classifier {
	return &catalogClassifier{inner: cls, cat: funcCatalogFor(cfg, log)}
}

// Classify classifies sql with the inner classifier, then judges its
// functions from the catalog.
func (c *catalogClassifier) Classify(sql string) (*Classification, error) {
	cl, err := c.inner.Classify(sql)
	if err != nil || cl == nil {
		return cl, err
	}
	out := &Classification{Statements: append([]Statement(nil), cl.Statements...)}
	c.cat.annotateFunctions(context.Background(), out.Statements)
	return out, nil
}
