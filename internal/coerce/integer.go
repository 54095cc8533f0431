package coerce

import "strings"

// Integer returns the integer an integer binder or cast reads s
// as, in its canonical form, when s starts with one (after whitespace, a
// sign, and digits with '_' between them): leading zeros and a '+'
// dropped, and whatever follows the digits.
func Integer(s string) (string, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	var digits []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			if len(digits) > 0 || c != '0' {
				digits = append(digits, c)
			}
		case c == '_' && i > 0 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
		default:
			s = s[:i]
		}
	}
	if s == "" || s[0] < '0' || s[0] > '9' {
		return "", false
	}
	if len(digits) == 0 {
		return "0", true
	}
	if neg {
		return "-" + string(digits), true
	}
	return string(digits), true
}

// CInteger is the integer that PHP's intval and C's atoi read s
// as, when it holds '_': they stop at it ("1_0" is 1, where Python's int
// and Ruby's to_i read 10).
func CInteger(s string) (string, bool) {
	head, _, cut := strings.Cut(s, "_")
	if !cut {
		return "", false
	}
	return Integer(head)
}
