package postgres

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
)

// guardSet is what the self guard learned from the upstream's catalog:
// where the gateway's own tables are, and every relation a write to
// which may reach them.
type guardSet struct {
	// active is set when the database holds one of the gateway's tables;
	// otherwise the guard lets everything through to the rules.
	active bool
	// own are the OIDs of the gateway's tables (by name or remembered).
	own map[uint32]bool
	// names holds every guarded relation name (lower case): the
	// gateway's tables, and the relations a write to which may reach
	// them or run code the gateway cannot see.
	names map[string]bool
	// schemas holds the schemas of the gateway's tables (lower case).
	schemas map[string]bool
	// eventTriggers is set when an enabled event trigger runs code on DDL.
	eventTriggers bool
	// reach says why code the gateway cannot see may open a server-side
	// connection, run a server program or write a server file (see
	// reachQuery), or is empty: then, with no gateway table here, the
	// guard lets everything through to the rules.
	reach string
	// reachCode is set when code already in the database may reach (not
	// only code a statement carries).
	reachCode bool
	// cluster says why code the gateway cannot see may change another
	// database or a role (clusterQuery), or is empty.
	cluster string
	// configured are the gateway's table names (lower case), guarded
	// in every database: a relation made under one is what a store
	// migrating there later would use.
	configured map[string]bool
}

// guardVersion changes whenever a row guardQuery reads may have changed.
var guardVersion = func() string {
	var parts []string
	for _, c := range []string{"pg_class", "pg_namespace", "pg_inherits", "pg_constraint", "pg_rewrite", "pg_trigger",
		"pg_attrdef", "pg_index", "pg_event_trigger", "pg_proc",
		"pg_extension", "pg_foreign_data_wrapper", "pg_foreign_server", "pg_language", "pg_auth_members", "pg_database"} {
		parts = append(parts, "(SELECT count(*) || ':' || coalesce(sum(xmin::text::int8), 0) FROM pg_catalog."+c+")")
	}
	return "SELECT " + strings.Join(parts, " || '/' || ")
}()

// guardQuery lists the gateway's own relations (named $1, a JSON array,
// or with an OID of $2, a JSON array: renames are followed) as "own", and
// every relation whose write may reach them, or run code the gateway
// cannot see, as "reach" (only when the database holds one of the
// gateway's relations, or when code may reach past the database:
// reachQuery). Reaching (edges), from a
// relation r already guarded: r's inheritance parents and children (a
// write to either is a write to the other's rows), every table that
// references r or that r references by a foreign key (cascades; key
// locks), every relation with a rule whose query names r (an updatable
// view, an INSTEAD rule), r's indexes (a constraint's too), owned
// sequences and TOAST, and
// every table whose column default names r (nextval of its sequence).
// Code the gateway cannot see: a user trigger, a rule other than a
// view's SELECT, a foreign table, and a default, CHECK constraint or
// index expression calling a function outside pg_catalog. Edges are
// followed between relations made in the database (OIDs from
// FirstNormalObjectId, 16384): the system catalogs and
// information_schema are not written through the gateway's statements
// (a write to a system catalog is refused by name). Enabled event
// triggers are listed as "event", reasons code may reach past the database
// (reachQuery, as "capable") as "capable".
var guardQuery = `WITH RECURSIVE
capable(kind, why) AS (` + reachQuery + `),
cluster(why) AS (` + clusterQuery + `),
own AS (
	SELECT c.oid FROM pg_catalog.pg_class c
	WHERE c.relname IN (SELECT pg_catalog.json_array_elements_text($1::json))
	   OR c.oid IN (SELECT pg_catalog.json_array_elements_text($2::json)::oid)
),
unseen AS (
	SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relkind = 'f'
	UNION SELECT t.tgrelid FROM pg_catalog.pg_trigger t WHERE NOT t.tgisinternal
	UNION SELECT r.ev_class FROM pg_catalog.pg_rewrite r WHERE r.ev_type <> '1'
	UNION SELECT ad.adrelid FROM pg_catalog.pg_attrdef ad
		JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_attrdef'::regclass AND d.objid = ad.oid
		JOIN pg_catalog.pg_proc p ON d.refclassid = 'pg_catalog.pg_proc'::regclass AND p.oid = d.refobjid
		WHERE p.pronamespace <> 'pg_catalog'::regnamespace
	UNION SELECT co.conrelid FROM pg_catalog.pg_constraint co
		JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_constraint'::regclass AND d.objid = co.oid
		JOIN pg_catalog.pg_proc p ON d.refclassid = 'pg_catalog.pg_proc'::regclass AND p.oid = d.refobjid
		WHERE co.conrelid <> 0 AND p.pronamespace <> 'pg_catalog'::regnamespace
	UNION SELECT i.indrelid FROM pg_catalog.pg_index i
		JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = i.indexrelid
		JOIN pg_catalog.pg_proc p ON d.refclassid = 'pg_catalog.pg_proc'::regclass AND p.oid = d.refobjid
		WHERE p.pronamespace <> 'pg_catalog'::regnamespace
),
edges(a, b) AS MATERIALIZED (
	SELECT i.inhparent, i.inhrelid FROM pg_catalog.pg_inherits i
	UNION ALL SELECT i.inhrelid, i.inhparent FROM pg_catalog.pg_inherits i
	UNION ALL SELECT co.confrelid, co.conrelid FROM pg_catalog.pg_constraint co WHERE co.contype = 'f'
	UNION ALL SELECT co.conrelid, co.confrelid FROM pg_catalog.pg_constraint co WHERE co.contype = 'f'
	UNION ALL SELECT d.refobjid, w.ev_class FROM pg_catalog.pg_depend d
		JOIN pg_catalog.pg_rewrite w ON w.oid = d.objid
		WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass
		AND d.refobjid >= 16384
	UNION ALL SELECT d.refobjid, d.objid FROM pg_catalog.pg_depend d
		WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass
		AND d.deptype IN ('a', 'i') AND d.refobjid >= 16384
	UNION ALL SELECT i.indrelid, i.indexrelid FROM pg_catalog.pg_index i WHERE i.indrelid >= 16384
	UNION ALL SELECT d.refobjid, ad.adrelid FROM pg_catalog.pg_depend d
		JOIN pg_catalog.pg_attrdef ad ON ad.oid = d.objid
		WHERE d.classid = 'pg_catalog.pg_attrdef'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass
		AND d.refobjid >= 16384
),
reach(oid) AS (
	SELECT oid FROM own
	UNION SELECT oid FROM unseen WHERE EXISTS (SELECT 1 FROM own) OR EXISTS (SELECT 1 FROM capable)
	UNION SELECT e.b FROM reach r JOIN edges e ON e.a = r.oid
)
SELECT 'own', c.oid::text, c.relname, n.nspname FROM own o
	JOIN pg_catalog.pg_class c ON c.oid = o.oid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
UNION ALL
SELECT 'reach', c.oid::text, c.relname, '' FROM reach r JOIN pg_catalog.pg_class c ON c.oid = r.oid
UNION ALL
SELECT 'event', '0', e.evtname, '' FROM pg_catalog.pg_event_trigger e
	WHERE e.evtenabled <> 'D' AND (EXISTS (SELECT 1 FROM own) OR EXISTS (SELECT 1 FROM capable))
UNION ALL
SELECT 'capable', c.kind, c.why, '' FROM capable c
UNION ALL
SELECT 'cluster', '0', c.why, '' FROM cluster c`

