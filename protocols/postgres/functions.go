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

// Functions are judged by the upstream's own catalog when it can be read:
// a built-in of pg_catalog that the catalog marks immutable or stable is
// read-only unless the deny-list below names it; a volatile built-in is
// read-only only when it is in the harmless list (random, clock_timestamp,
// pg_sleep, ...). Any function outside pg_catalog is not read-only: its
// volatility is what its author declared, and a STABLE function may still
// call set_config or dblink_exec. A function the catalog does not know is
// not read-only. Without a catalog (it cannot be reached, or the classifier
// is used alone) a built-in list decides, more narrowly.

// deniedFunctions are built-ins that are never read-only, whatever their
// volatility: they write files or large objects, change settings, reach
// other servers, signal backends, take locks, assign transaction ids, or run
// query text the gate cannot see (the *_to_xml family, which would also
// bypass column masks).
var deniedFunctions = map[string]bool{}

// deniedPrefixes extend deniedFunctions to families.
var deniedPrefixes = []string{"pg_read_", "pg_ls_", "lo_", "dblink", "pg_advisory", "pg_try_advisory", "pg_create_",
	"pg_drop_", "pg_replication_", "pg_logical_", "pg_file_", "pg_import_", "pg_rotate_logfile", "pg_stat_reset"}

// harmlessVolatile are volatile built-ins with no effect beyond their result.
var harmlessVolatile = map[string]bool{}

// heavyFunctions cost the server time or memory in proportion to an
// argument the client chooses.
var heavyFunctions = map[string]bool{}

func init() {
	for _, f := range strings.Fields(`set_config pg_stat_file pg_notify pg_terminate_backend pg_cancel_backend
		pg_reload_conf pg_switch_wal pg_promote pg_export_snapshot setval nextval setseed ts_stat
		txid_current pg_current_xact_id query_to_xml query_to_xmlschema query_to_xml_and_xmlschema
		table_to_xml table_to_xmlschema table_to_xml_and_xmlschema cursor_to_xml cursor_to_xmlschema
		schema_to_xml schema_to_xmlschema schema_to_xml_and_xmlschema database_to_xml database_to_xmlschema
		database_to_xml_and_xmlschema pg_backup_start pg_backup_stop pg_wal_replay_pause pg_wal_replay_resume
		pg_log_backend_memory_contexts pg_sequence_last_value`) {
		deniedFunctions[f] = true
	}
	for _, f := range strings.Fields(`random random_normal clock_timestamp timeofday gen_random_uuid
		pg_sleep pg_sleep_for pg_sleep_until pg_database_size pg_tablespace_size pg_relation_size
		pg_table_size pg_indexes_size pg_total_relation_size pg_is_in_recovery`) {
		harmlessVolatile[f] = true
	}
	for _, f := range strings.Fields(`pg_sleep pg_sleep_for pg_sleep_until generate_series generate_subscripts
		repeat lpad rpad array_fill string_agg array_agg crypt gen_salt pg_read_binary_file`) {
		heavyFunctions[f] = true
	}
}

// baseName is a function's name without its schema, and its schema ("" when
// unqualified).
func baseName(f string) (schema, name string) {
	if i := strings.LastIndexByte(f, '.'); i >= 0 {
		return f[:i], f[i+1:]
	}
	return "", f
}

