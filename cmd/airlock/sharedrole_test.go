package main

import (
	"reflect"
	"testing"
)

// TestStoresSharingRole: the stores whose connection string names the
// gateway's upstream server and role are reported (serve warns of them);
// a store as another role or on another server is not.
func TestStoresSharingRole(t *testing.T) {
	cfg := &serveConfig{Postgres: &postgresConfig{Upstream: "postgres://gw@db.internal:5432/app"}}
	cfg.Rules.Postgres = "postgres://gw@db.internal:5432/airlock"
	cfg.Review.Postgres = "postgres://airlock@db.internal:5432/airlock"
	cfg.Record.Postgres = "postgres://gw@other.internal:5432/airlock"
	cfg.Runs = &runsConfig{Postgres: "host=db.internal port=5432 user=gw dbname=airlock"}
	if got := storesSharingRole(cfg); !reflect.DeepEqual(got, []string{"rules", "runs"}) {
		t.Errorf("got %v", got)
	}
}
