package mask

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestPlaceholderShapedPasswordsGenerated is the generator of the family
// "a password shaped like a parameter": ':' and lower-case letters, '$'
// and three to eight digits, in the places a password is written (a
// config file, an .env line, JSON, YAML, a command's option, prose) must
// be masked; the parameters of SQL and code (:name in a query, $1, psql's
// :'name', a shell's $1) must stay.
func TestPlaceholderShapedPasswordsGenerated(t *testing.T) {
	p := newPolicy(t, "all")
	r := rand.New(rand.NewPCG(101, 103))
	lower := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + r.IntN(26))
		}
		return string(b)
	}
	secretForms := []string{
		"password: %s", "password=%s", "DB_PASSWORD=%s", "export PGPASSWORD=%s", `{"password": "%s"}`,
		`{"password":"%s"}`, "db_password = '%s'", "password: '%s'", "--password %s", "secret=%s",
		"api_token: %s", "passwd: %s",
	}
	left, total := 0, 0
	for _, f := range secretForms {
		for range 6 {
			var pw string
			if r.IntN(2) == 0 {
				pw = ":" + lower(5+r.IntN(6))
			} else {
				pw = "$" + fmt.Sprint(100+r.IntN(99999900))
			}
			in := fmt.Sprintf(f, pw)
			total++
			got, err := valueAndStream(p, in, total%len(in))
			if err != nil || strings.Contains(got, pw[1:]) {
				if left++; left <= 5 {
					t.Errorf("%q -> %q, %v", in, got, err)
				}
			}
		}
	}
	t.Logf("%d of %d parameter-shaped passwords left", left, total)
	params := []string{
		"SELECT * FROM users WHERE password = :password",
		"UPDATE users SET password = :new_password WHERE id = :id",
		"WHERE user = :user AND password = :pw",
		"password_hash = :hash",
		"select id from accounts where secret = :given",
		`cursor.execute("UPDATE users SET pwd = :value WHERE id = :id")`,
		"ALTER ROLE app PASSWORD $1;",
		"SELECT 1 FROM users WHERE password = $2",
		"password=$1",
		`psql -c "ALTER ROLE app PASSWORD :'pw'"`,
		"ALTER ROLE app PASSWORD :'new_password';",
		`\set pw secret_from_vault` + "\nALTER ROLE app PASSWORD :\"pw\";",
		"token = :token",
		"password = ?",
		"UPDATE users SET password = %s WHERE id = %s",
		"password=${DB_PASS}",
		"password: \"{{ .Values.db.pass }}\"",
	}
	changed := 0
	for _, in := range params {
		got, _, err := p.Value("", in)
		if err != nil || got != in {
			changed++
			t.Errorf("%q -> %q, %v", in, got, err)
		}
	}
	t.Logf("%d of %d parameters masked", changed, len(params))
}
