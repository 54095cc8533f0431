package pgapproval_test

import (
	"context"
	"log"
	"net/http"

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
	if err := pgapproval.Migrate(ctx, pool, pgapproval.Options{}); err != nil {
		log.Fatal(err)
	}
	ap, err := pgapproval.New(pool, pgapproval.Options{})
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
