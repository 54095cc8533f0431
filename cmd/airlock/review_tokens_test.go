package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sharedTokenConfigs spells, in every way the config file allows, a
// reviewer token that is also a client token: whoever holds it (the agent
// above all) could approve on the console the requests it makes itself,
// under the reviewer's name. Each entry is the identities and review
// sections of a config, and the environment it needs.
func sharedTokenConfigs() map[string]struct {
	yaml string
	env  map[string]string
} {
	const tok = "agent-token-0123456789"
	type c = struct {
		yaml string
		env  map[string]string
	}
	out := map[string]c{
		"literal": {yaml: `
identities: {tokens: {agent-token-0123456789: {subject: agent-1, kind: agent}}}
review: {console: {listen: 127.0.0.1:0, reviewers: {agent-token-0123456789: {subject: alice, kind: human}}}}`},
		"quoted": {yaml: `
identities: {tokens: {"agent-token-0123456789": {subject: agent-1, kind: agent}}}
review: {console: {listen: 127.0.0.1:0, reviewers: {'agent-token-0123456789': {subject: alice, kind: human}}}}`},
		"both from one variable": {yaml: `
identities: {tokens: {"${SHARED_TOKEN}": {subject: agent-1, kind: agent}}}
review: {console: {listen: 127.0.0.1:0, reviewers: {"${SHARED_TOKEN}": {subject: alice, kind: human}}}}`,
			env: map[string]string{"SHARED_TOKEN": tok}},
		"two variables, one value": {yaml: `
identities: {tokens: {"${AGENT_TOK}": {subject: agent-1, kind: agent}}}
review: {console: {listen: 127.0.0.1:0, reviewers: {"${REVIEW_TOK}": {subject: alice, kind: human}}}}`,
			env: map[string]string{"AGENT_TOK": tok, "REVIEW_TOK": tok}},
		"variable and literal": {yaml: `
identities: {tokens: {agent-token-0123456789: {subject: agent-1, kind: agent}}}
review: {console: {listen: 127.0.0.1:0, reviewers: {"${REVIEW_TOK}": {subject: alice, kind: human}}}}`,
			env: map[string]string{"REVIEW_TOK": tok}},
		"pieces": {yaml: `
identities: {tokens: {"agent-${PART}": {subject: agent-1, kind: agent}}}
review: {console: {listen: 127.0.0.1:0, reviewers: {"${HEAD}-token-0123456789": {subject: alice, kind: human}}}}`,
			env: map[string]string{"PART": "token-0123456789", "HEAD": "agent"}},
		"anchor and alias": {yaml: `
identities:
  tokens:
    &t agent-token-0123456789: {subject: agent-1, kind: agent}
review:
  console:
    listen: 127.0.0.1:0
    reviewers:
      *t : {subject: alice, kind: human}`},
		"block scalar": {yaml: `
identities:
  tokens:
    ? >-
      agent-token-0123456789
    : {subject: agent-1, kind: agent}
review: {console: {listen: 127.0.0.1:0, reviewers: {agent-token-0123456789: {subject: alice, kind: human}}}}`},
		"a human client token": {yaml: `
identities: {tokens: {agent-token-0123456789: {subject: bob, kind: human}}}
review: {console: {listen: 127.0.0.1:0, reviewers: {agent-token-0123456789: {subject: alice, kind: human}}}}`},
		"same identity": {yaml: `
identities: {tokens: {agent-token-0123456789: {subject: alice, kind: human}}}
review: {console: {listen: 127.0.0.1:0, reviewers: {agent-token-0123456789: {subject: alice, kind: human}}}}`},
	}
	return out
}

// writeTokenConfig writes a complete config around the identities and
// review sections given.
func writeTokenConfig(t *testing.T, dir, sections string) string {
	t.Helper()
	writeFile(t, filepath.Join(dir, "rules.yaml"), "default: deny\n")
	p := filepath.Join(dir, "airlock.yaml")
	writeFile(t, p, fmt.Sprintf(`
rules: {file: %[1]s/rules.yaml}
record: {file: {path: %[1]s/record.jsonl}}
postgres: {listen: 127.0.0.1:0, upstream: "postgres://postgres@127.0.0.1:5432/test"}
%[2]s
`, dir, sections))
	return p
}

// A reviewer token that is also a client token is refused when the
// config is loaded, however it is spelled: the agent's own credential
// must never approve its own request (before the fix, airlock serve ran
// such a config, and the agent approved its own DELETE on the console).
func TestServeRefusesAReviewerTokenThatIsAClientToken(t *testing.T) {
	cases := sharedTokenConfigs()
	accepted := 0
	for name, c := range cases {
		for k, v := range c.env {
			t.Setenv(k, v)
		}
		dir := t.TempDir()
		_, err := loadServeConfig(writeTokenConfig(t, dir, c.yaml))
		if err == nil {
			accepted++
			t.Errorf("%s: a reviewer token that is also a client token was accepted", name)
			continue
		}
		if !strings.Contains(err.Error(), "review.console.reviewers") || !strings.Contains(err.Error(), "identities.tokens") {
			t.Errorf("%s: the error does not name both places: %v", name, err)
		}
		assert.NotContains(t, err.Error(), "0123456789", "%s: the error shows the token", name)
	}
	t.Logf("%d of %d spellings of a shared reviewer token accepted", accepted, len(cases))
}

// Distinct tokens still load, and so does a reviewer whose subject is
// also a client's (the same person, each credential in its place).
func TestServeAcceptsDistinctReviewerTokens(t *testing.T) {
	dir := t.TempDir()
	p := writeTokenConfig(t, dir, `
identities: {tokens: {agent-token-0123456789: {subject: agent-1, kind: agent}, alice-client-0123456789: {subject: alice, kind: human}}}
review: {console: {listen: 127.0.0.1:0, reviewers: {alice-review-0123456789: {subject: alice, kind: human}, ops-service-0123456789: {subject: ci, kind: service}}}}`)
	_, err := loadServeConfig(p)
	require.NoError(t, err)
}

// A console reviewer who is not a human or a service could never vote
// (agents never review): the config says so when it is loaded instead of
// the console refusing every vote.
func TestServeRefusesReviewersThatCannotReview(t *testing.T) {
	for _, kind := range []string{"", "kind: agent"} {
		dir := t.TempDir()
		p := writeTokenConfig(t, dir, fmt.Sprintf(`
identities: {tokens: {agent-token-0123456789: {subject: agent-1, kind: agent}}}
review: {console: {listen: 127.0.0.1:0, reviewers: {alice-review-0123456789: {subject: alice, %s}}}}`, kind))
		_, err := loadServeConfig(p)
		if assert.Error(t, err, "reviewer %q", kind) {
			assert.Contains(t, err.Error(), "cannot review")
		}
	}
}
