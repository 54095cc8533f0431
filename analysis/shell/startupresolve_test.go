package shell

import (
	"strings"
	"testing"
)

// resolvedSpelling spells a directory in a command line that runs in the
// home directory: Pre is put before the line (what opens a descriptor or
// sets a variable), Dir stands before the file's path.
type resolvedSpelling struct{ Pre, Dir string }

// homeResolved spell the home directory (or a directory the kernel
// resolves to it) in ways the text does not show.
var homeResolved = []resolvedSpelling{
	{"", "/root/"}, {"", "/home/agent/"}, {"", "//root//"}, {"", "/./root/"}, {"", "/var/../root/"},
	{"", "/var/run/../../root/"}, {"", "/var/run/../root/"}, {"", "/proc/self/root/root/"},
	{"", "/proc/1/root/home/agent/"}, {"", "/proc/self/cwd/"}, {"", "/proc/1/cwd/root/"}, {"", "${HOME%/}/"},
	{"", "${HOME:-/root}/"}, {"", "~agent/"}, {"", "~root/"}, {"", "~1/"}, {"", "~-/"}, {"", "~+/"},
	{"", "$(getent passwd agent | cut -d: -f6)/"}, {"", "$(eval echo ~)/"}, {"", "`echo ~`/"}, {"", "$PWD/"},
	{"X=~; ", "$X/"}, {"D=$HOME; ", `"$D"/`}, {"D=~; ", "${D}/./"}, {"exec 3<~; ", "/dev/fd/3/"},
	{"exec 3<~; ", "/proc/self/fd/3/"}, {"exec 9<$HOME; ", "/proc/$$/fd/9/"}, {"exec {d}<~; ", "/dev/fd/$d/"},
	{"", "/srv/home/agent/"}, {"", "/tmp/h/"}, {"", "/var/lib/agent/"}, {"cd /srv/app && ", ""},
	{"cd \"$(eval echo ~)\" && ", ""}, {"cd ~/proj/.. && ", "./"}, {"", "//proc/self/root/root/"},
	{"", "/proc/self/root/proc/self/root/root/"}, {"cd /proc/self/root/srv/app && ", ""}, {"exec 3<~; ", "//dev/./fd/3/"},
	{"exec 3<~/x; ", "/dev/fd/3/../"}, {"", "/proc//1/cwd/root/"}, {"exec 3<~; cd /dev/fd/3 && ", ""},
	{"cd /var/run/../root && ", ""},
}

// homeResolvedFiles are start-up files relative to the home directory;
// bin/ls counts only there.
var homeResolvedFiles = []string{"bin/ls", "bin", ".bashrc", ".ssh/authorized_keys", ".config/systemd/user/x.service",
	".bashrc.d/x.sh", "proj/__pycache__/m.cpython-311.pyc", ".cache/pip/wheels/x.whl", "proj/.git/hooks/pre-commit"}

// systemResolved spell / before a system start-up path.
var systemResolved = []resolvedSpelling{
	{"", "//"}, {"", "/var/../"}, {"", "/var/run/../"}, {"", "/proc/self/root/"}, {"", "/proc/1/root/"},
	{"", "/usr/../"}, {"", "$R/"}, {"", "${R:-}/"}, {"exec 3</; ", "/dev/fd/3/"}, {"cd /var/run && ", "../"},
	{"cd /var/run/.. && ", ""}, {"exec 3</; cd /dev/fd/3 && ", ""}, {"cd /proc/1/root && ", ""},
}

// systemResolvedFiles are system start-up paths relative to /.
var systemResolvedFiles = []string{"etc/profile.d/x.sh", "etc/cron.d/x", "run/systemd/system/x.service",
	"var/run/systemd/system/x.service", "etc/ld.so.preload"}

// resolvedWriters write {P}: redirections, the writing programs, and a
// program named by a path (whatever file is there, not the system's cat).
var resolvedWriters = []string{
	"echo x > {P}", "echo x >> {P}", "printf x | tee -a {P}", "cp /tmp/x {P}", "mv /tmp/x {P}", "install -D /tmp/x {P}",
	"dd if=/tmp/x of={P}", "ln -sf /tmp/x {P}", "truncate -s 0 {P}", "sed -i s/a/b/ {P}", "curl -so {P} http://h/x",
	"/tmp/x/cat {P}", "./cat {P}", "~/w {P}",
}

