package mask

import "bytes"

// Passwords set by SQL statements beyond "PASSWORD 'x'" and "IDENTIFIED
// BY 'x'": MySQL's IDENTIFIED WITH plugin BY 'x' (or AS 'hash', or BY
// PASSWORD 'hash'), Oracle's bare IDENTIFIED BY x, SET PASSWORD FOR user
// = 'x', the PASSWORD('x') function, and every SQL string form
// (sqlstrings.go) after the PASSWORD clause.

// skipSQLSpace returns the index after the white space at t[j].
func skipSQLSpace(t []byte, j int) int {
	for j < len(t) && (t[j] == ' ' || t[j] == '\t' || t[j] == '\n' || t[j] == '\r') {
		j++
	}
	return j
}

// sqlWordAt reports whether the word w (lower case) stands at t[j], whole,
// in any case.
func sqlWordAt(t []byte, j int, w string) bool {
	return len(t)-j >= len(w) && bytes.EqualFold(t[j:j+len(w)], []byte(w)) && !is(at(t, j+len(w)), clWord)
}

// sqlNameEnd returns the end of the name at t[j]: an identifier, or one in
// quotes of any kind ('x', "x", `x`), or -1.
func sqlNameEnd(t []byte, j int) int {
	switch q := at(t, j); q {
	case '\'', '"', '`':
		k := bytes.IndexByte(t[j+1:min(len(t), j+1+maxLabel*2)], q)
		if k < 0 {
			return -1
		}
		return j + 1 + k + 1
	}
	k := j
	for k < len(t) && k-j < maxLabel*2 && (is(t[k], clWord) || t[k] == '-' || t[k] == '.' || t[k] == '%') {
		k++
	}
	if k == j {
		return -1
	}
	return k
}

// sqlUserEnd returns the end of an account name at t[j] (name, or
// name@host, either quoted), or -1.
func sqlUserEnd(t []byte, j int) int {
	k := sqlNameEnd(t, j)
	if k > 0 && at(t, k) == '@' {
		k = sqlNameEnd(t, k+1)
	}
	return k
}

// matchIdentified matches the password after IDENTIFIED [WITH plugin]
// BY|AS [PASSWORD]: an SQL string, or (in a statement that begins with
// CREATE, ALTER or GRANT) a bare word, as Oracle writes it.
func matchIdentified(s *scan, h kwHit) (span, bool) {
	t := s.t
	if is(at(t, h.start-1), clWord) || is(at(t, h.end), clWord) {
		return span{}, false
	}
	j := skipSQLSpace(t, h.end)
	if sqlWordAt(t, j, "with") {
		j = skipSQLSpace(t, j+4)
		k := sqlNameEnd(t, j)
		if k < 0 {
			return span{}, false
		}
		j = skipSQLSpace(t, k)
	}
	switch {
	case sqlWordAt(t, j, "by"):
		j = skipSQLSpace(t, j+2)
	case sqlWordAt(t, j, "as"):
		j = skipSQLSpace(t, j+2)
	default:
		return span{}, false
	}
	if sqlWordAt(t, j, "random") {
		return span{}, false // IDENTIFIED BY RANDOM PASSWORD: the server makes one
	}
	if sqlWordAt(t, j, "password") && (sqlStringStart(t, skipSQLSpace(t, j+8)) || skipSQLSpace(t, j+8) > j+8) {
		j = skipSQLSpace(t, j+8)
	}
	if sqlStringStart(t, j) {
		return sqlStringAt(s, j)
	}
	if !sqlStatementStart(t, h.start) || !is(at(t, j), clWord) {
		return span{}, false
	}
	sp, ok := valueSpan(s, j, s.valueEnd(j))
	if ok && placeholder(t, sp) {
		return span{}, false
	}
	return sp, ok
}

// sqlStatementStart reports whether the statement that holds t[i] (from
// the line's start, or the last ';' before it, within ctxBefore) begins
// with CREATE, ALTER or GRANT.
func sqlStatementStart(t []byte, i int) bool {
	b := i
	for b > 0 && i-b < ctxBefore-8 && t[b-1] != '\n' && t[b-1] != ';' {
		b--
	}
	b = skipSQLSpace(t, b)
	return sqlWordAt(t, b, "create") || sqlWordAt(t, b, "alter") || sqlWordAt(t, b, "grant")
}

// sqlPasswordValue matches, after SQL's PASSWORD keyword that ends at
// t[e] (the word alone), the password the clause sets: PASSWORD <string>
// in any SQL string form, PASSWORD FOR user = <value>, and PASSWORD(
// <string> ) (MySQL's function of the password).
func sqlPasswordValue(s *scan, e int) (span, bool, bool) {
	t := s.t
	j := skipSQLSpace(t, e)
	switch {
	case j > e && sqlStringStart(t, j):
		sp, ok := sqlStringAt(s, j)
		return sp, ok, true
	case at(t, e) == '(':
		k := skipSQLSpace(t, e+1)
		if sqlStringStart(t, k) {
			sp, ok := sqlStringAt(s, k)
			return sp, ok, true
		}
	case j > e && sqlWordAt(t, j, "for"):
		k := sqlUserEnd(t, skipSQLSpace(t, j+3))
		if k < 0 {
			return span{}, false, true
		}
		k = skipSQLSpace(t, k)
		if at(t, k) != '=' {
			return span{}, false, true
		}
		return sqlAssigned(s, skipSQLSpace(t, k+1))
	}
	return span{}, false, false
}

// sqlAssigned reads the value assigned at t[j] in a SQL statement: a
// string in any form, PASSWORD('x'), or a bare word; done is true.
func sqlAssigned(s *scan, j int) (span, bool, bool) {
	t := s.t
	if sqlWordAt(t, j, "password") || sqlWordAt(t, j, "old_password") {
		k := j
		for is(at(t, k), clWord) {
			k++
		}
		if at(t, k) == '(' {
			j = skipSQLSpace(t, k+1)
		}
	}
	if sqlStringStart(t, j) {
		sp, ok := sqlStringAt(s, j)
		return sp, ok, true
	}
	sp, ok := assignmentValue(s, j)
	if ok && placeholder(t, sp) {
		return span{}, false, true
	}
	return sp, ok, true
}
