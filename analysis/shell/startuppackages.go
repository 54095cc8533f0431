package shell

import (
	"slices"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// Package tools that plant start-up files whatever their arguments name:
// pip install (python -m pip install) writes a site-packages directory,
// whose .pth files Python runs at every start, and bin scripts (with
// --user into ~/.local/bin, on PATH before /usr/bin); pipx install writes
// ~/.local/bin; npm config set (npm set) and yarn config set write
// ~/.npmrc and ~/.yarnrc (node-options, script-shell: code on the next
// npm or yarn run), as git config writes ~/.gitconfig.

// packageStartup reports why c plants start-up files through a package
// tool, if it does.
func packageStartup(c gate.SSHCommand) (string, bool) {
	args := c.Args
	prog := family(c.Program)
	if prog == "python" || prog == "python3" {
		// python -m pip ...: the rest are pip's arguments.
		for i := 0; i+1 < len(args); i++ {
			if args[i] == "-m" && (args[i+1] == "pip" || args[i+1] == "pip3") {
				prog, args = "pip", args[i+2:]
				break
			}
			if args[i] == "-mpip" || args[i] == "-mpip3" {
				prog, args = "pip", args[i+1:]
				break
			}
		}
	}
	sub := firstOperand(args)
	switch prog {
	case "pip", "pip3":
		if sub == "install" && !slices.Contains(args, "--dry-run") {
			return "pip install writes site-packages (.pth files run at every Python start) and bin scripts", true
		}
	case "pipx":
		if sub == "install" || sub == "inject" || sub == "upgrade" || sub == "reinstall" || sub == "install-all" {
			return "pipx " + sub + " writes ~/.local/bin", true
		}
	case "npm", "yarn":
		if sub == "set" || (sub == "config" || sub == "c") && firstOperand(args[slices.Index(args, sub)+1:]) == "set" {
			return prog + " config set writes ~/." + prog + "rc", true
		}
	}
	return "", false
}

// firstOperand is the first argument not starting with -, or "".
func firstOperand(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return ""
}
