package pgruns_test

import (
	"context"
	"log"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/gate/pgruns"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Replicas of a gateway share runs through one database: labels and
// budgets hold whichever replica a request reaches.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://airlock@db/airlock")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	if err := pgruns.Migrate(ctx, pool, pgruns.Options{}); err != nil {
		log.Fatal(err)
	}
	runs, err := pgruns.New(pool, pgruns.Options{})
	if err != nil {
		log.Fatal(err)
	}
	rules, _ := gate.LoadRules("rules.yaml")
	g := gate.New(gate.Config{Rules: rules, Runs: &gate.RunConfig{Store: runs, Claim: "sid"}})
	_ = g
}
