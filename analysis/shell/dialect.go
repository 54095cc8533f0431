package shell

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/gate"
	"mvdan.cc/sh/v3/syntax"
)

// dialects are the shells a command line may really run in: the account's
// login shell runs the exec string, and sh -c, bash -c, dash -c, ... name
// their own. Bash is the reading reported; the others are checked against
// it, since a script that means one thing to bash can mean another to dash
// ($'a\' ; rm f ; cat '\' is one word to bash and three commands to dash).
var dialects = []syntax.LangVariant{syntax.LangPOSIX, syntax.LangMirBSDKorn, syntax.LangZsh}

// parseDialects reads cmd in bash and in every other dialect. Where the
// readings agree (same programs, same read-only verdict) the bash reading
// stands. Where they differ, or another dialect cannot parse the line, the
// gate cannot know which reading runs: the result is dynamic, not
// read-only, and lists every program of every reading.
func parseDialects(cmd string) (*gate.SSH, error) {
	out, err := analyse(cmd, syntax.LangBash)
	if err != nil {
		return nil, err
	}
	for _, lang := range dialects {
		other, err := analyse(cmd, lang)
		if err != nil || !agree(out, other) {
			out.Dynamic = true
			out.ReadOnly = false
		}
		if other != nil {
			merge(out, other)
		}
	}
	return out, nil
}

// agree says two readings run the same programs with the same verdict.
func agree(a, b *gate.SSH) bool {
	return a.ReadOnly == b.ReadOnly && slices.Equal(sorted(a.Programs), sorted(b.Programs))
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// merge adds to out what another reading runs that out does not, and the
// flags it raises: the union is what some shell may do.
func merge(out, other *gate.SSH) {
	for _, c := range other.Commands {
		if !slices.Contains(out.Programs, c.Program) {
			out.Programs = append(out.Programs, c.Program)
			out.Commands = append(out.Commands, c)
			out.Argv = append(out.Argv, c.Args...)
		}
	}
	for _, p := range other.Programs {
		if !slices.Contains(out.Programs, p) {
			out.Programs = append(out.Programs, p)
		}
	}
	out.Dynamic = out.Dynamic || other.Dynamic
	out.PipesToShell = out.PipesToShell || other.PipesToShell
	out.InterpreterInline = out.InterpreterInline || other.InterpreterInline
	out.Network = out.Network || other.Network
	out.RunsUnseenCode = out.RunsUnseenCode || other.RunsUnseenCode
	out.ReadOnly = out.ReadOnly && other.ReadOnly
}

// checkBytes refuses a script holding bytes shells and the parser read
// differently: a CR (bash escapes it, so backslash-CR-LF is no line
// continuation), other control characters but TAB and LF, bytes that are
// not UTF-8, and a non-ASCII character directly before a backslash or a
// backquote (see charsetDependent). They are not normalised away: the shell
// sees them as sent.
func checkBytes(src string) error {
	for i := 0; i < len(src); i++ {
		if c := src[i]; (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f {
			return fmt.Errorf("%w: control character %#02x at byte %d", ErrCommand, c, i)
		}
		if charsetDependent(src, i) {
			return fmt.Errorf("%w: a non-ASCII character directly before %q at byte %d: shells in a multibyte locale (GBK, Big5, Shift_JIS) read that byte as part of the character; put a space or quote between them", ErrCommand, src[i+1], i+1)
		}
	}
	if !utf8.ValidString(src) {
		return fmt.Errorf("%w: bytes that are not UTF-8", ErrCommand)
	}
	return nil
}

// charsetDependent reports whether the byte at i is non-ASCII and the next
// one a backslash or a backquote. The parser reads UTF-8, but bash reads a
// script in its locale's character set, and in GBK, GB18030, Big5,
// Shift_JIS or JOHAB the byte after a non-ASCII byte can be the second
// byte of one character: `echo 中\; rm f` is then two commands, since the
// backslash that escaped the semicolon is part of a character. A locale
// can come from the host, the session, or the script itself (LC_ALL=...
// on one line is in force for the next, and for a nested bash -c). Only
// those two bytes, of the ASCII bytes such a character can swallow, make
// the shell see more than the parser; others (| ; < > { [) make it see
// less.
func charsetDependent(src string, i int) bool {
	return src[i] >= 0x80 && i+1 < len(src) && (src[i+1] == '\\' || src[i+1] == '`')
}

// continuedComment refuses a comment the parser continued past its line:
// it takes backslash-newline in a comment as a line continuation, but
// shells end a comment at the newline and run the next line
// (cat f # \<LF>touch g runs touch).
func continuedComment(f *syntax.File) error {
	var err error
	syntax.Walk(f, func(n syntax.Node) bool {
		if c, ok := n.(*syntax.Comment); ok && strings.ContainsAny(c.Text, "\n\\") && err == nil {
			if strings.Contains(c.Text, "\n") || strings.HasSuffix(c.Text, "\\") {
				err = fmt.Errorf("%w: a comment continued past its line", ErrCommand)
			}
		}
		return err == nil
	})
	return err
}
