package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5/pgconn"
)

// funcCatalog is one upstream's pg_proc as pgsql.ProcCatalog: what the
// analyser judges functions by. It loads the whole catalog (a few thousand rows) on a short-lived connection of its
// own, reloads it when it is older than funcCatalogTTL, when procVersion
// changed (compared at most once per funcCatalogCheckEvery), and at most
// once per funcCatalogRetry when a statement calls a name it does not
// know.
type funcCatalog struct {
	cfg *pgconn.Config
	log hclog.Logger

	mu      sync.Mutex
	vpc     *pgconn.PgConn          // the connection changed reads procVersion on; nil until needed or after an error
	users   int                     // servers using the catalog; funcCatalogsMu is held
	procs   map[string][]pgsql.Proc // by exact name
	gen     atomic.Uint64           // counts loads
	loaded  time.Time
	tried   time.Time
	lastErr error
	version string    // procVersion when the rows were read
	checked time.Time // when procVersion was last compared
	// until is when refresh, not asked about a missing name, has nothing
	// to do (freshness.go); no fast path while procs is nil.
	until freshUntil
}

// funcCatalogTTL bounds how stale the catalog may be.
const funcCatalogTTL = time.Minute

// funcCatalogRetry bounds reloads caused by unknown names.
const funcCatalogRetry = time.Second

// funcCatalogCheckEvery is how often (at most) procVersion is compared
// while statements flow: an object made or changed outside the gateway (a
// domain's CHECK, an implicit cast, a view, a foreign partition) is judged
// at most this late, not a TTL late.
const funcCatalogCheckEvery = time.Second

// procVersion changes whenever a row procQuery reads may have changed:
// every change writes a new row version in one of these catalogs.
var procVersion = func() string {
	var parts []string
	for _, c := range []string{"pg_proc", "pg_namespace", "pg_language", "pg_operator", "pg_type", "pg_cast", "pg_constraint",
		"pg_attribute", "pg_class", "pg_rewrite", "pg_policy", "pg_amop", "pg_amproc", "pg_opclass", "pg_index", "pg_inherits",
		"pg_range", "pg_foreign_table", "pg_foreign_server", "pg_foreign_data_wrapper"} {
		parts = append(parts, "(SELECT count(*) || ':' || coalesce(sum(xmin::text::int8), 0) FROM pg_catalog."+c+")")
	}
	return "SELECT " + strings.Join(parts, " || '/' || ")
}()

var (
	funcCatalogsMu sync.Mutex
	funcCatalogs   = map[string]*funcCatalog{}
)

// funcCatalogFor returns the catalog of one connection target, shared by
// every server that connects there; each server releases it when it
// closes.
func funcCatalogFor(cfg *pgconn.Config, log hclog.Logger) *funcCatalog {
	key := fmt.Sprintf("%s:%d/%s/%s", cfg.Host, cfg.Port, cfg.Database, cfg.User)
	funcCatalogsMu.Lock()
	defer funcCatalogsMu.Unlock()
	k := funcCatalogs[key]
	if k == nil {
		k = &funcCatalog{cfg: cfg, log: log}
		funcCatalogs[key] = k
	}
	k.users++
	return k
}

