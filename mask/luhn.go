package mask

// luhnValid reports whether the digits (values 0-9, not ASCII) pass the
// Luhn mod-10 checksum used by payment card numbers.
func luhnValid(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i])
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}
