package shell

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// codeBuiltinTemplates run CMD (a command string) through a bash builtin
// that takes code in an option value or an argument, spelt in the ways
// bash's getopt accepts; SUB is a command substitution of CMD.
var codeBuiltinTemplates = []string{
	"mapfile -C 'CMD' -c 1 a < f",
	"mapfile -tC 'CMD' -c1 a < f",
	"mapfile -C'CMD' -c1 a < f",
	"readarray -n 1 -C 'CMD' -c 1 a < f",
	"compgen -C 'CMD' x",
	"compgen -aC 'CMD' x",
	"compgen -W 'SUB' x",
	"compgen -W'SUB' x",
	"jobs -x CMD",
	"trap -- 'CMD' EXIT",
	"trap -P -- 'CMD' EXIT 2>/dev/null; trap -- 'CMD' EXIT",
	"declare -i y; y='a[SUB]'",
	"declare -ri y='a[SUB]'",
	"typeset -i y; y+='a[SUB]'",
	"f() { local -i z='a[SUB]'; }; f",
	"declare 'd[SUB]=1'",
	"declare -g -- 'd[SUB]=1'",
	"read 'a[SUB]' < f",
	"read -r -- 'a[SUB]' < f",
	// Keyword mode: a NAME=value argument is environment; s.sh runs CMD.
	"set -k; bash -c true BASH_ENV=s.sh",
	"set -o keyword; bash -c true BASH_ENV=s.sh",
	"set -eo keyword; bash -c true BASH_ENV=s.sh",
	"bash -k -c 'bash -c true BASH_ENV=s.sh'",
	"bash --norc -ek -c 'bash -c true BASH_ENV=s.sh'",
	// env takes NAME=value after "--" too.
	"env -- X=1 CMD",
	"env -u HOME -- X=1 Y=2 CMD",
	// An exported function in the environment defines true in the bash
	// started with it.
	"env 'BASH_FUNC_true%%=() { CMD; }' bash -c true",
}

// TestCodeBuiltinsDifferential runs each template with each stub program
// in real bash, with logging stubs, and fails when bash ran a program the
// analyser neither listed nor declared unknowable (dynamic). The control
// asserts bash did run the program, so a template that stops working in
// some bash version shows up.
func TestCodeBuiltinsDifferential(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs shells")
	}
	shells := realShells(t)
	dir := t.TempDir()
	bin := stubDir(t, dir, shells)
	if err := writeFile(dir+"/f", "line\n"); err != nil {
		t.Fatal(err)
	}
	envPath, err := exec.LookPath("env")
	if err != nil {
		t.Skip("env not installed")
	}
	if err := os.Symlink(envPath, filepath.Join(bin, "env")); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(11, 2026))
	for _, tmpl := range codeBuiltinTemplates {
		for range 4 {
			prog := []string{"rm", "touch", "cat", "grep"}[r.IntN(4)]
			cmd := prog + " g"
			if err := writeFile(dir+"/s.sh", cmd+"\n"); err != nil {
				t.Fatal(err)
			}
			line := strings.NewReplacer("CMD", cmd, "SUB", "$("+cmd+")").Replace(tmpl)
			if r.IntN(3) == 0 {
				line = "bash -c " + singleQuote(line)
			}
			s, err := Parse(line)
			if err != nil {
				t.Errorf("%q: %v", line, err)
				continue
			}
			ran := runEnv(t, shells["bash"], bin, dir, line)
			if !slices.Contains(ran, prog) {
				t.Errorf("control: bash did not run %s for %q (ran %q)", prog, line, ran)
			}
			if s.ReadOnly {
				t.Errorf("%q is read-only", line)
			}
			if s.Dynamic {
				continue
			}
			for _, p := range ran {
				if !slices.Contains(s.Programs, p) {
					t.Errorf("bash ran %q for %q; analyser listed %q, not dynamic", p, line, s.Programs)
				}
			}
		}
	}
}

func writeFile(name, s string) error {
	return os.WriteFile(name, []byte(s), 0o644)
}

