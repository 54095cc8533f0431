package httpgate

import (
	"math"
	"math/big"
	"strconv"
)

// A JSON number that is not an int64 reaches the rules as a double, and
// the upstream as sent: a parser that reads decimals exactly (Jackson's
// BigDecimal, Python's Decimal, a numeric column) reads
// 1000.0000000000000000001 above 1000 where the rules read 1000, and
// 1e-400 as other than the 0 the rules read. So a number is accepted only
// when its value is the value of its double's shortest decimal form (what
// strconv.FormatFloat prints): then it compares with any number of at most
// 15 significant digits (a rule's constant) as its double does, and the
// two readings agree on every rule.

// exactDouble reports whether the JSON number s, parsed to f, has the
// value of f's shortest decimal form.
func exactDouble(s string, f float64) bool {
	// Fast path: at most 15 significant digits in the normal range
	// round-trip through a double (DBL_DIG), so no shorter decimal reads as
	// f and s is f's shortest form.
	digits, nonZero := significantDigits(s)
	if !nonZero {
		return f == 0
	}
	if digits <= 15 && math.Abs(f) >= 0x1p-1022 {
		return true
	}
	exact, ok := new(big.Rat).SetString(s)
	if !ok {
		return false
	}
	shortest, ok := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	return ok && exact.Cmp(shortest) == 0
}

// significantDigits counts the digits of the JSON number s's mantissa
// between its first and last non-zero digit, and whether it has any.
func significantDigits(s string) (int, bool) {
	first, last, n := -1, -1, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 'e' || c == 'E' {
			break
		}
		if c < '0' || c > '9' {
			continue
		}
		if c != '0' {
			if first < 0 {
				first = n
			}
			last = n
		}
		n++
	}
	if first < 0 {
		return 0, false
	}
	return last - first + 1, true
}
