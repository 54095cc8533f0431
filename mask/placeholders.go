package mask

import "bytes"

// Values that stand for a value. After a secret's name, a statement's
// bind parameter ($1, ?, :hash), a format verb (%s), a shell's or a
// template's reference (${DB_PASS}, {{ .Values.db.pass }}) holds no
// secret: it names where one comes from. Masking them hid the code and
// queries an agent reads (password = $1) and showed nothing more.

// placeholder reports whether the value t[sp.start:sp.end] is one.
func placeholder(t []byte, sp span) bool {
	v := t[sp.start:sp.end]
	switch {
	case len(v) == 0:
		return false
	case string(v) == "?":
		return true
	case v[0] == '$' && len(v) >= 2 && allDigits(v[1:]):
		return true // $1
	case v[0] == ':' && len(v) >= 2 && lowerIdent(v[1:]):
		return true // :hash (a named parameter; a generated password holds capitals or digits)
	case len(v) == 2 && v[0] == '%' && bytes.IndexByte([]byte("svdq"), v[1]) >= 0:
		return true // %s
	case bytes.HasPrefix(v, []byte("${")) && isIdent(v[2:]) && at(t, sp.end) == '}':
		return true // ${DB_PASS}
	case bytes.HasPrefix(v, []byte("{{")) && bytes.HasSuffix(v, []byte("}}")):
		return true // {{ .Values.db.pass }}
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