// guardRows reads the guard's set from the catalog: names are the
// gateway's table names, oids those of tables learned before.
func (k *catalog) guardRows(ctx context.Context, names []string, oids map[uint32]bool, reach, cluster bool) (*guardSet, error) {
	ids := make([]string, 0, len(oids))
	for o := range oids {
		ids = append(ids, strconv.FormatUint(uint64(o), 10))
	}
	nj, _ := json.Marshal(names)
	oj, _ := json.Marshal(ids)
	k.mu.Lock()
	rows, err := k.query(ctx, guardQuery, string(nj), string(oj), strconv.FormatBool(reach), strconv.FormatBool(cluster))
	k.mu.Unlock()
	if err != nil {
		return nil, err
	}
	set := &guardSet{own: map[uint32]bool{}, names: map[string]bool{}, schemas: map[string]bool{}, configured: map[string]bool{}}
	for _, n := range names {
		set.configured[strings.ToLower(n)] = true
	}
	for _, r := range rows {
		if len(r) != 4 {
			continue
		}
		switch r[0] {
		case "own":
			oid, _ := strconv.ParseUint(r[1], 10, 32)
			set.own[uint32(oid)] = true
			set.active = true
			set.names[strings.ToLower(r[2])] = true
			set.schemas[strings.ToLower(r[3])] = true
		case "reach":
			set.names[strings.ToLower(r[2])] = true
		case "event":
			set.eventTriggers = true
		case "capable":
			if set.reach == "" || r[1] == "code" && !set.reachCode {
				set.reach = r[2]
			}
			set.reachCode = set.reachCode || r[1] == "code"
		case "cluster":
			if set.cluster == "" {
				set.cluster = r[2]
			}
		}
	}
	if set.active {
		// A configured name not (yet) taken stays the gateway's: a
		// relation made under it would be what a store finds.
		for _, n := range names {
			set.names[strings.ToLower(n)] = true
		}
	}
	return set, nil
}

// guardCatalogVersion reads guardVersion.
func (k *catalog) guardCatalogVersion(ctx context.Context) (string, error) {
	k.mu.Lock()
	rows, err := k.query(ctx, guardVersion)
	k.mu.Unlock()
	if err != nil {
		return "", err
	}
	if len(rows) != 1 || len(rows[0]) != 1 {
		return "", nil
	}
	return rows[0][0], nil
}
