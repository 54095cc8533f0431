package shell

import "strings"

// The options of a faithful program (faithfulPrograms) that make it print
// what it reads cut, re-separated, escaped or glued to chosen text, or
// chosen by a pattern: each is looked for in every spelling getopt
// accepts (bundled short options, attached values, a long option's
// unambiguous prefix, with =value or the next word) anywhere before "--",
// and in the obsolete forms head and tail still read (tail -5c, tail
// +5c, tail -3b for 512-byte blocks).

// rewriteSpec says which options of one program rewrite what it prints.
type rewriteSpec struct {
	// short are the option letters that do, wherever they appear in a
	// bundle (fail closed: a letter inside another option's attached
	// value counts too).
	short string
	// long are the long options that do; any prefix of three or more
	// characters counts (an ambiguous one is an error).
	long []string
	// obsolete are the unit letters that cut bytes after a count that
	// starts the word (-5c, +5c, -3b).
	obsolete string
	// what says how the option rewrites, for the refusal.
	what string
}

// rewriteSpecs are the faithful programs that have such options.
var rewriteSpecs = map[string]rewriteSpec{
	"head": {short: "c", long: []string{"--bytes"}, obsolete: "bc", what: "bytes"},
	"tail": {short: "c", long: []string{"--bytes"}, obsolete: "bc", what: "bytes"},
	// cat -v (and -A, -e, -t) writes bytes outside ASCII as M- and ^
	// notation, -T a tab as ^I: an e-mail address with an accented
	// local part comes out as josM-CM-).garcM-CM--a@example.com, whose
	// first part the masker no longer reads as part of the address.
	"cat": {short: "vAetT", long: []string{"--show-all", "--show-nonprinting", "--show-tabs"},
		what: "bytes written in another notation"},
	// file -m reads a magic file the client writes (or sends on stdin:
	// -m /dev/stdin): its tests print what the file holds from any
	// offset (>1 string x %s prints a card without its first digit) or
	// say whether it starts with a guess.
	"file": {short: "m", long: []string{"--magic-file"}, what: "a magic file that prints pieces of what it reads"},
	// pgrep -f and pkill -f match a pattern against whole command lines,
	// which carry passwords and tokens ps shows masked.
	"pgrep": {short: "f", long: []string{"--full"}, what: "a pattern matched against command lines"},
	"pkill": {short: "f", long: []string{"--full"}, what: "a pattern matched against command lines"},
	// ls -I and --hide, tree -P and -I, du --exclude leave out or keep
	// the names a pattern matches: whether a masked name is listed tells
	// it a piece at a time (maskednames.go).
	"ls":   {short: "I", long: []string{"--ignore", "--hide"}, what: "names chosen by a pattern"},
	"dir":  {short: "I", long: []string{"--ignore", "--hide"}, what: "names chosen by a pattern"},
	"tree": {short: "PI", long: []string{"--matchdirs", "--prune"}, what: "names chosen by a pattern"},
	"du":   {short: "X", long: []string{"--exclude", "--exclude-from"}, what: "names chosen by a pattern"},
}

// rewritingOption reports the first option of a faithful program in args
// that prints what it reads in another form or tells it by a pattern.
func rewritingOption(prog string, args []string) (string, bool) {
	switch prog {
	case "nl":
		return nlRewrites(args)
	case "journalctl":
		return journalctlSelects(args)
	}
	spec, ok := rewriteSpecs[prog]
	if !ok {
		return "", false
	}
	for _, a := range args {
		if a == "--" {
			break
		}
		if spec.matches(a) {
			return prog + " " + a + " (" + spec.what + ")", true
		}
	}
	return "", false
}

// matches reports whether the word a is one of the spec's options.
func (s rewriteSpec) matches(a string) bool {
	switch {
	case len(a) < 2:
		return false
	case strings.HasPrefix(a, "--"):
		return longPrefixOf(a, s.long)
	case (a[0] == '-' || a[0] == '+') && a[1] >= '0' && a[1] <= '9':
		return strings.ContainsAny(a[1:], s.obsolete+s.short)
	case a[0] == '-':
		return strings.ContainsAny(a[1:], s.short)
	}
	return false
}

