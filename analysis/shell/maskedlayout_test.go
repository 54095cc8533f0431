package shell

import (
	"strings"
	"testing"
)

// maskedLeakFamilies are the carriers, by family, that tell a masked
// name or value through its order, its length or a cut of it. Each
// carrier is crossed with the wraps of maskedLeakWraps.
var maskedLeakFamilies = map[string][]string{
	// The order a directory's names come in: sorted, or the file
	// system's own (on ext4 and XFS a hash of each name).
	"order": {"ls -U %d", "ls -f %d", "ls --sort=none %d", "ls -1U %d", "ls --sort=width %d", "ls -U -C %d", "dir -U %d",
		"ls -lU %d", "tree -U %d", "tree %d", "find %d", "find %d -type f", "find %d -print0", "find %d -mindepth 1 -printf '%%i\\n'",
		"find %d -maxdepth 1", "du %d", "du -a %d", "du -h -d 1 %d", "du --max-depth=1 %d", "cp -rv %d /tmp/o", "rm -rv %d",
		"chmod -Rv 600 %d", "chown -Rc root %d", "chgrp -R --verbose x %d", "rm -ri %d", "cp -Ri %d /tmp/o", "rm -r --interactive=always %d", "find %d -exec cat {} +", "find %d -exec stat {} \\;"},
	// The length of a masked value, in a count or in padding.
	"length": {"ls -d %d/x | wc -c", "wc -c %d/f", "wc %d/f", "wc -m %d/f", "wc -L %d/f", "wc --bytes %d/f", "wc --chars %d/f",
		"wc --max-line-length %d/f", "wc -lc %d/f", "wc --by %d/f", "cat %d/f | wc", "wc < %d/f",
		"printf '%%-40s|\\n' \"$(cat %d/f)\"", "printf '%%40s|\\n' \"$(cat %d/f)\"", "printf '%%*s|\\n' 40 \"$(cat %d/f)\"",
		"printf '%%.3s\\n' \"$(cat %d/f)\"", "printf '%%10b|\\n' \"$(cat %d/f)\"", "ps -o comm:30,pid", "ps -eo args,pid",
		"ps -eo pid,comm:40,etime", "ps -o ucmd,pid -p 1"},
	// The size of a file that holds a masked value, or a column cut at a
	// width (a masked command line or user name by its prefix).
	"size": {"stat %d/f", "stat -t %d/f", "stat --terse %d/f", "stat -c %%s %d/f", "stat --format=%%s %d/f", "stat -c '%%n %%b' %d/f",
		"stat --printf '%%10s\\n' %d/f", "stat -L %d/f", "ls -l %d/f", "ls -ld %d/f", "ls -s %d/f", "ls -la %d", "ls -lh %d/f", "ls -g %d/f",
		"ls -o %d/f", "ls -n %d/f", "ls -S %d", "ls --sort=size %d", "ls --size %d/f", "ls --format=long %d/f", "ls --format=verbose %d",
		"dir -l %d", "du -b %d/f", "du --apparent-size %d/f", "du --bytes %d/f", "du -B1 %d/f", "du --block-size=1 %d/f", "du -ab %d",
		"du --app -h %d/f", "find %d -size -20c", "find %d -ls", "find %d -printf '%%s %%p\\n'", "find %d -printf '%%k\\n'", "find %d -fls /dev/stdout",
		"tree -s %d", "tree -h %d", "tree --du %d", "file %d/f", "file -b %d/f", "w", "w -h", "last", "last -n 5", "lastb", "lsof", "lsof -i :80", "lsof -p 1"},
	// Processes and units: ordered by, cut at, or matched against what
	// they hold.
	"process": {"ps --sort=args", "ps aux --sort cmd", "ps k args", "ps axk comm", "ps -eo args:10", "ps --cols 40 -eo pid,args",
		"ps -w -eo pid,args", "ps auxww", "ps -eO args", "ps o args,pid", "ps --format args,pid",
		"ps --sort=-comm -eo pid,comm", "ps k -%mem,args", "ps --sort pid,cmd", "ps -o args:20", "ps -o cmd=X -o pid", "ps -o args -o pid=", "ps -o ucmd -O pid", "ps -o comm,pid=", "COLUMNS=40 ps -eo pid,args", "export COLUMNS=40; ps -eo pid,args", "pgrep ab", "pgrep -l 41",
		"pkill -0 ab", "systemctl", "systemctl list-units", "systemctl list-unit-files --no-pager", "systemctl list-timers",
		"systemctl status 'a*'", "systemctl status sshd", "systemctl --type=service", "systemctl list-dependencies",
		"systemctl -o json status --full x", "systemctl is-active 'ab*'", "journalctl -F _CMDLINE", "journalctl --field=MESSAGE",
		"journalctl -u 'a*'", "journalctl --unit='ab*'", "journalctl -o json", "journalctl -ojson-pretty", "journalctl --output=export",
		"journalctl --no-full", "env COLUMNS=30 systemctl status --full x"},
}

