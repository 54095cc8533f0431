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
// npm or yarn run), as git config writes ~/.gitconfig. Tools that
// install programs into a directory on a later session's PATH (where a
// program shadows a system one a login runs) do too: npm/pnpm install -g
// and npm link (the global prefix's bin), yarn global add, gem install and
// update (the gem bin directory, ~/.local/share/gem with --user-install),
// cargo install (~/.cargo/bin) and go install (GOBIN, ~/go/bin). A local
// npm install or go build writes only the project's tree and passes.

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
		if why, ok := globalInstall(prog, sub, args); ok {
			return why, true
		}
	case "pnpm":
		if why, ok := globalInstall(prog, sub, args); ok {
			return why, true
		}
	case "gem":
		if sub == "install" || sub == "update" || sub == "i" {
			return "gem " + sub + " writes executables into the gem bin directory on PATH", true
		}
	case "cargo":
		if sub == "install" {
			return "cargo install writes ~/.cargo/bin (on PATH)", true
		}
	case "go":
		if sub == "install" || sub == "get" && slices.Contains(args, "-u") {
			return "go " + sub + " writes GOBIN (~/go/bin, often on PATH)", true
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

// globalInstall reports whether an npm, pnpm or yarn command installs
// into the global prefix, whose bin directory is on PATH: npm link, yarn
// global, or an install naming -g, --global or --location=global.
func globalInstall(prog, sub string, args []string) (string, bool) {
	switch {
	case prog == "npm" && (sub == "link" || sub == "ln"):
		return "npm link writes the global prefix's bin (on PATH)", true
	case prog == "yarn" && sub == "global":
		return "yarn global writes the global bin directory (on PATH)", true
	}
	switch sub {
	case "install", "i", "add", "in", "ins", "inst", "insta", "instal", "isnt", "isntall", "update", "up", "upgrade", "link", "ln":
	default:
		return "", false
	}
	for _, a := range args {
		if a == "-g" || a == "--global" || a == "--location=global" || a == "--global=true" {
			return prog + " " + sub + " " + a + " writes the global prefix's bin (on PATH)", true
		}
	}
	return "", false
}
