package record

import (
	"bytes"
	"sync"

	"github.com/airlock-sdk/airlock/mask"
)

// minFreeTextSecret is the shortest value the free-text scanner takes for
// a secret: a found secret is replaced wherever it occurs in its event,
// and a shorter one would garble ordinary words (and refuse an event
// whose field names hold it).
const minFreeTextSecret = 6

// freeText finds credentials written into free text, where no field name
// marks them: in a command line, a SQL text, a URL, a body string, a
// command's output. It knows these shapes:
//
//   - a URL's user information: scheme://user:password@host;
//   - an assignment to a secret name (names as mask.SecretNames):
//     API_KEY=v, export TOKEN='v', PGPASSWORD=v psql, password=v host=h
//     (libpq), --password=v, --token v, password: v (YAML, a header, a
//     GraphQL argument password:"v"), "api_key":"v" inside a string, and
//     password = 'v' (SQL; a bare value after a spaced "=" is left, so
//     WHERE password = $1 keeps its text);
//   - PASSWORD 'v' (ALTER ROLE, CREATE USER ... WITH PASSWORD 'v');
//   - an authorization scheme and its credential: Bearer v, Basic v;
//   - -p v and -pv after mysql, mariadb or sshpass;
//   - a private key PEM block;
//   - well-known token shapes (see tokenShapes) and JWTs.
//
// A value ends at white space, a quote, a backslash or one of ;,&<>(){}[]
// (a quoted value at its closing quote); placeholders ($1, $VAR, ?, %s,
// <password>, {{token}}, ***) and true, false and null are not secrets.
type freeText struct {
	names *mask.SecretNameSet
	// filter, if set, rules out most names before names.Match.
	filter *nameFilter
	// json: t is JSON text, whose own object keys ("key": directly after a
	// plain quote) are field names that secretValuesInto judges, not text.
	json bool
}

// scan appends to out the secrets found in t. Most texts hold no trigger
// of any rule, which triggered proves in one pass; for the rest, only the
// rules whose triggers it saw run.
func (f freeText) scan(out []string, t []byte) []string {
	return f.scanTriggered(out, t, f.triggered(t))
}

// scanTriggered is scan, given rules, what triggered returns for t.
func (f freeText) scanTriggered(out []string, t []byte, rules scanRules) []string {
	switch {
	case rules == 0:
		return out
	case rules&(ruleSchemes|ruleSQLPassword) == 0: // no rule reads lower
		return f.scanRules(out, t, nil, rules)
	case len(t) <= 1024: // most texts: no pool (whose Get may allocate)
		var small [1024]byte
		return f.scanRules(out, t, appendLower(small[:0], t), rules)
	}
	lp := lowerPool.Get().(*[]byte)
	lower := appendLower((*lp)[:0], t)
	out = f.scanRules(out, t, lower, rules)
	*lp = lower
	lowerPool.Put(lp)
	return out
}

// allRules is every rule of scanLower.
const allRules = ruleUserinfo | ruleTokens | rulePEM | ruleSchemes | ruleAssignEquals | ruleAssignColon |
	ruleLongFlags | ruleSQLPassword | ruleShortPassword

// scanLower runs every rule over t, given t in lower case.
func (f freeText) scanLower(out []string, t, lower []byte) []string {
	return f.scanRules(out, t, lower, allRules)
}

// scanRules runs the rules over t; lower is t in lower case (needed by
// ruleSchemes and ruleSQLPassword only).
func (f freeText) scanRules(out []string, t, lower []byte, rules scanRules) []string {
	if rules&ruleUserinfo != 0 {
		out = scanUserinfo(out, t)
	}
	if rules&ruleTokens != 0 {
		out = scanTokens(out, t)
	}
	if rules&rulePEM != 0 {
		out = scanPEM(out, t, f.json)
	}
	if rules&ruleSchemes != 0 {
		out = scanSchemes(out, t, lower)
	}
	if f.names != nil {
		if rules&ruleAssignEquals != 0 {
			out = f.scanAssignments(out, t, '=')
		}
		if rules&ruleAssignColon != 0 {
			out = f.scanAssignments(out, t, ':')
		}
		if rules&ruleLongFlags != 0 {
			out = f.scanLongFlags(out, t)
		}
		if rules&ruleSQLPassword != 0 {
			out = scanSQLPassword(out, t, lower)
		}
	}
	if rules&ruleShortPassword != 0 {
		out = scanShortPasswordFlag(out, t)
	}
	return out
}

