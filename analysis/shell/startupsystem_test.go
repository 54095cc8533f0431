package shell

import (
	"strings"
	"testing"
)

// TestSystemStartupPaths: files outside any home that run code at a
// later login, boot or timer of every account, through every writing
// route and spelling (absolute, after cd, through /proc/self/root), and
// sftp, are start-up writes; the program directories count as write
// targets only. Reading them, running the programs, and writes to
// ordinary /etc files pass.
func TestSystemStartupPaths(t *testing.T) {
	files := []string{"/etc/profile", "/etc/profile.d/x.sh", "/etc/bash.bashrc", "/etc/environment", "/etc/ld.so.preload",
		"/etc/ld.so.conf.d/x.conf", "/etc/crontab", "/etc/cron.d/x", "/etc/cron.daily/x", "/var/spool/cron/crontabs/root",
		"/etc/systemd/system/x.service", "/etc/systemd/system/multi-user.target.wants/x.service", "/lib/systemd/system/x.service",
		"/usr/lib/systemd/user/x.service", "/etc/rc.local", "/etc/rc2.d/S99x", "/etc/sudoers", "/etc/sudoers.d/x",
		"/etc/passwd", "/etc/shadow", "/etc/ssh/sshrc", "/etc/ssh/sshd_config", "/etc/ssh/sshd_config.d/x.conf",
		"/etc/update-motd.d/99-x", "/etc/pam.d/sshd", "/etc/security/pam_env.conf", "/etc/udev/rules.d/99-x.rules",
		"/etc/modprobe.d/x.conf", "/etc/logrotate.d/x", "/etc/apt/apt.conf.d/99x", "/etc/apt/sources.list.d/x.list",
		"/etc/default/x", "/etc/sysctl.d/x.conf", "/etc/gitconfig", "/etc/pip.conf", "/etc/xdg/autostart/x.desktop",
		"/etc/zsh/zshenv", "/etc/skel/.profile", "/etc/bash_completion.d/x"}
	programs := []string{"/usr/local/bin/x", "/usr/bin/sudo", "/usr/local/sbin/x", "/bin/sh", "/sbin/x", "/etc/init.d/x"}
	spell := func(p string) []string {
		return []string{p, "/proc/self/root" + p, "/./" + p[1:], "/tmp/.." + p}
	}
	writers := []string{"echo x > {P}", "echo x >> {P}", "echo x | tee {P}", "echo x | sudo tee -a {P}", "cp /tmp/x {P}",
		"mv /tmp/x {P}", "install -m 755 /tmp/x {P}", "ln -sf /tmp/x {P}", "dd if=/tmp/x of={P}", "truncate -s 0 {P}",
		"rsync /tmp/x {P}", "sudo bash -c 'cat /tmp/x > {P}'"}
	for _, p := range append(files, programs...) {
		for _, sp := range spell(p) {
			for _, w := range writers {
				line := strings.ReplaceAll(w, "{P}", sp)
				if _, ok := startupVerdict(t, line); !ok {
					t.Errorf("not refused: %s", line)
				}
			}
		}
		dir, base := p[:strings.LastIndexByte(p, '/')], p[strings.LastIndexByte(p, '/')+1:]
		if dir != "" {
			for _, line := range []string{"cd " + dir + " && echo x > " + base, "cd " + dir + " && cp /tmp/x " + base} {
				if _, ok := startupVerdict(t, line); !ok {
					t.Errorf("not refused: %s", line)
				}
			}
		}
		for _, op := range []string{"write", "setstat", "remove"} {
			if _, ok := WritesStartup(SFTP(op, p, "")); !ok {
				t.Errorf("sftp %s %s not refused", op, p)
			}
		}
		if _, ok := WritesStartup(SFTP("rename", "/tmp/x", p)); !ok {
			t.Errorf("sftp rename onto %s not refused", p)
		}
	}
	for _, line := range []string{"cat /etc/profile", "grep x /etc/sudoers.d/x", "bash /usr/local/bin/deploy.sh", "strace /usr/bin/ls",
		"python3 /usr/bin/x", "sh /etc/init.d/nginx status", "cp /usr/bin/ls /tmp/x", "ldd /usr/bin/ls", "echo x > /etc/nginx/conf.d/x.conf",
		"echo x > /etc/hosts", "echo x > /srv/app/etc/profile", "cp /tmp/x /srv/usr/lib/x", "ls /etc/cron.d", "systemctl status x",
		"tar czf /tmp/etc.tgz /etc", "echo x > /usr/local/share/doc/x"} {
		if why, ok := startupVerdict(t, line); ok {
			t.Errorf("refused: %s (%s)", line, why)
		}
	}
	if why, ok := WritesStartup(SFTP("read", "/etc/profile", "")); ok {
		t.Errorf("sftp read /etc/profile refused (%s)", why)
	}
	if why, ok := WritesStartup(SFTP("symlink", "/tmp/l", "/usr/bin/python3")); ok {
		t.Errorf("sftp symlink to /usr/bin/python3 refused (%s)", why)
	}
}
