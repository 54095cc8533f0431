package shell

import (
	"path"
	"slices"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// Start-up files: files whose content a later program runs as code without
// the gate seeing it. A shell reads them when it starts (Debian's bash
// sources ~/.bashrc even for the commands sshd runs), sshd reads ~/.ssh/rc,
// ~/.ssh/environment and the command= and environment= options of
// ~/.ssh/authorized_keys, git runs the hooks and the programs its config
// names (core.fsmonitor, core.pager), ssh the ProxyCommand of ~/.ssh/config.
// Writing one plants code for a later session; an operator who allows
// writes in the home directory does not mean to allow that.
//
// The match is on the trailing components of the path, wherever it is
// (a copy of a home directory elsewhere, a project's .git), so ~, $HOME,
// /home/u, ./ and a/../ spellings all end the same way. Directories whose
// files are start-up files (.ssh, .git, .config/fish, ...) count too:
// renaming or linking a directory onto them plants every file inside.

// startupNames are file and directory names that are start-up paths in
// any directory (renaming a directory onto .ssh or .git plants every file
// inside it). Besides the shells' files: ~/.inputrc and ~/.pam_environment
// (a later session's key bindings and environment), ~/.gitconfig (core.pager,
// aliases with !), X session scripts, vim and emacs start-up files (run when
// a human next edits a file), tmux and screen configurations (run-shell,
// exec), ~/.npmrc and ~/.yarnrc (node-options=--require, script-shell,
// yarnPath: code on the next npm or yarn run) and ~/.netrc (an ftp macdef
// init runs ftp commands, ! included). Programs' own start-up files that
// run code count too: ~/.bash_aliases (Debian's and Ubuntu's ~/.bashrc
// source it), ~/.forward (a |command line runs on each mail delivered),
// ~/.selected_editor (sensible-editor runs the program it names), ~/.mailcap
// (viewer commands), ~/.gdbinit and ~/.lldbinit (shell and python
// commands), ~/.psqlrc and ~/.sqliterc (\! and .shell), ~/.my.cnf (the
// mysql client's pager and system), ~/.hgrc (hooks), ~/.lesskey
// (LESSOPEN), and the start-up code of irb, pdb, R and octave (~/.irbrc,
// ~/.pdbrc, ~/.Rprofile, ~/.octaverc). ~/.curlrc and ~/.wgetrc count: they
// run no code, but their output = ~/.bashrc (output_document) makes a
// later curl or wget, judged by its words alone, write a start-up file.
// ~/.lftprc (and ~/.lftp/rc, ~/.config/lftp/rc) runs lftp commands, a
// shell escape (!) included, at every later lftp; aria2's aria2.conf
// names an on-download-complete program. ~/.rhosts, ~/.shosts,
// ~/.k5login and ~/.k5users let a later login in as authorized_keys does;
// IPython runs its profiles' startup files and config (~/.ipython), the
// perl debugger ~/.perldb, direnv its ~/.config/direnv/direnvrc and lib.
// Round four (each: the program that reads it, and how it runs code):
// direnv sources any directory's .envrc once allowed (the allow records
// live in ~/.local/share/direnv) and ~/.direnvrc; conda's .condarc (and
// ~/.conda/condarc.d) choose channels whose packages run link scripts; xrdb loads
// ~/.Xresources and ~/.Xdefaults (xterm's exec-formatted action), startx
// runs ~/.xserverrc, xbindkeys the commands of ~/.xbindkeysrc; emacs
// loads ~/.emacs.el(c), gdb ~/.gdbearlyinit; Debian's lesspipe runs
// ~/.lessfilter; mvn sources ~/.mavenrc as shell code; gem's ~/.gemrc
// names the sources it installs from; pry, ghci (:!) and sbt run their
// rc files; nano's syntax linters and formatters are commands; mutt's
// source "cmd|" runs a command at start; npm init runs ~/.npm-init.js;
// bun preloads what ~/.bunfig.toml names; ansible loads plugins from
// ~/.ansible.cfg's paths and ~/.ansible; jupyter's config files are
// Python; a project's .mcp.json names the MCP servers an agent starts.
// ~/.pythonrc is left out (run only when PYTHONSTARTUP names
// it), so are ~/.Xmodmap, ~/.editrc and ~/.hushlogin (no command).
var startupNames = map[string]bool{
	".bashrc": true, ".bash_profile": true, ".bash_login": true, ".bash_logout": true, ".profile": true,
	".bashrc.d": true, ".zshenv": true, ".zshrc": true, ".zprofile": true, ".zlogin": true, ".zlogout": true,
	".kshrc": true, ".mkshrc": true, ".cshrc": true, ".tcshrc": true, ".login": true, ".logout": true,
	".inputrc": true, ".pam_environment": true, ".gitconfig": true, ".ssh": true, ".git": true,
	".config": true, ".profile.d": true, ".zshrc.d": true, ".local": true, ".xprofile": true, ".xsession": true,
	".xsessionrc": true, ".xinitrc": true, ".vimrc": true, ".gvimrc": true, ".exrc": true, ".vim": true,
	".emacs": true, ".emacs.d": true, ".tmux.conf": true, ".screenrc": true, ".npmrc": true, ".yarnrc": true,
	".yarnrc.yml": true, ".netrc": true, ".bash_aliases": true, ".forward": true, ".selected_editor": true,
	".mailcap": true, ".gdbinit": true, ".lldbinit": true, ".psqlrc": true, ".sqliterc": true, ".my.cnf": true,
	".hgrc": true, ".lesskey": true, ".irbrc": true, ".pdbrc": true, ".Rprofile": true, ".octaverc": true,
	".curlrc": true, ".wgetrc": true, ".terraformrc": true, ".lftprc": true,
	".rhosts": true, ".shosts": true, ".k5login": true, ".k5users": true, ".ipython": true, ".perldb": true,
	".envrc": true, ".direnvrc": true, ".condarc": true, ".Xresources": true, ".Xdefaults": true, ".xserverrc": true,
	".xbindkeysrc": true, ".emacs.el": true, ".emacs.elc": true, ".gdbearlyinit": true, ".lessfilter": true,
	".mavenrc": true, ".gemrc": true, ".pryrc": true, ".ghci": true, ".sbtrc": true, ".nanorc": true, ".muttrc": true,
	".npm-init.js": true, ".bunfig.toml": true, ".ansible.cfg": true, ".mutt": true, ".jupyter": true, ".sbt": true,
	".ansible": true, ".mcp.json": true,
}

// dropInDirs are directories every file of which (at any depth) is read
// as code: sourced by a loop in an rc file (.bashrc.d), or loaded by
// an editor (.vim, .emacs.d).
var dropInDirs = map[string]bool{".ipython": true, ".bashrc.d": true, ".profile.d": true, ".zshrc.d": true, ".vim": true,
	".emacs.d": true, ".mutt": true, ".jupyter": true, ".sbt": true, ".ansible": true}

// sshFiles are the files sshd and ssh read from ~/.ssh that run code or
// set the environment of a later session.
var sshFiles = map[string]bool{"rc": true, "environment": true, "authorized_keys": true, "authorized_keys2": true, "config": true}

// toolFiles are, per dot directory, the files that make a later program
// run a command: kubectl's exec credential plugins (.kube/config), the AWS
// CLI's credential_process (.aws/config), gpg's pinentry-program and
// photo-viewer (.gnupg), cargo's build.rustc-wrapper (.cargo/config),
// docker's credsStore/credHelpers (.docker/config.json names a
// docker-credential-* program the next pull runs). Files that only hold
// data (~/.pypirc's passwords) are not start-up files: the line is
// drawn at "a later program runs or sources something it names", and
// a file that chooses where a later install fetches code from counts:
// pip.conf's index-url (~/.pip is pip's legacy directory), conda's
// condarc, maven's settings.xml mirrors (plugins run at build) and
// toolchains.xml (the JDK programs run), gradle's init scripts and
// gradle.properties (org.gradle.jvmargs=-javaagent:...), bundler's
// config (BUNDLE_GEMFILE names Ruby code it evaluates). The AWS
// credentials file counts with config: the SDKs read credential_process
// from either. Installers' rc lines source ~/.cargo/env, ~/.nvm/nvm.sh,
// ~/.deno/env, ~/.ghcup/env and ~/.asdf/asdf.sh. Coding agents and
// editors run the commands their settings name: hooks and MCP servers
// of .claude/settings.json (in a home or a project), ~/.codex's
// config.toml, ~/.gemini's settings.json, .cursor/mcp.json, and
// .vscode's mcp.json and tasks.json (a task may run on folder open).
// Each of these directories is a start-up path itself:
// moving or linking a directory onto ~/.kube plants its config.
var toolFiles = map[string]map[string]bool{
	".ssh": sshFiles, ".kube": {"config": true}, ".aws": {"config": true, "credentials": true},
	".gnupg": {"gpg-agent.conf": true, "gpg.conf": true}, ".cargo": {"config": true, "config.toml": true, "env": true},
	".docker": {"config.json": true}, ".lftp": {"rc": true}, ".aria2": {"aria2.conf": true},
	".pip": {"pip.conf": true}, ".conda": {"condarc": true, ".condarc": true},
	".m2":     {"settings.xml": true, "toolchains.xml": true},
	".gradle": {"init.gradle": true, "init.gradle.kts": true, "gradle.properties": true}, ".bundle": {"config": true},
	".nvm": {"nvm.sh": true, "bash_completion": true}, ".deno": {"env": true}, ".ghcup": {"env": true},
	".asdf": {"asdf.sh": true}, ".claude": {"settings.json": true, "settings.local.json": true},
	".codex": {"config.toml": true}, ".gemini": {"settings.json": true}, ".cursor": {"mcp.json": true},
	".vscode": {"mcp.json": true, "tasks.json": true},
}

// gitHooks are the hook names git runs from .git/hooks.
var gitHooks = map[string]bool{
	"applypatch-msg": true, "pre-applypatch": true, "post-applypatch": true, "pre-commit": true,
	"pre-merge-commit": true, "prepare-commit-msg": true, "commit-msg": true, "post-commit": true,
	"pre-rebase": true, "post-checkout": true, "post-merge": true, "pre-push": true, "pre-receive": true,
	"update": true, "proc-receive": true, "post-receive": true, "post-update": true, "reference-transaction": true,
	"push-to-checkout": true, "pre-auto-gc": true, "post-rewrite": true, "sendemail-validate": true,
	"fsmonitor-watchman": true, "p4-changelist": true, "p4-prepare-changelist": true, "p4-post-changelist": true,
	"p4-pre-submit": true, "post-index-change": true,
}

// configDirs are directories under .config and the files in them (at
// any depth) that run code or set a later session's environment: a name
// starting with a dot is a suffix, "*" any file, any other a whole name.
// systemd --user units of every type (and their drop-ins and .wants
// links) start programs at the next login or timer; neovim loads every
// file of its directory that is a plugin. Every file of ~/.config/git
// counts: git's config may [include] any of them, and hooks kept there
// run once core.hooksPath names them. The XDG homes of files above
// count too (pip, conda, emacs, gdb, vim, wget, ghc, nano, mutt), and
// so do the configurations of programs that run commands they name:
// window managers' exec and autostart lines (i3, sway, openbox, awesome,
// bspwm, hypr, qtile), terminals' shell and launch options (kitty,
// alacritty, wezterm), ranger's commands.py, mc's extension and menu
// files, PowerShell profiles, composer's global scripts, nix and
// nixpkgs (post-build-hook, overlays), gh aliases (! runs a shell), uv's
// index, podman's containers.conf (OCI hooks, helper programs), VS Code's
// and Cursor's user settings and tasks, Claude desktop's MCP servers and
// mpv's scripts.
var configDirs = map[string][]string{
	"fish": {".fish"}, "git": {"*"}, "environment.d": {".conf"},
	"systemd": {"*"}, "autostart": {".desktop"}, "nvim": {"*"}, "tmux": {"tmux.conf"},
	"lftp": {"rc"}, "aria2": {"aria2.conf"}, "direnv": {"*"},
	"pip": {"pip.conf"}, "conda": {"*"}, "emacs": {"*"}, "gdb": {"gdbinit", "gdbearlyinit"}, "vim": {"*"},
	"wget": {"wgetrc"}, "ghc": {"ghci.conf"}, "nano": {"nanorc"}, "mutt": {"*"}, "ranger": {"*"}, "mc": {"*"},
	"i3": {"*"}, "sway": {"*"}, "openbox": {"*"}, "awesome": {"*"}, "bspwm": {"*"}, "hypr": {"*"}, "qtile": {"*"},
	"kitty": {"*"}, "alacritty": {"*"}, "wezterm": {"*"}, "powershell": {"*"}, "composer": {"*"}, "nix": {"*"},
	"nixpkgs": {"*"}, "gh": {"config.yml"}, "uv": {"uv.toml"}, "containers": {"*"}, "Code": {"*"}, "Cursor": {"*"},
	"Claude": {"*"}, "mpv": {"*"},
}

// configFiles are files directly in ~/.config that run code: less reads
// its lesskey there (LESSOPEN), xdg-user-dir sources user-dirs.dirs as
// shell code, starship runs the commands of its custom modules.
var configFiles = map[string]bool{"lesskey": true, "user-dirs.dirs": true, "starship.toml": true}

// configFile reports whether name is one of the files of a configDirs
// entry.
func configFile(files []string, name string) bool {
	for _, f := range files {
		if name == f || f == "*" || f[0] == '.' && strings.HasSuffix(name, f) {
			return true
		}
	}
	return false
}

// StartupPath reports whether writing p (a path as the shell or sftp
// spells it, after quote removal) may write a start-up file or a
// directory that holds them, in a home directory or the system's
// (systemStartup: /etc/profile.d, /etc/cron.d, /etc/ld.so.preload, ...). p is judged lexically: $HOME and ${HOME}
// are ~, . and .. are folded; only its trailing components count. A
// symbolic link in a directory is not followed (sftp paths are resolved
// before they are judged).
func StartupPath(p string) bool {
	return startupClean(path.Clean(cleanHome(p)))
}

// startupClean is StartupPath on a cleaned path.
func startupClean(p string) bool { return startupMatch(p, true) }

// startupMatch is startupClean; without anyFile, the directories whose
// every file counts (dropInDirs, ~/.local/bin, ~/bin, configDirs' "*")
// count only by name: a word whose directory is only known at run time
// is judged by its known names, or every "$D"/name would be a start-up
// path.
func startupMatch(p string, anyFile bool) bool {
	if anyFile && systemStartup(p) {
		return true
	}
	parts := strings.Split(p, "/")
	n := len(parts)
	last := parts[n-1]
	if startupNames[last] || toolFiles[last] != nil || strings.HasSuffix(last, ".git") && last != ".git" && n > 1 ||
		nestedDirMatch(parts, anyFile) || cacheMatch(parts, anyFile) {
		return true
	}
	if n < 2 {
		return false
	}
	parent := parts[n-2]
	switch {
	case toolFiles[parent][last]:
		return true
	case last == "config" && inRepository(parts[:n-1]):
		return true // .git/config, repo.git/config, .git/modules/m/config
	case last == "hooks" && inRepository(parts[:n-1]):
		return true
	case parent == "hooks" && gitHooks[last] && inRepository(parts[:n-2]):
		return true
	case (parent == "site-packages" || parent == "dist-packages") && sitePackagesStartup(last):
		return true
	}
	if anyFile {
		for i, d := range parts[:n-1] {
			if dropInDirs[d] || d == ".local" && parts[i+1] == "bin" {
				return true
			}
		}
		if rest, ok := homeRelative(parts); ok && len(rest) > 0 && rest[0] == "bin" {
			return true
		}
	}
	for i := n - 2; i >= 0; i-- {
		if parts[i] != ".config" {
			continue
		}
		if i == n-2 {
			_, ok := configDirs[last]
			return ok || configFiles[last]
		}
		files, ok := configDirs[parts[i+1]]
		if !anyFile && ok && files[0] == "*" {
			return false
		}
		return ok && configFile(files, last)
	}
	return false
}

// sitePackagesStartup reports whether a file of a Python site-packages
// directory runs at every start of that Python: a .pth file (its import
// lines are executed) or sitecustomize and usercustomize.
func sitePackagesStartup(name string) bool {
	return strings.HasSuffix(name, ".pth") || name == "sitecustomize.py" || name == "usercustomize.py"
}

// homeRelative returns the components of a cleaned path after a home
// directory it starts with: ~, /root or /home/NAME. ~/bin (as
// ~/.local/bin, matched anywhere) is put before /usr/bin in PATH by
// Debian's ~/.profile when it exists: a file there shadows a system
// program a later login runs. bin elsewhere is an ordinary directory.
func homeRelative(parts []string) ([]string, bool) {
	switch {
	case parts[0] == "~":
		return parts[1:], true
	case len(parts) > 1 && parts[0] == "" && parts[1] == "root":
		return parts[2:], true
	case len(parts) > 2 && parts[0] == "" && parts[1] == "home" && parts[2] != "":
		return parts[3:], true
	}
	return nil, false
}

// inRepository reports whether dirs (a path's directories) end inside a
// git directory: a component .git or name.git.
func inRepository(dirs []string) bool {
	for _, d := range dirs {
		if strings.HasSuffix(d, ".git") {
			return true
		}
	}
	return false
}

// startupExamples are start-up paths, one for each way a path can end in
// one: a word with a part only known at run time is compared with every
// prefix of each, followed by the word's known tail.
var startupExamples = func() []string {
	out := []string{".ssh/", ".git/config", ".git/hooks/", "x.git/config", ".config/"}
	for n := range startupNames {
		out = append(out, n)
	}
	for d, files := range toolFiles {
		for f := range files {
			out = append(out, d+"/"+f)
		}
	}
	out = append(out, "site-packages/x.pth", "site-packages/sitecustomize.py", "site-packages/usercustomize.py")
	for h := range gitHooks {
		out = append(out, ".git/hooks/"+h)
	}
	for d, files := range configDirs {
		for _, f := range files {
			if f == "*" {
				continue // any file: see lastComponentMayBeStartup
			}
			if f[0] == '.' {
				f = "x" + f
			}
			out = append(out, ".config/"+d+"/"+f)
		}
	}
	for f := range configFiles {
		out = append(out, ".config/"+f)
	}
	return append(out, nestedExamples()...)
}()

// wildcards are the characters that make a word's value unknown: an
// expansion, or a pattern the shell replaces.
const wildcards = "$`*?[{"

// lineJudge judges the words of one command line.
type lineJudge struct {
	// cwds are the directories the line may change to, besides the
	// login directory; "" means one only known at run time.
	cwds []string
	// slow holds the tails judged the slow way (slowUnknown).
	slow map[string]bool
	// opened are the files the line's redirections open (openedFiles):
	// what a descriptor's path may stand for.
	opened lineFiles
	// homes are the components of each name of the login's home
	// directory when known (WritesStartupFor); nil when not, and any
	// directory may be one (mayBeHomeBin).
	homes [][]string
}

// maxSlowTails bounds the distinct tails and patterns of one line judged
// the slow way;
// beyond it a tail counts as a start-up path (fail closed), so a long line
// cannot make the gateway spend more than a few milliseconds.
const maxSlowTails = 16

// unknownMayBeStartup is the function of that name, remembered per tail
// and bounded by maxSlowTails.
func (j *lineJudge) unknownMayBeStartup(tail string) bool {
	if anchoredStartup(tail) {
		return true
	}
	if decided, ok := quickUnknown(tail); ok {
		return decided
	}
	if v, ok := j.slow[tail]; ok {
		return v
	}
	if len(j.slow) >= maxSlowTails {
		return true
	}
	if j.slow == nil {
		j.slow = map[string]bool{}
	}
	v := slowUnknown(tail)
	j.slow[tail] = v
	return v
}

// globMayBeStartup is the function of that name, remembered per pattern
// and bounded by maxSlowTails with the tails.
func (j *lineJudge) globMayBeStartup(pattern string) bool {
	if j.globInAnyFileDir(pattern) {
		return true
	}
	last := path.Base(pattern)
	if !strings.ContainsAny(last, "*?[") && last != ".." && !lastComponentMayBeStartup(last) {
		return false
	}
	key := "\x00" + pattern
	if v, ok := j.slow[key]; ok {
		return v
	}
	if len(j.slow) >= maxSlowTails {
		return true
	}
	if j.slow == nil {
		j.slow = map[string]bool{}
	}
	v := globMayBeStartup(pattern, j.cwds)
	j.slow[key] = v
	return v
}

// globInAnyFileDir reports whether pattern, each component holding a
// wildcard taken as an ordinary name, lies in a directory whose every
// file is a start-up file (~/.gradle/init.d/*.gradle, ~/bin/*,
// ~/.local/share/systemd/user/*), from the home directory or one the
// line changes to: whatever the pattern matches there, or the literal
// name an unmatched pattern leaves, is one.
func (j *lineJudge) globInAnyFileDir(pattern string) bool {
	parts := strings.Split(pattern, "/")
	for i, c := range parts {
		if strings.ContainsAny(c, "*?[") {
			parts[i] = "x"
		}
	}
	p := strings.Join(parts, "/")
	if strings.HasPrefix(p, "/") || strings.HasPrefix(p, "~") {
		return startupClean(path.Clean(p))
	}
	for _, d := range append([]string{"~"}, j.cwds...) {
		if d != "" && startupClean(path.Clean(cleanHome(d)+"/"+p)) {
			return true
		}
	}
	return false
}

// mayBeStartup reports whether a word of the line may name a start-up
// path. The text after each = is judged too (dd of=, --file=), and so
// are an address's path after a : (socat OPEN:/root/.bashrc) and each
// text before a , (socat's OPEN:path,append options).
func (j *lineJudge) mayBeStartup(w string) bool {
	if j.wordMayBeStartup(w) {
		return true
	}
	for i := 0; i < len(w); i++ {
		if w[i] == ',' && j.wordMayBeStartup(w[:i]) {
			return true
		}
	}
	return false
}

// wordMayBeStartup is mayBeStartup without the split at commas.
func (j *lineJudge) wordMayBeStartup(w string) bool {
	if j.candidateStartup(w) {
		return true
	}
	for i := 0; i < len(w); i++ {
		if w[i] == '=' && j.candidateStartup(w[i+1:]) {
			return true
		}
		if w[i] == ':' && i+1 < len(w) && strings.IndexByte("/~$", w[i+1]) >= 0 && j.candidateStartup(w[i+1:]) {
			return true
		}
	}
	return false
}

// candidateStartup is mayBeStartup for one candidate word, under each
// name the kernel may resolve it to (spellings).
func (j *lineJudge) candidateStartup(w string) bool {
	if w == "" {
		return false
	}
	for _, v := range spellings(w, &j.opened) {
		if j.spellingStartup(v) {
			return true
		}
	}
	return false
}

// writeTargetStartup reports whether w, the file a command of the line
// run in one of dirs writes, is a start-up path only as a write's target
// under one of its spellings: a program directory (programWrite) or a bin
// directory whose parent may be the login directory (homeBinWrite).
func (j *lineJudge) writeTargetStartup(w string, dirs []string) bool {
	for _, v := range spellings(w, &j.opened) {
		if programWrite(v, dirs) || j.homeBinWrite(v, dirs) || homeAnchored(v, dirs) ||
			strings.ContainsAny(v, "$`") && j.unknownWriteTarget(v) {
			return true
		}
	}
	return false
}

// spellingStartup is candidateStartup for one spelling.
func (j *lineJudge) spellingStartup(w string) bool {
	w = cleanHome(w)
	if strings.ContainsAny(w, "$`{") {
		tail := knownTail(w)
		return knownDirsStartup(tail) || j.unknownMayBeStartup(tail)
	}
	if strings.ContainsAny(w, "*?[") {
		return j.globMayBeStartup(w)
	}
	p := path.Clean(w)
	if startupClean(p) {
		return true
	}
	if strings.HasPrefix(p, "/") || strings.HasPrefix(p, "~") {
		return false
	}
	for _, d := range j.cwds {
		if d == "" {
			// Whatever the directory: the file names that are start-up
			// files inside some start-up directory.
			if j.unknownMayBeStartup("/" + p) {
				return true
			}
			continue
		}
		joined := cleanHome(d) + "/" + p
		if startupClean(path.Clean(joined)) {
			return true
		}
		if strings.HasPrefix(joined, "/") || strings.HasPrefix(joined, "~") {
			// The directory's other names (cd /var/run/../etc, cd
			// /dev/fd/3): judged as a word of its own, with no working
			// directory of its own to recurse on.
			for _, v := range spellings(joined, &j.opened)[1:] {
				if j.spellingStartup(v) {
					return true
				}
			}
		}
	}
	return false
}

// cleanHome spells $HOME and ${HOME} at the start of w as ~, ~+ as the
// working directory, ~- as $OLDPWD, and a process's directories under
// /proc as what they stand for (procPath).
func cleanHome(w string) string {
	w = procPath(w)
	// ~+ is the working directory, ~- the previous one ($OLDPWD).
	if rest, ok := strings.CutPrefix(w, "~+"); ok && (rest == "" || rest[0] == '/') {
		w = "." + rest
	} else if rest, ok := strings.CutPrefix(w, "~-"); ok && (rest == "" || rest[0] == '/') {
		w = "$OLDPWD" + rest
	} else if name, rest, ok := tildePrefix(w); ok && name != "" {
		if strings.Trim(name, "+-0123456789") == "" {
			return "$DIRSTACK" + rest // ~1, ~+2, ~-1: the directory stack
		}
		return "~" + rest // ~NAME: a home directory
	}
	for _, h := range []string{"${HOME}", "$HOME", `"$HOME"`, `"${HOME}"`} {
		if rest, ok := strings.CutPrefix(w, h); ok && (rest == "" || rest[0] == '/') {
			return "~" + rest
		}
	}
	return w
}

// procPath spells /proc/PID/cwd (and /proc/PID/task/TID/cwd) as the
// working directory, relative, and /proc/PID/root as /: each is a link
// the kernel resolves for the process that opens it, so
// /proc/self/cwd/bin/ls run in the home directory is ~/bin/ls, and a
// symbolic link to /proc/self/cwd is a link to home for a later session.
// Another process's directory is taken as the working directory too: the
// shell that ran the command, likely in the home directory.
func procPath(w string) string {
	// /proc/self/root/proc/self/root/...: each in turn, a bounded number.
	for range 8 {
		v := procPathOnce(lightClean(w))
		if v == w {
			return v
		}
		w = v
	}
	return w
}

// procPathOnce is procPath for the first /proc directory of w.
func procPathOnce(w string) string {
	rest, ok := strings.CutPrefix(w, "/proc/")
	if !ok {
		return w
	}
	parts := strings.Split(rest, "/")
	k := 1 // after the PID
	if len(parts) > 3 && parts[1] == "task" {
		k = 3
	}
	if len(parts) <= k || parts[0] == "" {
		return w
	}
	tail := strings.Join(parts[k+1:], "/")
	switch parts[k] {
	case "cwd":
		if tail == "" {
			return "."
		}
		return "./" + tail
	case "root":
		return "/" + tail
	}
	return w
}

// knownTail returns the text of w after its last expansion or pattern:
// after a $name, ${...}, $(...), `...` or a glob.
func knownTail(w string) string {
	i := strings.LastIndexAny(w, wildcards)
	tail := w[i+1:]
	if w[i] == '$' {
		j := 0
		for j < len(tail) && (tail[j] == '_' || tail[j] >= 'a' && tail[j] <= 'z' || tail[j] >= 'A' && tail[j] <= 'Z' || tail[j] >= '0' && tail[j] <= '9') {
			j++
		}
		if j == 0 && tail != "" && strings.IndexByte("@*#?$!-", tail[0]) >= 0 {
			j = 1
		}
		tail = tail[j:]
	}
	if j := strings.LastIndexAny(tail, "})]`"); j >= 0 {
		tail = tail[j+1:]
	}
	return tail
}

// knownDirsStartup reports whether the whole components of tail (the
// known text after a word's last expansion, from its first slash) are a
// start-up path wherever they lie: "$D"/.vim/plugin/x.vim is in a
// drop-in directory whatever $D is, though its last name alone (which
// unknownMayBeStartup judges) is no start-up name.
func knownDirsStartup(tail string) bool {
	i := strings.IndexByte(tail, '/')
	if i < 0 {
		return false
	}
	return startupMatch(path.Clean("/x"+tail[i:]), true)
}

// unknownMayBeStartup reports whether a word whose known text after its
// last expansion is tail may name a start-up path: the expansion may stand
// for anything, slashes and .. included, so the word may be any start-up
// path that can end in tail.
func unknownMayBeStartup(tail string) bool {
	if decided, ok := quickUnknown(tail); ok {
		return decided
	}
	return slowUnknown(tail)
}

// quickUnknown decides unknownMayBeStartup from the last component alone
// when tail has one of its own (a slash before it, no ..) that no
// start-up path ends in.
func quickUnknown(tail string) (decided, ok bool) {
	if strings.Contains(tail, "..") {
		return false, false
	}
	c := strings.TrimRight(tail, "/")
	if i := strings.LastIndexByte(c, '/'); i >= 0 && c[i+1:] != "." && !lastComponentMayBeStartup(c[i+1:]) {
		return false, true
	}
	return false, false
}

// slowUnknown is unknownMayBeStartup by trying every prefix of every
// start-up example before tail.
func slowUnknown(tail string) bool {
	for _, x := range startupPrefixes {
		if startupMatch(path.Clean(x+tail), false) {
			return true
		}
	}
	return false
}

// lastComponentMayBeStartup reports whether some start-up path ends in the
// component name.
func lastComponentMayBeStartup(name string) bool {
	if startupNames[name] || sshFiles[name] || gitHooks[name] || name == "config" || name == "hooks" ||
		strings.HasSuffix(name, ".git") || sitePackagesStartup(name) || byteCode(name) {
		return true
	}
	for _, files := range toolFiles {
		if files[name] {
			return true
		}
	}
	if configFiles[name] || nestedLastComponent(name) {
		return true
	}
	for d, files := range configDirs {
		if name == d {
			return true
		}
		for _, f := range files {
			// A file of a directory whose every file counts (systemd,
			// nvim, the drop-in directories, ~/bin) is not presumed:
			// a word whose directory is only known at run time is not
			// taken as one of them, or every "$D"/name would be.
			if f != "*" && configFile([]string{f}, name) {
				return true
			}
		}
	}
	return false
}

// startupPrefixes are the distinct prefixes of startupExamples.
var startupPrefixes = func() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range startupExamples {
		for i := 0; i <= len(e); i++ {
			if !seen[e[:i]] {
				seen[e[:i]] = true
				out = append(out, e[:i])
			}
		}
	}
	return out
}()

