package record

import (
	"encoding/base64"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// TestFreeTextKeepsOrdinaryText holds the scanner to the texts a record
// must keep readable: placeholders, comparisons in code and SQL, flags
// that are not passwords, prose.
func TestFreeTextKeepsOrdinaryText(t *testing.T) {
	f := freeText{names: mask.CompileSecretNames(nil)}
	for _, text := range []string{
		"SELECT id FROM users WHERE password = $1",
		"UPDATE users SET password_hash = crypt($2, gen_salt('bf')) WHERE id = $1",
		"SELECT count(*) FROM sessions WHERE token IS NOT NULL",
		"if token == expected { return }",
		"mkdir -p /tmp/build && ssh -p 2222 ops@host uptime",
		"export PATH=/usr/local/bin:/usr/bin",
		"export GITHUB_TOKEN=$GITHUB_TOKEN",
		`{"password": "${DB_PASSWORD}", "token": "{{ .Token }}"}`,
		"password: ********",
		"token_count: 12345",
		"a basic configuration of the bearer service",
		"https://example.com/a/b?c=d#e",
		"use --password-stdin to read it",
		"psql -h db -U app -d shop",
		"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
	} {
		if got := f.scan(nil, []byte(text)); len(got) > 0 {
			t.Errorf("%q: took %q for secrets", text, got)
		}
	}
}

// TestFreeTextFindsEachShape is the table of the shapes freeText knows,
// each with the value it must take.
func TestFreeTextFindsEachShape(t *testing.T) {
	f := freeText{names: mask.CompileSecretNames(nil)}
	for _, c := range []struct{ text, secret string }{
		{`mutation { login(user:"a", password:"hunter22") }`, "hunter22"},
		{`{"query":"mutation { login(password:\"hunter22\") }"}`, "hunter22"},
		{"curl https://ops:s3cr3t-pw@api.internal/x", "s3cr3t-pw"},
		{"curl https://ops:pw@api.internal/x", "ops:pw"},
		{"postgres://app:p%40ssword1@db/prod", "p@ssword1"},
		{"API_KEY=abcdef123 ./run", "abcdef123"},
		{"export TOKEN='abc def 123'", "abc def 123"},
		{"PGPASSWORD=hunter22 psql -h db", "hunter22"},
		{"host=db password=hunter22 user=app", "hunter22"},
		{"vault --password=hunter22", "hunter22"},
		{"vault --token hunter22", "hunter22"},
		{"mysql -u root -phunter22 shop", "hunter22"},
		{"sshpass -p hunter22 ssh host", "hunter22"},
		{"curl -H 'Authorization: Bearer abc.def-123'", "abc.def-123"},
		{"ALTER ROLE app PASSWORD 'hunter22'", "hunter22"},
		{"SELECT 1 FROM t WHERE api_key = 'k-123456'", "k-123456"},
		{"CREATE USER 'u'@'%' IDENTIFIED BY 'hunter22'", "hunter22"},
		{"db:\n  password: hunter22\n", "hunter22"},
		{"x ghp_abcdefghijklmnopqrstuvwxyz0123456789 y", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"},
		{"key AKIAABCDEFGHIJKLMNOP", "AKIAABCDEFGHIJKLMNOP"},
		{"xoxb-1234567890-abcdefghij", "xoxb-1234567890-abcdefghij"},
		{"jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"},
		{"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----", "b3BlbnNzaC1rZXktdjE="},
		{"Authorization: Basic b3BzOmh1bnRlcjIy", "b3BzOmh1bnRlcjIy"},
	} {
		if got := f.scan(nil, []byte(c.text)); !slices.Contains(got, c.secret) {
			t.Errorf("%q: found %q, want %q among them", c.text, got, c.secret)
		}
	}
}

// The scan of an event's JSON leaves out exactly the base64 of its byte
// fields: a "data" or "payload" string that is not their base64 is text.
func TestFreeTextEventJSONSkipsOnlyByteFields(t *testing.T) {
	f := freeText{names: mask.CompileSecretNames(nil), json: true}
	data := make([]byte, 5000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	e := gate.Event{Kind: gate.EventOutput, Error: "x password=hunter22", Output: &gate.Output{Data: data}}
	b, err := marshalEvent(&e)
	if err != nil {
		t.Fatal(err)
	}
	start, end := base64Value(b, `"data":"`, data)
	if start < 0 || string(b[start:end]) != base64.StdEncoding.EncodeToString(data) {
		t.Fatalf("the base64 of data not found in %.200s", b)
	}
	r := &redactor{names: f.names}
	if got := r.freeTextSecrets(&e, b, byteFieldSpans(&e, b)); !slices.Contains(got, "hunter22") {
		t.Errorf("text outside the byte fields not scanned: %q", got)
	}
	decoy := []byte(`{"data":"API_KEY=abcdef123","x":"` + base64.StdEncoding.EncodeToString([]byte("abc")) + `"}`)
	de := gate.Event{Output: &gate.Output{Data: []byte("abc")}}
	if got := r.freeTextSecrets(&de, decoy, byteFieldSpans(&de, decoy)); !slices.Contains(got, "abcdef123") {
		t.Errorf("a data string that is not the byte field's base64 was skipped: %q", got)
	}
}

// The name filter never rules out a name the list matches: random names
// around every pattern's core, in any case and with separators, and
// random words; with the default list and with lists of short cores. And
// it rules out the keys of ordinary JSON documents.
func TestNameFilterKeepsEverySecretName(t *testing.T) {
	for _, list := range [][]string{nil, {"ab", "*xy*", "pin", "*q9z", "k*", "*long_name*"}} {
		testNameFilter(t, list)
	}
	nf := newNameFilter(nil)
	for _, name := range []string{"id", "name", "price", "items", "tags", "description", "count", "status", "type",
		"value", "data", "user", "email", "total", "address", "updated_at", "page", "limit", "results", "title"} {
		if nf.mayMatch([]byte(name)) {
			t.Errorf("the filter lets %q through", name)
		}
	}
}

func testNameFilter(t *testing.T, list []string) {
	rng := rand.New(rand.NewPCG(2, 71))
	names := mask.CompileSecretNames(list)
	nf := newNameFilter(list)
	if list == nil {
		list = mask.SecretNames
	}
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."
	rand := func(n int) string { return randLetters(rng, letters, n) }
	for range 20000 {
		core := strings.Trim(list[rng.IntN(len(list))], "*")
		var b strings.Builder
		b.WriteString(rand(rng.IntN(4)))
		for _, c := range core {
			if rng.IntN(2) == 0 {
				c = unicode.ToUpper(c)
			}
			b.WriteRune(c)
			if rng.IntN(6) == 0 {
				b.WriteByte("-_."[rng.IntN(3)])
			}
		}
		b.WriteString(rand(rng.IntN(4)))
		for _, name := range []string{b.String(), rand(1 + rng.IntN(12))} {
			if names.Match(name) && (!nf.mayMatch([]byte(name)) || !mayMatchName(nf, name)) {
				t.Fatalf("the filter rules out %q, a secret name", name)
			}
		}
	}
}

func randLetters(rng *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}
