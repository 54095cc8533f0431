package pgapproval_test

import (
	"context"
	"log"
	"net/http"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/approval/pgapproval"
	"github.com/airlock-sdk/airlock/gate"
)

// Reviews shared by every replica of a gateway, with the console that
// decides them.
func ExampleNew() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://airlock@127.0.0.1:5432/airlock")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	// The seal key: secret, at least 32 bytes, the same on every replica.
	key, err := os.ReadFile("/etc/airlock/review-seal.key")
	if err != nil {
		log.Fatal(err)
	}
	opts := pgapproval.Options{SealKey: key}
	if err := pgapproval.Migrate(ctx, pool, opts); err != nil {
		log.Fatal(err)
	}
	ap, err := pgapproval.New(pool, opts)
	if err != nil {
		log.Fatal(err)
	}
	rules, err := gate.LoadRules("/etc/airlock/rules.yaml")
	if err != nil {
		log.Fatal(err)
	}
	g := gate.New(gate.Config{Rules: rules, Approver: ap})
	_ = g // hand g to the protocols
	http.Handle("/review/", http.StripPrefix("/review", &approval.Console{
		Approver:     ap,
		Authenticate: approval.BearerTokens(map[string]gate.Identity{"alice-token": {Subject: "alice", Kind: gate.KindHuman}}),
	}))
}
