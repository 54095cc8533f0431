package shell

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// writesFile reports whether any command of s has a writing redirection.
func writesFile(s *gate.SSH) bool {
	for _, c := range s.Commands {
		for _, r := range c.Redirections {
			if r.Write {
				return true
			}
		}
	}
	return false
}

// TestEffectModel covers each evasion of the attacker's review: the line
// must not be read-only, and the effect must be visible to rules.
func TestEffectModel(t *testing.T) {
	type want struct {
		write   bool // some redirection writes
		network bool
		unseen  bool
		empty   bool // a command without a program is listed
	}
	cases := []struct {
		cmd  string
		want want
	}{
		{"> f", want{write: true, empty: true}},
		{">> f", want{write: true, empty: true}},
		{">| f", want{write: true, empty: true}},
		{"X=1 > f", want{write: true, empty: true}},
		{"{ > f; }", want{write: true, empty: true}},
		{"( > f )", want{write: true, empty: true}},
		{"ls; > f", want{write: true, empty: true}},
		{"ls && >f", want{write: true, empty: true}},
		{"{ x=1; } > f", want{write: true, empty: true}},
		{"[[ -n x ]] > f", want{write: true, empty: true}},
		{"(( 1 )) > f", want{write: true, empty: true}},
		{"{ ls; } > f", want{write: true}},
		{"( ls ) > f", want{write: true}},
		{"while false; do ls; done > f", want{write: true}},
		{"if true; then ls; fi > f", want{write: true}},
		{"for i in 1; do ls; done >> f", want{write: true}},
		{"g() { ls; } > f; g", want{write: true}},
		{"function g { ls; } > f; g", want{write: true}},
		{"function g { x=1; } > f; g", want{write: true, empty: true}},
		{"time > f", want{write: true, empty: true}},
		{"coproc { ls; } > f", want{write: true}},
		{"echo x >& f", want{write: true}},
		{"echo x &> f", want{write: true}},
		{"echo x &>> f", want{write: true}},
		{"echo x 1<> f", want{write: true}},
		{"cat <& f", want{write: true}},
		{"echo x > $F", want{write: true, network: true}}, // may be /dev/tcp/...
		{"echo x > /tmp/$F", want{write: true}},
		{"< /dev/tcp/127.0.0.1/9", want{network: true, empty: true}},
		{"<> /dev/tcp/127.0.0.1/9", want{write: true, network: true, empty: true}},
		{"cat < /dev/tcp/127.0.0.1/9", want{network: true}},
		{"cat < /dev//tcp/127.0.0.1/9", want{network: true}},
		{"cat < /dev/./tcp/127.0.0.1/9", want{network: true}},
		{"cat < /dev/fd/../tcp/127.0.0.1/9", want{network: true}},
		{`cat < "/dev/"'tcp'/127.0.0.1/9`, want{network: true}},
		{"cat < /dev/udp/127.0.0.1/9", want{network: true}},
		{"cat f >& /dev/tcp/h/p", want{write: true, network: true}},
		{"exec 3<>/dev/tcp/h/80", want{write: true, network: true}},
		{"cat <<< /dev/tcp/h/80", want{network: true}},
		{"echo /dev/tcp/h/80", want{network: true}},
		{"cat < /dev/$p/h/80", want{network: true}},
		{"truncate -s0 f", want{}},
		{"cp /dev/null f", want{}},
		{"mv a b", want{}},
		{"dd if=/dev/zero of=f", want{}},
		{"sed -i d f", want{}},
		{"sed -ni d f", want{}},
		{"sed --in-pl=bak d f", want{}},
		{"sed --in-place d f", want{}},
		{"sed 'w out' f", want{}},
		{"sed 's/a/b/w out' f", want{}},
		{"sed 's/a/id/e' f", want{unseen: true}},
		{"find . -delete", want{}},
		{"find . -exec rm {} ;", want{}},
		{"find . -fprint f", want{}},
		{"sort -o f g", want{}},
		{"sort --out=f g", want{}},
		{"tee f", want{}},
		{"awk 'BEGIN{system(\"rm x\")}'", want{}},
		{"awk '{print > \"f\"}'", want{}},
		{"git commit -m x", want{unseen: true}},
		{"git push", want{unseen: true, network: true}},
		{"git -c core.pager=sh log", want{unseen: true}},
		{"git branch -D x", want{unseen: true}},
		{"tar xf a.tar", want{}},
		{"tar -tvf a.tar --to-command=sh", want{}},
		{"curl -o f http://x", want{network: true}},
		{"xargs cat", want{}},
		{"find . -name x", want{}}, // read-only (checked below)
		{"sh script.sh", want{unseen: true}},
		{"bash -x f", want{unseen: true}},
		{". ./x", want{unseen: true}},
		{"source x", want{unseen: true}},
		{"python3 x.py", want{unseen: true}},
		{"python3 -m http.server", want{unseen: true}},
		{"awk -f prog.awk f", want{unseen: true}},
		{"awk -fprog.awk f", want{unseen: true}},
		{"sed -f script f", want{unseen: true}},
		{"sed -nf script f", want{unseen: true}},
		{"sed --file=script f", want{unseen: true}},
		{"env sh x.sh", want{unseen: true}},
		{"ls $(sh x.sh)", want{unseen: true}},
		{"sed $OPT d f", want{unseen: true}},
		{"sed * f", want{unseen: true}},
		{"bash -i -c ls", want{unseen: true}}, // its start-up files (loginshell.go)
		{"bash -lc ls", want{unseen: true}},
		{"zsh -c ls", want{}},
		{"ls; rm x", want{}},
		{"x='a[$(> f)]'; echo $((x))", want{}},
		{"x='a[$(> f)]'; echo $(($x + 1))", want{}},
		{"x='a[$(> f)]'; ((x))", want{}},
		{"x='a[$(> f)]'; let x", want{}},
		{"x='a[$(> f)]'; [[ $x -eq 1 ]]", want{}},
		{"x='a[$(> f)]'; echo ${a[x]}", want{}},
		{"x='a[$(> f)]'; echo ${a:x}", want{}},
		{"x='a[$(> f)]'; a[x]=1; echo", want{}},
		{"x='a[$(> f)]'; for ((i=x; i<1; i++)); do ls; done", want{}},
		{"x='a[$(> f)]'; echo ${!x}", want{}},
		{"x='$(> f)'; echo ${x@P}", want{}},
		{"[[ -v 'a[$(> f)]' ]]", want{}},
		{"test -v 'a[$(> f)]'", want{}},
		{"[ -v 'a[$(> f)]' ]", want{}},
		{"printf -v 'a[$(> f)]' x", want{}},
		{"GIT_EXTERNAL_DIFF='sh -c x' git diff", want{unseen: true}},
		{"env GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.fsmonitor GIT_CONFIG_VALUE_0=x git status", want{unseen: true}},
		{"TAR_OPTIONS=--to-command=sh tar -tf a.tar", want{}},
		{"sudo PAGER=x git log", want{unseen: true}},
		{"cat /dev/watchdog", want{}},
		{"head -c1 < /dev//watchdog0", want{}},
		{"cat /proc/kmsg", want{}},
		{"./cat f", want{}},
		{"/tmp/x/cat f", want{}},
		{"/usr/bin/../../tmp/cat f", want{}},
		{"nice -n $N ls", want{}},
		{"timeout $D ls", want{}},
		{"env -u $V ls", want{}},
		{"bash -o $O -c ls", want{}},
		{"git grep -Oless x", want{unseen: true}},
		{"git remote show origin", want{unseen: true, network: true}},
		{"tar -tf host:a.tar", want{}},
		{"awk -e '{print}' -e 'BEGIN{system(\"x\")}'", want{}},
		{"ionice -p 1 -c 3", want{}},
		{"taskset -p 1 1", want{}},
		{"ss -K dst 1.2.3.4", want{}},
	}
	readOnly := map[string]bool{"find . -name x": true}
	for _, tc := range cases {
		s, err := Parse(tc.cmd)
		if err != nil {
			t.Errorf("%q: %v", tc.cmd, err)
			continue
		}
		if s.ReadOnly != readOnly[tc.cmd] {
			t.Errorf("%q: read_only = %v, want %v (%+v)", tc.cmd, s.ReadOnly, readOnly[tc.cmd], s.Commands)
		}
		if got := writesFile(s); got != tc.want.write {
			t.Errorf("%q: writes = %v, want %v (%+v)", tc.cmd, got, tc.want.write, s.Commands)
		}
		if s.Network != tc.want.network {
			t.Errorf("%q: network = %v, want %v", tc.cmd, s.Network, tc.want.network)
		}
		if s.RunsUnseenCode != tc.want.unseen {
			t.Errorf("%q: runs_unseen_code = %v, want %v", tc.cmd, s.RunsUnseenCode, tc.want.unseen)
		}
		if got := slices.Contains(s.Programs, ""); got != tc.want.empty {
			t.Errorf("%q: empty program listed = %v, want %v (%q)", tc.cmd, got, tc.want.empty, s.Programs)
		}
	}
}

