package mask

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
)

// secretKeywordCores are the words that name a secret in a variable, a
// key, a parameter or an option: the forms of "password" (pass, passwd,
// pwd, pw, passphrase, passcode), and the secret, token and key names.
var secretKeywordCores = []string{
	"pass", "passwd", "password", "passphrase", "passcode", "pwd", "pw", "pswd", "passwort",
	"secret", "token", "api_key", "apikey", "auth_token", "access_key", "private_key", "secret_key", "credential",
	"signing_key", "encryption_key", "master_key", "privateKey", "client_key", "hmac_key", "key",
}

// secretKeywordNames spells each core with the prefixes and suffixes of
// real names (DB_PASS, MYSQL_PASS, PGPASS, client_secret, userPass,
// pass1, ROOT_PW), in lower, upper and camel case.
func secretKeywordNames() []string {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, c := range secretKeywordCores {
		for _, pre := range []string{"", "db_", "mysql_", "pg", "root", "app.", "x-", "user"} {
			for _, suf := range []string{"", "1", "_value", "word"} {
				if suf == "word" && c != "pass" {
					continue
				}
				n := pre + c + suf
				add(n)
				add(strings.ToUpper(n))
				if pre != "" && unicode.IsLetter(rune(pre[len(pre)-1])) {
					add(pre + strings.ToUpper(c[:1]) + c[1:] + suf) // userPass, dbPassword
				}
			}
		}
	}
	return out
}

// secretKeywordCarriers are the places a name and its value stand
// together: env files and shells, YAML, JSON, query strings, command-line
// options, XML, Ruby and PHP hashes, INI files.
var secretKeywordCarriers = []struct {
	name   string
	format func(name, value string) string
}{
	{"env", func(n, v string) string { return n + "=" + v + "\n" }},
	{"export", func(n, v string) string { return "export " + n + "='" + v + "'\n" }},
	{"yaml", func(n, v string) string { return "config:\n  " + n + ": " + v + "\n  port: 5432\n" }},
	{"json", func(n, v string) string { return `{"host": "db", "` + n + `": "` + v + `"}` }},
	{"query", func(n, v string) string { return "GET /login?user=ann&" + n + "=" + v + "&next=/ HTTP/1.1" }},
	{"option=", func(n, v string) string { return "app --host db --" + n + "=" + v + " --verbose" }},
	{"option", func(n, v string) string { return "app --host db --" + n + " " + v + " --verbose" }},
	{"xml", func(n, v string) string { return "<config><" + n + ">" + v + "</" + n + "></config>" }},
	{"hash", func(n, v string) string { return "{ :host => 'db', :" + n + " => '" + v + "' }" }},
	{"ini", func(n, v string) string { return "[db]\n" + n + " = " + v + "\n" }},
}

// TestSecretKeywordsGenerated is the generator of the family "a secret
// after a name the masker does not take for a secret's": every name of
// secretKeywordNames in every carrier, through Value and the stream
// masker. The value must not be left in the output.
func TestSecretKeywordsGenerated(t *testing.T) {
	p := newPolicy(t, "all")
	names := secretKeywordNames()
	bad, total := 0, 0
	perCarrier := map[string]int{}
	for i, n := range names {
		for _, c := range secretKeywordCarriers {
			v := fmt.Sprintf("Hq%dcorrect%dhorse", i%97, total%89)
			in := c.format(n, v)
			total++
			got, _, err := p.Value("", in)
			if err == nil {
				var st []byte
				st, _, err = streamMask(p, []byte(in), []int{len(in) / 2})
				if err == nil && string(st) != got {
					err = fmt.Errorf("stream differs: %q", st)
				}
			}
			if err != nil || strings.Contains(got, v[2:]) {
				perCarrier[c.name]++
				if bad++; bad <= 12 {
					t.Errorf("%s %q: %q -> %q, %v", c.name, n, in, got, err)
				}
			}
		}
	}
	for _, c := range secretKeywordCarriers {
		t.Logf("%-8s %d of %d values left", c.name, perCarrier[c.name], len(names))
	}
	t.Logf("%d of %d values left (%d names, %d carriers)", bad, total, len(names), len(secretKeywordCarriers))
}

