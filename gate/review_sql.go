package gate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/airlock-sdk/airlock/internal/sqltext"
	"github.com/airlock-sdk/airlock/mask"
)

// sqlPieceKind says how a piece of SQL text is read by PostgreSQL.
type sqlPieceKind int

const (
	sqlCode    sqlPieceKind = iota // keywords, names, operators, numbers
	sqlQuoted                      // a string literal or quoted identifier
	sqlDollar                      // a dollar-quoted string: often code itself
	sqlComment                     // a -- or /* */ comment
)

// sqlPiece is one piece of SQL text; open and close are the delimiters of
// quoted and dollar-quoted pieces and comments (close empty when the text
// ends first).
type sqlPiece struct {
	kind        sqlPieceKind
	open, body  string
	close, text string
}

// sqlPieces splits SQL text as PostgreSQL's lexer does (with
// standard_conforming_strings on, as the proxy requires): string literals
// ('...' with ” inside, E'...' with backslash escapes too, B”, X”,
// N” and U&”), quoted names, dollar-quoted strings, line and nested
// block comments, and the code between them. It reads the code a token at
// a time, as the lexer does, so that what starts a piece is decided where
// PostgreSQL decides it (E” only at a token's start, a $ inside a name or
// a parameter starts nothing). The pieces' text joins back to s.
func sqlPieces(s string) []sqlPiece {
	var out []sqlPiece
	code := 0
	for i := 0; i < len(s); {
		p, n := sqlPieceAt(s, i)
		if n == 0 {
			i = codeTokenEnd(s, i)
			continue
		}
		if i > code {
			out = append(out, sqlPiece{kind: sqlCode, text: s[code:i]})
		}
		p.text = s[i : i+n]
		out = append(out, p)
		i += n
		code = i
	}
	if code < len(s) {
		out = append(out, sqlPiece{kind: sqlCode, text: s[code:]})
	}
	return out
}

// codeTokenEnd returns the end of the code token starting at s[i]: a name
// (which may hold $), a number, a parameter, or one other byte.
func codeTokenEnd(s string, i int) int {
	c := s[i]
	j := i + 1
	switch {
	case identStarts(c):
		for j < len(s) && identContinues(s[j]) {
			j++
		}
	case c >= '0' && c <= '9' || c == '.' && j < len(s) && isDigit(s[j]):
		return numberEnd(s, i)
	case c == '$' && j < len(s) && isDigit(s[j]):
		for j < len(s) && isDigit(s[j]) {
			j++
		}
	}
	return j
}

// numberEnd returns the end of the numeric constant at s[i]: digits with
// _ between them, a 0x/0o/0b prefix, a fraction, an exponent. A letter
// after it starts another token.
func numberEnd(s string, i int) int {
	digits := func(j int, ok func(byte) bool) int {
		for j < len(s) && (ok(s[j]) || s[j] == '_' && j+1 < len(s) && ok(s[j+1])) {
			j++
		}
		return j
	}
	if s[i] == '0' && i+2 < len(s) && strings.IndexByte("xXoObB", s[i+1]) >= 0 && isAlnum(s[i+2]) {
		return digits(i+2, isAlnum)
	}
	j := digits(i, isDigit)
	if j < len(s) && s[j] == '.' && !(j+1 < len(s) && s[j+1] == '.') {
		j = digits(j+1, isDigit)
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && isDigit(s[k]) {
			j = digits(k, isDigit)
		}
	}
	return j
}

// sqlPieceAt returns the quoted, dollar-quoted or comment piece starting
// at s[i], the start of a token, and its length, or a zero length when a
// code token starts there.
func sqlPieceAt(s string, i int) (sqlPiece, int) {
	c := s[i]
	switch {
	case c == '-' && strings.HasPrefix(s[i:], "--"):
		end := strings.IndexAny(s[i:], "\r\n")
		if end < 0 {
			end = len(s) - i
		}
		return sqlPiece{kind: sqlComment, open: "--", body: s[i+2 : i+end]}, end
	case c == '/' && strings.HasPrefix(s[i:], "/*"):
		end, ok := sqltext.BlockCommentEnd(s, i)
		if !ok {
			return sqlPiece{kind: sqlComment, open: "/*", body: s[i+2:]}, len(s) - i
		}
		return sqlPiece{kind: sqlComment, open: "/*", body: s[i+2 : end-2], close: "*/"}, end - i
	case c == '$':
		return dollarPiece(s, i)
	}
	prefix := quotePrefix(s[i:])
	q := i + len(prefix)
	if q >= len(s) || s[q] != '\'' && s[q] != '"' {
		return sqlPiece{}, 0
	}
	escapes := prefix == "E" || prefix == "e"
	end, closed := quotedEnd(s, q, s[q], escapes)
	p := sqlPiece{kind: sqlQuoted, open: s[i : q+1], body: s[q+1 : end]}
	if closed {
		p.close = s[q : q+1]
		return p, end + 1 - i
	}
	return p, end - i
}

