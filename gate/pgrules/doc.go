// Package pgrules stores rule sets in PostgreSQL, so that every replica of a
// gateway runs the same rules and picks up a new version within moments.
//
// Publishing validates the rule file (it must compile, exactly as
// gate.ParseRules would load it), stores it as a new version and activates
// it; every replica watching the store reloads on NOTIFY:
//
//	if err := pgrules.Migrate(ctx, pool, pgrules.Options{}); err != nil { ... }
//	store, err := pgrules.New(pool, pgrules.Options{Name: "production"})
//	version, err := store.Publish(ctx, ruleFileBytes, "alice")
//	...
//	go store.Watch(ctx, g) // on every replica: swap on NOTIFY
//
// It has the shape of every PostgreSQL-backed store of Airlock
// (record/pgsink, approval/pgapproval): the caller owns a *pgxpool.Pool,
// Migrate creates the schema (idempotent, separately callable), and New
// builds the store over the pool without touching the database.
//
// The one thing not to forget: Watch keeps the last good rule set when the
// store is unreachable or holds a rule file that does not compile; a replica
// never falls back to "no rules", and never to "allow".
//
// Schema (created by Migrate):
//
//	CREATE TABLE airlock_rule_sets (
//	    name         text        NOT NULL,  -- the rule set's name (one per deployment)
//	    version      text        NOT NULL,  -- the content hash, as gate.RuleSet.Version
//	    content      text        NOT NULL,  -- the rule file as YAML
//	    published_by text        NOT NULL,
//	    published_at timestamptz NOT NULL DEFAULT now(),
//	    active       boolean     NOT NULL DEFAULT false,
//	    PRIMARY KEY (name, version)
//	);
//	-- at most one active version per name
//	CREATE UNIQUE INDEX airlock_rule_sets_active ON airlock_rule_sets (name) WHERE active;
package pgrules