// TestRedirections checks operators, descriptors, targets and which
// redirections write.
func TestRedirections(t *testing.T) {
	cases := []struct {
		cmd     string
		want    []gate.SSHRedirect
		targets []string
	}{
		{"ls > f 2>&1", []gate.SSHRedirect{{Op: ">", Target: "f", Write: true}, {Op: ">&", FD: "2", Target: "1"}}, []string{"f"}},
		{"echo x >& 'f'", []gate.SSHRedirect{{Op: ">&", Target: "f", Write: true}}, []string{"f"}},
		{"ls 2>/dev/null >/dev/stdout 3>/dev/fd/1", []gate.SSHRedirect{{Op: ">", FD: "2", Target: "/dev/null"},
			{Op: ">", Target: "/dev/stdout"}, {Op: ">", FD: "3", Target: "/dev/fd/1"}}, []string{"/dev/null", "/dev/stdout", "/dev/fd/1"}},
		{"ls > /dev/fd/../../etc/x", []gate.SSHRedirect{{Op: ">", Target: "/dev/fd/../../etc/x", Write: true}}, []string{"/dev/fd/../../etc/x"}},
		{"ls >/dev/nullx", []gate.SSHRedirect{{Op: ">", Target: "/dev/nullx", Write: true}}, []string{"/dev/nullx"}},
		{"cat < f <<< w 3>&-", []gate.SSHRedirect{{Op: "<", Target: "f"}, {Op: "<<<", Target: "w"}, {Op: ">&", FD: "3", Target: "-"}}, []string{"f"}},
		{"ls &>> f", []gate.SSHRedirect{{Op: "&>>", Target: "f", Write: true}}, []string{"f"}},
		{"ls 1<>f", []gate.SSHRedirect{{Op: "<>", FD: "1", Target: "f", Write: true}}, []string{"f"}},
	}
	for _, tc := range cases {
		s, err := Parse(tc.cmd)
		if err != nil {
			t.Fatalf("%q: %v", tc.cmd, err)
		}
		c := s.Commands[0]
		if !slices.Equal(c.Redirections, tc.want) {
			t.Errorf("%q: redirections %+v, want %+v", tc.cmd, c.Redirections, tc.want)
		}
		if !slices.Equal(c.Redirects, tc.targets) {
			t.Errorf("%q: redirects %q, want %q", tc.cmd, c.Redirects, tc.targets)
		}
	}
	// A compound command's redirections reach the commands inside it.
	s, err := Parse("{ ls; cat x; } > out")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range s.Commands {
		if !slices.Contains(c.Redirects, "out") {
			t.Errorf("%s: inherited redirection missing: %+v", c.Program, c)
		}
	}
}

