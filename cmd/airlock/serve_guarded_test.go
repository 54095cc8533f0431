package main

import (
	"slices"
	"testing"
)

// TestGuardedTables: the PostgreSQL gateway guards the anchor table under
// its configured name and postgres.guarded_tables.
func TestGuardedTables(t *testing.T) {
	cfg := &serveConfig{Record: recordConfig{AnchorTable: "ops.anchors"},
		Postgres: &postgresConfig{GuardedTables: []string{"audit_extra"}}}
	if got := guardedTables(cfg); !slices.Equal(got, []string{"ops.anchors", "audit_extra"}) {
		t.Fatalf("guarded %v", got)
	}
	if got := guardedTables(&serveConfig{}); len(got) != 0 {
		t.Fatalf("guarded %v without configuration", got)
	}
}