// globMayBeStartup reports whether a pattern (globs but no expansion) may
// match a start-up path, in the login directory or any of cwds. As in
// bash without dotglob, a wildcard that starts a component does not match
// a leading dot. Only the pattern's trailing components are compared.
func globMayBeStartup(pattern string, cwds []string) bool {
	pat := path.Clean(pattern)
	dirs := []string{"~"}
	if !strings.HasPrefix(pat, "/") && !strings.HasPrefix(pat, "~") {
		dirs = append(dirs, cwds...)
	}
	for _, d := range dirs {
		full := pat
		if d == "" {
			full = "*/" + pat // any directory, including .ssh and .git/hooks
		} else if !strings.HasPrefix(pat, "/") && !strings.HasPrefix(pat, "~") {
			full = path.Clean(cleanHome(d) + "/" + pat)
		}
		if globMatchesExample(full, d == "") {
			return true
		}
	}
	return false
}

// globMatchesExample reports whether the trailing components of pattern
// match one of startupExamples (or a start-up directory on its way).
// anyDir lets a leading wildcard component match a dotted directory.
func globMatchesExample(pattern string, anyDir bool) bool {
	pc := strings.Split(pattern, "/")
	for _, e := range startupExamples {
		ec := strings.Split(strings.TrimSuffix(e, "/"), "/")
		for n := 1; n <= len(ec); n++ {
			if n > len(pc) || !startupClean(strings.Join(ec[:n], "/")) {
				continue
			}
			ok := true
			for k := 0; k < n && ok; k++ {
				p, c := pc[len(pc)-n+k], ec[k]
				if strings.HasPrefix(c, ".") && p != "" && strings.ContainsAny(p[:1], "*?[") && !(anyDir && k == 0 && p == "*") {
					ok = false
					break
				}
				m, err := path.Match(p, c)
				ok = err != nil || m // a malformed pattern fails closed
			}
			if ok {
				return true
			}
		}
	}
	return false
}