// resolvedWrappers run a line {L} another way.
var resolvedWrappers = []string{
	"{L}", "sudo {L}", "env A=1 {L}", "timeout 5 {L}", "nice {L}", "bash -c '{L}'", "{ {L}; }", "( {L} )",
	"f() { {L}; }; f", "if true; then {L}; fi", "true && {L}",
}

// resolvedLine builds the line for a spelling, a file, a writer and a
// wrapper (rotated by k).
func resolvedLine(sp resolvedSpelling, file, writer string, k int) string {
	inner := strings.ReplaceAll(writer, "{P}", sp.Dir+file)
	wrap := resolvedWrappers[k%len(resolvedWrappers)]
	if strings.Contains(inner, "'") && strings.Contains(wrap, "'") {
		wrap = "{L}"
	}
	return sp.Pre + strings.ReplaceAll(wrap, "{L}", inner)
}

// TestWritesThroughResolvedNames: a write reaches a start-up file
// through a name the kernel resolves differently from the text (the home
// directory by another absolute path, .. after a link, a descriptor open
// on a directory, an expansion, another process's /proc directory, a
// program named by a path). Generated over (spelling × start-up file ×
// writer × wrapper); each line is a start-up write.
func TestWritesThroughResolvedNames(t *testing.T) {
	t.Parallel()
	var missed, total int
	check := func(line string) {
		total++
		s, err := Parse(line)
		if err != nil {
			return // a line the gate cannot read is refused before this judge
		}
		if _, ok := WritesStartup(s); !ok {
			missed++
			t.Errorf("not refused: %s", line)
		}
	}
	k := 0
	for _, sp := range homeResolved {
		for _, f := range homeResolvedFiles {
			for _, w := range resolvedWriters {
				k++
				check(resolvedLine(sp, f, w, k))
			}
		}
	}
	for _, sp := range systemResolved {
		for _, f := range systemResolvedFiles {
			for _, w := range resolvedWriters {
				k++
				check(resolvedLine(sp, f, w, k))
			}
		}
	}
	if missed > 0 {
		t.Logf("%d of %d writes not refused", missed, total)
	}
}

// TestWritesThroughReopenedDescriptors: /dev/fd/N and /proc/self/fd/N
// reopen the file the descriptor is open on, for writing too, whatever
// direction it was opened in; an unknown descriptor's file is unknown.
func TestWritesThroughReopenedDescriptors(t *testing.T) {
	for _, line := range []string{
		"exec 3<~/.bashrc; cp /tmp/x /dev/fd/3", "exec 3<~/.bashrc; cat /tmp/x | tee /proc/self/fd/3",
		"exec 4<~/bin/ls; dd if=/tmp/x of=/dev/fd/4", "cp /tmp/x /dev/stdin < ~/.ssh/authorized_keys", "cp /tmp/x /dev/stdout 1<~/.bashrc",
		"cp /tmp/x /dev/fd/7", "cp /tmp/x /proc/1/fd/3", "tee /proc/self/task/1/fd/5 < /tmp/x", "cp /tmp/x /dev/fd/$n",
	} {
		if _, ok := startupVerdict(t, line); !ok {
			t.Errorf("not refused: %s", line)
		}
	}
}

// TestAccountToolsAreStartupWrites: the account tools write the account
// files a later login reads (login shell, home, groups, password); their
// read-only forms pass.
func TestAccountToolsAreStartupWrites(t *testing.T) {
	for _, line := range []string{
		"useradd -m -s /tmp/sh x", "usermod -s /tmp/x agent", "usermod -d /tmp/h agent", "usermod -aG sudo agent",
		"chsh -s /tmp/x", "chsh -s /tmp/x agent", "chfn -f x agent", "vipw", "vigr", "passwd -e agent", "passwd",
		"echo agent:x | chpasswd", "newusers /tmp/u", "gpasswd -a agent sudo", "groupadd x", "adduser x", "chage -d 0 agent",
		"sudo usermod -s /tmp/x root", "bash -c 'chsh -s /tmp/x'", "env chsh -s /tmp/x", "/usr/sbin/usermod -s /tmp/x agent",
	} {
		if _, ok := startupVerdict(t, line); !ok {
			t.Errorf("not refused: %s", line)
		}
	}
	for _, line := range []string{"passwd -S agent", "chage -l agent", "chsh -l", "getent passwd agent", "id agent"} {
		if why, ok := startupVerdict(t, line); ok {
			t.Errorf("refused: %s (%s)", line, why)
		}
	}
}