// secretKeywordBenign is text that names no secret though it holds the
// keywords' letters: SQL, Go source, test runners' output, prose, logs.
var secretKeywordBenign = []string{
	"SELECT password::text FROM users;",
	"SELECT u.password::varchar(64) AS p FROM users u;",
	"SELECT username, passed_at FROM exams WHERE passed = true;",
	"UPDATE flights SET passenger_count = 3 WHERE id = 7;",
	"ALTER TABLE t ADD COLUMN bypass boolean; UPDATE t SET bypass = false;",
	"SELECT pass_rate, fail_rate FROM runs WHERE pass_rate > 0.9;",
	"if passed := run(); passed {",
	"bypass := cfg.Bypass",
	"compass := newCompass(42)",
	"passes = passes + 1",
	"--- PASS: TestLogin (0.00s)",
	"--- PASS: TestSecretKeywordsGenerated (0.05s)\nPASS\nok  \tgithub.com/x/y\t0.012s",
	"PASS: test-suite.sh",
	"# PASS:  12\n# FAIL:  0",
	"The pass rate: 97%.",
	"Bypass: none configured.",
	"Use a compass: point north.",
	"Passengers: 180",
	"pass_count=12 fail_count=0",
	"Passed: 12, Failed: 0",
	"surpass=1 trespass=0 overpass=2",
	"tests: pass=12 fail=0",
	"pass_through: true",
	"--password-stdin --username ann",
	"docker login --password-stdin registry.example.com",
	"psql --passfile ~/.pgpass -h db",
	"ALTER TABLE users ADD PRIMARY KEY (id); primary_key: user_id",
	"sort_key=created_at partition_key=tenant_id_2024",
	"public_key: ssh-ed25519-AAAAC3NzaC1lZDI1NTE5",
	"key_id=prod2024signing01 key_name: deploy-2024-main",
	"Press any key: the keyboard=us layout; keys: 12",
	"cache_key=user:42:profile:v2",
	"SELECT * FROM users WHERE password = $1",
	"UPDATE users SET password = ? WHERE id = ?",
	"password=${DB_PASS} password_hash = :hash",
	"db:\n  password: \"{{ .Values.db.pass }}\"",
	"fmt.Sprintf(\"password=%s\", p)",
}

// TestSecretKeywordsNoFalsePositives: none of secretKeywordBenign is
// changed.
func TestSecretKeywordsNoFalsePositives(t *testing.T) {
	p := newPolicy(t, "all")
	changed := 0
	for _, in := range secretKeywordBenign {
		if got, _, err := p.Value("", in); err != nil || got != in {
			changed++
			t.Errorf("%q -> %q, %v", in, got, err)
		}
	}
	t.Logf("%d of %d benign texts changed", changed, len(secretKeywordBenign))
}

// TestCommandPasswordsGenerated is the generator of the family "a
// password in a command line or a URL with no secret's name before it":
// mysql's family with -pSECRET (bare, quoted), sshpass -p SECRET and
// -pSECRET, curl -u user:SECRET, and URLs of eight schemes with user
// information, at the start of a line, after a prompt and inside a
// longer line.
func TestCommandPasswordsGenerated(t *testing.T) {
	p := newPolicy(t, "all")
	var forms []string
	for _, prog := range []string{"mysql", "mysqldump", "mysqladmin", "mariadb", "MySQL"} {
		for _, f := range []string{"%s -u root -p%s app", "%s -h db -uroot -p'%s' app", `%s --host=db -p"%s" -e 'select 1'`} {
			forms = append(forms, strings.Replace(fmt.Sprintf(f, prog, "%s"), "%%", "%", -1))
		}
	}
	forms = append(forms, "sshpass -p %s ssh app@db", "sshpass -p'%s' scp a b:", "sshpass -p%s rsync -a x y:",
		"ALTER USER app WITH PASSWORD '%s';", "CREATE ROLE app LOGIN PASSWORD '%s' VALID UNTIL 'infinity'",
		"CREATE USER 'app'@'%%' IDENTIFIED BY '%s';", "ALTER USER scott IDENTIFIED BY \"%s\"",
		"curl -u admin:%s https://api.example.com/", "curl -s --user 'admin:%s' https://x/", "curl --user=ann:%s -X POST https://x/")
	for _, scheme := range []string{"postgres", "postgresql", "mysql", "redis", "amqp", "mongodb+srv", "https", "ftp"} {
		forms = append(forms, scheme+"://app:%s@db.internal:5432/app", scheme+"://:%s@cache", scheme+"://app:p@ss%s@db/x")
	}
	bad, total := 0, 0
	for i, f := range forms {
		for _, wrap := range []string{"%s", "$ %s\n", "ran: %s (exit 0)"} {
			v := fmt.Sprintf("Kq%dstaple%dbattery", i, total)
			in := fmt.Sprintf(wrap, fmt.Sprintf(f, v))
			total++
			got, err := valueAndStream(p, in, total%len(in))
			if err != nil || strings.Contains(got, v) {
				if bad++; bad <= 10 {
					t.Errorf("%q -> %q, %v", in, got, err)
				}
			}
		}
	}
	t.Logf("%d of %d passwords left (%d forms)", bad, total, len(forms))
	for _, in := range []string{
		"docker run -p 8080:80 nginx", "mkdir -p /tmp/x", "ssh -p 2222 host", "mysql -p dbname", "mysql -u root -p",
		"http://example.com:8080/path", "https://user@host/repo.git", "docker run -u 1000:1000 alpine",
		"see https://dev.mysql.com/doc/ for -p options",
	} {
		if got, _, err := p.Value("", in); err != nil || got != in {
			t.Errorf("benign %q -> %q, %v", in, got, err)
		}
	}
}