// WritesStartup reports the first word of s that may write a start-up
// file (StartupPath): for sftp, the path or target of an operation that
// is not read-only, and a symlink to a directory that may hold a
// start-up path (mayHoldStartup: home, its ancestors, /etc, ~/.local/share);
// for a command line, a writing redirection's target,
// an argument of a command that is not read-only by its program and
// options, and git config (which writes .git/config or ~/.gitconfig
// whatever its arguments). Words only known at run time count when they
// may end in a start-up path. A relative word is also judged against the
// directories the line changes to (cd, pushd, -C); a directory only known
// at run time makes the names inside start-up directories (rc, config,
// authorized_keys, hooks/...) count wherever they are.
//
// A program that makes code run later (crontab, at, runsLater) counts
// whatever its arguments, and so does a write of names chosen by data
// (an archive extracted, a patch, git updating a work tree, scp -t and
// rsync --server, git init) into a directory that may hold a start-up
// path (dataDests, mayHoldStartup), and of names a transfer client takes
// from the remote side or from a script (lftp, smbclient, ftp, aria2c,
// svn, rclone, aws s3, docker cp, ...: transferDests, treeCopyDests). A
// start-up name spelt in inline code counts through any quoting
// (lineMentionsStartup). So do a package tool that plants start-up
// files (packageStartup), a tool's own command that writes one
// (configCommandStartup: pip config set, kubectl config set-credentials,
// direnv allow, ...), a name derived from a word (a backup suffix, a
// decompressed name, a split prefix: derivedNames, prefixOutputStartup),
// and a variable that renames such writes (derivedEnvSet). So does a
// second name for a directory that may hold a start-up path: a link to
// it, its target resolved as ln resolves it (ln -s . d in home, ln -s
// /proc/self/cwd d, cp -rs ~ d), or a bind mount of it; /proc/PID/cwd
// and /proc/PID/root are judged as the directories they stand for.
// The program directories (/usr/local/bin, /usr/bin, /bin, ...) count
// only as the target of a write (programWrite), and so does a bin
// directory whose parent may be the login directory (homeBinWrite). Each
// word is judged under every name the kernel may resolve it to
// (spellings: .. after a link, the host's standard links, a descriptor's
// path, another process's /proc directory, an expansion standing for
// the home directory or /); a program named by a path (./cat) is an
// unknown program (systemProgram), and the account tools (chsh, usermod,
// vipw, ...) write the account files (accountStartup).
//
// Not seen: files written under an option the program takes apart from
// its value in a way that hides the path, symbolic links already on the
// host other than the standard ones (hostLinks) when no .. follows them,
// data-chosen names written into an ordinary directory that is a git
// work tree (its .git/hooks), and a directory only known at run time
// standing for a drop-in directory (~/.bashrc.d) with a known file name
// after it ("$D"/x.sh).
func WritesStartup(s *gate.SSH) (string, bool) {
	return writesStartup(s, nil)
}