// quotePrefix returns the letters at the start of s that make one token
// with the quote after them: E, B, X or N before ', U& before ' or ".
func quotePrefix(s string) string {
	if len(s) >= 3 && (s[0] == 'U' || s[0] == 'u') && s[1] == '&' && (s[2] == '\'' || s[2] == '"') {
		return s[:2]
	}
	if len(s) >= 2 && strings.IndexByte("EeBbXxNn", s[0]) >= 0 && s[1] == '\'' {
		return s[:1]
	}
	return ""
}

// quotedEnd returns the index of the quote closing the literal or quoted
// name opened at s[i], or len(s) and false when the text ends first.
func quotedEnd(s string, i int, q byte, escapes bool) (int, bool) {
	for j := i + 1; j < len(s); j++ {
		switch {
		case escapes && s[j] == '\\':
			j++
		case s[j] == q && j+1 < len(s) && s[j+1] == q:
			j++
		case s[j] == q:
			return j, true
		}
	}
	return len(s), false
}

// dollarPiece returns the dollar-quoted string at s[i], the start of a
// token: $, a name that does not start with a digit (or none), $; or a
// zero length when no such delimiter starts there.
func dollarPiece(s string, i int) (sqlPiece, int) {
	j := i + 1
	if j < len(s) && !identStarts(s[j]) && s[j] != '$' {
		return sqlPiece{}, 0
	}
	for j < len(s) && s[j] != '$' {
		if !isIdentByte(s[j]) {
			return sqlPiece{}, 0
		}
		j++
	}
	if j >= len(s) {
		return sqlPiece{}, 0
	}
	tag := s[i : j+1]
	body := s[j+1:]
	if e := strings.Index(body, tag); e >= 0 {
		return sqlPiece{kind: sqlDollar, open: tag, body: body[:e], close: tag}, len(tag) + e + len(tag)
	}
	return sqlPiece{kind: sqlDollar, open: tag, body: body}, len(s) - i
}