// longPrefixOf reports whether the long option a (with any =value) is
// one of long or a prefix of one getopt_long would take for it.
func longPrefixOf(a string, long []string) bool {
	name, _, _ := strings.Cut(a, "=")
	if len(name) < 3 {
		return false
	}
	for _, l := range long {
		if strings.HasPrefix(l, name) {
			return true
		}
	}
	return false
}

// nlValueLetters are nl's short options that take a value.
const nlValueLetters = "bdfhilnsvw"

// nlRewrites reports an nl option that glues chosen text to each line
// (-s, --number-separator: nl -s 9 -w 1 prints 19 and a card as one run
// of digits), removes the lines that equal a chosen delimiter (-d), or
// numbers only the lines a pattern matches (-b pREGEX, and -h, -f), which
// tells a masked value a piece at a time.
func nlRewrites(args []string) (string, bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "--") {
			name, value, hasValue := strings.Cut(a, "=")
			if longPrefixOf(name, []string{"--number-separator", "--section-delimiter"}) {
				return "nl " + a + " (text glued to or taken from each line)", true
			}
			if longPrefixOf(name, []string{"--body-numbering", "--header-numbering", "--footer-numbering"}) {
				if !hasValue && i+1 < len(args) {
					i++
					value = args[i]
				}
				if !nlPlainStyle(value) {
					return "nl " + a + " " + value + " (lines numbered by a pattern)", true
				}
			}
			continue
		}
		if len(a) < 2 || a[0] != '-' {
			continue
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			if strings.IndexByte(nlValueLetters, c) < 0 {
				continue
			}
			value := a[j+1:]
			if value == "" && i+1 < len(args) {
				i++
				value = args[i]
			}
			switch c {
			case 's', 'd':
				return "nl -" + string(c) + " (text glued to or taken from each line)", true
			case 'b', 'h', 'f':
				if !nlPlainStyle(value) {
					return "nl -" + string(c) + " " + value + " (lines numbered by a pattern)", true
				}
			}
			break
		}
	}
	return "", false
}

// nlPlainStyle reports whether an nl numbering style numbers lines by
// position only: a (all), t (non-empty) or n (none); pREGEX does not.
func nlPlainStyle(v string) bool {
	return v == "a" || v == "t" || v == "n"
}

// journalctlSelects reports a journalctl option or match that chooses
// entries by their text: -g/--grep PATTERN and FIELD=VALUE matches on
// fields that carry what programs logged (MESSAGE, a command line),
// which tell a masked value a piece at a time. Matches on the fields
// journald sets about the sender (_SYSTEMD_UNIT=, _PID=, PRIORITY=)
// pass.
func journalctlSelects(args []string) (string, bool) {
	for _, a := range args {
		if a == "--" {
			break
		}
		switch {
		case strings.HasPrefix(a, "--"):
			if longPrefixOf(a, []string{"--grep"}) {
				return "journalctl " + a + " (entries chosen by a pattern)", true
			}
		case len(a) > 1 && a[0] == '-':
			if strings.IndexByte(a[1:], 'g') >= 0 {
				return "journalctl " + a + " (entries chosen by a pattern)", true
			}
		case a == "+":
		default:
			if field, _, ok := strings.Cut(a, "="); ok && !journalSenderFields[field] {
				return "journalctl " + a + " (entries chosen by a value)", true
			}
		}
	}
	return "", false
}

// journalSenderFields are journal fields that say who logged an entry,
// not what it logged.
var journalSenderFields = setOf(`_PID _UID _GID _SYSTEMD_UNIT _SYSTEMD_USER_UNIT _SYSTEMD_SLICE _BOOT_ID
	_MACHINE_ID _HOSTNAME _TRANSPORT _COMM PRIORITY SYSLOG_FACILITY SYSLOG_IDENTIFIER UNIT USER_UNIT`)