// TestReadOnlyLines: commands that only read stay read-only, so the
// classifier is not trivially false.
func TestReadOnlyLines(t *testing.T) {
	for _, cmd := range []string{
		"ls -la /tmp", "cat /etc/hostname", "grep -rn x . | head -5", "ls 2>/dev/null", "ls > /dev/null 2>&1",
		"find / -name '*.conf' -type f", "git rev-parse HEAD", "git -C /x ls-tree HEAD", "git branch",
		"ps aux | grep ssh | wc -l", "df -h", "sed -n 1,5p f", "sed 's/a/b/g' f", "awk '{print $1}' f",
		"sort -r f | uniq -c", "tar -tzf a.tgz", "sh -c 'ls; cat f'", "env LANG=C ls", "timeout 5 cat f",
		"nice -n 5 grep x f", "{ ls; cat f; } 2>&1", "( ls ) | wc -l", "f() { ls; }; f 2>/dev/null",
		"for i in a b; do cat $i; done", "echo $(ls)", "cat <<EOF\nhi\nEOF", "sudo -u root ls", "date +%s",
		"cat < f", "echo $((1 + 2))",
		"ionice -c3 ls", "taskset 1 ls", "printf '%s\\n' a", "test -n x", "LC_ALL=C sort f", "env LANG=C TZ=UTC date", "/bin/cat f", "/usr/bin/git rev-list -5 HEAD", "cd /tmp && ls", "grep watchdog /var/log/syslog", "cat /dev/kmsg",
	} {
		s, err := Parse(cmd)
		if err != nil {
			t.Fatalf("%q: %v", cmd, err)
		}
		if !s.ReadOnly {
			t.Errorf("%q: not read-only: %+v", cmd, s)
		}
	}
}

