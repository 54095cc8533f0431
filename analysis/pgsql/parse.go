package pgsql

import (
	"errors"
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// ErrTooDeep is returned (wrapped in ErrUnparsable) for a text that may
// nest deeper than the parser can take without overflowing its stack.
var ErrTooDeep = errors.New("the statement may nest too deeply to parse safely")

// Parse is pg_query.Parse behind a guard; every parse of SQL in Airlock
// goes through it (TestNoUnguardedParse).
//
// libpg_query walks its parse tree recursively in C (the protobuf output),
// and PostgreSQL's own stack-depth check is compiled out of it, so a text
// that nests deeply enough overflows the thread's stack: a signal during
// a cgo call, which kills the whole process, every session with it. A
// chain of 25,000 "+1" — 50 KB of text — does it on a thread with an
// 8 MB stack; the left-deep chains (binary and postfix operators, casts,
// COLLATE, AT TIME ZONE, JOINs, UNIONs) are the constructs the grammar
// builds without growing its own stack, which stops the rest (brackets,
// prefix operators, CASE) at 10,000 levels with an error of its own.
// Parse refuses, before the C parser sees it, a text whose nesting bound
// (nestingBound) exceeds MaxNesting.
//
// Parsing also costs memory and time in proportion to the text: Parse
// refuses a text longer than MaxParseBytes, and a big text waits for its
// share of ParseBudgetBytes, the text parsed at once across the process.
func Parse(sql string) (*pg_query.ParseResult, error) {
	if err := checkSize(sql); err != nil {
		return nil, err
	}
	defer parseBudget.take(len(sql))()
	return parseTaken(sql)
}

// parseTaken is Parse for a caller that checked sql's size and holds its
// share of the budget for as long as it reads the tree.
func parseTaken(sql string) (*pg_query.ParseResult, error) {
	if err := checkNesting(sql, MaxNesting); err != nil {
		return nil, err
	}
	tree, err := pg_query.Parse(sql)
	if err != nil {
		return nil, err
	}
	if n := len(tree.Stmts); n > MaxStatements {
		return nil, fmt.Errorf("%w: %w (%d statements; at most %d at once: send them in smaller groups)", ErrUnparsable, ErrTooLarge, n, MaxStatements)
	}
	return tree, nil
}

// MaxNesting is the deepest nesting bound Parse accepts: 5,000 levels (the
// protobuf decoding of a parse tree refuses about as deep a tree on its
// own), less where the threads' stacks are small, so that the deepest text
// accepted uses at most half of a thread's stack (about 360 bytes a level,
// measured). Threads take the stack size limit the process started with
// (2 MB when it has none).
var MaxNesting = maxNestingFor(threadStackBytes())

// bytesPerLevel is twice the C stack a level of a left-deep chain takes in
// libpg_query (about 360 bytes, measured for operators, casts, joins).
const bytesPerLevel = 720

func maxNestingFor(stack int64) int {
	n := stack / bytesPerLevel
	if n > 5000 {
		n = 5000
	}
	if n < 100 {
		n = 100
	}
	return int(n)
}

// checkNesting returns an error wrapping ErrUnparsable and ErrTooDeep when
// sql may nest deeper than limit. A text of n bytes holds at most n
// tokens and brackets, so only a longer one is scanned.
func checkNesting(sql string, limit int) error {
	if len(sql) < limit {
		return nil
	}
	scan, err := pg_query.Scan(sql)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnparsable, err)
	}
	if n := nestingBound(scan.Tokens); n > limit {
		return fmt.Errorf("%w: %w (at most %d levels; this one up to %d)", ErrUnparsable, ErrTooDeep, limit, n)
	}
	return nil
}

// nestingBound bounds the depth of the parse tree of the scanned tokens:
// the most, at any token, of the sum over its enclosing brackets (and the
// text's top level) of one for the bracket, the operators and keywords
// since the bracket's last list separator, and the set operations and
// joins of the bracket.
//
// Why it bounds the depth: a node nests inside another only through a
// bracket, an operator or a keyword (each token of a left-deep chain adds
// a level; so does each prefix operator and NOT); what a comma separates
// are siblings (a list's items: operands with commas in them are
// bracketed), and so are what AND and OR separate (PostgreSQL's grammar
// flattens a chain of them into one list; precedence keeps any other
// operator from taking them as operands unbracketed); a ';' starts a new
// tree. CASE ... END is a bracket of two levels (the expression and its
// WHEN), inside which WHEN, THEN and ELSE separate siblings. Set
// operations and joins nest left-deep across commas (a select list, an ON
// clause's), so they are never reset within a bracket. Comments, names
// and constants add nothing. The bound counts more than the depth (every
// keyword), never less.
func nestingBound(tokens []*pg_query.ScanToken) int {
	type level struct {
		chain, deep int
		isCase      bool // opened by CASE, closed by END
	}
	stack := []level{{}}
	cur, most := 1, 1 // cur: the sum for the current token
	for _, t := range tokens {
		top := &stack[len(stack)-1]
		switch t.Token {
		case pg_query.Token_SQL_COMMENT, pg_query.Token_C_COMMENT,
			pg_query.Token_IDENT, pg_query.Token_UIDENT, pg_query.Token_FCONST, pg_query.Token_SCONST,
			pg_query.Token_USCONST, pg_query.Token_BCONST, pg_query.Token_XCONST, pg_query.Token_ICONST,
			pg_query.Token_PARAM:
			continue
		case pg_query.Token_ASCII_40, pg_query.Token_ASCII_91: // ( [
			stack = append(stack, level{})
			cur++
		case pg_query.Token_ASCII_41, pg_query.Token_ASCII_93: // ) ]
			if len(stack) > 1 {
				cur -= 1 + top.chain + top.deep
				stack = stack[:len(stack)-1]
			}
		case pg_query.Token_ASCII_44, pg_query.Token_AND, pg_query.Token_OR: // , AND OR
			cur -= top.chain
			top.chain = 0
		case pg_query.Token_CASE:
			top.chain++ // the CASE expression; its WHENs one level below
			stack = append(stack, level{isCase: true})
			cur += 2
		case pg_query.Token_END_P:
			if !top.isCase {
				top.chain++ // END as COMMIT
				cur++
				break
			}
			cur -= 1 + top.chain + top.deep
			stack = stack[:len(stack)-1]
		case pg_query.Token_WHEN, pg_query.Token_THEN, pg_query.Token_ELSE:
			if top.isCase {
				cur -= top.chain
				top.chain = 0
			} else {
				top.chain++
				cur++
			}
		case pg_query.Token_ASCII_59: // ;
			stack = append(stack[:0], level{})
			cur = 1
		case pg_query.Token_UNION, pg_query.Token_INTERSECT, pg_query.Token_EXCEPT, pg_query.Token_JOIN:
			top.deep++
			cur++
		default: // an operator or a keyword
			top.chain++
			cur++
		}
		most = max(most, cur)
	}
	return most
}

// unparsable wraps a parse error in ErrUnparsable, once: Parse's own
// refusals (ErrTooDeep, ErrTooLarge) already are, and stay testable with
// errors.Is.
func unparsable(err error) error {
	if errors.Is(err, ErrUnparsable) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrUnparsable, err)
}
