package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5"
)

// allowAll lets every statement run upstream, so the record also holds
// what the server answered.
func allowAll(g *gate.Config, _ *Config) {
	rs, err := gate.ParseRules("all.yaml", []byte("default: allow\nrules: []\n"))
	if err != nil {
		panic(err)
	}
	g.Rules = rs
}

// TestConninfoSecretsNotRecorded runs statements carrying PostgreSQL
// connection-string and option secrets through the gateway, in both
// protocols and after warming the cache with a secret-free sibling, and
// greps the whole record for each secret. Server-side reach is allowed:
// the statements must run for their text to be recorded.
func TestConninfoSecretsNotRecorded(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, allowAll, func(_ *gate.Config, c *Config) { c.AllowServerReach = true })
	ctx := context.Background()
	stmts := []string{
		"SELECT dblink_connect('host=127.0.0.1 port=1 password=%s')",
		"SELECT dblink_connect('c1', 'host=127.0.0.1 port=1 password = ''%s''')",
		"SELECT * FROM dblink('port=1 sslpassword=%s', 'SELECT 1') AS t(a int)",
		"SELECT dblink_connect('postgresql://u:%s@127.0.0.1:1/db')",
		"SELECT dblink_connect('postgres://127.0.0.1:1/db?user=u&password=%s')",
		"SELECT dblink_connect(E'host=127.0.0.1 port=1 pass\\x77ord=%s')",
		"SELECT dblink_connect($$port=1 password=%s$$)",
		"CREATE SUBSCRIPTION s CONNECTION 'host=127.0.0.1 port=1 password=%s' PUBLICATION p",
		"ALTER SUBSCRIPTION nosuch CONNECTION 'port=1 password=%s'",
		"CREATE USER MAPPING FOR CURRENT_USER SERVER nosuch OPTIONS (user 'u', password '%s')",
		"CREATE SERVER s2 FOREIGN DATA WRAPPER nosuch OPTIONS (host 'h', sslpassword '%s')",
		"ALTER ROLE nosuch_role PASSWORD '%s'",
		"CREATE ROLE nosuch_role LOGIN PASSWORD '%s' IN ROLE nosuch_role2",
	}
	warm := tg.connect(t, "admin", simpleMode)
	if _, err := warm.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS dblink"); err != nil {
		t.Fatal(err)
	}
	var secrets []string
	for mode, m := range map[string]func(*pgx.ConnConfig){"simple": simpleMode, "extended": func(*pgx.ConnConfig) {}} {
		c := tg.connect(t, "admin", m)
		for i, s := range stmts {
			// A sibling of the same shape without the secret first: the
			// cache must not hand its classification to the real one.
			_, _ = c.Exec(ctx, strings.ReplaceAll(fmt.Sprintf(s, ""), "password", "dbname"))
			_, _ = c.Exec(ctx, fmt.Sprintf(s, "x"))
			secret := fmt.Sprintf("Hunter2-%s-%d-Zq", mode, i)
			secrets = append(secrets, secret)
			_, _ = c.Exec(ctx, fmt.Sprintf(s, secret))
		}
		_ = c.Close(ctx)
	}
	var all strings.Builder
	events := 0
	for _, e := range tg.storedEvents() {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
		events++
	}
	if events < len(secrets) {
		t.Fatalf("only %d events recorded", events)
	}
	rec := all.String()
	if !strings.Contains(rec, "dblink_connect") || !strings.Contains(rec, "CREATE SUBSCRIPTION") {
		t.Fatal("the statements are not in the record")
	}
	for _, s := range secrets {
		if strings.Contains(rec, s) {
			i := strings.Index(rec, s)
			t.Errorf("secret %s recorded raw: ...%s...", s, rec[max(0, i-120):min(len(rec), i+40)])
		}
	}
}
