package shell

import "strings"

// echo and printf print their arguments, and an argument may carry what a
// command read ($(cat F)). They print it as it is only when nothing is
// glued to it: text or another expansion in the same word (echo
// 9$(cat F) prints 94111111111111111, a run of digits no card
// detector reads as a card; echo "$HOME$(cat F)" ends a path on an
// access key), or printf's format (printf '%sZ', printf '%s' 9 "$(cat
// F)", printf %q, which writes 4111\ 1111\ ...).

// printGlues reports how the echo or printf command with args may print
// what an argument read glued to other text, converted or escaped.
func printGlues(prog string, args []string) (string, bool) {
	for _, a := range args {
		if carriesRead(a) && gluedWord(a) {
			return prog + " " + a + " (what it reads glued to other text)", true
		}
	}
	if prog != "printf" {
		return "", false
	}
	rest := args
	if len(rest) > 0 && rest[0] == "--" {
		rest = rest[1:]
	}
	if len(rest) == 0 {
		return "", false
	}
	format, values := rest[0], rest[1:]
	if printfConverts(format) {
		return "printf " + format, true
	}
	read := false
	for _, v := range values {
		read = read || carriesRead(v)
	}
	if read && printfPads(format) {
		return "printf " + format + " (what it reads padded to a width, which tells its length)", true
	}
	if read && !plainPrintfFormat(format) {
		return "printf " + format + " (what it reads glued to the format's text)", true
	}
	return "", false
}

// carriesRead reports whether word holds an expansion whose value the
// line may have read: a command substitution or a variable.
func carriesRead(word string) bool {
	return strings.ContainsAny(word, "$`")
}

// gluedWord reports whether a word that carries an expansion holds
// anything but one command substitution and white space.
func gluedWord(word string) bool {
	w := strings.TrimSpace(strings.Trim(word, `"`))
	if strings.HasPrefix(w, "$(") && strings.HasSuffix(w, ")") && strings.Count(w, "$(") == 1 {
		return false
	}
	if strings.HasPrefix(w, "`") && strings.HasSuffix(w, "`") && strings.Count(w, "`") == 2 {
		return false
	}
	// A variable alone is judged by expansionTransforms.
	return strings.Contains(w, "$(") || strings.Contains(w, "`")
}

// plainPrintfFormat reports whether a printf format prints its values
// each apart from any other text: only %s and %b conversions (with
// flags and a width, which pad with spaces), each followed by white
// space, and white space. An unquoted $(cat F) is split into as many
// values as it has words, and the format is reused for each, so
// printf %s $(cat F) prints its words glued together.
func plainPrintfFormat(format string) bool {
	convs := 0
	for i := 0; i < len(format); i++ {
		switch c := format[i]; {
		case c == '%':
			j := i + 1
			for j < len(format) && strings.IndexByte("-0123456789", format[j]) >= 0 {
				j++
			}
			if j >= len(format) || (format[j] != 's' && format[j] != 'b') {
				return false
			}
			convs++
			i = j
			if !whiteAt(format, i+1) {
				return false
			}
		case c == '\\':
			if i+1 >= len(format) || strings.IndexByte("nt", format[i+1]) < 0 {
				return false
			}
			i++
		case c != ' ' && c != '\t' && c != '\n':
			return false
		}
	}
	return convs > 0
}

// whiteAt reports whether format has white space (a space, a tab, or a
// \n or \t escape) at i.
func whiteAt(format string, i int) bool {
	if i >= len(format) {
		return false
	}
	switch format[i] {
	case ' ', '\t', '\n':
		return true
	case '\\':
		return i+1 < len(format) && (format[i+1] == 'n' || format[i+1] == 't')
	}
	return false
}