// release ends one server's use of the catalog: once no server uses it,
// the connection its version checks keep is closed (the rows stay; a
// later check connects again).
func (k *funcCatalog) release() {
	funcCatalogsMu.Lock()
	k.users--
	last := k.users <= 0
	funcCatalogsMu.Unlock()
	if last {
		k.mu.Lock()
		k.closeVersionConn()
		k.mu.Unlock()
	}
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
SELECT 'cast:' || t.typname, tn.nspname, n.nspname, p.provolatile::text, l.lanname, 'false', p.proname
FROM (SELECT oid AS typ, unnest(ARRAY[typoutput, typreceive, typsend, typmodin, typmodout]::pg_catalog.oid[]) AS fn FROM pg_catalog.pg_type
  UNION SELECT castsource, castfunc FROM pg_catalog.pg_cast WHERE castcontext <> 'e' OR castsource >= 16384
  UNION SELECT amoplefttype, o.oprcode FROM pg_catalog.pg_amop JOIN pg_catalog.pg_operator o ON o.oid = amopopr WHERE amopfamily IN (SELECT opcfamily FROM pg_catalog.pg_opclass WHERE opcdefault)
  UNION SELECT amoprighttype, o.oprcode FROM pg_catalog.pg_amop JOIN pg_catalog.pg_operator o ON o.oid = amopopr WHERE amopfamily IN (SELECT opcfamily FROM pg_catalog.pg_opclass WHERE opcdefault)
  UNION SELECT amproclefttype, amproc FROM pg_catalog.pg_amproc WHERE amprocfamily IN (SELECT opcfamily FROM pg_catalog.pg_opclass WHERE opcdefault)
  UNION SELECT amprocrighttype, amproc FROM pg_catalog.pg_amproc WHERE amprocfamily IN (SELECT opcfamily FROM pg_catalog.pg_opclass WHERE opcdefault)) f
JOIN pg_catalog.pg_type t ON t.oid = f.typ
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
JOIN pg_catalog.pg_proc p ON p.oid = f.fn
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace AND n.nspname <> 'pg_catalog'
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
UNION ALL
SELECT 'cast:' || t.typname, tn.nspname, '', 'v', 'sql', 'false', 'SELECT ' || pg_catalog.pg_get_expr(c.conbin, 0)
FROM pg_catalog.pg_constraint c
JOIN pg_catalog.pg_type t ON t.oid = c.contypid
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
WHERE c.conbin IS NOT NULL
UNION ALL
SELECT 'cast:' || t.typname, tn.nspname, '', 'v', 'sql', 'false', 'SELECT NULL::' || pg_catalog.quote_ident(un.nspname) || '.' || pg_catalog.quote_ident(u.typname)
FROM (SELECT oid AS typ, typbasetype AS part FROM pg_catalog.pg_type
  UNION SELECT oid, typelem FROM pg_catalog.pg_type
  UNION SELECT t.oid, a.atttypid FROM pg_catalog.pg_type t JOIN pg_catalog.pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
  UNION SELECT rngtypid, rngsubtype FROM pg_catalog.pg_range) d
JOIN pg_catalog.pg_type t ON t.oid = d.typ
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
JOIN pg_catalog.pg_type u ON u.oid = d.part
JOIN pg_catalog.pg_namespace un ON un.oid = u.typnamespace AND un.nspname <> 'pg_catalog'
UNION ALL
SELECT DISTINCT 'rel:' || c.relname, n.nspname, '', 'v', 'sql', 'false', 'SELECT NULL::' || pg_catalog.quote_ident(un.nspname) || '.' || pg_catalog.quote_ident(u.typname)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type u ON u.oid = a.atttypid
JOIN pg_catalog.pg_namespace un ON un.oid = u.typnamespace AND un.nspname <> 'pg_catalog'
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
UNION ALL
SELECT DISTINCT 'rel:' || c.relname, n.nspname, pn.nspname, p.provolatile::text, l.lanname, 'false', p.proname
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_opclass oc ON oc.oid = ANY (i.indclass::pg_catalog.oid[])
JOIN (SELECT amprocfamily AS fam, amproc AS fn FROM pg_catalog.pg_amproc
  UNION SELECT amopfamily, o.oprcode FROM pg_catalog.pg_amop JOIN pg_catalog.pg_operator o ON o.oid = amopopr) f ON f.fam = oc.opcfamily
JOIN pg_catalog.pg_proc p ON p.oid = f.fn
JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace AND pn.nspname <> 'pg_catalog'
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
UNION ALL
SELECT DISTINCT 'cast:*', 'pg_catalog', n.nspname, p.provolatile::text, l.lanname, 'false', p.proname
FROM (SELECT castsource AS a, casttarget AS b, castfunc AS fn FROM pg_catalog.pg_cast WHERE castcontext <> 'e'
  UNION SELECT amproclefttype, amprocrighttype, amproc FROM pg_catalog.pg_amproc WHERE amprocfamily IN (SELECT opcfamily FROM pg_catalog.pg_opclass WHERE opcdefault)
  UNION SELECT amoplefttype, amoprighttype, o.oprcode FROM pg_catalog.pg_amop JOIN pg_catalog.pg_operator o ON o.oid = amopopr WHERE amopfamily IN (SELECT opcfamily FROM pg_catalog.pg_opclass WHERE opcdefault)) f
JOIN pg_catalog.pg_type ta ON ta.oid = f.a AND ta.typnamespace = 'pg_catalog'::pg_catalog.regnamespace
JOIN pg_catalog.pg_type tb ON tb.oid = f.b AND tb.typnamespace = 'pg_catalog'::pg_catalog.regnamespace
JOIN pg_catalog.pg_proc p ON p.oid = f.fn
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace AND n.nspname <> 'pg_catalog'
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
UNION ALL
SELECT 'rel:' || p.relname, pn.nspname, '', 'v', 'sql', 'false',
  'SELECT 1 FROM ' || pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(c.relname)
FROM pg_catalog.pg_inherits i
JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid AND c.relkind IN ('r', 'p', 'f')
JOIN pg_catalog.pg_namespace cn ON cn.oid = c.relnamespace
UNION ALL
SELECT 'rel:' || c.relname, n.nspname, hn.nspname, p.provolatile::text, l.lanname, 'false', p.proname
FROM pg_catalog.pg_foreign_table ft
JOIN pg_catalog.pg_class c ON c.oid = ft.ftrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_foreign_server s ON s.oid = ft.ftserver
JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
JOIN pg_catalog.pg_proc p ON p.oid = w.fdwhandler
JOIN pg_catalog.pg_namespace hn ON hn.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
UNION ALL
SELECT 'oid:' || t.oid, tn.nspname, '', 'v', 'sql', 'false',
  'SELECT NULL::' || pg_catalog.quote_ident(tn.nspname) || '.' || pg_catalog.quote_ident(t.typname)
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
WHERE t.oid >= 16384
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
	pc, err := pgconn.ConnectConfig(ctx, catalogConnConfig(k.cfg))
	if err != nil {
		return fmt.Errorf("postgres: function catalog connection: %w", err)
	}
	defer func() { _ = pc.Close(context.Background()) }()
	// The version first: a change made while the rows are read shows at
	// the next comparison.
	version, err := readProcVersion(ctx, pc)
	if err != nil {
		return err
	}
	res := pc.ExecParams(ctx, procQuery, nil, nil, nil, nil).Read()
	if res.Err != nil {
		return fmt.Errorf("postgres: function catalog query: %w", res.Err)
	}
	procs := make(map[string][]pgsql.Proc, len(res.Rows))
	for _, r := range res.Rows {
		if len(r) != 7 || len(r[3]) != 1 {
			return fmt.Errorf("postgres: function catalog: unexpected row")
		}
		name := string(r[0])
		procs[name] = append(procs[name], pgsql.Proc{Schema: string(r[1]), FnSchema: string(r[2]),
			Volatile: r[3][0], Lang: string(r[4]), OneArg: string(r[5]) == "true", Fn: string(r[6])})
	}
	k.procs, k.loaded, k.version, k.checked = procs, time.Now(), version, time.Now()
	k.gen.Add(1)
	return nil
}

