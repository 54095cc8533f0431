package postgres_test

import (
	"context"
	"fmt"
	"net"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/protocols/postgres"
	"github.com/jackc/pgx/v5/pgconn"
)

func ExampleNew() {
	rules, err := gate.ParseRules("rules.yaml", []byte(`
default: deny
rules:
  - name: read-only
    when: sql.statements.all(s, s.read_only && !s.opaque)
    action: allow
`))
	if err != nil {
		panic(err)
	}
	up, err := pgconn.ParseConfig("postgres://gateway@127.0.0.1:5432/app?sslmode=disable")
	if err != nil {
		panic(err)
	}
	srv, err := postgres.New(postgres.Config{
		Gate:     gate.New(gate.Config{Rules: rules}),
		Upstream: up,
		// Loopback only: without TLS the client's token crosses in clear.
		AllowInsecurePassword: true,
		// The client's password is its token; its user name must be the
		// token's subject.
		Authenticator: gate.Tokens(map[string]gate.Identity{
			"agent-token": {Subject: "agent-1", Kind: gate.KindAgent},
		}),
	})
	if err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() { _ = srv.Serve(context.Background(), ln) }()
	defer srv.Close()
	fmt.Println("listening")
	// Output: listening
}
