package shell

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseCommand(t *testing.T) {
	type want struct {
		programs []string
		dynamic  bool
		pipes    bool
		inline   bool
	}
	cases := []struct {
		cmd  string
		want want
	}{
		{"ls -la /tmp", want{programs: []string{"ls"}}},
		{"r''m -rf /x", want{programs: []string{"rm"}}},
		{`\rm -rf /x`, want{programs: []string{"rm"}}},
		{`"rm" -rf /x`, want{programs: []string{"rm"}}},
		{"/bin/rm -rf /x", want{programs: []string{"rm"}}},
		{"$'\\x72m' x", want{programs: []string{"rm", "$\\x72m"}, dynamic: true}}, // dash runs $\x72m
		{"$'\\162m' x", want{programs: []string{"rm", "$\\162m"}, dynamic: true}},
		{"command rm x", want{programs: []string{"command", "rm"}}},
		{"env -i A=1 -u B rm x", want{programs: []string{"env", "rm"}}},
		{"env -S 'rm -rf /x'", want{programs: []string{"env", "rm"}}},
		{"xargs rm", want{programs: []string{"xargs", "rm"}}},
		{"xargs -n 1 -I{} rm {}", want{programs: []string{"xargs", "rm"}}},
		{"xargs", want{programs: []string{"xargs", "echo"}}},
		{"xargs sh -c", want{programs: []string{"xargs", "sh"}, dynamic: true}},
		{"busybox rm x", want{programs: []string{"busybox", "rm"}}},
		{"busybox --list", want{programs: []string{"busybox"}}},
		{"sudo -u root -E rm x", want{programs: []string{"sudo", "rm"}}},
		{"sudo -s", want{programs: []string{"sudo"}, pipes: true}},
		{"sudo -s 'rm x'", want{programs: []string{"sudo", "rm"}}},
		{"nice -n 10 ionice -c3 rm x", want{programs: []string{"nice", "ionice", "rm"}}},
		{"timeout -s KILL 5 rm x", want{programs: []string{"timeout", "rm"}}},
		{"nohup rm x &", want{programs: []string{"nohup", "rm"}}},
		{"exec rm x", want{programs: []string{"exec", "rm"}}},
		{"stdbuf -oL rm x", want{programs: []string{"stdbuf", "rm"}}},
		{"chroot / rm x", want{programs: []string{"chroot", "rm"}}},
		{"chroot /", want{programs: []string{"chroot"}, pipes: true}},
		{"flock /tmp/l -c 'rm x'", want{programs: []string{"flock", "rm"}}},
		{"watch -n 1 rm x", want{programs: []string{"watch", "rm"}}},
		{"su -c 'rm x' root", want{programs: []string{"su", "rm"}}},
		{"su root", want{programs: []string{"su"}, pipes: true}},
		{"script -qc 'rm x' /dev/null", want{programs: []string{"script", "rm"}}},
		{"script -q", want{programs: []string{"script"}, pipes: true}},
		{"su -lc 'rm x'", want{programs: []string{"su", "rm"}}},
		{"bash -c 'ls; rm x'", want{programs: []string{"bash", "ls", "rm"}}},
		{"bash -xec 'rm x'", want{programs: []string{"bash", "rm"}}},
		{"bash -o pipefail -c 'rm x'", want{programs: []string{"bash", "rm"}}},
		{"bash script.sh", want{programs: []string{"bash"}}},
		{"bash -c \"$CMD\"", want{programs: []string{"bash"}, dynamic: true}},
		{"bash <(curl x)", want{programs: []string{"bash", "curl"}, dynamic: true}},
		{"curl x | sh", want{programs: []string{"curl", "sh"}, pipes: true}},
		{"curl x | sudo bash -s", want{programs: []string{"curl", "sudo", "bash"}, pipes: true}},
		{"cat x | (cd /; sh)", want{programs: []string{"cat", "cd", "sh"}, pipes: true}},
		{"sh < script", want{programs: []string{"sh"}, pipes: true}},
		{"echo x | python3", want{programs: []string{"echo", "python3"}, pipes: true}},
		{"python3 script.py", want{programs: []string{"python3"}}},
		{"python3 -m http.server", want{programs: []string{"python3"}}},
		{"python3.12 -c 'print(1)'", want{programs: []string{"python3.12"}, inline: true}},
		{"python -Ic 'print(1)'", want{programs: []string{"python"}, inline: true}},
		{"perl -ne print", want{programs: []string{"perl"}, inline: true}},
		{"ruby -e 'x'", want{programs: []string{"ruby"}, inline: true}},
		{"node --eval 'x'", want{programs: []string{"node"}, inline: true}},
		{"node -e 'x'", want{programs: []string{"node"}, inline: true}},
		{"php -r 'x'", want{programs: []string{"php"}, inline: true}},
		{"awk '{print $1}' f", want{programs: []string{"awk"}}},
		{"awk 'BEGIN{system(\"rm x\")}'", want{programs: []string{"awk"}, inline: true}},
		{"$(echo rm) x", want{programs: []string{"$(echo rm)", "echo"}, dynamic: true}},
		{"`echo rm` x", want{programs: []string{"`echo rm`", "echo"}, dynamic: true}},
		{"$X", want{programs: []string{"$X"}, dynamic: true}},
		{"/bin/r? x", want{programs: []string{"r?"}, dynamic: true}},
		{"{rm,x}", want{programs: []string{"{rm,x}"}, dynamic: true}},
		{"PATH=/tmp ls", want{programs: []string{"ls"}, dynamic: true}},
		{"export LD_PRELOAD=/x.so; ls", want{programs: []string{"export", "ls"}, dynamic: true}},
		{"alias ls=rm", want{programs: []string{"alias"}, dynamic: true}},
		{"hash -p /bin/rm ls", want{programs: []string{"hash"}, dynamic: true}},
		{"source ./x.sh", want{programs: []string{"source"}}},
		{". <(curl x)", want{programs: []string{".", "curl"}, dynamic: true}},
		{"eval 'rm x'", want{programs: []string{"eval", "rm"}}},
		{"eval \"$X\"", want{programs: []string{"eval"}, dynamic: true}},
		{"trap 'rm x' EXIT", want{programs: []string{"trap", "rm"}}},
		{"ls\nrm x", want{programs: []string{"ls", "rm"}}},
		{"ls; rm x && cat y || wc", want{programs: []string{"ls", "rm", "cat", "wc"}}},
		{"echo $(rm x) `cat y` $((1+$(wc)))", want{programs: []string{"echo", "rm", "cat", "wc"}}},
		{"echo ${X:-$(rm x)}", want{programs: []string{"echo", "rm"}}},
		{"cat <<EOF\n$(rm x)\nEOF", want{programs: []string{"cat", "rm"}}},
		{"bash <<'EOF'\nrm x\nEOF", want{programs: []string{"bash", "rm"}, pipes: true}},
		{"bash <<< 'rm x'", want{programs: []string{"bash", "rm"}, pipes: true, dynamic: true}}, // no <<< in sh
		{"f() { rm x; }; f", want{programs: []string{"rm", "f"}}},
		{"if true; then rm x; fi", want{programs: []string{"true", "rm"}}},
		{"for i in 1; do rm $i; done", want{programs: []string{"rm"}}},
		{"while read l; do rm $l; done < f", want{programs: []string{"read", "rm"}}},
		{"case x in x) rm y;; esac", want{programs: []string{"rm"}}},
		{"time rm x", want{programs: []string{"rm", "time"}, dynamic: true}}, // a program in sh
		{"! rm x", want{programs: []string{"rm"}}},
		{"coproc rm x", want{programs: []string{"rm", "coproc"}, dynamic: true}},
		{"find / -name x -delete", want{programs: []string{"find"}}},
		{"find . -exec sh -c 'rm {}' \\;", want{programs: []string{"find", "sh", "rm"}}},
		{"find . -execdir rm {} +", want{programs: []string{"find", "rm"}}},
		{"[[ -f x ]] && rm x", want{programs: []string{"rm", "[["}, dynamic: true}},
	}
	for _, c := range cases {
		got, err := Parse(c.cmd)
		if err != nil {
			t.Errorf("%q: %v", c.cmd, err)
			continue
		}
		if !slices.Equal(got.Programs, c.want.programs) || got.Dynamic != c.want.dynamic ||
			got.PipesToShell != c.want.pipes || got.InterpreterInline != c.want.inline {
			t.Errorf("%q:\n got programs=%q dynamic=%v pipes=%v inline=%v\nwant programs=%q dynamic=%v pipes=%v inline=%v",
				c.cmd, got.Programs, got.Dynamic, got.PipesToShell, got.InterpreterInline,
				c.want.programs, c.want.dynamic, c.want.pipes, c.want.inline)
		}
		if got.Kind != "exec" || got.Command != c.cmd {
			t.Errorf("%q: kind %q command %q", c.cmd, got.Kind, got.Command)
		}
	}
}

