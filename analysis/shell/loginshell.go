package shell

import (
	"slices"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// Login and interactive shells run start-up files before their commands:
// bash -l reads /etc/profile and ~/.bash_profile (or ~/.profile), bash -i
// ~/.bashrc, zsh ~/.zshrc and ~/.zlogin, sh -l ~/.profile, a shell whose
// name starts with - (exec -l, exec -a -bash) is a login shell, and su -,
// su -l, runuser -l, sudo -i, login and script (without -c, an
// interactive $SHELL) start one. Those files may hold code an earlier
// session planted: the line runs code the gate does not see, as with
// source ~/.bashrc.

// shellLoginOption reports whether t, an option of a shell, makes it a
// login or interactive shell: --login, --interactive, or a short cluster
// (-il, -lc) holding l or i.
func shellLoginOption(t string) bool {
	if t == "--login" || t == "--interactive" {
		return true
	}
	return isShortCluster(t) && strings.ContainsAny(t[1:], "il")
}

// shellLoginSetting reports whether v, the value of a shell's -o, makes
// it a login or interactive shell (zsh -o login).
func shellLoginSetting(v string) bool {
	v = strings.ToLower(strings.ReplaceAll(v, "_", ""))
	return v == "login" || v == "interactive"
}

// suLogin reports whether su or runuser args start a login shell: -, -l
// (alone or in a cluster before any option that takes a value) or
// --login.
func suLogin(args []string) bool {
	for _, t := range args {
		switch {
		case t == "--":
			return false
		case t == "-" || t == "--login":
			return true
		case isShortCluster(t):
			for _, r := range t[1:] {
				if r == 'l' {
					return true
				}
				if strings.ContainsRune("cgGsw", r) {
					break // the rest is an option's value
				}
			}
		}
	}
	return false
}

// wrapperLogin reports whether a wrapper's option t (with next, the
// argument after it) makes the program it runs a login shell: sudo -i
// and --login (the target user's login shell runs the command), exec -l
// and exec -a -NAME.
func wrapperLogin(prog, t, next string) bool {
	switch prog {
	case "sudo":
		return t == "--login" || isShortCluster(t) && strings.ContainsRune(t[1:], 'i')
	case "exec":
		return isShortCluster(t) && strings.ContainsRune(t[1:], 'l') || t == "-a" && strings.HasPrefix(next, "-")
	}
	return false
}

// startsLoginShell reports whether c starts a login or interactive shell
// (see the top of this file). Its start-up files may change directory,
// define functions and aliases: what the rest of its script does and
// where is unknown.
func startsLoginShell(c gate.SSHCommand) bool {
	switch {
	case shells[c.Program] || shells[family(c.Program)]:
		for i := 0; i < len(c.Args); i++ {
			t := c.Args[i]
			if t == "--" || t == "-" || !strings.HasPrefix(t, "-") && !strings.HasPrefix(t, "+") {
				return false
			}
			if shellLoginOption(t) {
				return true
			}
			switch t {
			case "-o", "+o", "-O", "+O", "--rcfile", "--init-file":
				if i+1 < len(c.Args) && t == "-o" && shellLoginSetting(c.Args[i+1]) {
					return true
				}
				i++
			}
		}
	case c.Program == "su" || c.Program == "runuser":
		return suLogin(c.Args)
	case c.Program == "login":
		return true
	case c.Program == "script":
		return !slices.ContainsFunc(c.Args, func(t string) bool { return t == "--command" || isShortCluster(t) && strings.ContainsRune(t, 'c') })
	case c.Program == "sudo" || c.Program == "exec":
		for i, t := range c.Args {
			if !strings.HasPrefix(t, "-") {
				return false
			}
			next := ""
			if i+1 < len(c.Args) {
				next = c.Args[i+1]
			}
			if wrapperLogin(c.Program, t, next) {
				return true
			}
		}
	}
	return false
}
