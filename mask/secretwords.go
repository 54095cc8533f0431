package mask

import "bytes"

// Secret names in free text judged by their words. The keywords of
// secretTextKeywords name a secret wherever they stand in a name
// (DB_PASSWORD, client_secret). The short ones of weakSecretTextKeywords
// ("pass", "pw", "pswd") are also parts of common words (passed,
// passenger, bypass, compass): a name holding one names a secret when one
// of its words is or ends in a form of "password" (DB_PASS, userPass,
// pass1, ROOT_PW, passphrase, PGPASS, rootpw), the English words ending in
// "pass" aside.

// passCountWords are the words after "pass" in a name of a count or a
// rate (pass_count, passRate), not a secret.
var passCountWords = []string{"count", "rate", "total", "ratio", "pct", "percent", "through", "thru", "status", "result", "num", "number"}

// notPasswordWords are the English words ending in "pass".
var notPasswordWords = []string{"bypass", "compass", "surpass", "overpass", "underpass", "trespass", "encompass", "impass", "flypass"}

// maxNameBack bounds how far before a keyword a name is read.
const maxNameBack = 64

// identStart returns where the name that holds t[i] starts: after the
// letters, digits, '_', '-' and '.' before it, and after the dashes of
// an option ("--db-pass").
func identStart(t []byte, i int) int {
	b := i
	for b > 0 && i-b < maxNameBack && (is(t[b-1], clWord) || t[b-1] == '-' || t[b-1] == '.') {
		b--
	}
	for b < i && (t[b] == '-' || t[b] == '.') {
		b++
	}
	return b
}

// optionName reports whether the name t[b:e] is a command-line option
// (after one or two dashes at the start of a word) whose argument may be
// a secret: one naming a file or standard input holds none.
func optionName(t []byte, b, e int) bool {
	d := b
	for d > 0 && b-d < 2 && t[d-1] == '-' {
		d--
	}
	if d == b || d > 0 && t[d-1] != ' ' && t[d-1] != '\t' && t[d-1] != '"' && t[d-1] != '\'' {
		return false
	}
	var buf [64]byte
	n := normName(buf[:0], string(t[b:e]))
	if b-d == 1 {
		// One dash: a short option's letters glued ("-pS3cret") are no
		// name; "-password v", "-pass v" are.
		for _, w := range passwordWords {
			if string(n) == w {
				return true
			}
		}
		return false
	}
	return !bytes.HasSuffix(n, []byte("file")) && !bytes.HasSuffix(n, []byte("stdin")) && !bytes.HasSuffix(n, []byte("env"))
}

// matchWeakAssignment is matchAssignment for a keyword of
// weakSecretTextKeywords: the name that holds it must be a secret's by
// its words, and a value true or false is none.
func matchWeakAssignment(s *scan, h kwHit) (span, bool) {
	t := s.t
	if strongAfterWeak(t, h.end) {
		return span{}, false // "password", "passwd", "pwd": matchAssignment's
	}
	b := identStart(t, h.start)
	e := h.end
	for e < len(t) && e-h.end <= 32 && (is(t[e], clWord) || t[e] == '-' && at(t, e+1) != '>') {
		e++
	}
	name := t[b:e]
	if !weakSecretName(name) {
		return span{}, false
	}
	sp, ok := assignmentAt(s, b, h.end)
	if !ok || sp.overlong {
		return sp, ok
	}
	v := t[sp.start:sp.end]
	switch {
	case bytes.EqualFold(v, []byte("true")) || bytes.EqualFold(v, []byte("false")):
		return span{}, false
	case string(name) == "PASS" && at(t, e) == ':' && !indentedKey(t, b):
		// A test's result ("--- PASS: TestLogin", "PASS: 12"), not a
		// YAML key.
		return span{}, false
	case allDigits(v) && testTally(t, b, sp.end):
		return span{}, false // "pass=12 fail=0"
	}
	return sp, ok
}

// indentedKey reports whether only spaces and tabs, one or more, stand
// before t[b] on its line.
func indentedKey(t []byte, b int) bool {
	k := b
	for k > 0 && (t[k-1] == ' ' || t[k-1] == '\t') {
		k--
	}
	return k < b && (k == 0 || t[k-1] == '\n')
}

