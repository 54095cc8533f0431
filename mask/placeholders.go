package mask

import "bytes"

// Values that stand for a value. After a secret's name, a statement's
// bind parameter ($1, ?, :hash), a format verb (%s), a shell's or a
// template's reference (${DB_PASS}, {{ .Values.db.pass }}) holds no
// secret: it names where one comes from. Masking them hid the code and
// queries an agent reads (password = $1) and showed nothing more.
//
// Two of these shapes are also passwords' shapes: ':' and lower-case
// letters, '$' and digits. They are read as parameters only where an
// experienced reader would: $1 to $99 (a bind parameter or a shell's
// positional one: a password of '$' and three digits or more is a
// password), :name unquoted in a line of SQL or code (SQL's keywords,
// another parameter on the line) or naming a secret or its field
// (:password, password_hash = :hash),
// and psql's :'name' and :"name". In a config file, a JSON value or prose
// (password: :hunter, {"password": ":hunter"}) they are passwords.

// placeholder reports whether the value t[sp.start:sp.end] is one.
func placeholder(t []byte, sp span) bool {
	v := t[sp.start:sp.end]
	switch {
	case len(v) == 0:
		return false
	case string(v) == "?":
		return true
	case v[0] == '$' && len(v) >= 2 && allDigits(v[1:]):
		return len(v) <= 3 && v[1] != '0' // $1 to $99
	case v[0] == ':' && len(v) >= 2 && lowerIdent(v[1:]):
		// :hash (a named parameter; a generated password holds capitals
		// or digits), where a parameter stands.
		return !isQuote(at(t, sp.start-1)) && (IsSecretName(string(v[1:])) || namesItsField(t, sp.start, v[1:]) || codeLine(t, sp.start, sp.end))
	case psqlVariable(t, sp):
		return true // :'pw'
	case len(v) == 2 && v[0] == '%' && bytes.IndexByte([]byte("svdq"), v[1]) >= 0:
		return true // %s
	case bytes.HasPrefix(v, []byte("${")) && isIdent(v[2:]) && at(t, sp.end) == '}':
		return true // ${DB_PASS}
	case bytes.HasPrefix(v, []byte("{{")) && bytes.HasSuffix(v, []byte("}}")):
		return true // {{ .Values.db.pass }}
	case len(v) >= 2 && v[len(v)-1] == '(' && at(t, sp.end) == ')' && lowerIdent(v[:len(v)-1]):
		return true // now(): a call of no argument (password_changed_at = now())
	}
	return false
}

// isQuote reports whether c is a quote.
func isQuote(c byte) bool { return c == '\'' || c == '"' || c == '`' }

// psqlVariable reports whether the quoted value sp is psql's reference to
// a variable, :'name' or :"name", after a space: the colon against the
// quote, a lower-case name.
func psqlVariable(t []byte, sp span) bool {
	q := at(t, sp.start-1)
	return (q == '\'' || q == '"') && at(t, sp.start-2) == ':' && at(t, sp.start-3) == ' ' &&
		at(t, sp.end) == q && lowerIdent(t[sp.start:sp.end])
}

// namesItsField reports whether the parameter name v (its ':' at t[c])
// repeats the name it is assigned to, or that name's last part
// (password_hash = :hash).
func namesItsField(t []byte, c int, v []byte) bool {
	j := c
	for j > 0 && c-j < 8 && (t[j-1] == ' ' || t[j-1] == '=' || t[j-1] == ':' || t[j-1] == '>' || t[j-1] == '-') {
		j--
	}
	e := j
	for j > 0 && e-j < maxNameBack && is(t[j-1], clWord) {
		j--
	}
	name := t[j:e]
	return len(name) >= len(v) && bytes.EqualFold(name[len(name)-len(v):], v) &&
		(len(name) == len(v) || name[len(name)-len(v)-1] == '_')
}

// codeWords are SQL's words that tell a line of a query.
var codeWords = [...]string{"select", "insert", "update", "delete", "where", "set", "values", "returning", "and", "alter", "create", "from", "into"}

// maxCodeLine bounds the bytes codeLine reads on either side of a value.
const maxCodeLine = 160

// codeLine reports whether the line around t[s:e] is SQL or code: a word
// of SQL (codeWords), or another parameter (:name, $1, ?) besides t[s:e].
func codeLine(t []byte, s, e int) bool {
	lo, hi := lineAround(t, s, e, maxCodeLine)
	for i := lo; i < hi; {
		if i >= s && i < e {
			i = e
			continue
		}
		c := t[i]
		if (c == ':' || c == '$') && (i == 0 || !is(t[i-1], clWord)) && i+1 < hi && (is(t[i+1], clLower) || c == '$' && (is(t[i+1], clDigit) || t[i+1] == '{')) && (c != ':' || at(t, i-1) != ':') {
			return true
		}
		if c == '?' && (i == 0 || t[i-1] == ' ' || t[i-1] == '(' || t[i-1] == ',') {
			return true
		}
		if !is(c, clUpper|clLower) || i > 0 && is(t[i-1], clWord) {
			i++
			continue
		}
		j := i
		for j < hi && is(t[j], clUpper|clLower) {
			j++
		}
		if j-i <= 9 && !is(at(t, j), clWord) {
			for _, w := range codeWords {
				if len(w) == j-i && bytes.EqualFold(t[i:j], []byte(w)) {
					return true
				}
			}
		}
		i = j
	}
	return false
}

// isIdent reports whether v is letters, digits and '_' only, one or more.
func isIdent(v []byte) bool {
	for _, c := range v {
		if !is(c, clWord) {
			return false
		}
	}
	return len(v) > 0
}

// lowerIdent reports whether v is lower-case letters and '_' only, one or
// more.
func lowerIdent(v []byte) bool {
	for _, c := range v {
		if !is(c, clLower) && c != '_' {
			return false
		}
	}
	return len(v) > 0
}

// sqlPasswordClause reports whether the name t[b:e] is SQL's PASSWORD
// keyword of a role statement (CREATE ROLE ... PASSWORD 'x', ALTER USER
// ... WITH PASSWORD 'x'): the word alone, in any case.
func sqlPasswordClause(t []byte, b, e int) bool {
	return bytes.EqualFold(t[b:e], []byte("password")) && (b == 0 || t[b-1] == ' ' || t[b-1] == '\t' || t[b-1] == '\n')
}
