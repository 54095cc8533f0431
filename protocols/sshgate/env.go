package sshgate

import (
	"strings"
	"unicode/utf8"
)

// defaultEnvAllow is the allow-list when Config.EnvAllow is nil.
var defaultEnvAllow = []string{"LANG", "LC_*"}

// neverForwarded are environment variables the gateway does not pass on
// whatever Config.EnvAllow says (a trailing * matches a prefix; names are
// case-sensitive, so the lower-case spellings programs read are listed
// too): each changes what a command the rules judged does on the host —
// code the shell or the dynamic loader runs before the command
// (BASH_ENV, ENV, zsh's ZDOTDIR and FPATH, LD_PRELOAD, exported
// functions), how the shell reads the command line (IFS, SHELLOPTS,
// BASH_COMPAT, POSIXLY_CORRECT, GLOBIGNORE, locale files), which program
// a name runs (PATH), options a program reads from the environment as
// if the line had given them (tar's TAR_OPTIONS runs a command through
// --checkpoint-action=exec from tar tf; GZIP, XZ_OPT, GREP_OPTIONS, MORE,
// MANOPT), files a program loads code or configuration from (OpenSSL's
// OPENSSL_CONF loads engines, vim's VIMINIT, wgetrc, curlrc, netrc, npm,
// pip, Go and cargo settings, GOFLAGS=-toolexec), files it writes
// (SSLKEYLOGFILE, HISTFILE), where its traffic goes (proxies) and whose
// credentials it uses (cloud, Kubernetes, Docker, Kerberos, GnuPG), and
// code a program the rules take for a reader runs (pagers, git's
// configuration, interpreters' start-up options).
var neverForwarded = []string{
	"LD_*", "BASH_*", "ENV", "SHELLOPTS", "BASHOPTS", "IFS", "CDPATH", "PS*", "PROMPT_COMMAND", "PATH", "SHELL",
	"HOME", "TMPDIR", "ZDOTDIR", "FPATH", "KSH_*", "POSIXLY_CORRECT", "GLOBIGNORE", "EXECIGNORE", "FIGNORE",
	"HIST*", "INPUTRC", "TMOUT", "MAIL", "MAILPATH", "MAILCHECK", "FCEDIT", "HOSTFILE", "COMP_*",
	"LOCPATH", "GCONV_PATH", "NLSPATH", "LANGUAGE", "HOSTALIASES", "RES_*", "RESOLV_*", "LOCALDOMAIN",
	"MALLOC_*", "GLIBC_TUNABLES", "TZDIR",
	"PAGER", "MANPAGER", "MAN*", "GIT_*", "LESS*", "MORE", "EDITOR", "VISUAL", "SYSTEMD_*", "BROWSER", "TERMINFO*", "TERMCAP",
	"TAR_OPTIONS", "TAPE", "GZIP", "BZIP", "BZIP2", "XZ_*", "ZSTD_*", "LZ4_*", "GREP_*", "QUOTING_STYLE", "TIME_STYLE",
	"LS_*", "PS_*", "MAGIC", "WGETRC", "CURL_*", "NETRC", "SSLKEYLOGFILE", "OPENSSL_*", "SSL_*", "REQUESTS_*",
	"VIM*", "EXINIT", "MYVIMRC", "MYGVIMRC", "EMACS*", "SCREENRC", "SYSSCREENRC", "TMUX*", "NANORC",
	"PYTHON*", "PERL*", "RUBY*", "NODE_*", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH",
	"GEM_*", "BUNDLE_*", "LUA_*", "PHP*", "R_*", "TCL*", "GUILE_*", "OCAML*", "ERL_*", "DOTNET_*", "CORECLR_*", "COMPlus_*",
	"GO*", "CGO_*", "CARGO_*", "RUST*", "NPM_*", "npm_*", "YARN_*", "PNPM_*", "PIP_*", "UV_*", "CONDA*", "GRADLE_*", "MAVEN_*",
	"CC", "CXX", "CPP", "LD", "AR", "MAKE*", "MFLAGS", "CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS", "PKG_CONFIG*",
	"PG*", "MYSQL_*", "SSH_*", "SUDO_*", "XDG_*", "DBUS_*", "KRB5*", "GNUPGHOME", "GPG_*",
	"http_proxy", "https_proxy", "ftp_proxy", "all_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY",
	"ALL_PROXY", "NO_PROXY", "AWS_*", "AZURE_*", "GOOGLE_*", "CLOUDSDK_*", "KUBECONFIG", "DOCKER_*", "VAULT_*",
}

// localeName reports whether name is a locale variable: its value chooses
// the character set the shell reads the command line in.
func localeName(name string) bool {
	return name == "LANG" || strings.HasPrefix(name, "LC_")
}

// forwardableEnv reports whether an env request of name and value may be
// passed on to the host, and if not, why. A locale variable passes only
// with a value that keeps the host's shell reading the command line as the
// gate's parser did: C, POSIX, or a plain locale name in UTF-8. In a
// multibyte character set such as GBK, Big5 or Shift_JIS the second byte
// of a character can be a backslash or a backquote, so bash reads
// `echo 中\; rm x` as two commands where the parser saw one.
func forwardableEnv(name, value string, allow []string) (bool, string) {
	if allow == nil {
		allow = defaultEnvAllow
	}
	if !matchesAny(name, allow) {
		return false, "not in the allow-list"
	}
	if matchesAny(name, neverForwarded) {
		return false, "never forwarded: it changes what commands do on the host"
	}
	if !utf8.ValidString(value) || strings.ContainsFunc(value, isControl) {
		return false, "control characters or invalid UTF-8 in the value"
	}
	if localeName(name) && !utf8Locale(value) {
		return false, "only C, POSIX and UTF-8 locales are forwarded"
	}
	return true, ""
}

// matchesAny reports whether name is in list, where a trailing * matches
// a prefix.
func matchesAny(name string, list []string) bool {
	for _, a := range list {
		if a == name || strings.HasSuffix(a, "*") && strings.HasPrefix(name, strings.TrimSuffix(a, "*")) {
			return true
		}
	}
	return false
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 }

// utf8Locale reports whether a locale value is C, POSIX, or a locale name
// (language, optional territory, optional modifier) whose codeset is
// UTF-8. Names with a slash, which glibc loads as a path, and names
// without a codeset, whose character set is the locale's default (Big5 for
// zh_TW), do not pass.
func utf8Locale(v string) bool {
	switch v {
	case "", "C", "POSIX":
		return true
	}
	base, mod, hasMod := strings.Cut(v, "@")
	if hasMod && !alnum(mod, false) {
		return false
	}
	lang, codeset, ok := strings.Cut(base, ".")
	if !ok || !isUTF8Codeset(codeset) {
		return false
	}
	if lang == "C" {
		return true
	}
	l, territory, hasTerritory := strings.Cut(lang, "_")
	return alnum(l, true) && len(l) <= 8 && (!hasTerritory || alnum(territory, false) && len(territory) <= 8)
}

// isUTF8Codeset reports whether codeset names UTF-8 as glibc normalises
// codesets (case, '-' and '_' ignored); any other character refuses it.
func isUTF8Codeset(codeset string) bool {
	var b strings.Builder
	for _, r := range strings.ToLower(codeset) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case r != '-' && r != '_':
			return false
		}
	}
	return b.String() == "utf8"
}

// alnum reports whether s is a non-empty run of ASCII letters (and digits
// unless lettersOnly).
func alnum(s string, lettersOnly bool) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (lettersOnly || r < '0' || r > '9') {
			return false
		}
	}
	return true
}
