package mask

// The alphabets encoded runs are decoded in (encruns.go), with each
// character's value as a table: the decoder's judge reads one a
// character, where a call through a function value cost more than the
// decoding.

// alphabet is an encoding runs are decoded in: the bits of a character
// and each character's value (value, and the same as a table).
type alphabet struct {
	bits  uint
	value func(byte) byte
	table [256]byte
}

func newAlphabet(bits uint, value func(byte) byte) (a alphabet) {
	a.bits, a.value = bits, value
	for i := range a.table {
		a.table[i] = value(byte(i))
	}
	return a
}

var (
	base64Alphabet = newAlphabet(6, b64Value) // standard and URL-safe
	base32Alphabet = newAlphabet(5, b32Value)
	hexAlphabet    = newAlphabet(4, unhex)
)

// decodedText marks the bytes a decoded run may hold as text: printable
// ASCII, a tab or line break (textByte), and NUL.
var decodedText = func() (t [256]bool) {
	for i := range t {
		t[i] = textByte(byte(i)) || i == 0
	}
	return t
}()

// mostlyText reports whether run, decoded in a, holds at most allowed
// bytes that are neither text nor NUL (line breaks are skipped). It
// stops at the first byte over.
func (a *alphabet) mostlyText(run []byte, allowed int) bool {
	var acc uint32
	var nb uint
	bad := 0
	for _, c := range run {
		if c == '\n' || c == '\r' {
			continue
		}
		acc = acc<<a.bits | uint32(a.table[c])
		if nb += a.bits; nb < 8 {
			continue
		}
		nb -= 8
		if !decodedText[byte(acc>>nb)] {
			if bad++; bad > allowed {
				return false
			}
		}
	}
	return true
}