// TestReadOnlyOptionsThatWrite: options of read-only programs that write
// files, run programs or reach another host make the command not
// read-only, in every spelling getopt accepts.
func TestReadOnlyOptionsThatWrite(t *testing.T) {
	for _, tc := range []struct {
		line string
		ro   bool
	}{
		{"awk -d/tmp/v 'BEGIN{}'", false},
		{"awk -dv 'BEGIN{}'", false},
		{"awk --dump-variables=/tmp/v 'BEGIN{}'", false},
		{"awk --dump 'BEGIN{}'", false},
		{"awk -p/tmp/v 'BEGIN{}'", false},
		{"awk --profile=/tmp/v 'BEGIN{}'", false},
		{"awk -o/tmp/v 'BEGIN{}'", false},
		{"awk --pretty-print=/tmp/v 'BEGIN{}'", false},
		{"awk -D 'BEGIN{}'", false},
		{"awk --debug 'BEGIN{}'", false},
		{"awk -W dump-variables=/tmp/v 'BEGIN{}'", false},
		{"awk -Wexec f", false},
		{"awk -bd 'BEGIN{}'", false},
		{"awk -F: -d 'BEGIN{}'", false},
		{"awk -e '{print}' -d/tmp/v f", false},
		{"gawk -M -o/tmp/v 'BEGIN{}'", false},
		{"awk -F: '{print $1}' f", true},
		{"awk -F : -v x=1 '{print $1}' f", true},
		{"awk -bF: '{print}' f", true},
		{"awk -e '{print}' f", true},
		{"awk --posix -- '{print}' f", true},
		{"awk '{print}' f -d/tmp/v", true}, // options end at the program
		{"tar -t --file=localhost:/etc/passwd", false},
		{"tar --list --fil=h:/x", false},
		{"tar -tf h:/x", false},
		{"tar -tf a.tar", true},
		{"journalctl -n1 --cursor-file=/tmp/v", false},
		{"journalctl -n1 --cursor-f /tmp/v", false},
		{"journalctl --image=/tmp/v.img", false},
		{"journalctl -n 10", true},
		{"rg --hostname-bin=reboot --hyperlink-format=default x", false},
		{"rg x f", true},
		{"yq -s '.a' f.yml", false},
		{"yq --split-exp .a f.yml", false},
		{"sudo -R /tmp/root cat f", false},
		{"sudo --chroot=/tmp/root cat f", false},
	} {
		checkReadOnly(t, tc.line, tc.ro)
	}
}

// wrapperTemplates run CMD under a wrapper with options that take a value
// in the next argument; root marks those that need privileges.
var wrapperTemplates = []struct {
	line string
	root bool
}{
	{"setpriv --pdeathsig TERM CMD", false},
	{"setpriv --reuid 0 CMD", true},
	{"unshare -S 0 CMD", true},
	{"nsenter -S 0 CMD", true},
	{"chrt -R -T 1000000 -P 2000000 -D 2000000 -d 0 CMD", true}, // -R: its children may fork
	{"ionice -c 3 -t CMD", false},
	{"timeout -v 5 CMD", false},
	{"nice -n 5 CMD", false},
	{"env -u X CMD", false},
	{"stdbuf -oL CMD", false},
	{"setsid -w CMD", false},
	{"flock -w 1 lockf CMD", false},
}