// writesStartup is WritesStartup; homes are the components of the login's
// home directories when known (WritesStartupFor), nil when not.
func writesStartup(s *gate.SSH, homes [][]string) (string, bool) {
	if s == nil {
		return "", false
	}
	if s.Kind == "sftp" {
		if s.ReadOnly {
			return "", false
		}
		for _, p := range []string{s.Path, s.TargetPath} {
			if p != "" && StartupPath(p) {
				return p, true
			}
		}
		if s.Path != "" && programPath(s.Path) || s.Operation == "rename" && s.TargetPath != "" && programPath(s.TargetPath) {
			return s.Path + " " + s.TargetPath, true
		}
		if s.Operation == "symlink" && s.TargetPath != "" && mayHoldStartup(s.TargetPath) {
			// A link to the home directory, an ancestor or a directory
			// on the way to a start-up path (~/.local/share) makes a
			// later write through it (l/bin/ls, l/systemd/user/x)
			// look like an ordinary one.
			return s.TargetPath, true
		}
		return "", false
	}
	if s.Dynamic || s.RunsUnseenCode || s.InterpreterInline || s.PipesToShell {
		// Code the analysis does not see as commands (compgen -W
		// '$(...)', python -c, a script): a start-up path it spells out
		// is taken as written to.
		if w, ok := lineMentionsStartup(s); ok {
			return w, true
		}
	}
	j := &lineJudge{opened: openedFiles(s), homes: homes}
	cdpath := cdpathEntries(s.Command)
	for _, c := range s.Commands {
		ds := changedDirs(c)
		for _, d := range ds {
			if d != "" && d[0] != '/' && d[0] != '.' && d[0] != '~' && (c.Program == "cd" || c.Program == "pushd") {
				ds = append(ds, cdpathDirs(cdpath, d)...)
			}
			if d == "" && (c.Program == "popd" || operandIs(c, "-")) {
				// cd - and popd go back, to the login directory at first.
				ds = append(ds, "~")
			}
		}
		for _, d := range ds {
			if len(j.cwds) <= maxLineDirs && !slices.Contains(j.cwds, d) {
				j.cwds = append(j.cwds, d)
			}
		}
	}
	if len(j.cwds) > maxLineDirs {
		// Every word is judged against every directory: past the bound,
		// one directory only known at run time stands for them all.
		j.cwds = []string{""}
	}
	if why, ok := derivedEnvSet(s); ok {
		return why, true
	}
	dirs := lineDirs(s)
	for i, c := range s.Commands {
		for _, r := range c.Redirections {
			if r.Write && (j.mayBeStartup(r.Target) || homeAnchored(r.Target, dirs[i]) || j.writeTargetStartup(r.Target, dirs[i])) {
				return r.Target, true
			}
		}
		for _, w := range writeOperands(c) {
			if j.writeTargetStartup(w, dirs[i]) {
				return c.Program + " writes " + w, true
			}
		}
		if !systemProgram(c) {
			// ./cat, /tmp/x/cat: whatever file is there, which may
			// write any of its arguments.
			for _, a := range c.Args {
				if j.writeTargetStartup(a, dirs[i]) {
					return c.Path + " may write " + a, true
				}
			}
		}
		clusters := !c.ReadOnly && !(systemProgram(c) && readOnlyProgram(c.Program, c.Args))
		if w, ok := j.outputOptionStartup(c.Args, dirs[i], clusters); ok && !onlyMatchingO[c.Program] {
			return w, true
		}
		if c.ReadOnly || systemProgram(c) && (readOnlyProgram(c.Program, c.Args) || argsWriteNothing[c.Program]) {
			continue
		}
		if namesFromInput[c.Program] {
			return c.Program + " (arguments read from its input)", true
		}
		if c.Program == "git" && gitWritesConfig(c.Args) {
			return "git " + strings.Join(c.Args, " "), true
		}
		if why, ok := runsLater(c); ok {
			return why, true
		}
		if why, ok := packageStartup(c); ok {
			return why, true
		}
		if why, ok := configCommandStartup(c); ok {
			return why, true
		}
		if why, ok := accountStartup(c); ok {
			return why, true
		}
		for _, w := range derivedNames(c) {
			if j.mayBeStartup(w) || homeAnchored(w, dirs[i]) {
				return w, true
			}
		}
		if prefixWriters[c.Program] {
			if w, ok := j.prefixOutputStartup(c, dirs[i]); ok {
				return w, true
			}
		}
		src := cloneSource(c)
		for k, a := range c.Args {
			if k != src && (j.mayBeStartup(a) || homeAnchored(a, dirs[i])) {
				return a, true
			}
		}
		for _, d := range dataDests(c) {
			for _, cwd := range dirs[i] {
				if j.mayHoldStartup(joinDir(cwd, d.dir)) {
					return d.why, true
				}
			}
		}
		if c.Program == "git" && strings.Contains(s.Command, "GIT_DIR") && gitMakesRepository(c.Args) {
			// GIT_DIR=~/x git init: a git directory named by the
			// environment, which the judge would not know as one.
			return "git " + strings.Join(c.Args, " ") + " with GIT_DIR", true
		}
		tdirs, tfiles := transferDests(c.Program, c.Args)
		for _, f := range tfiles {
			if j.mayBeStartup(f) || homeAnchored(f, dirs[i]) {
				return c.Program + " writes " + f, true
			}
		}
		for _, d := range tdirs {
			for _, cwd := range dirs[i] {
				if j.mayHoldStartup(joinDir(cwd, d)) {
					return c.Program + " writes names from the remote or its input into " + joinDir(cwd, d), true
				}
			}
		}
	}
	return "", false
}

