package sshgate

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// supportedLocales reads glibc's list of locales: value and charset.
func supportedLocales(t *testing.T) [][2]string {
	t.Helper()
	f, err := os.Open("/usr/share/i18n/SUPPORTED")
	if err != nil {
		t.Fatalf("glibc's locale list (package locales): %v", err)
	}
	defer f.Close()
	var out [][2]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, charset, ok := strings.Cut(strings.TrimSpace(sc.Text()), " "); ok {
			out = append(out, [2]string{name, charset})
		}
	}
	if len(out) < 100 {
		t.Fatalf("only %d locales listed", len(out))
	}
	return out
}

// TestLocaleValuesForwardedOnlyInUTF8 runs every locale glibc lists,
// spelt as listed and in the other spellings setlocale accepts (codeset
// case and punctuation, a modifier, no codeset), through the env check
// for LANG and LC_*: a value passes only when it names UTF-8 itself.
func TestLocaleValuesForwardedOnlyInUTF8(t *testing.T) {
	passed, refused := 0, 0
	for _, l := range supportedLocales(t) {
		name, charset := l[0], l[1]
		lang, _, _ := strings.Cut(name, ".")
		lang, mod, hasMod := strings.Cut(lang, "@")
		spellings := map[string]bool{name: charset == "UTF-8" && strings.Contains(name, "."), lang: lang == "C" || lang == "POSIX"}
		for _, cs := range []string{charset, strings.ToLower(charset), strings.ReplaceAll(strings.ToLower(charset), "-", "")} {
			v := lang + "." + cs
			if hasMod {
				v += "@" + mod
			}
			spellings[v] = charset == "UTF-8"
		}
		for v, want := range spellings {
			for _, env := range []string{"LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES"} {
				got, why := forwardableEnv(env, v, nil)
				if got != want {
					t.Errorf("%s=%s (charset %s): forwarded %v (%s), want %v", env, v, charset, got, why, want)
				}
				if got {
					passed++
				} else {
					refused++
				}
			}
		}
	}
	if passed == 0 || refused == 0 {
		t.Fatalf("%d passed, %d refused: the table proves nothing", passed, refused)
	}
}

// TestLocaleValuesOutsideTheGrammarRefused covers values setlocale would
// read as a path or that carry more than a locale name.
func TestLocaleValuesOutsideTheGrammarRefused(t *testing.T) {
	for _, v := range []string{
		"/tmp/x.UTF-8", "../zh_CN.UTF-8", "zh_CN.GBK", "zh_TW", "ja_JP.SJIS", "ko_KR.JOHAB",
		"en_US.UTF-8 ", " en_US.UTF-8", "en_US.UTF-8\n", "en_US.UTF-8\x00", "en-US.UTF-8",
		"en_US.UTF-8@", "en_US.UTF-8@/x", "en_US.UTF-8.GBK", ".UTF-8", "_US.UTF-8", "en_.UTF-8",
		"en_US.UTF-16", "en_US.UTF8x", "enxxxxxxx_US.UTF-8", "C.GBK", "POSIX.GBK",
	} {
		if ok, _ := forwardableEnv("LC_ALL", v, nil); ok {
			t.Errorf("LC_ALL=%q forwarded", v)
		}
	}
	for _, v := range []string{"C", "POSIX", "C.UTF-8", "C.utf8", "en_US.UTF-8", "de_DE.utf8@euro", "sr_RS.UTF-8@latin"} {
		if ok, why := forwardableEnv("LC_ALL", v, nil); !ok {
			t.Errorf("LC_ALL=%q refused: %s", v, why)
		}
	}
}

// TestDangerousNamesNeverForwarded allows every name and checks that the
// names that change what a judged command does still do not pass.
func TestDangerousNamesNeverForwarded(t *testing.T) {
	all := []string{"*"}
	for _, n := range []string{"LD_PRELOAD", "LD_LIBRARY_PATH", "BASH_ENV", "ENV", "BASH_FUNC_cat%%", "SHELLOPTS",
		"BASHOPTS", "IFS", "PATH", "PS4", "PROMPT_COMMAND", "LOCPATH", "GCONV_PATH", "PAGER", "GIT_PAGER",
		"GIT_CONFIG_COUNT", "LESSOPEN", "PYTHONSTARTUP", "PERL5OPT", "RUBYOPT", "NODE_OPTIONS", "GLIBC_TUNABLES",
		"JAVA_TOOL_OPTIONS", "PGSERVICEFILE", "EDITOR", "LANGUAGE"} {
		if ok, _ := forwardableEnv(n, "x", all); ok {
			t.Errorf("%s forwarded", n)
		}
	}
	if ok, why := forwardableEnv("FOO", "bar", all); !ok {
		t.Errorf("FOO refused under an allow-all list: %s", why)
	}
	if ok, _ := forwardableEnv("FOO", "bar", nil); ok {
		t.Error("FOO forwarded under the default list")
	}
	for _, v := range []string{"a\nb", "a\rb", "a\x1bb", "a\x7fb", "\xff", "a\u0085b"} {
		if ok, _ := forwardableEnv("FOO", v, all); ok {
			t.Errorf("FOO=%q forwarded", v)
		}
	}
}