// readProcVersion reads procVersion on pc.
func readProcVersion(ctx context.Context, pc *pgconn.PgConn) (string, error) {
	res := pc.ExecParams(ctx, procVersion, nil, nil, nil, nil).Read()
	if res.Err != nil {
		return "", fmt.Errorf("postgres: function catalog version: %w", res.Err)
	}
	if len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
		return "", fmt.Errorf("postgres: function catalog version: unexpected result")
	}
	return string(res.Rows[0][0]), nil
}

// changed reports whether procVersion differs from the loaded rows'
// version, or cannot be read; the caller holds k.mu. It reads on one
// connection kept from check to check (a new one each second was a
// backend started and authenticated each second under load): the query
// sets nothing in the session and runs in a transaction of its own, so
// it reads what a new connection would. A connection that cannot be made
// or fails is reported as a change and dropped: the next check connects
// again.
func (k *funcCatalog) changed(ctx context.Context) bool {
	k.checked = time.Now()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if k.vpc == nil {
		pc, err := pgconn.ConnectConfig(ctx, catalogConnConfig(k.cfg))
		if err != nil {
			return true
		}
		k.vpc = pc
	}
	v, err := readProcVersion(ctx, k.vpc)
	if err != nil {
		k.closeVersionConn()
		return true
	}
	return v != k.version
}

