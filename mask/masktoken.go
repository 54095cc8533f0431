package mask

// Mask tokens. Text masked once may be masked again (a reviewer's screen
// shows a masked request; a gateway masks what an upstream masked), and
// an assignment's value that is already a token — password=[PASSWORD_ASSIGNMENT]
// — is left as it is. Only a token the engine emits counts: a value that
// merely looks like one (password=[HUNTER2], capitals and digits in
// brackets) is a value and is masked.

// tokenForms says in which forms a label's token is emitted.
type tokenForms uint8

const (
	tokenRedact tokenForms = 1 << iota // [LABEL]
	tokenHash                          // [LABEL:<16 lower-case hex>]
)

// placeholders are the SDK's own stand-ins for a secret, emitted outside
// the masker: [SECRET] on a reviewer's screen (gate), [REDACTED] in HTTP
// heads and event streams (protocols/httpgate).
var placeholders = []string{"SECRET", "REDACTED"}

// emittedTokens returns the token forms of every label of strat.
func emittedTokens(strat map[string]*strategy) map[string]tokenForms {
	m := make(map[string]tokenForms, len(strat)+len(placeholders))
	for _, p := range placeholders {
		m[p] = tokenRedact
	}
	for _, st := range strat {
		switch st.kind {
		case kindRedact:
			m[st.label] |= tokenRedact
		case kindHash:
			m[st.label] |= tokenHash
		}
	}
	return m
}

// hashHexLen is the length of a hash token's hex digits (strategy.go).
const hashHexLen = 16

// isMaskToken reports whether v is a token e emits: [LABEL] of a label
// masked with redact, [LABEL:0a1b...] of one masked with hash, or only
// '*' (same_length, partial). Masking it again then finds nothing new.
func (e *Engine) isMaskToken(v []byte) bool {
	if len(v) < 3 || v[0] != '[' || v[len(v)-1] != ']' {
		for _, c := range v {
			if c != '*' {
				return false
			}
		}
		return true
	}
	in := v[1 : len(v)-1]
	label, hash := in, []byte(nil)
	for i, c := range in {
		if c == ':' {
			label, hash = in[:i], in[i+1:]
			break
		}
	}
	f := e.tokens[string(label)]
	if hash == nil {
		return f&tokenRedact != 0
	}
	if f&tokenHash == 0 || len(hash) != hashHexLen {
		return false
	}
	for _, c := range hash {
		if !isDigit(c) && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
