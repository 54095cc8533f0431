package shell

import (
	"strings"
	"testing"
)

// TestScriptedTransferClients: clients that take the local names of what
// they fetch from the remote side or from a script (lftp, smbclient, ftp,
// tftp, aria2c, sftp -b, rsync from a module, scp -T) are judged by the
// directory they write into; one that reads its commands from the input
// writes where the gate cannot tell. Every client × every spelling of a
// start-up-capable destination is refused.
func TestScriptedTransferClients(t *testing.T) {
	// Each template's D is a local directory the client writes
	// remote-chosen names into.
	templates := []string{
		"lftp -c 'open host; lcd D; mirror /x .'",
		"lftp -c 'open host; lcd D; mget *'",
		"lftp -c 'open host; mget -O D *'",
		"lftp -e 'mirror / D; bye' host",
		"lftp -c 'open host; mirror -c /x D'",
		"lftp -c 'open host; lcd D; get x -o .bashrc'",
		"smbclient //h/s -c 'lcd D; mget *'",
		"smbclient //h/s -c 'lcd D; recurse; prompt; mget x'",
		"smbclient //h/s -c 'lcd D; tar x a.tar'",
		"cd D && smbclient //h/s -Tx a.tar",
		"cd D && smbclient //h/s -T x a.tar",
		"cd D && smbclient //h/s --tar=x a.tar",
		"aria2c -d D http://h/x",
		"aria2c --dir=D -i list",
		"cd D && aria2c http://h/x",
		"rsync rsync://host/mod/ D",
		"rsync rsync://host/mod D",
		"rsync -a host::mod D",
		"rsync host::mod/ D",
		"rsync -d host:dir/ D",
		"scp -T host:x D",
		"scp -O -T -r host:x D",
		"cd D && wget -m http://h/",
		"cd D && wget -nd -r http://h/",
		"cd D && git archive --remote=host:r HEAD | tar x",
	}
	dests := []string{"~", "$HOME", "/root", "/home/u", "~/.ssh", "~/.config/systemd/user", "/etc", "\"$D\"", "."}
	refused, total := 0, 0
	for _, tpl := range templates {
		for _, d := range dests {
			line := strings.ReplaceAll(tpl, "D", d)
			line = strings.TrimPrefix(line, "cd . && ")
			total++
			if _, ok := startupVerdict(t, line); ok {
				refused++
				continue
			}
			t.Errorf("%s: passed", line)
		}
	}
	// Commands from the input or a file, a script the gate cannot follow,
	// local names spelt in a script.
	for _, line := range []string{
		"lftp host", "lftp -e 'open host' host", "lftp -f script.lftp", "lftp -fscript.lftp host",
		"lftp -c 'open host; !sh -c x'", "lftp -c 'open host; source s'", "lftp -c 'open host; set xfer:clobber on; get x'",
		"lftp -c 'open host; lcd $D; get x'", "lftp -c 'open host; get x -o .bashrc'",
		"lftp -c 'open host; get x -o ~/.ssh/authorized_keys'", "lftp -c 'open host; get .bashrc'",
		"lftp -c 'open host; get -O ~/.ssh authorized_keys'", "lftp -c 'open host; lcd ~/.ssh; get x -o rc'",
		"lftp -c 'open host; pget x -o .profile'", "lftp -c 'open host; mirror'", "lftp -c 'open host; alias g get'",
		"lftp -c 'open host; get -O~/.ssh authorized_keys'", "lftp -c 'open host; get x -o/tmp/y -o ~/.bashrc'",
		"lftp -c 'open host; get x -o ~/.bashrc -o /tmp/y'", "lftp -c 'open host; get -o ~/.profile'",
		"lftp -c 'open host; mget -O~ *'", "lftp -c 'open host; mget -cO ~ *'", "lftp -c 'open host; mirror -cO~ /'",
		"lftp -c 'open -e mirror host'", "lftp -c 'lcd /tmp; lcd -; mirror'", "lftp -c 'open host; mirror --parallel 2 /x ~'",
		"lftp -c 'set sftp:connect-program x; open sftp://h; get x -o /tmp/y'", "lftp -c 'local mv /tmp/x ~/.bashrc'",
		"lftp -c 'open host; ls > ~/.bashrc'", "lftp -c 'open host; cat x | sh'",
		"cd /tmp && aria2c -i list -d /tmp/w", "cd /tmp && aria2c --conf-path=/tmp/c http://h/x",
		"git --git-dir=/tmp/x init", "git --bare init", "git --bare init /tmp/x",
		"smbclient //h/s", "smbclient //h/s -U u%p", "smbclient //h/s -c ls -Tx a.tar", "smbclient -L h -c 'get x .bashrc'", "smbclient //h/s -c 'get x .bashrc'",
		"smbclient //h/s -c 'get dir\\.bashrc'", "smbclient //h/s -c 'lcd .ssh; get x rc'",
		"smbclient //h/s -c 'lowercase; get x .BASHRC'", "smbclient //h/s -c '!sh'", "smbclient //h/s -c 'lcd; mget *'",
		"ftp host", "ftp -n host <<EOF\nuser a b\nget x .bashrc\nEOF", "ftp -inv host < cmds", "echo 'get x .bashrc' | ftp -n host",
		"tftp host", "tftp host < cmds", "sftp -b batch host", "sftp host", "sftp -b - host <<EOF\nget x .bashrc\nEOF",
		"aria2c http://h/x", "aria2c -i list", "aria2c -o .bashrc http://h/x",
		"rsync rsync://host/mod/ .", "scp -T host:x .",
		`curl 'http://h/{rc,y}' -o "$HOME/.bash#1"`, `curl 'http://h/[a-z]' -o ~/.ssh/#1`, `cd ~ && curl 'http://h/{a,b}' -o '.#1'`,
		`curl -o "$HOME/.bash#1" 'http://h/{rc}'`, `curl 'http://h/{rc,y}' --output "$HOME/.bash#1"`,
		// The clients' own start-up files run commands.
		"echo '!sh x' > ~/.lftprc", "cp x ~/.lftp/rc", "cp x ~/.config/lftp/rc", "cp x ~/.aria2/aria2.conf",
		"cp x ~/.config/aria2/aria2.conf",
	} {
		total++
		if _, ok := startupVerdict(t, line); ok {
			refused++
			continue
		}
		t.Errorf("%s: passed", line)
	}
	t.Logf("%d of %d lines refused", refused, total)
}