// sftp read_only is checked through SFTP, which the gateway's handler uses.
func TestSFTPReadOnlyOperations(t *testing.T) {
	for op, want := range map[string]bool{"read": true, "list": true, "stat": true, "write": false, "remove": false,
		"rename": false, "mkdir": false, "rmdir": false, "setstat": false, "symlink": false, "link": false} {
		s := SFTP(op, "/srv/a", "/srv/b")
		if s.ReadOnly != want {
			t.Errorf("sftp %s: read_only %v, want %v", op, s.ReadOnly, want)
		}
		if s.Kind != "sftp" || s.Subsystem != "sftp" || s.Operation != op || s.Path != "/srv/a" || s.TargetPath != "/srv/b" {
			t.Errorf("sftp %s: %+v", op, s)
		}
	}
}

// writers are commands that change something upstream.
var writers = []string{
	"rm -f v", "truncate -s0 v", "tee v", "sed -i d v", "dd if=/dev/zero of=v", "cp /dev/null v", "mv v w",
	"find . -delete", "> v", ">> v", "awk 'BEGIN{system(\"rm v\")}'", "git commit -am x", "git push",
	"tar xf a.tar", "curl -o v http://h/", "echo x >& v", "echo x &> v", "cat f > v", "ls 1<>v",
	"sort -o v f", "find . -exec rm {} +", "sed --in-pl d v", "X=1 >v", "chmod 0 v", "touch v",
	"GIT_EXTERNAL_DIFF=./x git diff", "git status", "git log -1", "git diff", "printf -v 'a[$(> v)]' x",
}

// readers are commands that only read.
var readers = []string{
	"cat f", "ls -l", "grep -n x f", "head -3 f", "wc -l f", "find . -name x", "git rev-parse HEAD",
	"git cat-file -p HEAD", "git tag -l", "ps aux", "df -h", "echo hi", "sed -n 1p f", "awk '{print $2}' f",
}

