package postgres

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
)

// DefaultGuardedTables are the tables Airlock's own PostgreSQL stores
// keep: approval/pgapproval's reviews and grants, gate/pgrules' rule sets,
// gate/pgruns' runs, and record/pgsink's record and anchor under their
// default names. A Server guards them (and Config.GuardedTables) in its
// upstream database whatever the rules say.
var DefaultGuardedTables = []string{
	"airlock_reviews", "airlock_grants",
	"airlock_rule_sets",
	"airlock_runs", "airlock_run_counters", "airlock_run_identities", "airlock_run_labels",
	"airlock_record", "airlock_anchor",
}

// selfGuard keeps a client from changing the gateway's own state when it
// lives in the database the client reaches: with rules that allow writes
// in general, a client could otherwise approve its own held request, reset
// a grant's uses, replace the rule set or rewrite the record. In a
// database that holds one of the guarded tables (learned from the
// catalog, with their OIDs, so a rename is followed), every statement
// that is not read-only is refused when it may reach one of them: it
// names a guarded relation (or one that reaches them: see guardQuery) in
// any role, acts on their schema as a whole or on objects it does not
// name, runs code the gateway cannot see (DO, CALL, a function that may
// write, CREATE FUNCTION, TRIGGER or RULE), or is DDL while an event
// trigger may run code on it. Read-only statements are left to the rules.
// In a database without guarded tables it does nothing.
type selfGuard struct {
	cat     *catalog
	names   []string
	reach   bool // judge code that may reach past the database (reachguard.go)
	cluster bool // judge code that may change a database or role (clusterguard.go)

	mu      sync.Mutex
	oids    map[uint32]bool // every guarded table seen, kept across renames
	set     *guardSet
	loaded  time.Time
	checked time.Time
	version string
}

// guardCheckEvery is how often (at most) the catalog's version is read
// while writes flow: a link to a guarded table made outside the gateway
// (a trigger, a view) is seen at most this late. Through the gateway, no
// such link can be made once the tables exist: every way names a guarded
// relation or runs unseen code.
const guardCheckEvery = time.Second

// guardTTL bounds how long a set is kept, version or not.
const guardTTL = 5 * time.Minute

func newSelfGuard(cat *catalog, extra []string, reach, cluster bool) *selfGuard {
	g := &selfGuard{cat: cat, oids: map[uint32]bool{}, reach: reach, cluster: cluster}
	for _, n := range append(append([]string(nil), DefaultGuardedTables...), extra...) {
		if n = guardedName(n); n != "" {
			g.names = append(g.names, n)
		}
	}
	return g
}

// guardedName is the relation name of a configured table: the last part
// of a possibly schema-qualified, possibly quoted name.
func guardedName(n string) string {
	n = strings.TrimSpace(n)
	if i := strings.LastIndexByte(n, '.'); i >= 0 {
		n = n[i+1:]
	}
	return strings.Trim(n, `"`)
}

// current returns the guard set, reading the catalog again when it may
// have changed.
func (g *selfGuard) current(ctx context.Context) (*guardSet, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.set != nil && time.Since(g.loaded) < guardTTL && time.Since(g.checked) < guardCheckEvery {
		return g.set, nil
	}
	v, err := g.cat.guardCatalogVersion(ctx)
	if err != nil {
		return nil, err
	}
	g.checked = time.Now()
	if g.set != nil && v != "" && v == g.version && time.Since(g.loaded) < guardTTL {
		return g.set, nil
	}
	set, err := g.cat.guardRows(ctx, g.names, g.oids, g.reach, g.cluster)
	if err != nil {
		return nil, err
	}
	for o := range set.own {
		g.oids[o] = true
	}
	g.set, g.version, g.loaded = set, v, time.Now()
	return set, nil
}

// judge returns why stmts may not run, or "" when they may (as far as the
// guard is concerned: the rules judge them next), and the check that
// refuses them: "self", "reach" where no gateway table is but code may
// reach past the database (reachguard.go), or "cluster" where code may
// change a database or role (clusterguard.go).
func (g *selfGuard) judge(ctx context.Context, stmts []pgsql.Statement) (why, check string) {
	writes := false
	for i := range stmts {
		writes = writes || !stmts[i].ReadOnly
	}
	if !writes {
		return "", ""
	}
	set, err := g.current(ctx)
	if err != nil {
		return "the catalog could not be read to learn where the gateway's own tables are", "self"
	}
	return set.judge(stmts)
}

// judge is selfGuard.judge under set.
func (set *guardSet) judge(stmts []pgsql.Statement) (why, check string) {
	seen := map[string]*pgsql.Mentions{}
	for i := range stmts {
		st := &stmts[i]
		if st.ReadOnly {
			continue
		}
		if !set.active {
			// A table made here under a store's name would be what
			// the store finds should it migrate here later.
			if why := set.judgeNames(st, seen); why != "" {
				return why, "self"
			}
			if set.reach == "" && set.cluster == "" {
				continue
			}
		}
		if why := set.judgeStatement(st, i+1 < len(stmts) && stmts[i+1].Nested, seen); why != "" {
			switch {
			case set.active:
				return why, "self"
			case set.reach != "":
				return why, "reach"
			}
			return why, "cluster"
		}
	}
	return "", ""
}