// TestRunLaterAndRepositories: lingering, enabling user units, and making
// a home directory (or an unrecognisable directory) a git repository.
func TestRunLaterAndRepositories(t *testing.T) {
	for _, line := range []string{
		"loginctl enable-linger", "loginctl enable-linger u", "sudo loginctl enable-linger u",
		"systemctl --user enable x.service", "systemctl --user enable --now x.timer", "systemctl --global enable x",
		"systemctl --user reenable x", "systemctl --user preset x", "systemctl --user add-wants default.target x",
		"crontab -", "crontab f", "echo '* * * * * x' | crontab -", "at now", "batch", "at -f job now",
		"git init ~", "git init $HOME", "git init /root", "git init /home/u", "git -C ~ init", "cd && git init",
		"cd ~ && git init", "git init", "git init .", "git init -q ~", "git init --bare ~/x", "git init --bare /tmp/x",
		"git init --bare .", "git -C ~ init --bare", "git init --separate-git-dir /tmp/x repo",
		"git init --separate-git-dir=/tmp/x /tmp/r", "git init ~/.config", "git init \"$D\"",
		"git worktree add ~ main", "git worktree add -b x ~/.config", "git worktree add --force . main",
		"GIT_DIR=/tmp/x git init", "export GIT_DIR=~/x; git init /tmp/w", "env GIT_DIR=/tmp/g git init",
		"git clone --bare host:r ~/x", "git clone --mirror host:r /tmp/x", "git clone --separate-git-dir=/tmp/g host:r /tmp/w",
	} {
		if _, ok := startupVerdict(t, line); !ok {
			t.Errorf("%s: passed", line)
		}
	}
}

// TestTransferAndRepositoryOrdinaryLines: ordinary transfers, repositories
// and reads stay allowed.
func TestTransferAndRepositoryOrdinaryLines(t *testing.T) {
	for _, line := range []string{
		"lftp -e 'get x -o /tmp/y; bye' host", "lftp -c 'open host; get x -o /tmp/y'",
		"lftp -c 'open host; lcd /tmp/w; mirror /srv/x'", "lftp -c 'open host; mirror -R /tmp/x /srv/x'",
		"lftp -c 'open host; mget -O /tmp/w *.log'", "lftp -c 'open host; get a -o /tmp/a b -o /tmp/b'",
		"lftp -c 'open host; get -O/tmp/w x'", "lftp -c 'open host; pget -n 4 x -o /tmp/y'", "lftp -c 'open host; ls; cd pub; put /tmp/x'",
		"lftp -c 'set net:timeout 5; open host; get -O /tmp/w x'",
		"lftp -c 'open host; mirror --parallel=2 /x /tmp/w'",
		"rsync -a host:/srv/ /tmp/x/", "rsync -a rsync://host/mod/ /tmp/x/", "rsync host::mod/x /tmp/x",
		"scp -r host:dir .", "scp host:x /tmp/y", "scp -T host:x /tmp/w",
		"smbclient -L host", "smbclient -L //host -N", "smbclient //h/s -c 'ls; get x /tmp/y'",
		"smbclient //h/s -c 'lcd /tmp/w; mget *'", "smbclient //h/s -Tc /tmp/b.tar",
		"ftp ftp://host/pub/x.tar", "tftp host -c get x", "aria2c -d /tmp/w http://h/x",
		"git init /tmp/repo", "git init ~/project", "git -C /srv init", "git clone host:r /tmp/w", "git worktree add /tmp/w main", "git worktree list",
		"cd /tmp/w && git init", "systemctl enable nginx", "systemctl --user status x", "loginctl list-sessions",
		"grep -o foo ~/.bashrc", "egrep -o 'a.*' ~/.bashrc", "fgrep -o x ~/.profile", "rg -o foo ~/.bashrc",
		"grep -oE x ~/.bashrc", "wget -nd http://h/x", `curl 'http://h/x[1-9].log' -o '/tmp/w/#1.log'`,
	} {
		if w, ok := startupVerdict(t, line); ok {
			t.Errorf("%s: refused (%s)", line, w)
		}
	}
}