// maskedLeakWraps put a carrier where a client would: alone, cut by head,
// through a wrapper, inside a command substitution, after a cd.
var maskedLeakWraps = []string{"%s", "%s | head -n 3", "sudo %s", "timeout 5 %s", "echo \"$(%s)\"", "true && %s", "%s | cat"}

// maskedBenign are ordinary admin commands under a masking decision:
// each must still pass.
var maskedBenign = []string{"ps aux", "ps -ef", "ps -eo pid,user,args", "ps -o pid,etime,args -p 1", "ps -u www-data",
	"ps --pid 1 -o pid,stat,args", "systemctl status --full sshd", "systemctl status -l nginx", "systemctl is-active nginx",
	"systemctl show -p MainPID nginx", "systemctl cat nginx", "journalctl -u nginx -n 50 --no-pager", "journalctl -k -o short-iso",
	"journalctl --since today -o cat", "wc -l /var/log/syslog", "wc -w /etc/motd", "printf '%s\\n' done", "ls -1d /var/log",
	"du -sh /var/log", "du -s /srv /var", "find /var/log -maxdepth 0 -mtime -1", "stat -c '%n %A %U %y' /etc/passwd", "stat -f /", "ls -1d /srv/a", "df -h", "free -m", "uptime",
	"cat /etc/os-release", "head -n 20 /var/log/syslog", "tail -n 100 /var/log/nginx/error.log", "id", "whoami", "hostname",
	"uname -a", "pgrep -x nginx", "date", "cp -r /srv/a /srv/b", "rm -r /tmp/build", "chmod -R 640 /srv/data", "ls -d /srv/a /srv/b",
	"echo ok", "cat /srv/app/config.yml", "ss -tlnp", "ip addr", "lsof +c 0 -i :80", "last -w", "who", "file --mime-type /etc/hosts", "du -sk /srv/a", "find /srv -maxdepth 0 -print", "getent passwd root", "env", "ps axjf", "ps -eLf",
	"ps aux --sort=-%mem", "ps -eo pid,etime,args --sort=-etime", "ps -o pid= -p 1", "ps -eo pid:8,etime=AGE,args=",
	"ps -o args=CMD,PID -p 1", "ps -eo pid,args=", "ps -o pid -o args", "ps axk -rss", "printf '%-10s %s\\n' a b"}

// TestMaskedLayoutGenerated: under masking, every carrier of every
// family (order, length, process) is refused in every wrap, and the
// ordinary admin commands of maskedBenign pass. Before: 552 of 602
// carriers passed (168 order, 112 length, 272 process: ls -U, find, du,
// wc -c, printf %-40s, ps --sort=args, ps -o comm:30, systemctl
// list-units, journalctl -F ...); 0 of 51 benign refused, before and now.
// The size family, added later: 119 of 329 passed (stat, stat -c %s, ls
// -ld, du -b, w, last, lsof ...), 0 now; of the benign lines, stat F, ls
// -ld D and lsof -i :80 are refused now and their safe forms listed.
func TestMaskedLayoutGenerated(t *testing.T) {
	t.Parallel()
	probes, passed := 0, 0
	for family, carriers := range maskedLeakFamilies {
		for _, c := range carriers {
			for _, w := range maskedLeakWraps {
				line := strings.Replace(w, "%s", strings.ReplaceAll(strings.ReplaceAll(c, "%d", "/srv/in"), "%%", "%"), 1)
				s, err := Parse(line)
				if err != nil {
					continue // refused as unreadable
				}
				probes++
				if _, ok := OutputTransform(s); !ok {
					passed++
					t.Errorf("%s: %q passes under masking", family, line)
				}
			}
		}
	}
	refused := 0
	for _, l := range maskedBenign {
		s, err := Parse(l)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		if what, ok := OutputTransform(s); ok {
			refused++
			t.Errorf("%q: a benign command refused under masking (%s)", l, what)
		}
	}
	t.Logf("%d of %d carriers passed; %d of %d benign refused", passed, probes, refused, len(maskedBenign))
}
