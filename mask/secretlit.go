package mask

import (
	"encoding/base64"
	"strings"
	"sync"
)

// SecretDetector names the detector of Policy.WithSecrets in findings.
const SecretDetector = "gateway_secret"

// minSecretLen is the shortest literal WithSecrets masks: shorter ones
// would mask ordinary text.
const minSecretLen = 6

// WithSecrets returns a policy that masks, besides what p masks, the
// literal values secrets (credentials the caller itself holds: an upstream
// token, a password, an Authorization value) wherever they appear: as
// they are, in every view the detectors read (escapes decoded, markup
// stripped), in JSON with "\/" for '/', and in base64 (standard and URL
// alphabets) at any alignment inside a longer base64 text. They become
// [GATEWAY_SECRET]. A nil p gives a policy of the secrets alone; no
// secret of at least 6 bytes gives p itself.
func (p *Policy) WithSecrets(secrets []string) *Policy {
	forms := secretForms(secrets)
	if len(forms) == 0 {
		return p
	}
	base := p
	if base == nil {
		base = &Policy{policyConfig: policyConfig{e: defaultEngine(), assign: -1, keyBlocks: -1, runs: runSet{card: -1, ssn: -1, phone: -1, ipv4: -1, iban: -1}}}
	}
	d := &literalDetector{ac: newAC(forms)}
	d.words, d.needs = wordBytes(&d.ac.classOf), byteSets(forms)
	for _, f := range forms {
		d.max = max(d.max, len(f))
	}
	q := &Policy{policyConfig: base.policyConfig}
	q.dets = append(append([]*detDef(nil), base.dets...), &detDef{name: SecretDetector, d: d})
	q.strat = append(append([]*strategy(nil), base.strat...), &strategy{kind: kindRedact, label: "GATEWAY_SECRET"})
	q.otherIDs = append(append([]int(nil), base.otherIDs...), len(q.dets)-1)
	q.literals = append(append([]int(nil), base.literals...), len(q.dets)-1)
	q.horizon = max(base.horizon, d.maxLen()+ctxBefore)
	return q
}

// defaultEngine is the engine of a policy of secrets alone.
var defaultEngine = sync.OnceValue(func() *Engine {
	e, err := New(Config{})
	if err != nil {
		panic("mask: the default engine: " + err.Error())
	}
	return e
})

// secretForms returns the literals that reveal one of secrets.
func secretForms(secrets []string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if len(s) >= minSecretLen && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, s := range secrets {
		if len(s) < minSecretLen {
			continue
		}
		add(s)
		add(strings.ReplaceAll(s, "/", `\/`))
		for _, b := range base64Cores(s) {
			add(b)
			add(strings.NewReplacer("+", "-", "/", "_").Replace(b))
		}
	}
	return out
}

// base64Cores returns, for each of the three alignments s may have inside
// a longer base64 text, the characters that depend on s alone.
func base64Cores(s string) []string {
	var out []string
	for k := range 3 {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, k), s...))
		from, to := (8*k+5)/6, 8*(k+len(s))/6
		out = append(out, enc[from:to])
	}
	return out
}

// literalDetector matches literal values anywhere, ASCII
// case-insensitively: a secret's base64 form is glued to the base64
// around it, so whole words would miss it.
type literalDetector struct {
	ac  *acMatcher
	max int
	// words are the bytes of the word reading of the literals in pieces
	// and needs the bytes each literal holds (secretjoins.go).
	words [256]uint8
	needs []byteSet
}

// maxEscapedLen is how long one byte of a secret may be written escaped
// (&#x0000041;), within which an escaped secret is masked rather than
// failing closed.
const maxEscapedLen = 12

// maxLen leaves room for a secret written with every byte escaped, up to
// 16 KiB; beyond, an escaped secret fails closed (ErrLimit).
func (d *literalDetector) maxLen() int { return max(d.max, min(maxEscapedLen*d.max, 16<<10)) }

// find appends the literals in s.t, and those in pieces (findJoined).
// A text that lacks a byte of every literal (either case of a letter),
// as most texts lack one of a random token's, holds none, whole or in
// pieces: it is not searched.
func (d *literalDetector) find(s *scan, id int, out []span) []span {
	if !d.mayBeIn(s.bytes()) {
		return out
	}
	for _, h := range d.ac.findAll(s.t, nil) {
		out = append(out, span{start: h.start, end: h.end, det: id})
	}
	if s.noWordJoins {
		return out
	}
	return d.findJoined(s.t, id, out)
}
