package shell

import (
	"slices"
	"strings"
	"testing"
)

// hiddenRunners run the program that follows them (a wrapper outside the
// first table) or a command given as an option's value; {C} is where the
// command goes.
var hiddenRunners = []string{
	"fakeroot {C}", "fakeroot -u {C}", "fakeroot -- {C}", "eatmydata {C}", "setarch x86_64 {C}", "setarch $(uname -m) {C}",
	"linux64 {C}", "linux32 -R {C}", "i386 {C}", "prlimit {C}", "prlimit --pid 1 {C}", "runcon ctx {C}", "runcon -t x {C}",
	"perf stat {C}", "perf record -o x {C}", "faketime 2020-01-01 {C}", "numactl -C 0 {C}", "numactl --localalloc {C}",
	"chronic {C}", "chronic -e {C}", "xvfb-run -a {C}", "dbus-launch {C}", "dbus-run-session {C}", "dbus-run-session -- {C}",
	"bwrap --bind / / {C}", "bwrap {C}", "cpulimit -l 10 -- {C}", "cgexec -g cpu:x {C}", "trickle -d 10 {C}", "mpirun {C}",
	"mpirun -np 2 {C}", "srun {C}", "entr {C}", "entr -s {C}", "nq {C}", "tsp {C}", "daemonize {C}",
	"start-stop-daemon --start --exec {C}", "systemd-inhibit {C}", "watchexec {C}", "watchexec -- {C}", "parallel {C} ::: x",
	"sem {C}", "capsh -- -c '{C}'", "proot {C}", "flatpak-spawn --host {C}",
	"man -P '{C}' ls", "man --pager='{C}' ls", "man --pag '{C}' ls", "tar -I '{C}' -tf a.tar", "tar -tf a.tar --use-compress-program='{C}'",
	"tar -tf a.tar --use-c '{C}'", "tar -xf a.tar --to-command='{C}'", "tar -cf a.tar --checkpoint=1 --checkpoint-action=exec='{C}' .",
	"tar -tf a.tar -F '{C}'", "sort --compress-program='{C}' f", "rsync -e '{C}' a h:b", "rsync --rsh='{C}' a h:b",
	"ssh -o ProxyCommand='{C}' h", "ssh -oProxyCommand='{C}' h", "ssh -o 'LocalCommand {C}' -o PermitLocalCommand=yes h",
	"scp -S '{C}' a h:", "sftp -S '{C}' h", "zip -T -TT '{C}' a.zip f", "sdiff --diff-program='{C}' a b",
	"tcpdump -z '{C}' -w f", "wget --use-askpass='{C}' x",
	// Programs in no table, read as possible wrappers.
	"tsocks {C}", "socksify {C}", "fakechroot {C}", "schroot -- {C}", "sshpass -p x {C}", "rlwrap {C}", "grc {C}",
	"logsave /tmp/l {C}", "nocache {C}", "run0 {C}", "uv run {C}", "poetry run {C}", "pipenv run {C}", "bundle exec {C}",
	"conda run {C}", "direnv exec . {C}", "dotenv {C}", "chpst -u x {C}", "s6-setuidgid u {C}", "gosu u {C}", "su-exec u {C}",
	"tini -- {C}", "dumb-init {C}", "npx {C}", "npm exec -- {C}", "ifne {C}", "lckdo /tmp/l {C}", "mispipe '{C}' cat",
	"systemd-nspawn -D / {C}", "lxc-attach -n c -- {C}", "some-new-runner --flag {C}",
}

// TestHiddenRunnersListTheirProgram: what a wrapper or a command option
// runs is listed (rm is among ssh.programs, so a rule that denies rm by
// name sees it), or the line is dynamic, piped into a shell or inline.
func TestHiddenRunnersListTheirProgram(t *testing.T) {
	t.Parallel()
	missed, n := 0, 0
	for _, r := range hiddenRunners {
		for _, c := range []string{"rm -rf /srv/v", "/bin/rm -rf /srv/v", "shred -u f"} {
			line := strings.ReplaceAll(r, "{C}", c)
			s, err := Parse(line)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			n++
			prog := strings.Fields(c)[0]
			prog = prog[strings.LastIndexByte(prog, '/')+1:]
			if !slices.Contains(s.Programs, prog) && !s.Dynamic && !s.PipesToShell && !s.InterpreterInline {
				missed++
				t.Errorf("%q: %s not listed (%v)", line, prog, s.Programs)
			}
		}
	}
	t.Logf("%d of %d hidden runs not listed", missed, n)
	// An argument that looks like a command line but does not parse
	// leaves the program unknown, and the line is still judged.
	if s, err := Parse(`jira comment X-1 "rm the old file, it's broken"`); err != nil || !s.Dynamic {
		t.Errorf("prose argument: %v %+v", err, s)
	}
	for _, l := range []string{"tar -tf a.tar", "tar -xzf a.tgz -C d", "man ls", "sort -u f", "rsync -a a b", "ssh -o Port=22 h",
		"setarch x86_64 -- uname -m", "linux64 uname -m", "fakeroot dpkg-deb -b d", "mytool report.txt", "make build", "man rm",
		"whatis rm", "dpkg -S /bin/rm", "readelf -h /bin/rm", "ldd /bin/rm", "apt-cache policy coreutils"} {
		s, err := Parse(l)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		if slices.Contains(s.Programs, "rm") {
			t.Errorf("%q lists rm", l)
		}
	}
}
