package record

// maxFlagName bounds the long option names held against the secret
// names: a longer one (counted from its first byte other than '-', '_'
// or '.') is taken for a secret name. No real option is that long, and
// the bound keeps the search linear in the text.
const maxFlagName = 64

// flagNames tells, for the long options whose names start just after a
// "--" at increasing offsets of one text, where each name ends and
// whether scanLongFlags takes the option (a name of a secret followed
// by a space and a value). Every "--" in a run of name bytes
// ("----------", "a--b--c") starts a name, and all of them end where
// the run ends; names that differ only by the separators they start
// with are one name to mask.SecretNameSet. So a run is walked once and
// each distinct name is checked once, at most maxFlagName bytes of it:
// the search is linear in the text, where a walk and a check per "--"
// were quadratic in a run.
type flagNames struct {
	end   int  // where the run of the last name ends; -1: none yet
	from  int  // the first byte other than a separator of the last name checked; -1: none
	taken bool // the verdict on the name from there
}

// newFlagNames returns the state of a text's first name.
func newFlagNames() flagNames { return flagNames{end: -1, from: -1} }

// at returns where the name starting at t[p] ends and whether
// scanLongFlags takes its option. Calls give p increasing.
func (fn *flagNames) at(f freeText, t []byte, p int) (end int, taken bool) {
	if p > fn.end {
		j := p
		for j < len(t) && isNameByte(t[j]) {
			j++
		}
		fn.end = j
	}
	j := fn.end
	if j == p || j+1 >= len(t) || t[j] != ' ' || t[j+1] == '-' {
		return j, false
	}
	if p > fn.from {
		q := p
		for q < j && isNameSeparator(t[q]) {
			q++
		}
		fn.from, fn.taken = q, f.flagNamed(t[q:j])
	}
	return j, fn.taken
}

// flagNamed reports whether a long option's name (without its leading
// separators) is taken for a secret name.
func (f freeText) flagNamed(name []byte) bool {
	return len(name) > maxFlagName || f.filter.mayMatch(name) && f.names.Match(string(name))
}

// isNameSeparator reports whether c is a byte of a name that
// mask.SecretNameSet drops before matching.
func isNameSeparator(c byte) bool { return c == '-' || c == '_' || c == '.' }
