package pgrules_test

import (
	"context"
	"log"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/gate/pgrules"
)

// Publish a rule file once; every replica watching the store runs it.
func ExampleNew() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://airlock@127.0.0.1:5432/airlock")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	if err := pgrules.Migrate(ctx, pool, pgrules.Options{}); err != nil {
		log.Fatal(err)
	}
	store, err := pgrules.New(pool, pgrules.Options{Name: "production"})
	if err != nil {
		log.Fatal(err)
	}
	content, err := os.ReadFile("rules.yaml")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := store.Publish(ctx, content, "alice"); err != nil {
		log.Fatal(err)
	}
	g := gate.New(gate.Config{})
	go store.Watch(ctx, g) // on every replica
}
