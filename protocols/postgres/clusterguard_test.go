package postgres

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/gate/pgrules"
	"github.com/airlock-sdk/airlock/internal/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// clusterStores is where the gateway's stores live in the cluster-change
// tests: database db of the same server as the one the gateway serves,
// owned by role, its rule set migrated by gate/pgrules and holding one
// active version; other is a spare role the attacks hand things to.
type clusterStores struct {
	db, role, other string
	dbOID, roleOID  string
}

// clusterRoutes change the stores' database or role from a gateway
// connected to another database: {DB} is the stores' database, {ROLE}
// their role, {OTHER} a spare role, {N} unique per case.
var clusterRoutes = []string{
	"DROP DATABASE {DB} WITH (FORCE)",
	"ALTER DATABASE {DB} RENAME TO {DB}_moved",
	"ALTER DATABASE {DB} OWNER TO {OTHER}",
	"ALTER DATABASE {DB} SET search_path = evil, public",
	"ALTER DATABASE {DB} SET default_transaction_read_only = on",
	"ALTER DATABASE {DB} CONNECTION LIMIT 0",
	"ALTER DATABASE {DB} WITH ALLOW_CONNECTIONS false",
	"ALTER DATABASE {DB} IS_TEMPLATE true",
	"REVOKE CONNECT ON DATABASE {DB} FROM PUBLIC, {ROLE}",
	"ALTER ROLE {ROLE} NOLOGIN",
	"ALTER USER {ROLE} SET search_path = evil, public",
	"ALTER ROLE {ROLE} IN DATABASE {DB} SET default_transaction_read_only = on",
	"ALTER ROLE {ROLE} RENAME TO {ROLE}_moved",
	"ALTER ROLE {ROLE} CONNECTION LIMIT 0",
	"ALTER ROLE {ROLE} VALID UNTIL '2000-01-01'",
	"ALTER ROLE {ROLE} PASSWORD 'x'",
	"ALTER ROLE ALL IN DATABASE {DB} SET search_path = evil",
	"REASSIGN OWNED BY {ROLE} TO {OTHER}",
	"GRANT {OTHER} TO {ROLE}",
	"CREATE ROLE {ROLE}_m{N} ROLE {ROLE}",
	"CREATE ROLE {ROLE}_m{N} LOGIN SUPERUSER PASSWORD 'x'",
	"CREATE DATABASE {DB}_c{N} TEMPLATE {DB}",
	"ALTER GROUP {OTHER} ADD USER {ROLE}",
}

// clusterSpellings rewrite a route: q quotes an identifier as the
// spelling does.
var clusterSpellings = []struct {
	name  string
	ident func(string) string
	wrap  func(stmt string, n int) string
}{
	{"plain", nil, nil},
	{"lower", nil, func(s string, _ int) string { return strings.ToLower(s) }},
	{"quoted", func(s string) string { return `"` + s + `"` }, nil},
	{"unicode", func(s string) string { return `U&"\00` + fmt.Sprintf("%x", s[0]) + s[1:] + `"` }, nil},
	{"comment", nil, func(s string, _ int) string { return "/* c */ " + strings.Replace(s, " ", " -- x\n ", 1) }},
	{"multi", nil, func(s string, _ int) string { return "SELECT 1; " + s + "; SELECT 2" }},
	{"transaction", nil, func(s string, _ int) string { return "BEGIN; " + s + "; COMMIT" }},
	{"do", nil, func(s string, _ int) string {
		return "DO $$ BEGIN EXECUTE '" + strings.ReplaceAll(s, "'", "''") + "'; END $$"
	}},
	{"function", nil, func(s string, n int) string {
		return fmt.Sprintf("CREATE FUNCTION cl_f%d() RETURNS void LANGUAGE plpgsql AS $f$ BEGIN EXECUTE '%s'; END $f$; SELECT cl_f%d()",
			n, strings.ReplaceAll(s, "'", "''"), n)
	}},
}

