package sqltext

// BlockCommentEnd returns the index just past the "*/" that closes the
// block comment opening at sql[start] ("/*"). PostgreSQL block comments
// nest, so every inner "/*" needs its own "*/". sql[start:start+2] must be
// "/*". ok is false when the text ends before the comment closes; end must
// then not be used.
func BlockCommentEnd(sql string, start int) (end int, ok bool) {
	n := len(sql)
	depth, j := 0, start
	for j < n {
		if sql[j] == '/' && j+1 < n && sql[j+1] == '*' {
			depth++
			j += 2
		} else if sql[j] == '*' && j+1 < n && sql[j+1] == '/' {
			depth--
			j += 2
			if depth == 0 {
				return j, true
			}
		} else {
			j++
		}
	}
	return j, false
}