// TestResolvedNamesOrdinaryWork: ordinary writes (a project, /tmp, a
// descriptor the line opened on an ordinary file, a name after .. that
// is no start-up name) still pass.
func TestResolvedNamesOrdinaryWork(t *testing.T) {
	for _, line := range []string{
		"echo x > /tmp/out.txt", "cp a.txt /tmp/b.txt", "mkdir -p /tmp/work/src", "cd ~/proj && make > build.log",
		"cd ~/proj && cp /tmp/x bin/tool", "echo x > ~/proj/notes.md", "printf x | tee -a /tmp/log.txt",
		"cp -r ~/proj/src /tmp/backup", "echo x > ../notes.txt", "cd ~/proj/sub && echo x > ../out.txt",
		"echo x > $TMPDIR/out.txt", "echo hi > /dev/stdout", "echo hi > /dev/stderr", "echo x | tee /dev/stderr",
		"cat a > /dev/null", "sort a > /tmp/sorted", "cp x /home/agent/proj/bin/tool", "cp x /root/proj/bin/x",
		"exec 3>/tmp/log; echo x >&3", "exec 3>/tmp/log; cp /tmp/x /dev/fd/3", "go build -o /tmp/app .",
		"sed -i s/a/b/ ~/proj/main.go", "echo x > \"$D\"/notes.txt", "rm -rf /tmp/build", "mv ~/proj/a.py ~/proj/b.py",
		"echo x > ~/proj/main.py", "echo x > /var/run/app/x.pid", "cp /tmp/x ~/.cache/thumbnails/x.png",
		"echo x > $HOME/proj/out.txt", "echo x > ${HOME}/proj/../notes.txt", "cat ~/.bashrc", "/usr/bin/cat ~/.bashrc",
		"tar czf /tmp/p.tgz -C ~/proj .", "git -C ~/proj status", "echo x > ~/proj/usr/bin.txt", "cp x /usr/local/share/x",
		"ls -lo ~/.bashrc", "ls -lo ~/bin", "ls /srv/app/bin", "bash /srv/app/bin/run.sh", "cat ~/bin/x", "cat ../x.txt",
	} {
		if why, ok := startupVerdict(t, line); ok {
			t.Errorf("refused: %s (%s)", line, why)
		}
	}
}

// TestDataWritesThroughResolvedDirectories: names chosen by data written
// into a directory spelt through a host link and .., a descriptor or
// another process's directory (the home directory or /etc, physically)
// are start-up writes; into an ordinary directory they pass.
func TestDataWritesThroughResolvedDirectories(t *testing.T) {
	for _, line := range []string{
		"tar xf a.tar -C /var/run/../root", "exec 3<~; tar xf a.tar -C /dev/fd/3", "unzip a.zip -d /var/run/../etc",
		"cp -r /tmp/d /var/lock/../../root/", "rsync -a /tmp/d/ /proc/1/cwd/", "ln -s /var/run/../root /tmp/l",
		"tar xf a.tar -C /proc/self/fd/9", "cp -r /tmp/d /lib/../root",
	} {
		if _, ok := startupVerdict(t, line); !ok {
			t.Errorf("not refused: %s", line)
		}
	}
	for _, line := range []string{"tar xf a.tar -C /tmp/out", "unzip a.zip -d /srv/app/data", "cp -r /tmp/d /var/run/app"} {
		if why, ok := startupVerdict(t, line); ok {
			t.Errorf("refused: %s (%s)", line, why)
		}
	}
}
