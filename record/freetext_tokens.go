package record

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// tokenShape is a credential recognisable by its prefix: the prefix, then
// between min and max bytes of body.
type tokenShape struct {
	prefix   string
	body     func(byte) bool
	min, max int
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isUpperAlnum(c byte) bool { return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }

func isTokenByte(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }

// tokenShapes are the well-known token formats: GitHub, Slack, AWS access
// key ids, GitLab, Stripe, OpenAI-style sk-, Google API keys, npm and
// Hugging Face.
var tokenShapes = []tokenShape{
	{"ghp_", isAlnum, 30, 255}, {"gho_", isAlnum, 30, 255}, {"ghu_", isAlnum, 30, 255},
	{"ghs_", isAlnum, 30, 255}, {"ghr_", isAlnum, 30, 255}, {"github_pat_", isTokenByte, 30, 255},
	{"xoxb-", isTokenByte, 10, 255}, {"xoxp-", isTokenByte, 10, 255}, {"xoxa-", isTokenByte, 10, 255},
	{"xoxr-", isTokenByte, 10, 255}, {"xoxs-", isTokenByte, 10, 255}, {"xoxe-", isTokenByte, 10, 255},
	{"AKIA", isUpperAlnum, 16, 16}, {"ASIA", isUpperAlnum, 16, 16},
	{"glpat-", isTokenByte, 20, 255}, {"sk_live_", isAlnum, 16, 255}, {"rk_live_", isAlnum, 16, 255},
	{"sk_test_", isAlnum, 16, 255}, {"sk-", isTokenByte, 32, 255}, {"AIza", isTokenByte, 35, 35},
	{"npm_", isAlnum, 36, 36}, {"hf_", isAlnum, 30, 255},
}

// startsWord reports whether a token may start at t[i]: not glued to a
// letter or digit before it (a JSON escape such as \n before it counts as
// a separator).
func startsWord(t []byte, i int) bool {
	return i == 0 || !isTokenByte(t[i-1]) || i > 1 && t[i-2] == '\\'
}

// shapesByLead lists, for each byte, the tokenShapes whose prefix starts
// with it: one pass over a text finds the candidates of every shape.
var shapesByLead = func() (m [256][]tokenShape) {
	for _, s := range tokenShapes {
		m[s.prefix[0]] = append(m[s.prefix[0]], s)
	}
	return m
}()

// scanTokens appends the tokens of tokenShapes and the JWTs in t.
func scanTokens(out []string, t []byte) []string {
	for p, c := range t {
		shapes := shapesByLead[c]
		if shapes == nil || !startsWord(t, p) {
			continue
		}
		for _, s := range shapes {
			if tok, ok := s.at(t, p); ok {
				out = append(out, tok)
				break
			}
		}
	}
	return scanJWTs(out, t)
}

// at returns the token of shape s that starts at t[p], if one does.
func (s tokenShape) at(t []byte, p int) (string, bool) {
	if !bytes.HasPrefix(t[p:], []byte(s.prefix)) {
		return "", false
	}
	j := p + len(s.prefix)
	for j < len(t) && s.body(t[j]) && j-p-len(s.prefix) <= s.max {
		j++
	}
	if n := j - p - len(s.prefix); n < s.min || n > s.max {
		return "", false
	}
	return string(t[p:j]), true
}

// scanJWTs appends the JSON Web Tokens in t: eyJ..., three base64url
// segments separated by dots (the signature may be empty).
func scanJWTs(out []string, t []byte) []string {
	for p := 0; ; {
		i := bytes.Index(t[p:], []byte("eyJ"))
		if i < 0 {
			return out
		}
		p += i
		j, dots := p, 0
		for j < len(t) && (isTokenByte(t[j]) || t[j] == '.' && dots < 2) {
			if t[j] == '.' {
				dots++
			}
			j++
		}
		if startsWord(t, p) && dots == 2 && j-p >= 24 {
			out = append(out, string(t[p:j]))
		}
		p = j
	}
}

// scanSchemes appends the credentials of "Bearer v" (a v that is not a
// lower-case word) and "Basic v" (a v that decodes to user:password)
// wherever they are written; lower is t in lower case.
func scanSchemes(out []string, t, lower []byte) []string {
	for _, scheme := range []string{"bearer ", "basic "} {
		for p := 0; ; {
			i := bytes.Index(lower[p:], []byte(scheme))
			if i < 0 {
				break
			}
			p += i + len(scheme)
			j := p
			for j < len(t) && (isTokenByte(t[j]) || bytes.IndexByte([]byte("._~+/="), t[j]) >= 0) {
				j++
			}
			v := t[p:j]
			if isWord(v) {
				continue // prose: "the bearer service"
			}
			if scheme == "basic " {
				d, err := base64.StdEncoding.DecodeString(string(v))
				if err != nil || bytes.IndexByte(d, ':') < 0 {
					continue
				}
			}
			out = addValue(out, v)
		}
	}
	return out
}

// isWord reports whether v is lower-case letters only, as words of prose
// are and credentials seldom are.
func isWord(v []byte) bool {
	for _, c := range v {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// scanPEM appends private key PEM blocks (BEGIN to END, or to the end of
// the text or JSON string when cut), their base64 bodies and the lines
// of the bodies. In JSON text
// the block is unescaped.
func scanPEM(out []string, t []byte, inJSON bool) []string {
	for p := 0; ; {
		i := bytes.Index(t[p:], []byte("-----BEGIN "))
		if i < 0 {
			return out
		}
		p += i
		h := bytes.Index(t[p+11:], []byte("-----"))
		if h < 0 || !bytes.Contains(t[p:p+11+h], []byte("PRIVATE KEY")) {
			p += 11
			continue
		}
		bodyStart := p + 11 + h + 5
		end := pemEnd(t, bodyStart, inJSON)
		block, body := t[p:end], t[bodyStart:end]
		if e := bytes.Index(body, []byte("-----END ")); e >= 0 {
			body = body[:e]
		}
		key := strings.TrimSpace(unescapeJSON(body, inJSON))
		out = append(out, unescapeJSON(block, inJSON), key)
		// Each line, too: a command's argv or an output split it.
		for line := range strings.FieldsSeq(key) {
			out = addValue(out, []byte(line))
		}
		p = end
	}
}

// pemEnd returns where the block whose body starts at t[i] ends.
func pemEnd(t []byte, i int, inJSON bool) int {
	if e := bytes.Index(t[i:], []byte("-----END ")); e >= 0 {
		if f := bytes.Index(t[i+e+9:], []byte("-----")); f >= 0 {
			return i + e + 9 + f + 5
		}
	}
	if inJSON {
		for j := i; j < len(t); j++ {
			if t[j] == '\\' {
				j++
			} else if t[j] == '"' {
				return j
			}
		}
	}
	return len(t)
}

// unescapeJSON returns s, decoded as the inside of a JSON string when
// inJSON (as it is when it does not decode).
func unescapeJSON(s []byte, inJSON bool) string {
	if !inJSON || bytes.IndexByte(s, '\\') < 0 {
		return string(s)
	}
	var v string
	if json.Unmarshal(append(append([]byte{'"'}, s...), '"'), &v) != nil {
		return string(s)
	}
	return v
}
