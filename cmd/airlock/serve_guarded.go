package main

// guardedTables are the tables of the gateway's own state the PostgreSQL
// gateway must keep clients from writing, besides
// postgres.DefaultGuardedTables (the review, grant, rule-set, run and
// record stores under their fixed or default names, always guarded): the
// anchor table when record.anchor_table renames it, and
// postgres.guarded_tables.
func guardedTables(cfg *serveConfig) []string {
	var out []string
	if cfg.Record.AnchorTable != "" {
		out = append(out, cfg.Record.AnchorTable)
	}
	if cfg.Postgres != nil {
		out = append(out, cfg.Postgres.GuardedTables...)
	}
	return out
}
