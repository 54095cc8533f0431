package shell

import (
	"slices"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// Commands that make code run later, outside any session the gate judges:
// they are start-up writes whatever their arguments.
//
//   - crontab FILE, crontab - and crontab -e install a crontab: cron runs
//     its lines later (crontab -l lists, -r removes: not refused).
//   - at and batch queue the commands of their input or -f FILE for later
//     (at -l, -c, -r and -d only list, show or remove jobs).
//   - systemctl link, edit, set-environment and import-environment plant a
//     unit file or the environment of units started later; enabling a
//     unit already installed is left to the rules (its code is not new);
//     enabling one by its path (enable /tmp/x.service) links it in first.
//   - systemctl --user (or --global) enable, reenable, preset, add-wants
//     and add-requires write the unit's links into ~/.config/systemd/user
//     (/etc/systemd/user): the unit starts at every later login.
//   - loginctl enable-linger starts the user's systemd, and every unit it
//     has enabled, at boot, with no session.
//   - ssh-copy-id appends keys to ~/.ssh/authorized_keys on the host it
//     names, which may be this host (-n only shows what it would do).
//   - systemd-run with a timer (--on-active, --on-calendar, ...) runs its
//     command later, when the rules judging it may have changed.

// runsLater reports why c makes code run later, if it does.
func runsLater(c gate.SSHCommand) (string, bool) {
	has := func(opts ...string) bool {
		for _, a := range c.Args {
			for _, o := range opts {
				if a == o || len(o) == 2 && len(a) > 2 && a[0] == '-' && a[1] != '-' && strings.ContainsRune(a[1:], rune(o[1])) {
					return true
				}
			}
		}
		return false
	}
	switch c.Program {
	case "crontab":
		if !has("-l", "-r", "-V", "--help", "--version") {
			return "crontab installs commands cron runs later", true
		}
	case "at", "batch":
		if !has("-l", "-c", "-r", "-d", "-V", "--help", "--version") {
			return c.Program + " queues commands that run later", true
		}
	case "loginctl":
		if slices.Contains(c.Args, "enable-linger") {
			return "loginctl enable-linger starts the user's units at boot", true
		}
	case "systemctl":
		user := slices.Contains(c.Args, "--user") || slices.Contains(c.Args, "--global")
		for i, a := range c.Args {
			if user && userEnabling[a] {
				// The .wants link lands in ~/.config/systemd/user (or
				// /etc/systemd/user): a start-up directory.
				return "systemctl --user " + a + " makes a unit start at the next login", true
			}
			switch a {
			case "link", "edit", "set-environment", "import-environment":
				return "systemctl " + a + " plants what units run later", true
			case "enable", "reenable", "add-wants", "add-requires":
				// A unit named by its path is linked in first, as by link.
				for _, u := range c.Args[i+1:] {
					if strings.Contains(u, "/") {
						return "systemctl " + a + " " + u + " links a unit file in", true
					}
				}
			}
		}
	case "ssh-copy-id":
		if !has("-h", "-?", "-n") {
			// The host may be this one (localhost, its own name): the
			// account's authorized_keys grows a key the gate never sees.
			return "ssh-copy-id appends to a host's ~/.ssh/authorized_keys", true
		}
	case "systemd-run":
		for _, a := range c.Args {
			if strings.HasPrefix(a, "--on-") || strings.HasPrefix(a, "--timer-property") {
				return "systemd-run " + a + " runs its command later", true
			}
		}
	}
	return "", false
}

// userEnabling are the systemctl verbs that write a unit's links (enable
// and its kin).
var userEnabling = map[string]bool{"enable": true, "reenable": true, "preset": true, "preset-all": true,
	"add-wants": true, "add-requires": true}