func denied(name string) bool {
	if deniedFunctions[name] {
		return true
	}
	for _, p := range deniedPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func anyHeavy(functions []string) bool {
	for _, f := range functions {
		if _, n := baseName(f); heavyFunctions[n] {
			return true
		}
	}
	return false
}

// funcVerdict is what the catalog says of every function of one name,
// overloads and schemas merged (the most dangerous wins).
type funcVerdict struct {
	builtin  bool // some overload lives in pg_catalog
	volatile bool // some overload (in any schema) is volatile
	foreign  bool // some overload lives outside pg_catalog
}

// functionCatalog judges the functions of one upstream from its pg_proc,
// loaded on first use, refreshed every Refresh, and reloaded (at most every
// few seconds) when a statement names a function it does not know.
type functionCatalog struct {
	// Upstream is the server whose catalog is read (with the gateway's
	// credentials).
	Upstream *pgconn.Config
	// Refresh is how long a loaded catalog is trusted (default 5m).
	Refresh time.Duration
	// Logger reports load failures; nil means silence.
	Logger hclog.Logger

	mu       sync.Mutex
	byName   map[string]funcVerdict // "name" and "schema.name"
	loadedAt time.Time
	triedAt  time.Time
}

var catalogs sync.Map // upstream key -> *functionCatalog

// functionCatalogFor returns the shared catalog of an upstream.
func functionCatalogFor(cfg *pgconn.Config, log hclog.Logger) *functionCatalog {
	key := fmt.Sprintf("%s:%d/%s@%s", cfg.Host, cfg.Port, cfg.Database, cfg.User)
	if c, ok := catalogs.Load(key); ok {
		return c.(*functionCatalog)
	}
	c, _ := catalogs.LoadOrStore(key, &functionCatalog{Upstream: cfg, Logger: log})
	return c.(*functionCatalog)
}

const retryUnknownAfter = 5 * time.Second

// verdicts returns the loaded verdicts, loading or refreshing them first
// when due; nil when the catalog cannot be read.
func (fc *functionCatalog) verdicts(ctx context.Context, unknown bool) map[string]funcVerdict {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	refresh := fc.Refresh
	if refresh <= 0 {
		refresh = 5 * time.Minute
	}
	now := time.Now()
	due := fc.byName == nil || now.Sub(fc.loadedAt) > refresh || unknown
	if due && now.Sub(fc.triedAt) >= retryUnknownAfter {
		fc.triedAt = now
		m, err := loadFunctions(ctx, fc.Upstream)
		if err != nil {
			if fc.Logger != nil {
				fc.Logger.Warn("function catalog unreadable; judging functions by the built-in list", "error", err)
			}
		} else {
			fc.byName, fc.loadedAt = m, now
		}
	}
	return fc.byName
}

func loadFunctions(ctx context.Context, cfg *pgconn.Config) (map[string]funcVerdict, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgconn.ConnectConfig(ctx, cfg.Copy())
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	res := conn.ExecParams(ctx, `SELECT n.nspname, p.proname, p.provolatile::text
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace`, nil, nil, nil, nil)
	m := make(map[string]funcVerdict, 4096)
	add := func(key string, builtin, volatile bool) {
		v := m[key]
		v.builtin = v.builtin || builtin
		v.foreign = v.foreign || !builtin
		v.volatile = v.volatile || volatile
		m[key] = v
	}
	for res.NextRow() {
		vals := res.Values()
		schema, name := strings.ToLower(string(vals[0])), strings.ToLower(string(vals[1]))
		builtin, volatile := schema == "pg_catalog", string(vals[2]) == "v"
		add(name, builtin, volatile)
		add(schema+"."+name, builtin, volatile)
	}
	if _, err := res.Close(); err != nil {
		return nil, err
	}
	return m, nil
}

// readOnly judges one function by the catalog; known is false when the
// catalog has no function of that name.
func readOnlyBy(m map[string]funcVerdict, f string) (readOnly, volatile, known bool) {
	schema, name := baseName(f)
	v, ok := m[f]
	if !ok {
		return false, true, false
	}
	if schema != "" && schema != "pg_catalog" {
		return false, true, true
	}
	if v.foreign || !v.builtin {
		// Another schema holds a function of the same name: which one runs
		// depends on search_path and argument types.
		return false, true, true
	}
	if denied(name) {
		return false, v.volatile, true
	}
	if v.volatile {
		return harmlessVolatile[name], true, true
	}
	return true, false, true
}

// annotate judges the functions of stmts by the catalog: it sets Volatile,
// and for statements whose read-only verdict rested on their functions, sets
// ReadOnly from the structural verdict and the catalog's. When the catalog
// cannot be read, the verdicts of the built-in list stand.
func (fc *functionCatalog) annotate(ctx context.Context, stmts []Statement) {
	var m map[string]funcVerdict
	for i := range stmts {
		if len(stmts[i].Functions) == 0 && stmts[i].Prepared == nil {
			continue
		}
		if m == nil {
			m = fc.verdicts(ctx, false)
			if m == nil {
				return
			}
			if fc.anyUnknown(m, stmts) {
				if m2 := fc.verdicts(ctx, true); m2 != nil {
					m = m2
				}
			}
		}
		annotateOne(m, &stmts[i])
		if p := stmts[i].Prepared; p != nil {
			cp := *p
			annotateOne(m, &cp)
			stmts[i].Prepared = &cp
		}
	}
}

func (fc *functionCatalog) anyUnknown(m map[string]funcVerdict, stmts []Statement) bool {
	for _, st := range stmts {
		for _, f := range st.Functions {
			if _, ok := m[f]; !ok {
				return true
			}
		}
	}
	return false
}

func annotateOne(m map[string]funcVerdict, st *Statement) {
	all := true
	volatile := false
	for _, f := range st.Functions {
		ro, vol, _ := readOnlyBy(m, f)
		all = all && ro
		volatile = volatile || vol
	}
	st.Volatile = volatile
	if st.fnGated {
		st.ReadOnly = st.structReadOnly && all
	}
}

// catalogClassifier judges functions by the upstream's catalog after the
// inner classifier (and its cache) has classified the text, so cached
// classifications stay the same for every upstream.
type catalogClassifier struct {
	inner   Classifier
	catalog *functionCatalog
}

// withFunctionCatalog wraps cls so that functions are judged by upstream's
// catalog.
func withFunctionCatalog(cls Classifier, upstream *pgconn.Config, log hclog.Logger) Classifier {
	if upstream == nil {
		return cls
	}
	return &catalogClassifier{inner: cls, catalog: functionCatalogFor(upstream, log)}
}

// Classify implements Classifier.
func (c *catalogClassifier) Classify(sql string) (*Classification, error) {
	cl, err := c.inner.Classify(sql)
	if err != nil || cl == nil {
		return cl, err
	}
	out := &Classification{Statements: append([]Statement(nil), cl.Statements...)}
	c.catalog.annotate(context.Background(), out.Statements)
	return out, nil
}
