package httpgate

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"
)

// TestExactDoubleAgreesWithDecimals: for generated JSON numbers (long and
// short mantissas, exponents from subnormal to overflow), ParseJSON
// accepts exactly those whose value is their double's shortest form, and
// every number it accepts compares with a 15-digit threshold as its double
// does, as a decimal parser reads it.
func TestExactDoubleAgreesWithDecimals(t *testing.T) {
	rng := newRand(t)
	for range 20000 {
		var b strings.Builder
		if rng.IntN(4) == 0 {
			b.WriteByte('-')
		}
		b.WriteString(strconv.Itoa(rng.IntN(10000)))
		if rng.IntN(2) == 0 {
			b.WriteByte('.')
			for range 1 + rng.IntN(25) {
				b.WriteByte(byte('0' + rng.IntN(10)))
			}
		}
		if rng.IntN(3) == 0 {
			fmt.Fprintf(&b, "e%d", rng.IntN(700)-350)
		}
		s := b.String()
		v, err := ParseJSON([]byte(`{"n":` + s + `}`))
		exact, _ := new(big.Rat).SetString(s)
		f, ferr := strconv.ParseFloat(s, 64)
		shortest, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
		want := ferr == nil && !math.IsInf(f, 0) && exact.Cmp(shortest) == 0
		if (err == nil) != want {
			t.Fatalf("%s: accepted %v, want %v (%v)", s, err == nil, want, err)
		}
		if err != nil {
			continue
		}
		got := v.(map[string]any)["n"]
		var d float64
		switch x := got.(type) {
		case int64:
			d = float64(x)
		case float64:
			d = x
		}
		for _, th := range []string{"1000", "0", "0.1", "-3.25", "123456789012345", "1e-300"} {
			tr, _ := new(big.Rat).SetString(th)
			tf, _ := strconv.ParseFloat(th, 64)
			if _, isInt := got.(int64); isInt {
				continue
			}
			if exact.Cmp(tr) > 0 != (d > tf) {
				t.Fatalf("%s > %s: decimal and double disagree", s, th)
			}
		}
	}
	for _, s := range []string{"0.30000000000000004", "1e21", "5e-324", "1.7976931348623157e308", "0.1", "0.0", "-0e5"} {
		if _, err := ParseJSON([]byte(s)); err != nil {
			t.Errorf("%s refused: %v", s, err)
		}
	}
	for _, s := range []string{"1000.0000000000000000001", "1e-400", "9007199254740993.0", "18446744073709551616", "0.1000000000000000055511151231257827"} {
		if _, err := ParseJSON([]byte(s)); err == nil {
			t.Errorf("%s accepted", s)
		}
	}
}
