package record_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// carrier writes a secret into free text the way users and tools do.
type carrier struct {
	name  string
	write func(rng *rand.Rand, secret string) string
}

// freeTextCarriers are the shapes of credentials written into free text.
var freeTextCarriers = []carrier{
	{"graphql", func(_ *rand.Rand, s string) string { return `mutation { login(user:"a", password:"` + s + `") }` }},
	{"url userinfo", func(_ *rand.Rand, s string) string {
		return "https://" + url.UserPassword("agent", s).String() + "@api.internal/v1"
	}},
	{"connection url", func(_ *rand.Rand, s string) string {
		return "postgres://" + url.UserPassword("app", s).String() + "@db:5432/prod"
	}},
	{"env assignment", func(_ *rand.Rand, s string) string { return "API_KEY=" + s + " ./deploy.sh" }},
	{"export", func(_ *rand.Rand, s string) string { return "export GITHUB_TOKEN='" + s + "'; make" }},
	{"long flag =", func(_ *rand.Rand, s string) string { return "vault login --password=" + s }},
	{"long flag space", func(_ *rand.Rand, s string) string { return `app --api-key "` + s + `" --verbose` }},
	{"mysql -p", func(_ *rand.Rand, s string) string { return "mysql -u root -p" + s + " shop" }},
	{"sshpass -p", func(_ *rand.Rand, s string) string { return "sshpass -p " + s + " ssh ops@host uptime" }},
	{"curl bearer", func(_ *rand.Rand, s string) string {
		return "curl -H 'Authorization: Bearer " + s + "' https://api.internal/x"
	}},
	{"PGPASSWORD", func(_ *rand.Rand, s string) string { return "PGPASSWORD=" + s + " psql -h db -U app" }},
	{"libpq", func(_ *rand.Rand, s string) string { return "host=db port=5432 password=" + s + " user=app" }},
	{"sql literal", func(_ *rand.Rand, s string) string { return "ALTER ROLE app WITH LOGIN PASSWORD '" + s + "'" }},
	{"sql comparison", func(_ *rand.Rand, s string) string { return "SELECT id FROM users WHERE token = '" + s + "'" }},
	{"json in string", func(_ *rand.Rand, s string) string { return `{"service":"x","client_secret":"` + s + `"}` }},
	{"yaml", func(_ *rand.Rand, s string) string { return "db:\n  password: " + s + "\n  host: db" }},
	{"basic header", func(_ *rand.Rand, s string) string {
		return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("ops:"+s))
	}},
}

// shapedSecret returns a secret that is recognised by its shape alone,
// and the text that carries it.
func shapedSecret(rng *rand.Rand) (secret, text string) {
	alnum := func(n int) string {
		return randFrom(rng, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", n)
	}
	switch rng.IntN(6) {
	case 0:
		secret = "ghp_" + alnum(36)
	case 1:
		secret = "xoxb-" + alnum(12) + "-" + alnum(24)
	case 2:
		secret = "AKIA" + randFrom(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
	case 3:
		secret = "eyJ" + alnum(20) + ".eyJ" + alnum(30) + "." + alnum(43)
	case 4:
		secret = "glpat-" + alnum(20)
	default:
		body := alnum(64) + "\n" + alnum(64) + "\n" + alnum(20) + "=="
		secret = body
		return secret, "-----BEGIN RSA PRIVATE KEY-----\n" + body + "\n-----END RSA PRIVATE KEY-----\n"
	}
	return secret, "token " + secret
}

func randFrom(rng *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// freeTextValue is a random secret value: it starts with a letter or a
// digit and holds none of the bytes that end a value in free text.
func freeTextValue(rng *rand.Rand) string {
	const first = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	return randFrom(rng, first, 1) + randFrom(rng, first+"!#*+-./:=^_~", 7+rng.IntN(16))
}

// inEveryField returns the events of one session that carry text in each
// recorded field kind: the session's target, the command, SQL text, SSH
// command line and argv, an HTTP body string and payload, a tool argument,
// output data, an error and an approval reason.
func inEveryField(sid, text string, now time.Time) []gate.Event {
	dec := func(req *gate.Request) gate.Event {
		return gate.Event{Kind: gate.EventDecision, SessionID: sid, Time: now, Request: req,
			Decision: &gate.Decision{ID: "d", Action: gate.Allow, Rule: "r"}}
	}
	body, _ := json.Marshal(map[string]any{"query": text})
	return []gate.Event{
		{Kind: gate.EventSessionStart, SessionID: sid, Time: now, Session: &gate.SessionInfo{Protocol: "ssh", Target: text, Start: now}},
		dec(&gate.Request{Protocol: "ssh", Command: text, SSH: &gate.SSH{Kind: "exec", Command: text, Argv: strings.Fields(text)}}),
		dec(&gate.Request{Protocol: "postgres", Command: text, SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "SELECT", Text: text}}}}),
		dec(&gate.Request{Protocol: "http", Command: "POST /graphql", Payload: body,
			HTTP: &gate.HTTP{Method: "POST", Path: "/graphql", Body: map[string]any{"query": text}}}),
		dec(&gate.Request{Protocol: "tool", Command: "run", Tool: &gate.ToolCall{Name: "run", Args: map[string]any{"cmd": text}}}),
		{Kind: gate.EventOutput, SessionID: sid, Time: now, Output: &gate.Output{Stream: "stdout", Data: []byte(text)}},
		{Kind: gate.EventError, SessionID: sid, Time: now, Error: "failed: " + text},
		{Kind: gate.EventApprovalDenied, SessionID: sid, Time: now, Approval: &gate.ApprovalInfo{ID: "a", Reason: text}},
	}
}

// TestFreeTextSecretsAreNotStored is the generator test of credentials
// written into free text: each carrier shape, random values, at random
// positions, in every recorded field kind; later, the session's output
// echoes the value alone. The record read back from a File (verified)
// holds the value in none of its spellings, and keeps the text around it.
func TestFreeTextSecretsAreNotStored(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 29))
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for trial := range 3 * (len(freeTextCarriers) + 6) {
		var secret, text, name string
		if trial%(len(freeTextCarriers)+6) < len(freeTextCarriers) {
			c := freeTextCarriers[trial%(len(freeTextCarriers)+6)]
			secret, name = freeTextValue(rng), c.name
			text = c.write(rng, secret)
		} else {
			secret, text = shapedSecret(rng)
			name = "shape"
		}
		keep := fmt.Sprintf("keep%d", trial)
		switch rng.IntN(3) {
		case 0:
			text = keep + " " + text
		case 1:
			text = text + " " + keep
		default:
			text = keep + " && " + text + " ; echo done"
		}
		for fi, ev := range inEveryField(fmt.Sprintf("ft-%d", trial), text, now) {
			sid := fmt.Sprintf("ft-%d-%d", trial, fi)
			ev.SessionID = sid
			evs := []gate.Event{ev,
				{Kind: gate.EventOutput, SessionID: sid, Time: now, Output: &gate.Output{Stream: "stdout", Data: []byte("echo: " + secret)}},
				{Kind: gate.EventSessionEnd, SessionID: sid, Time: now}}
			stored := storedText(t, evs)
			assertNoSecret(t, stored, secret)
			if strings.Contains(decodeBase64Runs(stored), secret) {
				t.Errorf("the secret decodes from a base64 run")
			}
			if !strings.Contains(stored, keep) {
				t.Errorf("text around the secret (%q) lost", keep)
			}
			if t.Failed() {
				t.Fatalf("trial %d, carrier %s, field %d (%s): %q\n%s", trial, name, fi, ev.Kind, text, stored)
			}
		}
	}
}