// addValue appends v to out when it can be a secret.
func addValue(out []string, v []byte) []string {
	if len(v) < minFreeTextSecret || isPlaceholder(v) || isMAC(string(v)) {
		return out
	}
	return append(out, string(v))
}

// isPlaceholder reports whether v stands for a value rather than being one.
func isPlaceholder(v []byte) bool {
	switch v[0] {
	case '$', '?', '%', '<', '{', '[', ':', '@':
		return true
	}
	if placeholderWord(v) {
		return true
	}
	return bytes.Count(v, v[:1]) == len(v) // ****, xxxxxx
}

// placeholderWord reports whether v, in lower case, is a word that stands
// for a value: "true", "null", "redacted", ... An ASCII v is lowered in a
// buffer of its own, and only when it is as long as one of them; one with
// a byte outside ASCII is lowered by bytes.ToLower (KELVIN SIGN lowers to
// 'k', CAPITAL I WITH DOT ABOVE to 'i').
func placeholderWord(v []byte) bool {
	var buf [len("undefined")]byte
	lower := buf[:0]
	for _, c := range v {
		if c >= 0x80 {
			lower = bytes.ToLower(v)
			break
		}
		if len(lower) == len(buf) {
			return false // longer than every word, and ASCII so far: lowered, as long
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower = append(lower, c)
	}
	switch string(lower) {
	case "true", "false", "null", "none", "undefined", "required", "redacted", "password", "secret":
		return true
	}
	return false
}

// endsValue reports whether c ends an unquoted value.
func endsValue(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '"', '\'', '`', '\\', ';', ',', '&', '<', '>', '(', ')', '{', '}', '[', ']':
		return true
	}
	return false
}

// value reads the value that starts at t[i]: quoted (', ", ` or \"), up
// to its closing quote, or bare, up to endsValue. quoted tells which.
func value(t []byte, i int) (v []byte, quoted bool) {
	if i >= len(t) {
		return nil, false
	}
	if q, start := valueOpening(t, i); q != 0 {
		return t[start:quotedEnd(t, start, q)], true
	}
	return t[i:bareEnd(t, i)], false
}

// valueOpening reads how the value at t[i] (i < len(t)) opens: with a
// quote (', ", ` or \") and the index after it, or bare (quote 0).
func valueOpening(t []byte, i int) (quote byte, start int) {
	q, start := t[i], i+1
	if q == '\\' && i+1 < len(t) && t[i+1] == '"' {
		q, start = '"', i+2
	}
	if q == '"' || q == '\'' || q == '`' {
		return q, start
	}
	return 0, i
}

// quotedEnd is where a value quoted with q that starts at t[start] ends:
// at its closing quote, a backslash or a newline.
func quotedEnd(t []byte, start int, q byte) int {
	j := start
	for j < len(t) && t[j] != q && t[j] != '\\' && t[j] != '\n' {
		j++
	}
	return j
}

// bareEnd is where a bare value that starts at t[i] ends (endsValue).
func bareEnd(t []byte, i int) int {
	j := i
	for j < len(t) && !endsValue(t[j]) {
		j++
	}
	return j
}

// isNameByte reports whether c belongs to a name (API_KEY, db.password,
// x-api-key, --password).
func isNameByte(c byte) bool { return nameBytes[c] }

// nameBytes marks the bytes of names: ASCII letters and digits, '_', '-'
// and '.'.
var nameBytes = func() (m [256]bool) {
	for c := range m {
		m[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
	}
	return m
}()

// nameBefore returns the name that ends at t[end-1] and where it starts.
func nameBefore(t []byte, end int) ([]byte, int) {
	i := end
	for i > 0 && isNameByte(t[i-1]) && end-i < 64 {
		i--
	}
	return t[i:end], i
}

// lowerPool holds the buffers of appendLower.
var lowerPool = sync.Pool{New: func() any { return new([]byte) }}

// appendLower appends t with ASCII letters in lower case (every other byte
// as it is, so positions match t's).
func appendLower(dst, t []byte) []byte {
	n := len(dst)
	dst = append(dst, t...)
	for i, c := range dst[n:] {
		if c >= 'A' && c <= 'Z' {
			dst[n+i] = c + 'a' - 'A'
		}
	}
	return dst
}
