package mask

import "bytes"

// secretKW is one prefilter keyword of a built-in secret detector.
type secretKW struct {
	det   string
	kw    string
	exact bool // the keyword is case-sensitive (token prefixes)
	match func(s *scan, h kwHit) (span, bool)
}

// secretKeywords feeds builtinAC; tokenDetector filters hits by detector.
var secretKeywords []secretKW

func addKeywords(det string, exact bool, m func(*scan, kwHit) (span, bool), kws ...string) {
	for _, k := range kws {
		secretKeywords = append(secretKeywords, secretKW{det: det, kw: k, exact: exact, match: m})
	}
}

// tokenDetector runs the matchers of one detector at its keyword hits.
type tokenDetector struct {
	name string
	max  int
}

func (d tokenDetector) maxLen() int { return d.max }

func (d tokenDetector) find(s *scan, id int, out []span) []span {
	for _, h := range s.keywords() {
		if h.id >= dotKeyword {
			continue
		}
		k := &secretKeywords[h.id]
		if k.det != d.name {
			continue
		}
		if k.exact && string(s.t[h.start:h.end]) != k.kw {
			continue
		}
		if sp, ok := k.match(s, h); ok {
			sp.det = id
			out = append(out, sp)
		}
	}
	return out
}

func isB64URL(c byte) bool { return is(c, clWord) || c == '-' }

// prefixToken matches a keyword that begins a token: the prefix, then
// between minBody and maxBody bytes of body class. Glued to word
// characters on either side, the body must look random (glue.go).
func prefixToken(body uint16, minBody, maxBody int, extra string) func(*scan, kwHit) (span, bool) {
	return prefixTokenOf(body, minBody, maxBody, extra, glueRandom)
}

// prefixTokenOf is prefixToken with the rule g for a glued token.
func prefixTokenOf(body uint16, minBody, maxBody int, extra string, g glueRule) func(*scan, kwHit) (span, bool) {
	return func(s *scan, h kwHit) (span, bool) {
		t := s.t
		j := h.end
		for j < len(t) && j-h.end < maxBody && (is(t[j], body) || (extra != "" && bytes.IndexByte([]byte(extra), t[j]) >= 0)) {
			j++
		}
		if j-h.end < minBody || !gluedOK(t, h.start, h.end, j, g) {
			return span{}, false
		}
		return span{start: h.start, end: j}, true
	}
}

const (
	// maxAWSSecretRun bounds the run masked after a secret access key's
	// name.
	maxAWSSecretRun = 256
	maxPEM          = 8 << 10
	maxJWT          = 8 << 10
	maxAssignment   = 4 << 10
)

func init() {
	upperDigit := uint16(clUpper | clDigit)
	alnum := uint16(clUpper | clLower | clDigit)
	addKeywords("aws_access_key_id", false, matchAWSKeyID(prefixTokenOf(upperDigit, 16, 16, "", glueAWS), prefixTokenOf(clLower|clDigit, 16, 16, "", glueAWSLower)), "AKIA", "ASIA", "ABIA", "ACCA")
	addKeywords("aws_secret_access_key", false, matchAWSSecret, "secret_access_key", "secretaccesskey", "aws_secret_key", "secret-access-key")
	addKeywords("github_token", true, prefixToken(alnum, 36, 251, ""), "ghp_", "gho_", "ghu_", "ghs_", "ghr_")
	addKeywords("github_token", true, prefixToken(clWord, 22, 255, ""), "github_pat_")
	addKeywords("gitlab_token", true, prefixToken(clTokenCh, 20, 255, "."),
		"glpat-", "gldt-", "glrt-", "glptt-", "glft-", "glsoat-", "glcbt-", "gloas-", "glimt-", "glagent-", "glffct-")
	addKeywords("slack_token", true, prefixToken(alnum, 10, 255, "-"), "xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-", "xapp-")
	addKeywords("slack_token", false, matchSlackWebhook, "hooks.slack.com/services/")
	addKeywords("stripe_key", true, prefixToken(alnum, 16, 255, ""), "sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_")
	addKeywords("google_api_key", true, prefixToken(clTokenCh, 35, 35, ""), "AIza")
	addKeywords("jwt", true, matchJWT, "eyJ")
	addKeywords("private_key", true, matchPEM, "-----BEGIN ")
	addKeywords("private_key", true, matchPEMTail, "-----END ")
	addKeywords("password_assignment", false, matchAssignment, secretTextKeywords...)
	addKeywords("password_assignment", false, matchWeakAssignment, weakSecretTextKeywords...)
	for _, p := range passOptionPrograms {
		addKeywords("password_assignment", false, matchPassOption, p.name)
	}
	addKeywords("password_assignment", false, matchKeyAssignment, "key")
	addKeywords("password_assignment", false, matchUserInfoPassword, "://")
	addKeywords("password_assignment", false, matchIdentified, "identified")
	addKeywords("password_assignment", false, matchCurlUser, "curl")

	kws := make([]string, len(secretKeywords), len(secretKeywords)+1+len(digitNames))
	for i, k := range secretKeywords {
		kws[i] = k.kw
	}
	dotKeyword = len(kws)
	kws = append(kws, " dot ")
	kws = append(kws, digitNames[:]...)
	builtinAC = newAC(kws)
}