// homeAnchored reports whether a relative word w, run in one of dirs (as
// lineDirs gives them), names a start-up path only so when anchored at
// the home directory (~/bin).
func homeAnchored(w string, dirs []string) bool {
	w = cleanHome(w)
	if w == "" || strings.HasPrefix(w, "/") || strings.HasPrefix(w, "~") || strings.HasPrefix(w, "-") ||
		strings.ContainsAny(w, wildcards) {
		return false
	}
	for _, d := range dirs {
		p := joinDir(d, w)
		if !strings.Contains(p, "bin") || strings.ContainsAny(p, wildcards) {
			continue // only ~/bin needs the anchor
		}
		p = cleanHome(p)
		if !strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "~") {
			p = "~/" + p
		}
		if startupClean(path.Clean(p)) {
			return true
		}
	}
	return false
}

// namesFromInput are programs that add arguments read from their input to
// the command they run: its files are unknown.
var namesFromInput = map[string]bool{"xargs": true, "parallel": true}

// lineTokens splits a command line's text at blanks, quotes, brackets,
// separators and =.
func lineTokens(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool {
		return strings.ContainsRune(" \t\n'\"`()[]{};|&<>=,:", r)
	})
}

// argsWriteNothing are programs (mostly shell builtins) whose arguments
// never name a file they write, whatever the options: only their
// redirections write. Code they are given (eval, trap, compgen -W) is
// analysed as commands of its own.
var argsWriteNothing = map[string]bool{"echo": true, "printf": true, "cd": true, "pushd": true, "popd": true,
	"true": true, "false": true, ":": true, "test": true, "[": true, "[[": true, "export": true, "local": true,
	"set": true, "shift": true, "exit": true, "return": true, "read": true, "sleep": true, "kill": true,
	"compgen": true, "complete": true, "compopt": true, "trap": true, "eval": true, "let": true, "declare": true,
	"typeset": true, "readonly": true, "unset": true, "alias": true, "unalias": true, "type": true, "wait": true,
	"jobs": true, "fg": true, "bg": true, "disown": true, "ulimit": true, "umask": true, "shopt": true,
	"getopts": true, "source": true, ".": true, "mapfile": true, "readarray": true}