// newClusterStores makes the stores' database and role.
func newClusterStores(t *testing.T, admin *pgx.Conn) *clusterStores {
	t.Helper()
	ctx := context.Background()
	s := &clusterStores{db: randomName("airlock_cst_"), role: randomName("airlock_csr_"), other: randomName("airlock_cso_")}
	for _, q := range []string{"CREATE ROLE " + s.role + " LOGIN", "CREATE ROLE " + s.other, "CREATE DATABASE " + s.db + " OWNER " + s.role} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		c, err := pgxConnect(context.Background(), dbURL("postgres"))
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		for _, q := range []string{"DROP DATABASE IF EXISTS " + s.db + " WITH (FORCE)", "DROP DATABASE IF EXISTS " + s.db + "_moved WITH (FORCE)",
			"ALTER DATABASE " + s.db + " IS_TEMPLATE false", "DROP DATABASE IF EXISTS " + s.db + " WITH (FORCE)"} {
			_, _ = c.Exec(context.Background(), q)
		}
		for _, r := range []string{s.role, s.role + "_moved", s.other} {
			_, _ = c.Exec(context.Background(), "DROP OWNED BY "+r)
			_, _ = c.Exec(context.Background(), "DROP ROLE IF EXISTS "+r)
		}
		_, _ = c.Exec(context.Background(), "DO $$ DECLARE r text; BEGIN FOR r IN SELECT rolname FROM pg_roles WHERE starts_with(rolname, '"+
			s.role+"_m') LOOP EXECUTE format('DROP ROLE %I', r); END LOOP; END $$")
		rows, _ := c.Query(context.Background(), "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", s.db+"_c")
		dbs, _ := pgx.CollectRows(rows, pgx.RowTo[string])
		for _, d := range dbs {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+d+" WITH (FORCE)")
		}
	})
	pool, err := pgxpool.New(ctx, "postgres://"+s.role+"@127.0.0.1:5432/"+s.db+"?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := pgrules.Migrate(ctx, pool, pgrules.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "INSERT INTO airlock_rule_sets (name, version, content, published_by, active) VALUES ('default', 'v1', 'default: deny', 'ops', true)"); err != nil {
		t.Fatal(err)
	}
	if err := admin.QueryRow(ctx, "SELECT (SELECT oid::text FROM pg_database WHERE datname = $1), (SELECT oid::text FROM pg_roles WHERE rolname = $2)",
		s.db, s.role).Scan(&s.dbOID, &s.roleOID); err != nil {
		t.Fatal(err)
	}
	return s
}

// fingerprint is what the stores see of their database and role: the
// database's name, owner, connection settings and privileges, the role's
// name, login, limits, password and memberships, every setting that
// applies to the role in the database, the roles made in its name and
// the copies made of the database, and what the store reads when it
// connects as its role (its search_path, whether it may write, its rule
// set).
func (s *clusterStores) fingerprint(t *testing.T, admin *pgx.Conn) string {
	t.Helper()
	ctx := context.Background()
	var f string
	err := admin.QueryRow(ctx, `SELECT concat_ws('/',
		(SELECT d.datname || ':' || d.datallowconn || ':' || d.datconnlimit || ':' || d.datistemplate || ':' || d.datdba || ':' || coalesce(d.datacl::text, '')
			FROM pg_database d WHERE d.oid = $1::oid),
		(SELECT r.rolname || ':' || r.rolcanlogin || ':' || r.rolconnlimit || ':' || coalesce(r.rolvaliduntil::text, '') || ':' || coalesce(r.rolpassword, '')
			FROM pg_authid r WHERE r.oid = $2::oid),
		(SELECT count(*) FROM pg_auth_members WHERE member = $2::oid OR roleid = $2::oid)::text,
		(SELECT coalesce(string_agg(setdatabase || ':' || setrole || ':' || array_to_string(setconfig, ';'), ','), '') FROM pg_db_role_setting
			WHERE setdatabase = $1::oid OR setrole = $2::oid),
		(SELECT count(*) FROM pg_roles WHERE starts_with(rolname, $3))::text,
		(SELECT count(*) FROM pg_database WHERE starts_with(datname, $4))::text)`, s.dbOID, s.roleOID, s.role+"_m", s.db+"_c").Scan(&f)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(cctx, "postgres://"+s.role+"@127.0.0.1:5432/"+s.db+"?sslmode=disable")
	if err != nil {
		return f + "/connect: " + err.Error()
	}
	defer c.Close(ctx)
	var sp, ro, rules string
	if err := c.QueryRow(ctx, `SELECT current_setting('search_path'), current_setting('default_transaction_read_only'),
		(SELECT string_agg(content, ',') FROM airlock_rule_sets WHERE active)`).Scan(&sp, &ro, &rules); err != nil {
		return f + "/read: " + err.Error()
	}
	return f + "/" + sp + "/" + ro + "/" + rules
}