// judgeNames returns why a write statement in a database without the
// gateway's tables may not run: it names one of their configured names
// (in any role: CREATE TABLE, a rename's new name, COMMENT ON ...). It
// reads the statement again only when its text may hold such a name
// (the name in any case, or a U&"..." identifier).
func (set *guardSet) judgeNames(st *pgsql.Statement, seen map[string]*pgsql.Mentions) string {
	if len(set.configured) == 0 {
		return ""
	}
	low := strings.ToLower(st.Text)
	hit := strings.Contains(low, "u&")
	for n := range set.configured {
		hit = hit || strings.Contains(low, n)
	}
	if !hit {
		return ""
	}
	m, err := mentionsOf(st.Text, seen)
	if err != nil {
		return "the statement could not be read again to check for the gateway's own table names"
	}
	for _, n := range m.Names {
		if set.configured[strings.ToLower(n)] {
			return "the statement names " + quoteIdent(n) + ", a table name of the gateway's own stores: " +
				"a relation made or changed under it is what a store would use"
		}
	}
	return ""
}

// mentionsOf returns pgsql.MentionsOf(text), kept in seen.
func mentionsOf(text string, seen map[string]*pgsql.Mentions) (*pgsql.Mentions, error) {
	if m, ok := seen[text]; ok {
		return m, nil
	}
	m, err := pgsql.MentionsOf(text)
	if err != nil {
		return nil, err
	}
	seen[text] = m
	return m, nil
}

// judgeStatement judges one statement that is not read-only; runs is set
// when the statements it runs (an EXECUTE's) follow it.
func (set *guardSet) judgeStatement(st *pgsql.Statement, runs bool, seen map[string]*pgsql.Mentions) string {
	tables := "the gateway's own tables"
	switch {
	case set.active:
	case set.reach != "":
		// No gateway table here: what the code may do is reach past
		// the database (reachguard.go).
		tables = "another database through a server-side connection (" + set.reach +
			"); server-side reach is refused unless the gateway is configured to allow it"
	default:
		// Or change another database or a role (clusterguard.go).
		tables = "or change a database or role of the server (" + set.cluster +
			"); database and role changes are refused unless the gateway is configured to allow them"
	}
	switch {
	case st.ExecuteName != "" && !runs:
		return "EXECUTE of a statement the gateway does not know may write " + tables
	case st.ExecuteName == "" && st.Opaque:
		return st.Kind + " runs code the gateway cannot see, which may write " + tables
	case !set.active && !set.reachCode:
		// Only code a statement carries may reach (reachQuery).
		return ""
	case st.CallsWrite:
		return "a function, operator or type the statement calls may write " + tables
	case strings.TrimSpace(st.Text) == "":
		return "a statement whose text the gateway does not hold may write " + tables
	}
	for _, t := range st.Tables {
		if t.Access == "write" && (strings.EqualFold(t.Schema, "pg_catalog") || strings.HasPrefix(strings.ToLower(t.Name), "pg_")) {
			return "a write to a system catalog may reach " + tables
		}
	}
	m, err := mentionsOf(st.Text, seen)
	if err != nil {
		return "the statement could not be read again to check " + tables
	}
	if m.Global {
		return st.Kind + " acts on objects it does not name, which may be " + tables
	}
	for _, n := range m.Names {
		if set.names[strings.ToLower(n)] {
			return "the statement names " + quoteIdent(n) + ", which is or reaches " + tables
		}
	}
	for _, s := range m.Schemas {
		if set.schemas[strings.ToLower(s)] {
			return "the statement acts on schema " + quoteIdent(s) + ", which holds " + tables
		}
	}
	if set.eventTriggers && eventTriggered(st.Kind) {
		return "an event trigger may run code the gateway cannot see on " + st.Kind + ", which may write " + tables
	}
	return ""
}

// eventTriggered reports whether an event trigger fires on a statement of
// kind (ddl_command_start: CREATE, ALTER, DROP, GRANT, REVOKE, COMMENT,
// SECURITY LABEL, REFRESH MATERIALIZED VIEW, IMPORT FOREIGN SCHEMA;
// table_rewrite; and SELECT INTO).
func eventTriggered(kind string) bool {
	for _, p := range []string{"CREATE", "ALTER", "DROP", "GRANT", "REVOKE", "COMMENT", "SECURITY", "REFRESH", "IMPORT", "SELECT"} {
		if strings.HasPrefix(kind, p) {
			return true
		}
	}
	return false
}

// quoteIdent quotes n as an identifier, for messages.
func quoteIdent(n string) string {
	return `"` + strings.ReplaceAll(n, `"`, `""`) + `"`
}
