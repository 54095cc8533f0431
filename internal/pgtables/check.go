// Package pgtables checks that the tables an Airlock PostgreSQL store
// uses are what the store would have made: a store creates its tables
// only when missing (CREATE TABLE IF NOT EXISTS), so a relation of the
// same name made first — by an agent, in a schema earlier in search_path
// or in public before the store migrated — would otherwise be what the
// store reads and writes, with whatever code hangs on it, and whatever
// rows were put in it (a pre-approved review, an active rule set that
// allows everything, forged record events).
package pgtables

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Querier is what Check queries through (a pool, a connection).
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// shapeQuery reads, for the relation a name resolves to under the
// session's search_path, what a store's own table never has.
const shapeQuery = `SELECT c.relkind::text, n.nspname,
	pg_catalog.pg_get_userbyid(c.relowner),
	pg_catalog.pg_has_role(current_user, c.relowner, 'MEMBER') OR (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.oid = c.relowner),
	(SELECT count(*) FROM pg_catalog.pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal),
	(SELECT count(*) FROM pg_catalog.pg_rewrite r WHERE r.ev_class = c.oid),
	c.relrowsecurity OR EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid),
	EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid OR i.inhparent = c.oid),
	EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
		WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND ty.typnamespace <> 'pg_catalog'::regnamespace),
	EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_proc p ON d.refclassid = 'pg_catalog.pg_proc'::regclass AND p.oid = d.refobjid
		WHERE p.pronamespace <> 'pg_catalog'::regnamespace AND (
			d.classid = 'pg_catalog.pg_attrdef'::regclass AND d.objid IN (SELECT ad.oid FROM pg_catalog.pg_attrdef ad WHERE ad.adrelid = c.oid)
			OR d.classid = 'pg_catalog.pg_constraint'::regclass AND d.objid IN (SELECT co.oid FROM pg_catalog.pg_constraint co WHERE co.conrelid = c.oid)
			OR d.classid = 'pg_catalog.pg_class'::regclass AND d.objid IN (SELECT i.indexrelid FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid)))
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = pg_catalog.to_regclass($1)`

// Check returns an error, naming store, unless every table (as the
// store's queries name it: resolved through search_path unless
// qualified) is owned by the role Check runs as — the role that migrates
// the store, which made it —, a role it is a member of, or a superuser
// (an administrator who made the tables for a role that may only insert
// and read them): a table another role made first, its rows included, is
// not the store's (an agent's role cannot make a table owned by the
// stores' role or a superuser, unless it is that role or may become it) —
// and is a plain table with nothing the store did not put there:
// not a view, foreign or partitioned table; no triggers, rules,
// row-level security, inheritance, column types of the database's own
// (a domain's check) or defaults, constraints or indexes calling
// functions outside pg_catalog. A table that does not exist passes (the
// store creates it, or fails on its own).
func Check(ctx context.Context, q Querier, store string, tables ...string) error {
	for _, t := range tables {
		var kind, schema, owner string
		var triggers, rules int
		var mine, rls, inherits, types, code bool
		err := q.QueryRow(ctx, shapeQuery, t).Scan(&kind, &schema, &owner, &mine, &triggers, &rules, &rls, &inherits, &types, &code)
		if err == pgx.ErrNoRows {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: check table %s: %w", store, t, err)
		}
		why := ""
		switch {
		case !mine:
			why = "is owned by role " + owner + ", neither the role migrating the store, a role it is a member of, nor a superuser (make the store's tables as the role that migrates it, or ALTER TABLE ... OWNER TO it once its rows are checked)"
		case kind != "r":
			why = "is not a plain table (relkind " + kind + ")"
		case triggers > 0:
			why = "has triggers"
		case rules > 0:
			why = "has rules"
		case rls:
			why = "has row-level security"
		case inherits:
			why = "inherits or is inherited"
		case types:
			why = "has a column of a type made in the database"
		case code:
			why = "has a default, constraint or index that calls a function made in the database"
		}
		if why != "" {
			return fmt.Errorf("%s: table %s (found in schema %s) %s: it is not a table the store made; refusing to use it", store, t, schema, why)
		}
	}
	return nil
}