// dotKeyword is the id in builtinAC of " dot " (any case), and those after
// it are the spelled digits; no detector takes them: the walk that finds
// the keywords tells the spelled-out e-mail reading (words.go) whether a
// text holds the word, and the code lists (codelists.go) how many spelled
// digits it holds, for free.
var dotKeyword int

// matchAWSSecret matches the 40-character secret access key that follows
// one of its key names and an '=' or ':'.
func matchAWSSecret(s *scan, h kwHit) (span, bool) {
	t := s.t
	j := h.end
	sep := false
	for j < len(t) && j-h.end < 8 {
		c := t[j]
		if c == '=' || c == ':' {
			sep = true
		} else if c != ' ' && c != '"' && c != '\'' && c != '\t' && c != '>' {
			break
		}
		j++
	}
	if !sep {
		return span{}, false
	}
	e := j
	for e < len(t) && e-j < maxAWSSecretRun && (isAlnum(t[e]) || t[e] == '/' || t[e] == '+') {
		e++
	}
	if e-j < 40 {
		return span{}, false
	}
	// Longer than a key: glued to what follows (glue.go); the whole
	// value after the key's name is masked.
	return span{start: j, end: e}, true
}

func matchSlackWebhook(s *scan, h kwHit) (span, bool) {
	t := s.t
	j := h.end
	for j < len(t) && j-h.end < 128 && (isAlnum(t[j]) || t[j] == '/' || t[j] == '_') {
		j++
	}
	if j-h.end < 20 {
		return span{}, false
	}
	return span{start: h.end, end: j}, true
}

// matchJWT matches header.payload.signature in base64url, the header
// starting with "eyJ" (base64 of `{"`), and the two more parts of an
// encrypted one. Longer than 8 KiB fails closed.
func matchJWT(s *scan, h kwHit) (span, bool) {
	t := s.t
	if at(t, h.start-1) == '.' && jwtPayload(t, h.start) {
		return span{}, false // a later part of a token: its payload
	}
	j := h.start
	limit := h.start + maxJWT
	// Three parts signed, five encrypted (JWE); a fourth is also what
	// glues a token to a following ".x" (glue.go).
	for part := 0; ; part++ {
		b := j
		j = min(s.b64URLEnd(j), limit+1)
		if j > limit {
			return span{start: h.start, end: limit, overlong: true}, true
		}
		more := at(t, j) == '.' && isB64URL(at(t, j+1))
		switch {
		case part < 2:
			if j-b < 2 || at(t, j) != '.' {
				return span{}, false
			}
		case more && part == 4:
			return span{}, false // six parts or more: not a token
		case !more:
			return span{start: h.start, end: j}, true
		}
		j++
	}
}

// matchPEM matches a PEM private key block from its BEGIN line through its
// END line. Without an END line within 8 KiB of BEGIN, the candidate is
// overlong and fails closed; at the very end of the input a block cut short
// is masked to the end.
func matchPEM(s *scan, h kwHit) (span, bool) {
	t := s.t
	j := h.end
	for j < len(t) && j-h.end < 64 && (is(t[j], clUpper|clDigit) || t[j] == ' ') {
		j++
	}
	label := t[h.end:j]
	if !bytes.HasPrefix(t[j:], []byte("-----")) || !bytes.Contains(label, []byte("PRIVATE KEY")) {
		return span{}, false
	}
	limit := min(h.start+maxPEM, len(t))
	k := bytes.Index(t[j:limit], []byte("-----END "))
	if k >= 0 {
		e := j + k + len("-----END ")
		if c := bytes.Index(t[e:limit], []byte("-----")); c >= 0 {
			return span{start: h.start, end: e + c + 5}, true
		}
	}
	if h.start+maxPEM < len(t) || (h.start+maxPEM == len(t) && !s.final) {
		return span{start: h.start, end: h.start + maxPEM, overlong: true}, true
	}
	if s.final {
		return span{start: h.start, end: len(t)}, true
	}
	return span{}, false
}

// matchAssignment matches the value of "password=...", "secret: ...",
// `"api_key": "..."`, "Authorization: Bearer ...". The keyword may be part
// of a longer identifier (DB_PASSWORD, client_secret). Only the value is
// masked. A value longer than 4 KiB fails closed.
func matchAssignment(s *scan, h kwHit) (span, bool) {
	b := identStart(s.t, h.start)
	sp, ok := assignmentAt(s, b, h.end)
	if ok && !sp.overlong && placeholder(s.t, sp) {
		return span{}, false
	}
	if ok && !sp.overlong {
		sp.end = conninfoValueEnd(s.t, b, sp)
	}
	return sp, ok
}