// strongAfterWeak reports whether the weak keyword ending at t[e] goes on
// into one of secretTextKeywords ("pass" into "password" or "passwd",
// "pw" into "pwd"), whose hit matchAssignment reads.
func strongAfterWeak(t []byte, e int) bool {
	c := at(t, e) | 0x20
	return c == 'd' && (at(t, e-1)|0x20) == 'w' ||
		c == 'w' && (at(t, e+1)|0x20 == 'd' || at(t, e+1)|0x20 == 'o' && at(t, e+2)|0x20 == 'r' && at(t, e+3)|0x20 == 'd')
}

// allDigits reports whether v is digits only.
func allDigits(v []byte) bool {
	for _, c := range v {
		if !isDigit(c) {
			return false
		}
	}
	return len(v) > 0
}

// testTally reports whether "fail" stands within a few bytes of the line
// around t[b:e]: a count of passed tests beside the failed.
func testTally(t []byte, b, e int) bool {
	const near = 24
	lo, hi := lineAround(t, b, e, near)
	return bytes.Contains(bytes.ToLower(t[lo:hi]), []byte("fail"))
}

// weakSecretName reports whether one of the words of name (split at '_',
// '-', '.', between a lower-case letter and a capital, a capital and a
// word after it, and letters and digits) is or ends in a form of
// "password" (PGPASS, rootpw, dbpassphrase), and is no English word.
func weakSecretName(name []byte) bool {
	var buf [maxNameBack + 40]byte
	for i := 0; i < len(name); {
		var w []byte
		w, i = nameWord(name, i, buf[:])
		if len(w) == 0 {
			continue
		}
		if string(w) == "pass" && passCountNext(name, i) {
			continue
		}
		for _, p := range passwordWords {
			if bytes.HasSuffix(w, []byte(p)) && !englishPass(w) {
				return true
			}
		}
	}
	return false
}

// passCountNext reports whether the word of name at or after j (after
// its separators) is one of passCountWords.
func passCountNext(name []byte, j int) bool {
	for j < len(name) && (name[j] == '_' || name[j] == '-' || name[j] == '.') {
		j++
	}
	k := j
	for k < len(name) && (k == j || !wordBreak(name, k)) {
		k++
	}
	for _, w := range passCountWords {
		if len(w) == k-j && bytes.EqualFold(name[j:k], []byte(w)) {
			return true
		}
	}
	return false
}

// englishPass reports whether w is an English word ending in "pass".
func englishPass(w []byte) bool {
	for _, n := range notPasswordWords {
		if string(w) == n {
			return true
		}
	}
	return false
}

// nameWord returns the word of name that starts at i (see wordBreak),
// folded to lower case without its separators ('_', '-', '.') in buf,
// and where it ends.
func nameWord(name []byte, i int, buf []byte) (w []byte, end int) {
	end = i + 1
	for end < len(name) && !wordBreak(name, end) {
		end++
	}
	w = buf[:0]
	for _, c := range name[i:end] {
		if c != '_' && c != '-' && c != '.' {
			w = append(w, foldByte(c))
		}
	}
	return w, end
}

// wordBreak reports whether a word of a name starts at name[j].
func wordBreak(name []byte, j int) bool {
	c, p := name[j], name[j-1]
	switch {
	case c == '_' || c == '-' || c == '.':
		return true
	case p == '_' || p == '-' || p == '.':
		return true
	case is(c, clUpper) && is(p, clLower):
		return true
	case is(c, clUpper) && is(p, clUpper) && j+1 < len(name) && is(name[j+1], clLower):
		return true // "DBPass": DB, Pass
	case is(c, clDigit) != is(p, clDigit):
		return true
	}
	return false
}

// lineAround returns the bounds of the line around t[b:e], at most near
// bytes on either side of it.
func lineAround(t []byte, b, e, near int) (lo, hi int) {
	lo, hi = max(0, b-near), min(len(t), e+near)
	if k := bytes.LastIndexByte(t[lo:b], '\n'); k >= 0 {
		lo += k + 1
	}
	if k := bytes.IndexByte(t[e:hi], '\n'); k >= 0 {
		hi = e + k
	}
	return lo, hi
}
