package gate

import (
	"math/rand/v2"
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// sqlFragments are pieces of SQL whose lexing is easy to get wrong.
var sqlFragments = []string{
	`'a'`, `'it''s'`, `E'a\'b'`, `e'\\'`, `'a\'`, `B'101'`, `X'ff'`, `N'x'`, `U&'d\0061t'`,
	`"q""id"`, `U&"x"`, `$$body 'x' $$`, `$t$ a $$ b $t$`, `$1`, `a$b`, `a$`, `-- c` + "\n",
	`/* a /* b */ c */`, `x--y` + "\n", `1/*c*/2`, ` `, `SELECT`, `password = `, `;`, `E`, `e`,
	`U&`, "\n", "\r", `OR 7 = 7`, `password_hint`, `/`, `-`, `*`, `::text`, `$x$`, `b`, `n`, `x`,
	`1e'x'`, `0x1F`, `1.5e+3`, `.5`, `1..2`, `$_a$`, `$a1$`, `$1$`, `a$b$`, "\xc3\xa9$$", `u&"x"`, `E'\\'`,
	`'`, `"`, `$`, `1_000`, `2e`, `$$`, `E'x\'`, `E`, `9`, `_`,
}

// pgCodeBytes marks the bytes PostgreSQL's own lexer reads as code: in a
// token that is not a string constant, a comment or a quoted name.
func pgCodeBytes(t *testing.T, s string) ([]bool, bool) {
	res, err := pg_query.Scan(s)
	if err != nil {
		return nil, false
	}
	code := make([]bool, len(s))
	covered := make([]bool, len(s))
	for _, tok := range res.Tokens {
		for i := tok.Start; i < tok.End && int(i) < len(s); i++ {
			covered[i] = true
		}
	}
	for i := range s {
		if !covered[i] && strings.IndexByte(" \t\n\r\f\v", s[i]) < 0 {
			return nil, false // the scanner stopped at an error
		}
	}
	for _, tok := range res.Tokens {
		switch tok.Token {
		case pg_query.Token_SCONST, pg_query.Token_USCONST, pg_query.Token_BCONST, pg_query.Token_XCONST,
			pg_query.Token_SQL_COMMENT, pg_query.Token_C_COMMENT, pg_query.Token_UIDENT:
			continue
		case pg_query.Token_IDENT:
			if strings.HasPrefix(s[tok.Start:], `"`) {
				continue
			}
		}
		for i := tok.Start; i < tok.End && int(i) < len(s); i++ {
			code[i] = true
		}
	}
	return code, true
}

// The display's SQL pieces join back to the text, and every byte the
// PostgreSQL lexer reads as code is in a code piece or a delimiter, shown
// as it is: nothing the server runs is ever masked as a literal's or a
// comment's content.
func TestSQLPiecesKeepCodeAsPostgresReadsIt(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	checked := 0
	for range 20000 {
		var b strings.Builder
		for range 1 + r.IntN(8) {
			b.WriteString(sqlFragments[r.IntN(len(sqlFragments))])
		}
		s := b.String()
		ps := sqlPieces(s)
		var joined strings.Builder
		mine := make([]bool, 0, len(s))
		for _, p := range ps {
			joined.WriteString(p.text)
			// Code pieces and the delimiters of the others are shown as
			// they are; only bodies are masked.
			lead := len(p.text) - len(p.body) - len(p.close)
			for i := range len(p.text) {
				mine = append(mine, p.kind == sqlCode || i < lead || i >= len(p.text)-len(p.close))
			}
		}
		if joined.String() != s {
			t.Fatalf("%q: pieces join to %q", s, joined.String())
		}
		pg, ok := pgCodeBytes(t, s)
		if !ok {
			continue
		}
		checked++
		for i := range s {
			if pg[i] && !mine[i] {
				t.Fatalf("%q: byte %d (%q) is code to PostgreSQL, but in a body the display masks", s, i, s[i])
			}
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d texts lexed by PostgreSQL", checked)
	}
}