// assignmentAt matches the value after the name that starts at t[b] and
// holds a keyword ending at t[kwEnd]: after an assignment operator, after
// a space when the name is a command-line option ("--password v"), or
// as the text of an element of that name ("<pass>v</pass>").
func assignmentAt(s *scan, b, kwEnd int) (span, bool) {
	t := s.t
	j := kwEnd
	// Rest of the identifier.
	for j < len(t) && j-kwEnd <= 32 && (is(t[j], clWord) || t[j] == '-' && at(t, j+1) != '>') {
		j++
	}
	if j-kwEnd > 32 {
		return span{}, false
	}
	nameEnd := j
	if c := at(t, j); c == '"' || c == '\'' || c == '`' {
		j++
	}
	sp := j
	for at(t, j) == ' ' || at(t, j) == '\t' {
		j++
	}
	switch {
	case at(t, j) == ':' && at(t, j+1) == ':' && at(t, j+2) == '=':
		// "password ::= hunter2" (BNF).
		j += 3
	case at(t, j) == ':' && at(t, j+1) == ':':
		return span{}, false // "password::text" is a cast
	case at(t, j) == ':' && at(t, j+1) == '=', at(t, j) == '=' && at(t, j+1) == ':':
		// "password := hunter2"; "password =: hunter2", "password=:pw" (a
		// bind parameter): the operator stays whole.
		j += 2
	case at(t, j) == '=' && at(t, j+1) == '>':
		j += 2
	case at(t, j) == '-' && at(t, j+1) == '>' && at(t, j+2) != '>':
		// "password -> hunter2"; "->>" is PostgreSQL's JSON operator.
		j += 2
	case at(t, j) == ':' || at(t, j) == '=':
		if at(t, j+1) == '=' { // "==" is a comparison
			return span{}, false
		}
		j++
	case j > sp && sp == nameEnd && optionName(t, b, nameEnd) && at(t, j) != '-' && !isValueEnd(at(t, j)):
		// "--password hunter2": the option's argument.
		return assignmentValue(s, j)
	case sp == nameEnd && b > 0 && t[b-1] == '<' && at(t, j) == '>' && j == sp:
		// "<pass>hunter2</pass>"
		return assignmentValue(s, j+1)
	case sp == nameEnd && sqlPasswordClause(t, b, nameEnd):
		// SQL's "WITH PASSWORD 'hunter2'", "PASSWORD $$hunter2$$",
		// "SET PASSWORD FOR bob = 'hunter2'", "PASSWORD('hunter2')".
		if v, ok, done := sqlPasswordValue(s, nameEnd); done {
			return v, ok
		}
		return span{}, false
	default:
		return span{}, false
	}
	for at(t, j) == ' ' || at(t, j) == '\t' {
		j++
	}
	return assignmentValue(s, j)
}

// valueEnd returns the first index at or after i that ends an unquoted
// value (or len(t)). The answer is remembered: keyword hits come in
// increasing order, so a run of "password=password=..." is walked once,
// not once per hit.
func (s *scan) valueEnd(i int) int {
	if i >= s.veFrom && i <= s.veEnd && s.veOK {
		return s.veEnd
	}
	j := i
	for j < len(s.t) && !isValueEnd(s.t[j]) && !(s.t[j] == '\\' && escapedBreak(s.t, j)) {
		j++
	}
	s.veFrom, s.veEnd, s.veOK = i, j, true
	return j
}

// b64URLEnd returns the first index at or after i that is not base64url
// (or len(t)), remembered as valueEnd's answer is: a run of "eyJeyJ..."
// is walked once, not once per keyword hit.
func (s *scan) b64URLEnd(i int) int {
	if s.b64OK && i >= s.b64From && i <= s.b64End {
		return s.b64End
	}
	j := i
	for j < len(s.t) && isB64URL(s.t[j]) {
		j++
	}
	s.b64From, s.b64End, s.b64OK = i, j, true
	return j
}

func isValueEnd(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '"', '\'', '`', ',', ';', '&', '<', '>', ')', '}', ']':
		return true
	}
	return false
}

// matchAWSKeyID matches an access key ID in upper case, its own form, or
// wholly in lower case: lower() loses nothing from an alphabet of capitals
// and digits, so an agent can undo it. Mixed case is not a key ID.
func matchAWSKeyID(upper, lower func(*scan, kwHit) (span, bool)) func(*scan, kwHit) (span, bool) {
	return func(s *scan, h kwHit) (span, bool) {
		kw := s.t[h.start:h.end]
		switch {
		case is(kw[0], clUpper) && is(kw[1], clUpper) && is(kw[2], clUpper) && is(kw[3], clUpper):
			return upper(s, h)
		case is(kw[0], clLower) && is(kw[1], clLower) && is(kw[2], clLower) && is(kw[3], clLower):
			return lower(s, h)
		}
		return span{}, false
	}
}
