package mask

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// sqlSecretPassword returns a random password with the symbols real ones
// hold (no quote, no '$', no backslash: every quoting form can carry it).
func sqlSecretPassword(r *rand.Rand) string {
	const letters = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
	const symbols = "!#%&*+-_.@^~;,()/=:"
	n := 10 + r.IntN(10)
	b := make([]byte, n)
	for i := range b {
		if r.IntN(5) == 0 && i > 0 && i < n-1 {
			b[i] = symbols[r.IntN(len(symbols))]
		} else {
			b[i] = letters[r.IntN(len(letters))]
		}
	}
	return string(b)
}

// sqlSecretStatements are statements that set a password, {q} standing for
// the quoted password.
var sqlSecretStatements = []string{
	"CREATE USER bob IDENTIFIED BY {q};",
	"CREATE USER 'bob'@'%' IDENTIFIED WITH mysql_native_password BY {q};",
	"ALTER USER 'bob'@'localhost' IDENTIFIED WITH caching_sha2_password BY {q};",
	"CREATE USER bob IDENTIFIED WITH 'sha256_password' BY {q} PASSWORD EXPIRE;",
	"CREATE USER bob IDENTIFIED WITH mysql_native_password AS {q};",
	"ALTER USER bob IDENTIFIED BY PASSWORD {q};",
	"GRANT ALL ON db.* TO bob IDENTIFIED BY {q};",
	"CREATE ROLE app LOGIN PASSWORD {q};",
	"ALTER ROLE app WITH ENCRYPTED PASSWORD {q} VALID UNTIL 'infinity';",
	"alter user app password {q};",
	"SET PASSWORD = {q};",
	"SET PASSWORD FOR 'bob'@'localhost' = {q};",
	"SET PASSWORD FOR bob = PASSWORD({q});",
	"CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'app', password {q});",
	"ALTER USER MAPPING FOR app SERVER s OPTIONS (SET password {q});",
	"CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'db', dbname 'x', password {q});",
}

// sqlQuotings are the ways SQL quotes a string: standard, MySQL's double
// quotes, PostgreSQL's dollar quotes (plain and tagged), escape, Unicode
// and national strings.
var sqlQuotings = []func(v string) string{
	func(v string) string { return "'" + v + "'" },
	func(v string) string { return `"` + v + `"` },
	func(v string) string { return "$$" + v + "$$" },
	func(v string) string { return "$pw$" + v + "$pw$" },
	func(v string) string { return "$Secret_1$" + v + "$Secret_1$" },
	func(v string) string { return "E'" + v + "'" },
	func(v string) string { return "U&'" + v + "'" },
	func(v string) string { return "N'" + v + "'" },
}

// sqlConnStatements hold a connection string with the password unquoted.
var sqlConnStatements = []string{
	"SELECT dblink_connect('host=db user=app password={v} dbname=x');",
	"SELECT * FROM dblink('dbname=x password={v}', 'select 1') AS t(a int);",
	"CREATE SUBSCRIPTION s CONNECTION 'host=db port=5432 password={v} dbname=x' PUBLICATION p;",
}

// leaksOf reports whether got shows six bytes in a row of secret.
func leaksOf(got, secret string) bool {
	for i := 0; i+6 <= len(secret); i++ {
		if strings.Contains(got, secret[i:i+6]) {
			return true
		}
	}
	return false
}

// TestSQLSecretsGenerated is the generator of the family "a password set
// by a SQL statement": statements that set one (MySQL's IDENTIFIED [WITH
// plugin] BY/AS, PostgreSQL's PASSWORD clause, SET PASSWORD, user
// mappings and foreign servers) × every quoting form SQL has, and
// connection strings in SQL with the password unquoted; random passwords
// with symbols. Nothing of six bytes of a password may stay.
func TestSQLSecretsGenerated(t *testing.T) {
	p := newPolicy(t, "all")
	r := rand.New(rand.NewPCG(89, 97))
	left, total := 0, 0
	try := func(stmt, pw string) {
		total++
		got, err := valueAndStream(p, stmt, total%len(stmt), len(stmt)/2)
		if err != nil || leaksOf(got, pw) {
			if left++; left <= 8 {
				t.Errorf("%s\n -> %s (%v)", stmt, got, err)
			}
		}
	}
	for _, st := range sqlSecretStatements {
		for _, q := range sqlQuotings {
			for range 3 {
				pw := sqlSecretPassword(r)
				try(strings.Replace(st, "{q}", q(pw), 1), pw)
			}
		}
	}
	for _, st := range sqlConnStatements {
		for range 10 {
			pw := sqlSecretPassword(r)
			try(strings.Replace(st, "{v}", pw, 1), pw)
		}
	}
	// Oracle's bare password: an identifier's characters only.
	for range 10 {
		pw := strings.Map(func(c rune) rune {
			if strings.ContainsRune("!%&*+-.@^~;,()/=:", c) {
				return '_'
			}
			return c
		}, sqlSecretPassword(r))
		try("ALTER USER bob IDENTIFIED BY "+pw+";", pw)
	}
	t.Logf("%d of %d passwords left", left, total)
}

// sqlBenign are statements, code and prose near the SQL secret family
// that hold no secret: they must come back unchanged.
var sqlBenign = []string{
	"The regression was identified by the on-call engineer.",
	"Bob identified with the team as a maintainer.",
	"CREATE USER bob IDENTIFIED BY RANDOM PASSWORD;",
	"CREATE USER bob IDENTIFIED WITH auth_socket;",
	"CREATE USER ops IDENTIFIED EXTERNALLY;",
	"ALTER ROLE app PASSWORD NULL;",
	"ALTER ROLE app PASSWORD $1;",
	"ALTER USER bob IDENTIFIED BY ?;",
	"SELECT $$hello, world$$ AS greeting;",
	"CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql;",
	"DO $body$ BEGIN RAISE NOTICE 'ok'; END $body$;",
	"SELECT dblink_connect('host=db user=app dbname=x');",
	"SELECT E'line\\nbreak', U&'d\\0061t\\+000061', N'text';",
	"UPDATE users SET identified = true WHERE id = $1;",
	`db.Exec("ALTER USER app PASSWORD $1", pw)`,
	`_, err := db.Exec(ctx, "SET PASSWORD FOR ? = ?", user, pw)`,
	"SELECT password_hash FROM users WHERE id = 1;",
	"-- rotate: ALTER ROLE app PASSWORD :'new_password';",
	"PASSWORD_LIFETIME 180 PASSWORD_REUSE_TIME 30",
	"CREATE PROFILE p LIMIT PASSWORD_LIFE_TIME 90;",
}

// TestSQLSecretsBenign: the statements of sqlBenign are not masked.
func TestSQLSecretsBenign(t *testing.T) {
	p := newPolicy(t, "all")
	changed := 0
	for _, in := range sqlBenign {
		got, _, err := p.Value("", in)
		if err != nil || got != in {
			changed++
			t.Errorf("%s\n -> %s (%v)", in, got, err)
		}
	}
	t.Logf("%d of %d benign changed", changed, len(sqlBenign))
}
