package postgres

import "github.com/jackc/pgx/v5/pgconn"

// catalogConnConfig is cfg for a connection of the gateway's own that
// reads the upstream's catalog (the schema and function catalogs and
// their version checks). It pins search_path to pg_catalog: the catalog
// queries name their tables by schema, but their functions and operators
// (count, sum, ||, =) resolve through search_path, and a database- or
// role-level setting that lists another schema before pg_catalog would
// let that schema's functions answer them, a version that never changes
// or relations that are not there. A startup parameter outranks both
// ALTER DATABASE and ALTER ROLE settings.
func catalogConnConfig(cfg *pgconn.Config) *pgconn.Config {
	c := cfg.Copy() // RuntimeParams copied too: cfg's map is not written
	if c.RuntimeParams == nil {
		c.RuntimeParams = map[string]string{}
	}
	c.RuntimeParams["search_path"] = "pg_catalog"
	return c
}
