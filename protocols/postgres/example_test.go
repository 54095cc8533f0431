package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/protocols/postgres"
	"github.com/jackc/pgx/v5/pgconn"
)

func ExampleNewServer() {
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
	srv, err := postgres.NewServer(postgres.Config{
		Gate:     gate.New(gate.Config{Rules: rules}),
		Upstream: up,
		// Loopback only: without TLS the client's token crosses in clear.
		AllowInsecurePassword: true,
		Authenticate: func(_ context.Context, r postgres.AuthRequest) (gate.Identity, error) {
			if r.Password != "agent-token" {
				return gate.Identity{}, errors.New("bad token")
			}
			return gate.Identity{Subject: r.User, Kind: gate.KindAgent}, nil
		},
	})
	if err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	fmt.Println("listening")
	// Output: listening
}
