package pgsink_test

import (
	"context"
	"fmt"
	"log"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/airlock-sdk/airlock/record"
	"github.com/airlock-sdk/airlock/record/pgsink"
)

// A recorder that writes to PostgreSQL, and the same table read back.
func ExampleNew() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://airlock@127.0.0.1:5432/airlock")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	if err := pgsink.Migrate(ctx, pool, pgsink.Options{}); err != nil {
		log.Fatal(err)
	}
	sink, err := pgsink.New(pool, pgsink.Options{})
	if err != nil {
		log.Fatal(err)
	}
	rec := record.New(sink, record.Options{AsyncOutput: true})
	// ... gate.New(gate.Config{Recorder: rec, ...}) ...
	if err := rec.Close(); err != nil { // flushes, then closes the sink
		log.Fatal(err)
	}

	reader, _ := pgsink.New(pool, pgsink.Options{})
	sessions, err := reader.Sessions(ctx)
	fmt.Println(len(sessions), err)
}
