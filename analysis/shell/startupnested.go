package shell

import (
	"path"
	"strings"
)

// nestedDirs are directories below a dot directory of the home whose
// files (at any depth; file rules as in configDirs) run code later:
// systemd --user loads units from ~/.local/share/systemd, desktop
// environments run the Exec= line of ~/.local/share/applications/*.desktop
// when a file of its MimeType is opened, direnv's allow records make it
// source an .envrc, neovim loads ~/.local/share/nvim/site plugins, helm
// runs its plugins, gradle every script of ~/.gradle/init.d, the AWS CLI
// runs aliases of ~/.aws/cli/alias that start with !, conda reads
// ~/.conda/condarc.d as its condarc, maven runs the plugins and
// dependencies of ~/.m2/repository without fetching them again, and rustup's
// profile line puts ~/.cargo/bin before the system's programs on PATH.
// So do the other installers' PATH directories (bun, deno, yarn, pyenv
// and rbenv shims, volta, nix, npm's global prefix, go/bin) and the
// scripts their rc lines source (sdkman, rvm); docker runs
// ~/.docker/cli-plugins, terraform the providers of
// ~/.terraform.d/plugins; the VS Code and Cursor servers run the
// extensions (and machine settings: terminal profiles, tasks) of
// ~/.vscode-server and ~/.cursor-server at the next remote connection;
// an agent runs the scripts of .claude/hooks.
// The directory itself, and each of its ancestors below the dot
// directory (~/.local/share), is a start-up path: renaming or linking a
// directory onto it plants every file inside.
var nestedDirs = map[string][]string{
	".local/share/systemd": {"*"}, ".local/share/applications": {".desktop"}, ".local/share/direnv": {"*"},
	".local/share/nvim/site": {"*"}, ".local/share/helm/plugins": {"*"}, ".gradle/init.d": {"*"},
	".aws/cli": {"alias"}, ".cargo/bin": {"*"}, ".conda/condarc.d": {"*"}, ".m2/repository": {"*"},
	".bun/bin": {"*"}, ".deno/bin": {"*"}, ".yarn/bin": {"*"}, ".pyenv/shims": {"*"}, ".rbenv/shims": {"*"},
	".volta/bin": {"*"}, ".nix-profile/bin": {"*"}, ".npm-global/bin": {"*"}, "go/bin": {"*"},
	".docker/cli-plugins": {"*"}, ".terraform.d/plugins": {"*"}, ".sdkman/bin": {"*"}, ".rvm/scripts": {"*"},
	".vscode-server/extensions": {"*"}, ".vscode-server/data": {"*"}, ".cursor-server/extensions": {"*"},
	".cursor-server/data": {"*"}, ".vscode/extensions": {"*"}, ".claude/hooks": {"*"},
}

// nestedDirMatch reports whether parts (a cleaned path's components)
// end in a nestedDirs directory or an ancestor of one below its dot
// directory, or name a file of one. Without anyFile, the directories
// whose every file counts count only by name (see startupMatch).
func nestedDirMatch(parts []string, anyFile bool) bool {
	n := len(parts)
	for key, files := range nestedDirs {
		kc := strings.Split(key, "/")
		for k := firstOwn(kc); k <= len(kc) && k <= n; k++ {
			if slicesEqual(parts[n-k:], kc[:k]) {
				return true
			}
		}
		for i := 0; i+len(kc) < n; i++ {
			if !slicesEqual(parts[i:i+len(kc)], kc) {
				continue
			}
			if files[0] == "*" {
				return anyFile
			}
			return configFile(files, parts[n-1])
		}
	}
	return false
}

// slicesEqual reports whether a and b hold the same strings.
func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// nestedLastComponent reports whether name may end a path of nestedDirs:
// the last name of one of its directories (a word $D/applications may be
// ~/.local/share/applications), or a file its rules name. ~/.cargo/bin,
// like ~/bin, is not presumed from bin alone.
func nestedLastComponent(name string) bool {
	for key, files := range nestedDirs {
		if base := path.Base(key); name == base && base != "bin" {
			return true
		}
		for _, f := range files {
			if f != "*" && configFile([]string{f}, name) {
				return true
			}
		}
	}
	return false
}

// nestedExamples are start-up paths of nestedDirs for startupExamples:
// each directory, and a file of each that names its files.
func nestedExamples() []string {
	var out []string
	for key, files := range nestedDirs {
		out = append(out, key+"/")
		for _, f := range files {
			switch {
			case f == "*":
			case f[0] == '.':
				out = append(out, key+"/x"+f)
			default:
				out = append(out, key+"/"+f)
			}
		}
	}
	return out
}

// containerOnly reports whether the start-up directory q (cleaned) is
// one only as the home of particular names: a toolFiles directory
// (~/.aws holds config, not every file) or an ancestor of a nestedDirs
// directory (~/.gradle/init.d's ~/.gradle). Data-chosen names written
// into a directory below it (~/.aws/notes/x) cannot reach those names.
func containerOnly(q string) bool {
	parts := strings.Split(q, "/")
	n := len(parts)
	last := parts[n-1]
	if startupNames[last] || dropInDirs[last] {
		return false
	}
	if toolFiles[last] != nil {
		return true
	}
	for key := range nestedDirs {
		kc := strings.Split(key, "/")
		for k := firstOwn(kc); k < len(kc) && k <= n; k++ {
			if slicesEqual(parts[n-k:], kc[:k]) {
				return true
			}
		}
	}
	return false
}

// firstOwn is the number of leading components of a nestedDirs key that
// make a start-up path of their own: its dot directory (~/.bun: moving a
// directory onto it plants bin/), or from the second when the first is
// an ordinary name (go) or .local, whose own rules are startupNames'.
func firstOwn(kc []string) int {
	if strings.HasPrefix(kc[0], ".") && kc[0] != ".local" {
		return 1
	}
	return 2
}
