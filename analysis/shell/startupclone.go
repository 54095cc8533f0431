package shell

import (
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// git clone reads its first operand, a repository's URL or path, and
// writes only the directory it creates (dataDests). A source ending in
// .git (https://host/x/y.git, /srv/repo.git) looks like a bare
// repository, a start-up path, but the clone does not write it: it is not
// judged as a word the line writes, nor as a start-up path the line's
// unseen code (git's own hooks and config programs) spells out. The same
// token elsewhere in the line (python -c 'open("y.git/config")') still
// counts: only as many occurrences as clone sources are left out.

// cloneSource returns the index in c.Args of the repository git clone
// reads, or -1: c is not a git clone, or its operands are not one or two
// (an option the gate does not know may have taken a value).
func cloneSource(c gate.SSHCommand) int {
	if c.Program != "git" {
		return -1
	}
	i := gitSubIndex(c.Args)
	if i >= len(c.Args) || c.Args[i] != "clone" {
		return -1
	}
	first := -1
	n := 0
	args := c.Args[i+1:]
	for k := 0; k < len(args); k++ {
		a := args[k]
		switch {
		case a == "--":
			for m := k + 1; m < len(args); m++ {
				if first < 0 {
					first = i + 1 + m
				}
				n++
			}
			k = len(args)
		case gitCloneValued[a]:
			k++
		case strings.HasPrefix(a, "-"):
		default:
			if first < 0 {
				first = i + 1 + k
			}
			n++
		}
	}
	if n != 1 && n != 2 {
		return -1
	}
	return first
}

// cloneSourceTokens counts the tokens (as mentionsStartup splits a line)
// of every git clone source of s.
func cloneSourceTokens(s *gate.SSH) map[string]int {
	var out map[string]int
	for _, c := range s.Commands {
		if k := cloneSource(c); k >= 0 {
			if out == nil {
				out = map[string]int{}
			}
			for _, t := range lineTokens(c.Args[k]) {
				out[t]++
			}
		}
	}
	return out
}