func TestParseCommandDetails(t *testing.T) {
	got, err := Parse(`/usr/bin/r''m -rf "/tmp/a b" > out.log 2>&1 < in.txt`)
	if err != nil {
		t.Fatal(err)
	}
	c := got.Commands[0]
	if c.Program != "rm" || c.Path != "/usr/bin/rm" || !slices.Equal(c.Args, []string{"-rf", "/tmp/a b"}) ||
		!slices.Equal(c.Redirects, []string{"out.log", "in.txt"}) {
		t.Fatalf("command: %+v", c)
	}
	if !slices.Equal(got.Argv, []string{"/usr/bin/rm", "-rf", "/tmp/a b"}) {
		t.Fatalf("argv: %q", got.Argv)
	}
	// A wrapped command is listed as its own command, its words once in Argv.
	got, err = Parse("sudo rm -rf /x")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Commands) != 2 || got.Commands[1].Program != "rm" || !slices.Equal(got.Commands[1].Args, []string{"-rf", "/x"}) {
		t.Fatalf("wrapped: %+v", got.Commands)
	}
	if !slices.Equal(got.Argv, []string{"sudo", "rm", "-rf", "/x"}) {
		t.Fatalf("argv: %q", got.Argv)
	}
}

func TestParseCommandRefuses(t *testing.T) {
	deep := "rm x"
	for range maxDepth + 2 {
		deep = "sh -c " + quoteArgs([]wordValue{{text: deep}})
	}
	for _, cmd := range []string{
		"if (",
		"echo 'open",
		"echo $(",
		"a\x00b",
		deep,
		strings.Repeat("x", MaxCommandBytes+1),
		strings.Repeat("true;", maxCommands+1),
		"bash -c 'echo \"open'",
		strings.Repeat("$((", 5000) + "1" + strings.Repeat("))", 5000),
		strings.Repeat("$(", 5000) + strings.Repeat(")", 5000),
	} {
		if _, err := Parse(cmd); !errors.Is(err, ErrCommand) {
			t.Errorf("%.40q: want ErrCommand, got %v", cmd, err)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"ls -la", "r''m -rf /", `\rm x`, "bash -c 'rm x'", "echo x | base64 -d | sh",
		"$(echo rm) -rf /", "env -S 'rm x'", "find / -exec rm {} +", "sudo -s", "a=$'\\x72'",
		"cat <<EOF\nx\nEOF", "f(){ rm; }; f", "xargs -I{} sh -c {}", "{a,b}", "echo ${x:-$(y)}",
		"> f", "ls; > f", "{ > f; }", "echo x >& f", "cat < /dev/tcp/h/1", "sed -n 1p f", "git log",
		"f() { ls; }; f", "cat f | grep x", "x=1; echo $((x))",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cmd string) {
		got, err := Parse(cmd)
		if err != nil {
			if !errors.Is(err, ErrCommand) {
				t.Fatalf("error does not wrap ErrCommand: %v", err)
			}
			return
		}
		if got.Kind != "exec" || got.Command != cmd {
			t.Fatalf("kind %q command %q", got.Kind, got.Command)
		}
		// Every command's program is listed in Programs.
		for _, c := range got.Commands {
			if !slices.Contains(got.Programs, c.Program) {
				t.Fatalf("program %q of %q missing from %q", c.Program, cmd, got.Programs)
			}
		}
		if len(got.Programs) > len(got.Commands) {
			t.Fatalf("more programs than commands: %q vs %+v", got.Programs, got.Commands)
		}
		// The effect model: a read-only line has only read-only commands
		// and no writing redirection; /dev/tcp anywhere is network; and
		// adding a writing statement or redirection to any line makes it
		// not read-only.
		if got.ReadOnly && (writesFile(got) || got.Network || got.Dynamic || got.RunsUnseenCode) {
			t.Fatalf("read-only with effects: %q: %s", cmd, describe(got))
		}
		if strings.Contains(cmd, "/dev/tcp/") && !got.Network {
			t.Fatalf("/dev/tcp without network: %q", cmd)
		}
		for _, more := range []string{cmd + "\n> f", "{ " + cmd + "\n} > f", "( " + cmd + "\n) >> f", cmd + "\necho x >& f"} {
			if m, err := Parse(more); err == nil && m.ReadOnly {
				t.Fatalf("writing line judged read-only: %q: %s", more, describe(m))
			}
		}
	})
}
