package shell

import (
	"slices"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// Tools' own commands that write their start-up files, whatever the
// line's words name: pip config set (pip.conf), conda config --add
// (.condarc), gem sources --add (~/.gemrc), bundle config set
// (.bundle/config), aws configure set (~/.aws/config: credential_process),
// kubectl config set-credentials (~/.kube/config: exec plugins), gh alias
// set and gh extension install (commands gh runs), an editor's
// --install-extension (code the editor runs), direnv allow (an .envrc
// then runs at every cd), helm plugin install, uv tool install (~/.local/
// bin) and uv pip install (site-packages, as pip install). Their
// read-only forms (list, get, show, view) pass.

// configCommandStartup reports why c writes a start-up file through a
// tool's configuration command, if it does.
func configCommandStartup(c gate.SSHCommand) (string, bool) {
	prog, args := family(c.Program), c.Args
	if prog == "python" {
		for i := 0; i+1 < len(args); i++ {
			if args[i] == "-m" && (args[i+1] == "pip" || args[i+1] == "pip3") {
				prog, args = "pip", args[i+2:]
				break
			}
		}
	}
	ops := operands(args)
	op := func(i int) string {
		if i < len(ops) {
			return ops[i]
		}
		return ""
	}
	has := func(opts ...string) bool {
		for _, a := range args {
			for _, o := range opts {
				if a == o || strings.HasPrefix(a, o+"=") {
					return true
				}
			}
		}
		return false
	}
	switch prog {
	case "pip":
		if op(0) == "config" && slices.Contains([]string{"set", "unset", "edit"}, op(1)) {
			return "pip config " + op(1) + " writes pip.conf (the index a later install fetches code from)", true
		}
	case "conda", "mamba", "micromamba":
		if op(0) == "config" && !has("--show", "--get", "--describe", "--validate", "--show-sources") {
			return prog + " config writes .condarc (the channels a later install fetches code from)", true
		}
	case "gem":
		if op(0) == "sources" && has("--add", "-a", "--remove", "-r", "--clear-all", "-c") {
			return "gem sources writes ~/.gemrc (the sources a later install fetches code from)", true
		}
	case "bundle", "bundler":
		// bundle config NAME VALUE (the old form) sets too; the value
		// may look like an option (--use-system-libraries).
		legacy := op(1) != "" && op(1) != "list" && op(1) != "get" && slices.Index(args, op(1)) < len(args)-1
		if op(0) == "config" && (slices.Contains([]string{"set", "unset"}, op(1)) || legacy) {
			return "bundle config writes .bundle/config", true
		}
	case "aws":
		if op(0) == "configure" && !slices.Contains([]string{"get", "list", "list-profiles", "export-credentials"}, op(1)) {
			return "aws configure writes ~/.aws/config (credential_process)", true
		}
	case "kubectl", "oc":
		if op(0) == "config" && (strings.HasPrefix(op(1), "set") || strings.HasPrefix(op(1), "delete") ||
			strings.HasPrefix(op(1), "use") || strings.HasPrefix(op(1), "rename") || op(1) == "unset") {
			return prog + " config " + op(1) + " writes ~/.kube/config (exec credential plugins)", true
		}
	case "gh":
		if op(0) == "alias" && slices.Contains([]string{"set", "import", "delete"}, op(1)) ||
			(op(0) == "extension" || op(0) == "ext" || op(0) == "extensions") && slices.Contains([]string{"install", "upgrade", "create"}, op(1)) ||
			op(0) == "config" && op(1) == "set" {
			return "gh " + op(0) + " " + op(1) + " writes commands gh runs later", true
		}
	case "code", "code-insiders", "codium", "cursor", "code-server":
		if has("--install-extension") {
			return prog + " --install-extension writes code the editor runs", true
		}
	case "direnv":
		if slices.Contains([]string{"allow", "permit", "grant"}, op(0)) {
			return "direnv " + op(0) + " lets an .envrc run at a later cd", true
		}
	case "helm":
		if op(0) == "plugin" && slices.Contains([]string{"install", "update"}, op(1)) {
			return "helm plugin " + op(1) + " writes code helm runs", true
		}
	case "uv":
		if op(0) == "tool" && slices.Contains([]string{"install", "upgrade", "update-shell"}, op(1)) {
			return "uv tool " + op(1) + " writes ~/.local/bin (on PATH)", true
		}
		if op(0) == "pip" && op(1) == "install" {
			return "uv pip install writes site-packages (.pth files run at every Python start)", true
		}
	}
	return "", false
}
