package oidc_test

import (
	"context"
	"crypto"
	"fmt"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/gate/oidc"
)

// A verifier against a local issuer: the token's claims become the
// identity the rules see.
func Example() {
	ctx := context.Background()
	key := rsaKeys()[0]
	issuer := startIssuer(map[string]crypto.Signer{"k1": key})
	defer issuer.Close()

	v, err := oidc.New(ctx, oidc.Config{
		Issuer:      issuer.URL,
		Audience:    "airlock",
		HumanGroups: []string{"sre"},
		AgentGroups: []string{"agents"},
		HTTPClient:  issuer.Client(), // trusts the test server's certificate
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	token := sign(key, "k1", issuer.claims("airlock", map[string]any{
		"sub":    "agent-42",
		"name":   "Deploy bot",
		"groups": []string{"agents", "deployers"},
		"email":  "bot@example.com",
	}))
	id, err := v.Identity(ctx, token)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(id.Subject, id.Name, id.Groups, id.Kind, id.Claims["email"])

	// The same token as an HTTP front end receives it.
	bearer, _ := gate.BearerToken([]string{"Bearer " + token})
	id, err = v.Authenticate(ctx, gate.Credential{Protocol: gate.ProtocolHTTP, Token: bearer})
	fmt.Println(id.Subject, err)

	// A PostgreSQL client connecting as another user with this token.
	_, err = v.Authenticate(ctx, gate.Credential{Protocol: gate.ProtocolPostgres, User: "postgres", Database: "prod", Password: token})
	fmt.Println(err)
	// Output:
	// agent-42 Deploy bot [agents deployers] agent bot@example.com
	// agent-42 <nil>
	// oidc: user does not match token: user "postgres" is not the token's sub
}