// TestGrepOnlyMatchingIsNotAnOutput: grep's -o is --only-matching, a
// flag: a start-up name after it is a pattern, read; sort -o still
// writes.
func TestGrepOnlyMatchingIsNotAnOutput(t *testing.T) {
	refused := 0
	for _, prog := range []string{"grep", "egrep", "fgrep", "rg", "zgrep"} {
		for _, n := range []string{".bashrc", ".ssh/config", ".profile", "authorized_keys", ".git/hooks/pre-commit"} {
			for _, o := range []string{"-o", "-io", "-o -n", "-no"} {
				line := prog + " " + o + " " + n + " ~/.bashrc"
				if w, ok := startupVerdict(t, line); ok {
					refused++
					t.Errorf("%s: refused (%s)", line, w)
				}
			}
		}
	}
	for _, line := range []string{"sort -o .bashrc x", "sort -o ~/.profile x", "grep x ~/y > ~/.bashrc", "rg x > .profile"} {
		if _, ok := startupVerdict(t, line); !ok {
			t.Errorf("%s: passed", line)
		}
	}
	if refused > 0 {
		t.Logf("%d grep lines refused", refused)
	}
}

// TestRemoteTreeClients: clients that copy a remote tree or update a
// work copy (svn, hg, rclone, aws s3, gsutil, s3cmd, mc, ncftpget,
// docker/podman/kubectl cp) write the remote's names into their local
// destination: every client × every start-up-capable destination is
// refused; the same into an ordinary directory passes.
func TestRemoteTreeClients(t *testing.T) {
	templates := []string{
		"svn checkout http://h/r D", "svn co -q http://h/r D", "svn --username u co http://h/r D", "svn export --force http://h/r D",
		"cd D && svn update", "cd D && svn up -r 5", "hg clone http://h/r D", "cd D && hg update", "cd D && hg pull -u",
		"rclone copy remote:b D", "rclone sync remote:b/x D", "rclone move --progress remote:b D",
		"aws s3 sync s3://b D", "aws --profile p s3 cp --recursive s3://b/ D", "aws s3 sync s3://b D --exclude '*.tmp'",
		"gsutil -m cp -r gs://b/x D", "gsutil rsync -r gs://b D", "s3cmd get --recursive s3://b/ D", "s3cmd sync s3://b/ D",
		"mc mirror s3/b D", "mc cp --recursive s3/b/ D", "ncftpget -R host D /dir",
		"docker cp c:/root/. D", "podman cp c:/ D", "kubectl cp pod:/x/. D", "kubectl -n ns cp pod:/x/. D",
	}
	dests := []string{"~", "$HOME", "/root", "/home/u", "~/.ssh", "~/.config/systemd/user", "/etc", "\"$D\"", "."}
	refused, total := 0, 0
	for _, tpl := range templates {
		for _, d := range dests {
			line := strings.TrimPrefix(strings.ReplaceAll(tpl, " D", " "+d), "cd . && ")
			total++
			if _, ok := startupVerdict(t, line); ok {
				refused++
				continue
			}
			t.Errorf("%s: passed", line)
		}
	}
	for _, line := range []string{"hg --cwd ~ update", "hg -R ~ update", "docker cp c:/root/.bashrc ~", "kubectl cp pod:/x/.ssh ~"} {
		total++
		if _, ok := startupVerdict(t, line); ok {
			refused++
			continue
		}
		t.Errorf("%s: passed", line)
	}
	t.Logf("%d of %d lines refused", refused, total)
	for _, tpl := range templates {
		line := strings.ReplaceAll(tpl, " D", " /tmp/w")
		if w, ok := startupVerdict(t, line); ok {
			t.Errorf("%s: refused (%s)", line, w)
		}
	}
	for _, line := range []string{"docker cp c:/app/report.csv ~", "svn co http://h/r", "svn status", "hg log",
		"aws s3 ls s3://b", "aws s3 cp s3://b/report.csv /tmp/w --profile prod", "rclone ls remote:b", "kubectl get pods"} {
		if w, ok := startupVerdict(t, line); ok {
			t.Errorf("%s: refused (%s)", line, w)
		}
	}
}