// composer builds random shell compositions around an innermost command.
type composer struct {
	r *rand.Rand
	// pure restricts to compositions that add no effect of their own.
	pure bool
	// force makes the next wrap an effect form.
	force bool
}

func (g *composer) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

// wrap puts cmd into one random construct.
func (g *composer) wrap(cmd string, other func() string) string {
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	pureForms := []func() string{
		func() string { return other() + "; " + cmd },
		func() string { return cmd + " && " + other() },
		func() string { return other() + " || " + cmd },
		func() string { return cmd + " & " + other() },
		func() string { return other() + " | " + cmd },
		func() string { return cmd + " | " + other() },
		func() string { return "( " + cmd + " )" },
		func() string { return "{ " + cmd + "; }" },
		func() string { return "{ fn() { " + cmd + "; }; fn; }" },
		func() string { return "if " + other() + "; then " + cmd + "; fi" },
		func() string { return "while " + cmd + "; do break; done" },
		func() string { return "for i in 1 2; do " + cmd + "; done" },
		func() string { return "case x in x) " + cmd + ";; esac" },
		func() string { return "echo $( " + cmd + " )" },
		func() string {
			if strings.ContainsAny(cmd, "`\\") {
				return "echo $( " + cmd + " )"
			}
			return "echo `" + cmd + "`"
		},
		func() string { return "cat <(" + cmd + ")" },
		func() string { return cmd + " 2>/dev/null" },
		func() string { return cmd + " 2>&1" },
		func() string { return cmd + " < f" },
		func() string { return cmd + " <<< word" },
		func() string { return "{ " + cmd + "; } 2>/dev/null" },
		func() string { return "sh -c " + q(cmd) },
		func() string { return "bash -c " + q(cmd) },
		func() string { return "timeout 5 sh -c " + q(cmd) },
		func() string { return "env LC_ALL=C sh -c " + q(cmd) },
		func() string { return "sudo -u root sh -c " + q(cmd) },
		func() string { return "{ ! { " + cmd + "; }; }" },
		func() string { return "{ time { " + cmd + "; }; }" },
		func() string { return "find . -maxdepth 0 -exec sh -c " + q(cmd) + " \\;" },
	}
	if g.pure {
		return pureForms[g.r.IntN(len(pureForms))]()
	}
	effectForms := []func() string{
		func() string { return "eval " + q(cmd) },
		func() string { return "exec sh -c " + q(cmd) },
		func() string { return "xargs sh -c " + q(cmd) },
		func() string { return "{ " + cmd + "; } > out" },
		func() string { return "( " + cmd + " ) >> out" },
		func() string { return cmd + " >& out" },
		func() string { return cmd + " &> out" },
		func() string { return cmd + " >| out" },
		func() string { return "while false; do " + cmd + "; done > out" },
		func() string { return "echo x | xargs -n1 sh -c " + q(cmd) },
		func() string { return cmd + " > >(cat)" },
		func() string { return cmd + " 2> err" },
		func() string { return cmd + " 1<> out" },
		func() string { return "exec 3<>/dev/tcp/127.0.0.1/9; " + cmd },
		func() string { return cmd + " < /dev/tcp/127.0.0.1/9" },
		func() string { return cmd + "; . ./x" },
		func() string { return "bash ./x.sh; " + cmd },
		func() string { return "x='a[$(> f)]'; " + cmd + "; echo $((x))" },
		func() string { return "if false; then fn() { " + cmd + "; }; fi; fn" },
		func() string { return "{ fn() { ls; }; } & fn" },
		func() string { return cmd + " & > out" },
	}
	if g.force || g.r.IntN(3) == 0 {
		g.force = false
		return effectForms[g.r.IntN(len(effectForms))]()
	}
	return pureForms[g.r.IntN(len(pureForms))]()
}

