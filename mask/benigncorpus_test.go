package mask

import (
	"os/exec"
	"strings"
	"testing"
)

// benignCorpus is text an agent reads every day that holds no card,
// identifier or secret: SQL, Go, test output, logs, prose, git and ssh
// output, dumps. Nothing of the texts may be masked; their dumps may (see
// TestBenignCorpus).
var benignCorpus = []string{
	"SELECT id, email_verified, created_at FROM users WHERE id = $1 AND tenant = :tenant;",
	"UPDATE accounts SET password_changed_at = now() WHERE id = ?;",
	"CREATE USER reporting IDENTIFIED WITH auth_socket;",
	"ALTER ROLE app VALID UNTIL '2027-01-01';",
	"CREATE FUNCTION bump() RETURNS trigger AS $$ BEGIN NEW.n := NEW.n + 1; RETURN NEW; END $$ LANGUAGE plpgsql;",
	"func (s *Store) SetPassword(ctx context.Context, id int64, hash []byte) error {\n\t_, err := s.db.Exec(ctx, \"UPDATE users SET password_hash = $1 WHERE id = $2\", hash, id)\n\treturn err\n}",
	"if err := bcrypt.CompareHashAndPassword(u.Hash, []byte(pw)); err != nil {",
	"--- PASS: TestLogin (0.02s)\n--- FAIL: TestLogout (0.01s)\n    logout_test.go:42: got 401, want 200\nFAIL\tgithub.com/acme/app/auth\t0.512s",
	"ok  \tgithub.com/acme/app/store\t1.234s\tcoverage: 81.4% of statements",
	"2026-12-06T10:21:33Z INFO request_id=9f1c2a path=/api/v1/orders/123456 status=200 duration=12ms",
	"Dec  6 10:21:33 web01 sshd[4242]: Accepted publickey for deploy from web02 port 52814 ssh2",
	"Cloning into 'app'...\nremote: Enumerating objects: 1234, done.\nTo git@github.com:acme/app.git\n   1a2b3c4..5d6e7f8  main -> main",
	"git remote -v\norigin\tgit@github.com:acme/app.git (fetch)\norigin\tgit@github.com:acme/app.git (push)",
	"rsync -avz ./dist/ deploy@web01.example.com:/srv/www/",
	"The migration was identified by the nightly job as the cause of the slowdown.",
	"Order 1234 shipped in 3 boxes; tracking 1Z 999 AA1 01 2345 6784 arrives Tuesday.",
	"   PID  PPID    VSZ   RSS CMD\n 12345 12300 204800 10240 postgres\n 12346 12300 204900 10250 postgres",
}

// benignDumps are the dump programs the corpus runs over its own text.
var benignDumps = [][]string{{"xxd"}, {"od", "-c"}, {"hexdump", "-C"}, {"od", "-An", "-tx1"}, {"xxd", "-p"}, {"od", "-d"}, {"od", "-td8"}}

// TestBenignCorpus: nothing of benignCorpus is masked; what of its dumps
// is, is logged (a dump's digit groups are read as numbers on purpose).
func TestBenignCorpus(t *testing.T) {
	p := newPolicy(t, "all")
	texts := append([]string(nil), benignCorpus...)
	all := strings.Join(benignCorpus, "\n")
	for _, d := range benignDumps {
		cmd := exec.Command(d[0], d[1:]...)
		cmd.Stdin = strings.NewReader(all)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(out))
	}
	changed := 0
	for k, in := range texts {
		got, err := valueAndStream(p, in, len(in)/3)
		if err != nil || got != in {
			changed++
			// A dump's group digits are read as cards and phones (a card
			// in packed BCD shows as xxd's 4111 1111 1111 1111), and a
			// git remote in a dump as an address: known, logged.
			if k >= len(benignCorpus) {
				t.Logf("known: a dump read as holding a value\n%s", diffLines(in, got))
				continue
			}
			t.Errorf("%v\n%s", err, diffLines(in, got))
		}
	}
	t.Logf("%d of %d benign texts changed", changed, len(texts))
}