// programEnv are variables, by family, that change what a judged command
// does on the host: the shells' start-up and reading, options programs
// take from the environment, files they load code or settings from or
// write, where their traffic goes and whose credentials they use.
var programEnv = map[string][]string{
	"shell": {"ZDOTDIR", "FPATH", "BASH_COMPAT", "BASH_XTRACEFD", "BASH_LOADABLES_PATH", "POSIXLY_CORRECT", "GLOBIGNORE",
		"EXECIGNORE", "HISTFILE", "HISTTIMEFORMAT", "INPUTRC", "PS0", "PS1", "PS2", "PS3", "TMOUT", "MAILPATH", "FCEDIT",
		"KSH_VERSION", "COMP_WORDBREAKS", "HOSTFILE"},
	"options": {"TAR_OPTIONS", "TAPE", "GZIP", "BZIP2", "XZ_OPT", "XZ_DEFAULTS", "ZSTD_CLEVEL", "GREP_OPTIONS", "GREP_COLORS",
		"MORE", "MANOPT", "MANPATH", "QUOTING_STYLE", "TIME_STYLE", "LS_COLORS", "PS_FORMAT", "MAGIC", "TERMCAP", "TZDIR",
		"RES_OPTIONS", "LOCALDOMAIN"},
	"files": {"OPENSSL_CONF", "OPENSSL_ENGINES", "OPENSSL_MODULES", "SSLKEYLOGFILE", "SSL_CERT_FILE", "WGETRC", "CURL_HOME",
		"CURL_CA_BUNDLE", "NETRC", "VIMINIT", "EXINIT", "MYVIMRC", "EMACSLOADPATH", "SCREENRC", "TMUX_TMPDIR",
		"CLASSPATH", "JDK_JAVA_OPTIONS", "PHPRC", "R_PROFILE", "TCLLIBPATH", "GUILE_LOAD_PATH", "DOTNET_STARTUP_HOOKS",
		"GOFLAGS", "GOTOOLCHAIN", "GOENV", "GOPROXY", "CGO_CFLAGS", "CARGO_HOME", "RUSTFLAGS", "RUSTC_WRAPPER",
		"NPM_CONFIG_PREFIX", "npm_config_script_shell", "YARN_RC_FILENAME", "PIP_INDEX_URL", "PIP_CONFIG_FILE", "UV_INDEX_URL",
		"CONDARC", "GRADLE_OPTS", "MAVEN_OPTS", "CC", "CXX", "LD", "MAKEFLAGS", "MAKE", "CFLAGS", "LDFLAGS", "PKG_CONFIG_PATH",
		"GNUPGHOME", "KRB5CCNAME", "KRB5_CONFIG", "DBUS_SESSION_BUS_ADDRESS"},
	"network": {"http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
		"AWS_ACCESS_KEY_ID", "AWS_CONFIG_FILE", "AZURE_CONFIG_DIR", "GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_CONFIG",
		"KUBECONFIG", "DOCKER_HOST", "DOCKER_CONFIG", "VAULT_ADDR", "REQUESTS_CA_BUNDLE"},
}

// TestProgramEnvNeverForwarded: with every name allowed, no variable of
// programEnv is passed on; the names an integrator lists for itself
// still are.
func TestProgramEnvNeverForwarded(t *testing.T) {
	all := []string{"*"}
	passed, n := 0, 0
	for family, names := range programEnv {
		for _, name := range names {
			n++
			if ok, _ := forwardableEnv(name, "x", all); ok {
				passed++
				t.Errorf("%s (%s) forwarded", name, family)
			}
		}
	}
	t.Logf("%d of %d variables forwarded", passed, n)
	for _, name := range []string{"FOO", "APP_MODE", "DEPLOY_ENV", "TZ", "TERM_PROGRAM", "COLUMNS", "NO_COLOR"} {
		if ok, why := forwardableEnv(name, "x", all); !ok {
			t.Errorf("%s refused under an allow-all list: %s", name, why)
		}
	}
}
