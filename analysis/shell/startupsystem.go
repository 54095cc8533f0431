package shell

import (
	"path"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// System start-up paths: files and directories outside any home that
// run code at a later login, boot, timer or program start of every
// account, this one included: the shells' system rc files and drop-in
// directories (/etc/profile.d, /etc/bash.bashrc, /etc/zsh), the dynamic
// loader's preload and search path (/etc/ld.so.preload), cron and
// systemd (units, timers, generators), SysV init scripts and rc.local,
// sudo's and PAM's configuration and the account files (/etc/passwd,
// /etc/sudoers.d: a later login as anyone), sshd's and ssh's system
// configuration and /etc/ssh/sshrc, motd scripts, udev rules (RUN+=),
// modprobe install lines, logrotate's postrotate scripts, apt's hooks
// and sources, NetworkManager and ifupdown hooks, /etc/default files
// init scripts source, sysctl (kernel.core_pattern=|program), the
// system git, pip, npm, gem, wget and vim configurations, desktop
// autostart and X session scripts. They are matched from the root:
// /srv/app/etc/profile is an ordinary file. The program directories on
// every PATH (programDirs) count only where a command writes.

// systemFiles are system start-up files, by absolute path.
var systemFiles = map[string]bool{
	"/etc/profile": true, "/etc/bash.bashrc": true, "/etc/bashrc": true, "/etc/bash.bash_logout": true,
	"/etc/environment": true, "/etc/zshenv": true, "/etc/zshrc": true, "/etc/zprofile": true, "/etc/zlogin": true,
	"/etc/csh.cshrc": true, "/etc/csh.login": true, "/etc/inputrc": true, "/etc/ld.so.preload": true,
	"/etc/ld.so.conf": true, "/etc/crontab": true, "/etc/anacrontab": true, "/etc/rc.local": true,
	"/etc/sudoers": true, "/etc/sudo.conf": true, "/etc/passwd": true, "/etc/shadow": true, "/etc/group": true,
	"/etc/gshadow": true, "/etc/gitconfig": true, "/etc/pip.conf": true, "/etc/npmrc": true, "/etc/gemrc": true,
	"/etc/wgetrc": true, "/etc/vimrc": true, "/etc/sysctl.conf": true, "/etc/ssh/sshrc": true,
	"/etc/ssh/sshd_config": true, "/etc/ssh/ssh_config": true, "/etc/apt/sources.list": true,
	"/etc/login.defs": true, "/etc/shells": true,
}

// systemStartupDirs are directories every file of which (at any depth) is a
// system start-up file.
var systemStartupDirs = []string{
	"/etc/profile.d", "/etc/zsh", "/etc/fish", "/etc/ld.so.conf.d", "/etc/cron.d", "/etc/cron.hourly",
	"/etc/cron.daily", "/etc/cron.weekly", "/etc/cron.monthly", "/etc/cron.yearly", "/var/spool/cron",
	"/var/spool/at", "/etc/systemd", "/lib/systemd", "/usr/lib/systemd", "/usr/local/lib/systemd", "/run/systemd",
	"/etc/init", "/etc/sudoers.d", "/etc/update-motd.d", "/etc/pam.d", "/etc/security",
	"/etc/ssh/sshd_config.d", "/etc/ssh/ssh_config.d", "/etc/xdg/autostart", "/etc/X11/Xsession.d",
	"/etc/X11/xinit", "/etc/udev/rules.d", "/lib/udev/rules.d", "/usr/lib/udev/rules.d", "/etc/modprobe.d",
	"/etc/logrotate.d", "/etc/apt/apt.conf.d", "/etc/apt/sources.list.d", "/etc/NetworkManager/dispatcher.d",
	"/etc/network", "/etc/default", "/etc/environment.d", "/etc/vim", "/etc/bash_completion.d", "/etc/sysctl.d",
	"/etc/binfmt.d", "/etc/kernel", "/etc/skel", "/etc/git",
}

// systemStartup reports whether the cleaned absolute path p is a system
// start-up path: one of systemFiles, inside one of systemStartupDirs, one of
// them itself, or /etc/rcN.d and what it holds.
func systemStartup(p string) bool {
	if !strings.HasPrefix(p, "/") {
		return false
	}
	for _, q := range linkedNames(p) {
		if systemStartupExact(q) {
			return true
		}
	}
	return false
}

// systemStartupExact is systemStartup for p as spelt.
func systemStartupExact(p string) bool {
	if systemFiles[p] {
		return true
	}
	for _, d := range systemStartupDirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	rest, ok := strings.CutPrefix(p, "/etc/rc")
	if !ok {
		return false
	}
	name, _, _ := strings.Cut(rest, "/")
	return strings.HasSuffix(name, ".d") && len(name) == 3
}

// programDirs are the directories of the programs every session runs by
// name (/usr/local/bin comes before /usr/bin on PATH) and of the init
// scripts. A file written there replaces or shadows a program; but their
// programs are named as arguments all the time (bash
// /usr/local/bin/deploy.sh, strace /usr/bin/ls), so they count only as
// the target of a write: a writing redirection, the destination of cp,
// mv, install, ln or rsync, tee's, truncate's and dd of='s files, and
// an sftp operation (programWrite, writeOperands).
var programDirs = []string{"/usr/local/bin", "/usr/local/sbin", "/usr/bin", "/usr/sbin", "/bin", "/sbin", "/etc/init.d"}

// programPath reports whether the cleaned path p is in (or is) one of
// programDirs.
func programPath(p string) bool {
	p = path.Clean(procPath(p))
	for _, d := range programDirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// programWrite reports whether the word w, written by a command run in
// one of dirs (lineDirs), is in a program directory. A word only known
// at run time is not presumed to be one.
func programWrite(w string, dirs []string) bool {
	w = cleanHome(w)
	if w == "" || strings.ContainsAny(w, wildcards) {
		return false
	}
	if strings.HasPrefix(w, "/") {
		return programPath(w)
	}
	for _, d := range dirs {
		if strings.HasPrefix(d, "/") && programPath(d+"/"+w) {
			return true
		}
	}
	return false
}

// writeOperands returns the words of c that name a file or directory it
// writes: cp's, mv's, install's, ln's and rsync's destination (the last
// operand, or -t DIR), tee's and truncate's operands, and dd's of=.
func writeOperands(c gate.SSHCommand) []string {
	switch c.Program {
	case "cp", "mv", "install", "ginstall", "ln", "rsync":
		var out []string
		for i, a := range c.Args {
			switch {
			case (a == "-t" || a == "--target-directory") && i+1 < len(c.Args):
				out = append(out, c.Args[i+1])
			case strings.HasPrefix(a, "--target-directory="):
				out = append(out, strings.TrimPrefix(a, "--target-directory="))
			case strings.HasPrefix(a, "-t") && len(a) > 2 && !strings.HasPrefix(a, "--"):
				out = append(out, a[2:])
			}
		}
		if ops := operands(c.Args); len(ops) > 0 {
			out = append(out, ops[len(ops)-1])
		}
		return out
	case "tee", "truncate":
		return operands(c.Args)
	case "sed", "perl":
		if len(inPlaceBackups(c)) > 0 || inPlace(c.Args) {
			return operands(c.Args)
		}
	case "dd":
		for _, a := range c.Args {
			if v, ok := strings.CutPrefix(a, "of="); ok {
				return []string{v}
			}
		}
	}
	return nil
}

// inPlace reports whether sed's or perl's args edit files in place (-i,
// -i.bak, -ni, --in-place): each operand is then written.
func inPlace(args []string) bool {
	for _, a := range args {
		if a == "--in-place" || strings.HasPrefix(a, "--in-place=") ||
			len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.ContainsRune(a, 'i') {
			return true
		}
	}
	return false
}