// identStarts reports whether c may start a PostgreSQL name.
func identStarts(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// identContinues reports whether c may continue a PostgreSQL name.
func identContinues(c byte) bool { return isIdentByte(c) || c == '$' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// maxSQLDisplayDepth bounds how deep dollar-quoted bodies are read as SQL.
const maxSQLDisplayDepth = 8

// contextBytes is how much of the code before a literal is masked with
// it, so that "password = '...'" is still recognised.
const contextBytes = 64

// sqlText masks SQL text for reviewers without letting a mask reach past
// the piece of text it started in: a secret or value detector (a password
// assignment whose value the masker reads to the next quote, past a
// backslash that PostgreSQL does not treat as an escape; PASSWORD inside a
// literal; a private-key block spanning comments) would otherwise replace
// code with a mask, and reviewers would approve a statement other than
// the one that runs. Each literal is masked with the code just before it
// and keeps its quotes; code is masked on its own, a word at a time when
// a mask touches it; comments on their own; dollar-quoted bodies (code of
// functions and DO blocks) as SQL in turn.
func (m displayMasker) sqlText(s string) (string, bool) {
	if out, ok := m.text("", s); !ok || out == s {
		return out, ok // nothing to mask, as a whole: nothing covered
	}
	return m.sqlTextDepth(s, 0)
}

func (m displayMasker) sqlTextDepth(s string, depth int) (string, bool) {
	var b strings.Builder
	prevCode := ""
	for _, p := range sqlPieces(s) {
		var out string
		var ok bool
		switch {
		case p.kind == sqlCode:
			out, ok = m.sqlCode(p.text)
			prevCode = p.text
		case p.kind == sqlDollar && depth < maxSQLDisplayDepth && !m.contextMasks(tail(prevCode, contextBytes), p.text):
			out, ok = m.sqlTextDepth(p.body, depth+1)
			out = p.open + out + p.close
			prevCode = ""
		default:
			ctx := ""
			if p.kind != sqlComment {
				ctx = tail(prevCode, contextBytes)
			}
			out, ok = m.sqlDelimited(ctx, p)
			prevCode = ""
		}
		if !ok {
			return "", false
		}
		b.WriteString(out)
	}
	return b.String(), true
}

// contextMasks reports whether the code before a piece changes how the
// piece is masked (PASSWORD $$...$$): the piece is then a value, masked
// as one, not code to read.
func (m displayMasker) contextMasks(ctx, piece string) bool {
	if ctx == "" {
		return false
	}
	with, ok1 := m.text("", ctx+piece)
	mctx, ok2 := m.text("", ctx)
	alone, ok3 := m.text("", piece)
	return !ok1 || !ok2 || !ok3 || with != mctx+alone
}

// sqlCode masks a piece of code: whole when no mask touches it, else a
// word at a time, so that a mask never covers an operator, a keyword or
// the space between them.
func (m displayMasker) sqlCode(code string) (string, bool) {
	out, ok := m.text("", code)
	if !ok || out == code {
		return out, ok
	}
	var b strings.Builder
	for _, w := range codeWords(code) {
		o, ok := m.text("", w)
		if !ok {
			return "", false
		}
		b.WriteString(o)
	}
	return b.String(), true
}

// codeWords splits code into names and numbers, runs of white space, and
// single other characters.
func codeWords(code string) []string {
	var out []string
	for i := 0; i < len(code); {
		j := i + 1
		switch c := code[i]; {
		case identContinues(c) || c == '.':
			for j < len(code) && (identContinues(code[j]) || code[j] == '.') {
				j++
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			for j < len(code) && strings.IndexByte(" \t\n\r\f\v", code[j]) >= 0 {
				j++
			}
		}
		out = append(out, code[i:j])
		i = j
	}
	return out
}

// sqlDelimited masks a literal, quoted identifier or comment, with ctx
// (the code before it) read along. The result keeps the piece's
// delimiters; when the mask would reach into ctx or past a delimiter, the
// whole body is hidden instead.
func (m displayMasker) sqlDelimited(ctx string, p sqlPiece) (string, bool) {
	in := ctx + p.text
	out, ok := m.text("", in)
	if !ok {
		return "", false
	}
	if out == in {
		return p.text, true
	}
	mctx, ok := m.text("", ctx)
	if !ok {
		return "", false
	}
	lead := p.text[:len(p.text)-len(p.body)-len(p.close)]
	if shown, ok := strings.CutPrefix(out, mctx); ok && onePiece(shown, p) && strings.HasPrefix(shown, lead) {
		return shown, true
	}
	return lead + hiddenValue + p.close, true
}

// onePiece reports whether s reads as one piece like p, from its first
// byte to its last, delimited as p is.
func onePiece(s string, p sqlPiece) bool {
	ps := sqlPieces(s)
	return len(ps) == 1 && ps[0].kind == p.kind && ps[0].open == p.open && ps[0].close == p.close
}

// hiddenValue stands for the body of a literal that could not be masked
// without reaching past it.
const hiddenValue = displaySecret

// tail returns the last n bytes of s at most, from a rune start.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := len(s) - n
	for i < len(s) && s[i]&0xC0 == 0x80 {
		i++
	}
	return s[i:]
}

// showSQL puts the SQL of a request before reviewers as sqlText masks it:
// it replaces the "SQL" part details made and returns the command to
// show.
func showSQL(det *ReviewDetails, m displayMasker, command string) string {
	for i := range det.Items {
		if it := &det.Items[i]; it.Label == "SQL" {
			m.setSQL(det, it, command)
		}
	}
	out, ok := m.sqlText(command)
	if !ok {
		return "[the command could not be masked for display]"
	}
	return visible(out, markHidden)
}

// addSQL adds a part that is SQL text, cut at the display bound and
// masked by sqlText.
func (d *ReviewDetails) addSQL(m displayMasker, label, s string) {
	d.Items = append(d.Items, DetailItem{Label: label})
	it := &d.Items[len(d.Items)-1]
	if len(s) > MaxDisplayBytes {
		it.Omitted = fmt.Sprintf("cut: %d of %d bytes shown", MaxDisplayBytes, len(s))
		d.Undisplayable = true
	}
	m.setSQL(d, it, s)
}

// setSQL sets it's text to s (cut at the display bound) masked by sqlText.
func (m displayMasker) setSQL(d *ReviewDetails, it *DetailItem, s string) {
	if len(s) > MaxDisplayBytes {
		s = s[:MaxDisplayBytes]
	}
	out, ok := m.sqlText(s)
	if !ok {
		it.Text = ""
		it.Omitted = strings.TrimSpace(it.Omitted + " could not be masked for display")
		d.Undisplayable = true
		return
	}
	it.Text = visible(out, markHidden)
}

// reviewMasker is the masker of what reviewers see of req: the rule set's
// display policy and the request's secrets, longer ones first so that a
// secret containing another is replaced whole.
func reviewMasker(req *Request, mp *mask.Policy) displayMasker {
	secrets := slices.Clone(req.Secrets)
	slices.SortStableFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	return displayMasker{policy: mp, secrets: secrets}
}
