package mask

// The classes and alphabets of encoded runs (encruns.go), as tables: the
// tests of a run read each of its characters once or more, and a table
// look-up is a fraction of the comparisons it replaces.

// Classes of a byte in an encoded run.
const (
	rcUpper uint8 = 1 << iota // A-Z
	rcLower                   // a-z
	rcDigit                   // 0-9
	rcDash                    // '-' or '_'
	rcHexOK                   // a hex digit or a line break
	rcB32OK                   // a base32 character, in either case, or a line break
)

// runClass holds the classes of each byte. (It does not read class,
// which an init function fills after the package's variables.)
var runClass = func() (t [256]uint8) {
	for i := range t {
		c := byte(i)
		switch {
		case c >= 'A' && c <= 'Z':
			t[i] |= rcUpper
		case c >= 'a' && c <= 'z':
			t[i] |= rcLower
		case isDigit(c):
			t[i] |= rcDigit
		case c == '-' || c == '_':
			t[i] |= rcDash
		}
		if isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' || lineBreak(c) {
			t[i] |= rcHexOK
		}
		if b32Value(c) != 0xFF || lineBreak(c) {
			t[i] |= rcB32OK
		}
	}
	return t
}()

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