// prefix puts a wrapper program before a simple command.
func (g *composer) prefix(cmd string) string {
	ws := []string{"env ", "env LANG=C ", "TZ=UTC ", "timeout 5 ", "nice -n 3 ", "nohup ", "command ", "sudo ", "sudo -u x ",
		"stdbuf -oL ", "ionice -c3 ", "setsid ", "builtin ", "time "}
	if !g.pure {
		ws = append(ws, "xargs ", "exec ")
	}
	return g.pick(ws) + cmd
}

// TestGeneratedCompositions: random compositions around a writing command
// are never read-only; the same compositions around reading commands, with
// no writing redirections, stay read-only.
func TestGeneratedCompositions(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(16, 2026))
	// Modes: a writing command in any composition; a reading command in a
	// composition with at least one effect of its own; a reading command in
	// a pure composition (must stay read-only).
	for _, mode := range []string{"writer", "effect", "pure"} {
		pure := mode == "pure"
		g := &composer{r: r, pure: pure}
		for i := 0; i < 2000; i++ {
			var cmd string
			if mode == "writer" {
				cmd = g.pick(writers)
			} else {
				cmd = g.pick(readers)
			}
			if r.IntN(3) == 0 && !strings.HasPrefix(cmd, ">") && !strings.HasPrefix(cmd, "X=") {
				cmd = g.prefix(cmd)
			}
			other := func() string { return g.pick(readers) }
			n := r.IntN(4)
			if mode == "effect" {
				n++
			}
			forceAt := r.IntN(n + 1)
			for k := 0; k < n; k++ {
				g.force = mode == "effect" && k == forceAt%n
				cmd = g.wrap(cmd, other)
			}
			if r.IntN(5) == 0 {
				// A here-document ends the line, so it comes last.
				cmd = "{ " + cmd + "\n} <<'EOF'\nbody\nEOF\n"
			}
			s, err := Parse(cmd)
			if err != nil {
				t.Fatalf("%q: %v", cmd, err)
			}
			if !pure && s.ReadOnly {
				t.Fatalf("%s composition judged read-only: %q\n%s", mode, cmd, describe(s))
			}
			if pure && !s.ReadOnly && bashReadOnly(t, cmd) && dialectsAgree(cmd) {
				t.Fatalf("reading composition judged not read-only: %q\n%s", cmd, describe(s))
			}
		}
	}
}

func describe(s *gate.SSH) string {
	var b strings.Builder
	fmt.Fprintf(&b, "dynamic=%v pipes=%v inline=%v network=%v unseen=%v\n", s.Dynamic, s.PipesToShell, s.InterpreterInline, s.Network, s.RunsUnseenCode)
	for _, c := range s.Commands {
		fmt.Fprintf(&b, "  %q %q ro=%v redir=%+v\n", c.Program, c.Args, c.ReadOnly, c.Redirections)
	}
	return b.String()
}

// TestEffectModelLinear: the effect checks on a command line of the
// largest size stay linear: what they allocate is bounded by a small
// multiple of the input (a quadratic scan would allocate gigabytes).
func TestEffectModelLinear(t *testing.T) {
	for _, s := range []string{
		"echo " + strings.Repeat("a/../tcp ", 28000),
		"echo " + strings.Repeat("/././/", 40000) + " tcp",
		"echo " + strings.Repeat("x/..tcp ", 30000),
	} {
		s = s[:min(len(s), MaxCommandBytes)]
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := Parse(s); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 400*uint64(len(s)) {
			t.Errorf("%d bytes of input allocated %d bytes", len(s), n)
		}
	}
}

// TestRedirectOnlyStatementsCount: statements without a program count
// toward the limit of commands like any other.
func TestRedirectOnlyStatementsCount(t *testing.T) {
	_, err := Parse(strings.Repeat("> f;", maxCommands+1))
	if !errors.Is(err, ErrCommand) || !strings.Contains(err.Error(), "commands") {
		t.Fatalf("got %v", err)
	}
}
