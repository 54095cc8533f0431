package mask

// The calls that turn a code point into a character, whose words may
// stand between two codes of a list (codelists.go): chr(52)+chr(49) in
// most languages and databases, and String.fromCodePoint (JavaScript),
// unichr (Python 2), NCHAR (SQL Server), string(rune(52)) and
// string(byte(52)) (Go), mb_chr (PHP), ChrB and ChrW (Visual Basic),
// Convert.ToChar (C#), new String(Character.toChars(52)),
// Character.toString and String.valueOf((char)52) (Java). A call that
// takes the whole list (String.fromCharCode(52,49), string.char(52,49))
// needs no word between codes.

// callWords are the words of those calls, in upper case, by length.
var callWords = [...][]string{
	2:  {"MB"},
	3:  {"CHR", "NEW"},
	4:  {"CHAR", "CHRW", "CHRB", "RUNE", "BYTE"},
	5:  {"NCHAR"},
	6:  {"STRING", "UNICHR", "TOCHAR"},
	7:  {"CONVERT", "TOCHARS", "VALUEOF"},
	8:  {"TOSTRING"},
	9:  {"CHARACTER"},
	12: {"FROMCHARCODE"},
	13: {"FROMCODEPOINT"},
}

// glueWord reports whether w is a word of a call that wraps a code
// (callWords), in any case.
func glueWord(w []byte) bool {
	_, glue := codeWordOf(w)
	return glue
}

// glueWordLong is glueWord for a word of more than eight letters, which
// codeWords does not hold.
func glueWordLong(w []byte) bool {
	if len(w) >= len(callWords) {
		return false
	}
	for _, s := range callWords[len(w)] {
		if equalFoldASCII(w, s) {
			return true
		}
	}
	return false
}
