package shell

import (
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// Account tools write the account files (/etc/passwd, /etc/shadow,
// /etc/group, /etc/gshadow: system start-up files) under their own
// names: chsh and usermod -s change the login shell a later session runs,
// usermod -d its home (and so every start-up file it reads), useradd
// and newusers add an account one may log in as, gpasswd and usermod -G
// add to sudo's group, passwd -e and chage change when a password must be
// set, vipw and vigr edit the files in an editor. Each is a start-up write
// whatever its arguments, but for its read-only forms.

// accountTools are the programs that write the account files, with the
// options that make them only read (passwd -S, chage -l, chsh -l).
var accountTools = map[string][]string{
	"useradd": nil, "adduser": nil, "usermod": nil, "userdel": nil, "deluser": nil, "newusers": nil,
	"groupadd": nil, "addgroup": nil, "groupmod": nil, "groupdel": nil, "delgroup": nil, "gpasswd": nil,
	"chsh": {"-l", "--list-shells"}, "lchsh": {"-l"}, "chfn": nil, "lchfn": nil, "chpasswd": nil, "chgpasswd": nil,
	"passwd": {"-S", "--status"}, "chage": {"-l", "--list"}, "vipw": nil, "vigr": nil, "pwconv": nil,
	"pwunconv": nil, "grpconv": nil, "grpunconv": nil, "luseradd": nil, "lusermod": nil, "lgroupmod": nil,
	"lpasswd": {"-S"}, "pw": nil, "lnewusers": nil,
}

// accountStartup reports why c writes the account files, if it does.
func accountStartup(c gate.SSHCommand) (string, bool) {
	readOnly, ok := accountTools[c.Program]
	if !ok {
		return "", false
	}
	for _, a := range c.Args {
		if a == "--help" || a == "-h" || a == "--version" || a == "-V" {
			return "", false
		}
		for _, o := range readOnly {
			if a == o || len(o) == 2 && len(a) > 2 && a[0] == '-' && a[1] != '-' && strings.ContainsRune(a[1:], rune(o[1])) {
				return "", false
			}
		}
	}
	return c.Program + " writes the account files (login shell, home, groups) a later login reads", true
}