// closeVersionConn closes the connection changed keeps, if any; the
// caller holds k.mu.
func (k *funcCatalog) closeVersionConn() {
	if k.vpc == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	_ = k.vpc.Close(ctx)
	cancel()
	k.vpc = nil
}

// Procs returns the rows called name (of schema, when given); ok is false
// when the catalog cannot be read. A catalog older than funcCatalogTTL is
// reloaded, and with reload a name it does not list reloads it too, at
// most once per funcCatalogRetry.
func (k *funcCatalog) Procs(ctx context.Context, schema, name string, reload bool) (rows []pgsql.Proc, ok bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	missing := false
	if reload && k.procs != nil {
		rows = pgsql.MatchingProcs(k.procs[name], schema)
		missing = len(rows) == 0
	}
	k.refresh(ctx, missing)
	if k.procs == nil {
		return nil, false
	}
	rows = pgsql.MatchingProcs(k.procs[name], schema)
	if reload && len(rows) == 0 && k.log != nil {
		f := name
		if schema != "" {
			f = schema + "." + name
		}
		k.log.Warn("function not in the upstream catalog: statement not read-only", "function", f)
	}
	return rows, true
}

// refresh reloads the catalog when it was never loaded, is older than
// funcCatalogTTL, or missing (a name it does not list) and the retry
// bound allows, and, at most once per funcCatalogCheckEvery, when
// procVersion changed; the caller holds k.mu.
func (k *funcCatalog) refresh(ctx context.Context, missing bool) {
	if !missing && k.until.fresh() {
		return
	}
	defer k.publish()
	now := time.Now()
	stale := k.procs == nil || now.Sub(k.loaded) > funcCatalogTTL || missing
	forced := false
	if !stale && now.Sub(k.checked) >= funcCatalogCheckEvery && k.changed(ctx) {
		// Changed (or unreadable): reload now, whatever the retry bound.
		stale, forced = true, true
	}
	if stale && (forced || now.Sub(k.tried) >= funcCatalogRetry) {
		if err := k.load(ctx); err != nil {
			if k.log != nil && (k.lastErr == nil || k.lastErr.Error() != err.Error()) {
				k.log.Error("function catalog unreachable: statements that call functions are not read-only", "error", err)
			}
			k.lastErr = err
			k.procs = nil
			k.gen.Add(1)
		} else {
			k.lastErr = nil
		}
	}
}

// publish sets the bound of refresh's fast path from what it just did;
// the caller holds k.mu.
func (k *funcCatalog) publish() {
	if k.procs == nil {
		k.until.clear()
		return
	}
	k.until.set(k.loaded, funcCatalogTTL, k.checked, funcCatalogCheckEvery)
}

// Current brings the catalog up to date as Procs does (a version check
// at most once per funcCatalogCheckEvery) and returns its generation: a
// verdict judged under another generation is stale. When refresh would
// find nothing to do it returns without the mutex.
func (k *funcCatalog) Current(ctx context.Context) uint64 {
	if k.until.fresh() {
		return k.gen.Load()
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.refresh(ctx, false)
	return k.gen.Load()
}

// Generation counts the loads (and failed loads) of the catalog.
func (k *funcCatalog) Generation() uint64 { return k.gen.Load() }