// render fills a route in for s, identifiers through ident.
func (s *clusterStores) render(route string, ident func(string) string, n int) string {
	if ident == nil {
		ident = func(x string) string { return x }
	}
	// The _moved and _m suffixes stay inside the identifier.
	r := strings.NewReplacer("{DB}_moved", ident(s.db+"_moved"), "{ROLE}_moved", ident(s.role+"_moved"),
		"{ROLE}_m{N}", ident(fmt.Sprintf("%s_m%d", s.role, n)), "{DB}_c{N}", ident(fmt.Sprintf("%s_c%d", s.db, n)),
		"{DB}", ident(s.db), "{ROLE}", ident(s.role), "{OTHER}", ident(s.other))
	return r.Replace(route)
}

// TestClusterGuardGenerated: with the stores in another database of the
// same server than the one the gateway serves, and rules that allow
// everything, every route that changes the stores' database or role
// (clusterRoutes) in every spelling (clusterSpellings), over the simple
// and the extended protocol and through psql, leaves what the stores see
// unchanged (judged by effect: the database, the role, their settings,
// and the store reading its own rows as its role). Each case that gets
// through is counted and the stores are made again.
func TestClusterGuardGenerated(t *testing.T) {
	ctx := context.Background()
	admin, err := pgxConnect(ctx, dbURL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	tg := startGateway(t, withRules(selfAllowRules))
	st := newClusterStores(t, admin)
	base := st.fingerprint(t, admin)
	n, through := 0, 0
	var got []string
	try := func(mode, spelling, route, sql string, run func(string) error) {
		n++
		err := run(sql)
		if f := st.fingerprint(t, admin); f != base {
			through++
			got = append(got, fmt.Sprintf("%s/%s: %s (err %v)", mode, spelling, route, err))
			st = newClusterStores(t, admin)
			base = st.fingerprint(t, admin)
		}
	}
	conns := map[string]*pgx.Conn{"simple": tg.connect(t, "admin", simpleMode), "extended": tg.connect(t, "admin")}
	for _, mode := range []string{"simple", "extended"} {
		for _, route := range clusterRoutes {
			for _, sp := range clusterSpellings {
				sql := st.render(route, sp.ident, n)
				if sp.wrap != nil {
					sql = sp.wrap(sql, n)
				}
				try(mode, sp.name, route, sql, func(q string) error {
					c := conns[mode]
					_, err := c.Exec(ctx, q)
					if c.PgConn().TxStatus() != 'I' {
						_, _ = c.Exec(ctx, "ROLLBACK")
					}
					return err
				})
			}
		}
	}
	for _, route := range clusterRoutes {
		for _, sp := range clusterSpellings[:4] {
			sql := st.render(route, sp.ident, n)
			try("psql", sp.name, route, sql, func(q string) error {
				out, err := exec.Command("psql", tg.url("admin"), "-X", "-v", "ON_ERROR_STOP=1", "-c", q).CombinedOutput()
				if err != nil {
					return fmt.Errorf("%v: %s", err, out)
				}
				return nil
			})
		}
	}
	t.Logf("%d of %d cluster changes got through", through, n)
	for _, g := range got {
		t.Error(g)
	}
	found := false
	for _, e := range tg.gateEvents() {
		found = found || e.Decision != nil && e.Decision.Rule == "postgres/cluster"
	}
	if !found {
		t.Error("no decision recorded under postgres/cluster")
	}
}

// TestClusterGuardCodeAsCreateRole: a gateway role that is not a
// superuser but has CREATEROLE may change roles from code the gateway
// cannot see; its DO blocks and functions are refused as
// postgres/cluster, and pass once AllowClusterChanges is set. Plain
// DDL on its own objects passes either way.
func TestClusterGuardCodeAsCreateRole(t *testing.T) {
	ctx := context.Background()
	admin, err := pgxConnect(ctx, dbURL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	st := newClusterStores(t, admin)
	gw := randomName("airlock_cgw_")
	if _, err := admin.Exec(ctx, "CREATE ROLE "+gw+" LOGIN CREATEROLE"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c, err := pgxConnect(context.Background(), dbURL("postgres")); err == nil {
			_, _ = c.Exec(context.Background(), "DROP ROLE IF EXISTS "+gw)
			_ = c.Close(context.Background())
		}
	})
	for _, allow := range []bool{false, true} {
		tg := startGateway(t, withRules(selfAllowRules), func(_ *gate.Config, c *Config) {
			c.Upstream.User, c.AllowClusterChanges = gw, allow
		})
		if _, err := tg.upstream(t).Exec(ctx, "ALTER DATABASE "+tg.db+" OWNER TO "+gw+"; ALTER SCHEMA public OWNER TO "+gw+
			"; ALTER TABLE scratch OWNER TO "+gw).ReadAll(); err != nil {
			t.Fatal(err)
		}
		base := st.fingerprint(t, admin)
		c := tg.connect(t, "admin", simpleMode)
		for _, s := range []string{"CREATE TABLE cl_own (id int)", "ALTER TABLE cl_own ADD COLUMN v text", "CREATE SCHEMA cl_s",
			"CREATE TABLE cl_s.t (id int)", "DROP SCHEMA cl_s CASCADE", "INSERT INTO scratch VALUES (1, 'x')", "DROP TABLE cl_own"} {
			if _, err := c.Exec(ctx, s); err != nil {
				t.Fatalf("allow %v: %s: %v", allow, s, err)
			}
		}
		_, err := c.Exec(ctx, "DO $$ BEGIN EXECUTE 'ALTER ROLE "+st.role+" NOLOGIN'; END $$")
		switch {
		case !allow && (sqlState(err) != "42501" || !strings.Contains(err.Error(), "database and role changes")):
			t.Errorf("DO as a CREATEROLE role: %v", err)
		case !allow && st.fingerprint(t, admin) != base:
			t.Error("the DO block changed the stores' role")
		case allow && err != nil:
			t.Errorf("DO allowed: %v", err)
		}
	}
}

// TestClusterGuardExtensionCascade: CREATE EXTENSION ... CASCADE installs
// extensions the statement does not name (one may be dblink or an
// untrusted language) and is refused as postgres/reach; naming each
// passes.
func TestClusterGuardExtensionCascade(t *testing.T) {
	ctx := context.Background()
	tg := startGateway(t, withRules(selfAllowRules))
	c := tg.connect(t, "admin")
	for _, s := range []string{"CREATE EXTENSION earthdistance CASCADE", `create extension "earthdistance" with cascade`,
		"SELECT 1; CREATE EXTENSION IF NOT EXISTS earthdistance CASCADE"} {
		if _, err := c.Exec(ctx, s); sqlState(err) != "42501" {
			t.Errorf("%s: %v", s, err)
		}
	}
	var n int
	if err := tg.upstream(t).Exec(ctx, "SELECT 1").Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_extension WHERE extname IN ('cube', 'earthdistance')").Scan(&n); err != nil || n != 0 {
		t.Fatalf("extensions installed: %d %v", n, err)
	}
	for _, s := range []string{"CREATE EXTENSION cube", "CREATE EXTENSION earthdistance"} {
		if _, err := c.Exec(ctx, s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
}

// TestStoresRefusePlantedCopies: in a database without the gateway's
// tables, where the gateway's role (not a superuser, so its DO blocks
// pass) is not the stores' role, an agent plants a plain copy of a
// store's table — same columns, no code, rows of its choosing (an active
// rule set that allows everything, a pre-approved review) — before the
// store migrates there: by name (refused by the gateway), or from a DO
// block that builds the name (which the gateway cannot read), in public
// or in a schema named after the stores' role (first in their
// search_path). Every real store's Migrate, run as the stores' role,
// refuses the copy: it is not owned by the role migrating.
func TestStoresRefusePlantedCopies(t *testing.T) {
	ctx := context.Background()
	admin, err := pgxConnect(ctx, dbURL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	gw, storeRole := randomName("airlock_pgw_"), randomName("airlock_pst_")
	for _, q := range []string{"CREATE ROLE " + gw + " LOGIN", "CREATE ROLE " + storeRole + " LOGIN"} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	tg := startGateway(t, withRules(selfAllowRules), func(_ *gate.Config, c *Config) { c.Upstream.User = gw })
	t.Cleanup(func() {
		if c, err := pgxConnect(context.Background(), dbURL("postgres")); err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+tg.db+" WITH (FORCE)")
			_, _ = c.Exec(context.Background(), "DROP ROLE IF EXISTS "+gw)
			_, _ = c.Exec(context.Background(), "DROP ROLE IF EXISTS "+storeRole)
			_ = c.Close(context.Background())
		}
	})
	up := tg.upstream(t)
	if _, err := up.Exec(ctx, "ALTER DATABASE "+tg.db+" OWNER TO "+gw+"; GRANT CREATE ON SCHEMA public TO "+storeRole).ReadAll(); err != nil {
		t.Fatal(err)
	}
	tmpl, err := pgxpool.New(ctx, pgtest.Database(t, "airlock_tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	defer tmpl.Close()
	cols := map[string]string{}
	for _, s := range preseedStores {
		if err := s.migrate(ctx, tmpl); err != nil {
			t.Fatal(err)
		}
		for _, table := range s.tables {
			var c string
			if err := tmpl.QueryRow(ctx, `SELECT string_agg(quote_ident(attname) || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
				FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, table).Scan(&c); err != nil {
				t.Fatal(err)
			}
			cols[table] = c
		}
	}
	pool, err := pgxpool.New(ctx, "postgres://"+storeRole+"@127.0.0.1:5432/"+tg.db+"?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var tables []string
	for _, s := range preseedStores {
		tables = append(tables, s.tables...)
	}
	all := "public." + strings.Join(tables, ", public.")
	c := tg.connect(t, "admin", simpleMode)
	n, used := 0, 0
	for _, s := range preseedStores {
		for _, table := range s.tables {
			for _, schema := range []string{"public", storeRole} {
				n++
				pre := ""
				if schema != "public" {
					pre = "CREATE SCHEMA " + schema + "; GRANT USAGE ON SCHEMA " + schema + " TO PUBLIC; "
				}
				if _, err := c.Exec(ctx, pre+"CREATE TABLE "+schema+"."+table+" ("+cols[table]+")"); sqlState(err) != "42501" {
					t.Fatalf("%s.%s by name: %v", schema, table, err)
				}
				half := len(table) / 2
				do := pre + "DO $$ BEGIN EXECUTE 'CREATE TABLE " + schema + "." + table[:half] + "' || '" + table[half:] + " (" +
					strings.ReplaceAll(cols[table], "'", "''") + ")'; END $$"
				if _, err := c.Exec(ctx, do); err != nil {
					t.Fatalf("%s.%s from a DO block: %v", schema, table, err)
				}
				if err := s.migrate(ctx, pool); err == nil {
					used++
					t.Errorf("%s migrated over the agent's copy of %s in %s", s.name, table, schema)
				} else if !strings.Contains(err.Error(), "not a table the store made") {
					t.Errorf("%s over the agent's copy of %s in %s: %v", s.name, table, schema, err)
				}
				if _, err := up.Exec(ctx, "DROP SCHEMA IF EXISTS "+storeRole+" CASCADE; DROP TABLE IF EXISTS "+all+" CASCADE").ReadAll(); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	t.Logf("%d of %d planted copies used by a store", used, n)
	if _, err := up.Exec(ctx, "DROP SCHEMA public CASCADE; CREATE SCHEMA public AUTHORIZATION pg_database_owner; GRANT USAGE ON SCHEMA public TO PUBLIC; GRANT CREATE ON SCHEMA public TO "+storeRole).ReadAll(); err != nil {
		t.Fatal(err)
	}
	for _, s := range preseedStores {
		if err := s.migrate(ctx, pool); err != nil {
			t.Errorf("%s in a clean database: %v", s.name, err)
		}
	}
}