// changedDirs are the directories a command changes the working directory
// to: cd and pushd operands ("" when unknown, ~ for none), and -C,
// --directory= and --chdir= values of any program.
func changedDirs(c gate.SSHCommand) []string {
	var out []string
	if c.Program == "cd" || c.Program == "pushd" {
		ops := operands(c.Args)
		switch {
		case len(ops) == 0:
			out = append(out, "~")
		case ops[0] == "-" || strings.ContainsAny(ops[0], wildcards):
			out = append(out, "")
		default:
			out = append(out, ops[0])
		}
	}
	if c.Program == "popd" {
		out = append(out, "")
	}
	for i, a := range c.Args {
		if a == "-C" && i+1 < len(c.Args) {
			out = append(out, dirOrUnknown(c.Args[i+1]))
		}
		for _, p := range []string{"--directory=", "--chdir=", "-C"} {
			if v, ok := strings.CutPrefix(a, p); ok && v != "" {
				out = append(out, dirOrUnknown(v))
			}
		}
	}
	return out
}

// dirOrUnknown is d, or "" when it is only known at run time.
func dirOrUnknown(d string) string {
	if strings.ContainsAny(d, wildcards) {
		return ""
	}
	return d
}

// gitWritesConfig reports whether git run with args may write a
// configuration file or install hooks: git config other than its
// read-only forms, --template (init, clone), which copies hooks, and
// git clone -c / --config.
func gitWritesConfig(args []string) bool {
	if gitReadOnly(args) {
		return false
	}
	clone := false
	for _, a := range args {
		if a == "config" || strings.HasPrefix(a, "--template") {
			return true
		}
		// git clone -c core.hooksPath=... (or --config) writes the new
		// repository's .git/config.
		if clone && (a == "-c" || a == "--config" || strings.HasPrefix(a, "--config=")) {
			return true
		}
		clone = clone || a == "clone"
	}
	return false
}