// TestWrapperOptionsDifferential nests one to three wrappers around a stub
// program, in real bash, and fails when the stub ran but the analyser
// neither listed it nor declared the line dynamic: an option the wrapper
// table did not know to take a value made its value look like the
// program (chrt -T 1000 ... rm listed "1000").
func TestWrapperOptionsDifferential(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs shells")
	}
	shells := realShells(t)
	dir := t.TempDir()
	bin := stubDir(t, dir, shells)
	for _, tmpl := range wrapperTemplates {
		w := strings.Fields(tmpl.line)[0]
		p, err := exec.LookPath(w)
		if err != nil {
			t.Skipf("%s not installed", w)
		}
		if err := os.Symlink(p, filepath.Join(bin, w)); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
	}
	root := os.Getuid() == 0
	r := rand.New(rand.NewPCG(13, 2026))
	for range 300 {
		line, privileged := "CMD", false
		for n := 1 + r.IntN(3); n > 0; n-- {
			tmpl := wrapperTemplates[r.IntN(len(wrapperTemplates))]
			line = strings.Replace(strings.Replace(tmpl.line, "lockf", fmt.Sprint("lock", n), 1), "CMD", line, 1)
			privileged = privileged || tmpl.root
		}
		prog := []string{"rm", "touch", "cat"}[r.IntN(3)]
		line = strings.Replace(line, "CMD", prog+" g", 1)
		s, err := Parse(line)
		if err != nil {
			t.Errorf("%q: %v", line, err)
			continue
		}
		ran := runEnv(t, shells["bash"], bin, dir, line)
		if (root || !privileged) && !slices.Contains(ran, prog) {
			t.Errorf("control: bash did not run %s for %q (ran %q)", prog, line, ran)
		}
		if s.Dynamic {
			continue
		}
		for _, p := range ran {
			if !slices.Contains(s.Programs, p) {
				t.Errorf("bash ran %q for %q; analyser listed %q, not dynamic", p, line, s.Programs)
			}
		}
	}
}

// TestStateDeviceSpellings: the devices that change state when opened are
// not read-only by a glob that expands to them, by their device number, or
// relative to their directory; ordinary globs stay read-only.
func TestStateDeviceSpellings(t *testing.T) {
	for _, tc := range []struct {
		line string
		ro   bool
	}{
		{"cat /dev/watchd*", false},
		{"head -c1 /dev/w*", false},
		{"cat /dev/watchdog[0-9]", false},
		{"cat /proc/km?g", false},
		{"cat /dev/char/10:130", false},
		{"cat /sys/dev/char/10:130", false},
		{"cat 10:130", false},
		{"cat watch*", false},
		{"cat *.txt", true},
		{"grep -r x /etc/*", true},
		{"cat /proc/*/status", true},
		{"cat /dev/null", true},
	} {
		checkReadOnly(t, tc.line, tc.ro)
	}
}

// TestStartupFilesAndLoginShells: a start-up file named on a shell's
// command line is code the gate does not see; sudo -i runs the command
// through a login shell, whose start-up files are unseen code too (as
// bash -l); runuser without -u reads its arguments as su does.
func TestStartupFilesAndLoginShells(t *testing.T) {
	for _, tc := range []struct {
		line       string
		unseen, ro bool
		programs   []string
	}{
		{"bash --rcfile x.sh -i -c ls", true, false, []string{"bash", "ls"}},
		{"bash --rcfile=x.sh -i -c ls", true, false, []string{"bash", "ls"}},
		{"bash --init-file x.sh -i -c ls", true, false, []string{"bash", "ls"}},
		{"bash -c ls", false, true, []string{"bash", "ls"}},
		{"sudo -i ls", true, false, []string{"sudo", "ls"}},
		{"sudo --login ls", true, false, []string{"sudo", "ls"}},
		{"sudo ls", false, true, []string{"sudo", "ls"}},
		{"runuser -l root -c 'rm x'", true, false, []string{"runuser", "rm"}},
		{"runuser - root -c 'rm x'", true, false, []string{"runuser", "rm"}},
		{"runuser -u root -- rm x", false, false, []string{"runuser", "rm"}},
	} {
		s, err := Parse(tc.line)
		if err != nil {
			t.Errorf("%q: %v", tc.line, err)
			continue
		}
		if s.RunsUnseenCode != tc.unseen || s.ReadOnly != tc.ro || !slices.Equal(s.Programs, tc.programs) {
			t.Errorf("%q: unseen=%v read_only=%v programs=%q, want %v %v %q", tc.line, s.RunsUnseenCode, s.ReadOnly, s.Programs,
				tc.unseen, tc.ro, tc.programs)
		}
	}
}

// checkReadOnly parses line and checks its read_only verdict.
func checkReadOnly(t *testing.T, line string, want bool) {
	t.Helper()
	s, err := Parse(line)
	if err != nil {
		t.Errorf("%q: %v", line, err)
		return
	}
	if s.ReadOnly != want {
		t.Errorf("%q: read_only = %v, want %v", line, s.ReadOnly, want)
	}
}
