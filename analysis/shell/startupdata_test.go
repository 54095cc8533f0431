package shell

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// TestDataNamedWritesIntoStartupDirs is a generator: every route that
// writes names chosen by data, into every spelling of a directory that may
// hold a start-up path, is seen; the same routes into an ordinary
// directory, and with the names pinned to ordinary members, are not.
func TestDataNamedWritesIntoStartupDirs(t *testing.T) {
	t.Parallel()
	// D is the directory written into; each route writes names from data.
	routes := []string{
		"tar xf /tmp/a.tar -C {D}", "tar -xzf /tmp/a.tgz -C {D}", "tar --extract --file=/tmp/a.tar --directory={D}",
		"tar -x -f /tmp/a.tar --directory {D}", "bsdtar -xf /tmp/a.tar -C {D}", "cd {D} && tar xf /tmp/a.tar",
		"cd {D} && tar xvf /tmp/a.tar 'x*' --wildcards", "tar xf /tmp/a.tar -C {D} -T /tmp/list",
		"unzip /tmp/a.zip -d {D}", "unzip -o /tmp/a.zip -d{D}", "cd {D} && unzip -q /tmp/a.zip", "unzip /tmp/a.zip '*' -d {D}",
		"cd {D} && cpio -id --no-absolute-filenames < /tmp/a.cpio", "cpio -i -D {D} --no-absolute-filenames < /tmp/a.cpio",
		"find . | cpio -pdm {D}", "7z x /tmp/a.7z -o{D}", "cd {D} && 7z e /tmp/a.7z", "cd {D} && ar x /tmp/lib.a",
		"patch -d {D} -p1 < /tmp/p.diff", "cd {D} && patch -p1 -i /tmp/p.diff", "git -C {D} apply /tmp/p.diff",
		"cd {D} && git am /tmp/p.mbox", "cd {D} && git pull", "git -C {D} checkout main", "cd {D} && git reset --hard origin/main",
		"git --work-tree={D} checkout .", "cd {D} && git stash pop", "cd {D} && git merge x", "git -C {D} clone /tmp/r .",
		"scp -t {D}", "scp -r -t {D}", "scp -prt {D}", "rsync --server -log{D}tpre.iLsfxCIvu . {D}", "rsync -a /tmp/d/ {D}",
		"rsync -r /tmp/d/ {D}/", "cp -r /tmp/d/. {D}", "cp -a /tmp/d/* {D}", "cp -rT /tmp/d {D}", "cp -r -t {D} /tmp/d/.",
		"mv /tmp/d/* {D}",
	}
	// Directories that may hold a start-up path, as written.
	holders := []string{"~", "$HOME", "${HOME}", "~/", "/root", "/home/agent", "/home/agent/", ".", "./x/..",
		"~/.ssh", "~/.config", "~/.config/fish", "~/.local", "~/.local/share", "/", "/home", "~/p/.git",
		"/srv/r.git", "~/.bashrc.d", "~/.kube", "\"$D\"", "$(pwd)", "~/x/..", "/etc", "/etc/profile.d"}
	ordinary := []string{"/srv/app", "/tmp/x", "~/proj", "/home/agent/build", "./out"}
	judge := func(line string) (string, bool) {
		s, err := Parse(line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		return WritesStartup(s)
	}
	for _, r := range routes {
		for _, d := range holders {
			if strings.HasPrefix(r, "cd {D}") && strings.HasPrefix(d, ".") {
				continue // "cd ." is the login directory: covered by the others
			}
			line := strings.ReplaceAll(r, "{D}", d)
			if strings.Contains(r, "-o{D}") || strings.Contains(r, "-d{D}") {
				if strings.ContainsAny(d, "\"$(") {
					continue
				}
			}
			if _, ok := judge(line); !ok {
				t.Errorf("not seen: %s", line)
			}
		}
		for _, d := range ordinary {
			line := strings.ReplaceAll(r, "{D}", d)
			if strings.HasPrefix(r, "cd ") {
				// In a chain that starts with cd, the login directory is left.
			} else if !strings.HasPrefix(d, "/") && !strings.HasPrefix(d, "~") {
				continue // relative to the login directory, which is home
			}
			if w, ok := judge(line); ok {
				t.Errorf("ordinary: %s seen (%s)", line, w)
			}
		}
	}
	// Without a data route into home: the names are pinned or the tree
	// lands in a directory of its own.
	for _, line := range []string{
		"tar xf /tmp/a.tar -C ~ docs/readme.txt", "tar -xf /tmp/a.tar etc/app.conf", "tar tf /tmp/a.tar",
		"tar xOf /tmp/a.tar x", "tar cf /tmp/a.tar .", "unzip -l /tmp/a.zip", "unzip -p /tmp/a.zip x",
		"unzip /tmp/a.zip docs/x -d ~", "cpio -o < /tmp/list > /tmp/a.cpio", "7z l /tmp/a.7z",
		"patch ~/notes.txt < /tmp/p.diff", "patch -o /tmp/out < /tmp/p.diff", "git apply --check /tmp/p.diff",
		"git -C /srv/app pull", "git clone /tmp/r", "git clone https://example.org/x/r ~/r", "git status",
		"git reset HEAD~1", "git log", "scp -f ~/x", "rsync --server --sender -logDtpre.iLsfxCIvu . ~/x",
		"cp -r /tmp/d ~", "cp -r /tmp/d ~/", "mv /tmp/d ~", "rsync -a /tmp/d ~", "cp /tmp/f ~", "cd /srv/app && git pull",
		"cd /srv/app && tar xf /tmp/a.tar", "rsync -a ~/d/ host:/backup", "cd /tmp && cp -r /tmp/d/. out",
		"cp -r ~ /backup", "cp -a $HOME /backup/", "ln -s /srv/app/releases/7 /srv/app/current",
		"cp /tmp/*.txt ~", "ln -s /srv/app/current ~/app", "mv ~/a.txt ~/b.txt", "cp -r /tmp/d/bin /srv/app",
		"crontab -l", "at -l", "systemctl --user status x", "systemctl enable nginx",
		"true && cd /srv && tar xf /tmp/a.tar", // the line's own && chain (ownChain)
	} {
		if w, ok := judge(line); ok {
			t.Errorf("seen: %s (%s)", line, w)
		}
	}
	// A failed or subshell cd leaves the login directory: still seen.
	for _, line := range []string{
		"cd /nonexistent; tar xf /tmp/a.tar", "cd /srv || true; git pull", "(cd /srv) && tar xf /tmp/a.tar",
		"cd /srv | true && unzip /tmp/a.zip", "bash -c 'cd /srv' && tar xf /tmp/a.tar", "cd /srv & tar xf /tmp/a.tar",
		"true && cd /srv || tar xf /tmp/a.tar", "cd /srv && cd ~ && tar xf /tmp/a.tar", "cd /srv && cd .. && cd .. && tar xf a.tar",
		"tar xf /tmp/a.tar -C / home", "tar xPf /tmp/a.tar -C /tmp", "cpio -i < /tmp/a.cpio", "cd /tmp && cpio -idv < a.cpio",
		"unzip -: /tmp/a.zip -d /tmp/x", "7z x -spf /tmp/a.7z -o/tmp/x", "tar xf /tmp/a.tar -C ~ .ssh",
		"git clone /tmp/x/.ssh", "git clone https://example.org/.bashrc.d", "cd /srv && git clone /tmp/r .bashrc.d",
		"git clone -c core.hooksPath=/tmp/h /tmp/r /srv/r", "git clone --config=core.fsmonitor=x /tmp/r /srv/r",
		"ln -s ~ /tmp/h", "ln -s $HOME/.ssh /tmp/s", "ln -sfn /home/agent /tmp/h && tar xf /tmp/a.tar -C /tmp/h",
		"mv /tmp/d/bin ~", "ln -s /tmp/d/bin ~", "ln -s /tmp/d/* ~", "cp -r /tmp/d/bin ~/", "ln -st ~ /tmp/d/bin",
		"cd / && cd home && tar xf /tmp/a.tar", "cd /srv && cd agent && git pull", "cd /srv && cd ./x && cd .. && cd .. && cd .. && tar xf a",
	} {
		if _, ok := judge(line); !ok {
			t.Errorf("not seen: %s", line)
		}
	}
}

// TestStartupDropInsAndRunsLater: files inside drop-in directories, the
// runs-later files, and the commands that schedule code are seen.
func TestStartupDropInsAndRunsLater(t *testing.T) {
	yes := []string{"~/.bashrc.d/10-x.sh", "~/.bashrc.d/a/b", "~/.profile.d/x", "~/.local/bin/ls", "~/.local/bin",
		"~/bin/ls", "/home/agent/bin/git", "/root/bin/x", "~/.config/systemd/user/x.timer", "~/.config/systemd/user/default.target.wants/x.service",
		"~/.config/nvim/init.lua", "~/.vim/plugin/x.vim", "~/.emacs.d/init.el", "~/.vimrc", "~/.npmrc", "~/.yarnrc.yml",
		"~/.kube/config", "~/.aws/config", "~/.gnupg/gpg-agent.conf", "~/.cargo/config.toml", "~/.tmux.conf",
		"~/.config/tmux/tmux.conf", "~/.xsession", "~/.netrc", "~/.local/lib/python3.11/site-packages/x.pth",
		"/srv/venv/lib/python3/site-packages/sitecustomize.py", "~/.local", "~/.curlrc", "~/.wgetrc"}
	no := []string{"/srv/app/bin/tool", "proj/bin/x", "~/.config/fish/notes.txt", "~/.kube/cache/x", "~/.aws/credentials-old",
		"/srv/venv/lib/python3/site-packages/mod.py", "~/.local2/bin/x", "~/.pip/notes.txt"}
	for _, p := range yes {
		if !StartupPath(p) {
			t.Errorf("StartupPath(%q) = false", p)
		}
	}
	for _, p := range no {
		if StartupPath(p) {
			t.Errorf("StartupPath(%q) = true", p)
		}
	}
	for _, line := range []string{
		"crontab /tmp/c", "echo '* * * * * x' | crontab -", "crontab -u agent /tmp/c", "crontab -e",
		"echo x | at now + 1 minute", "at -f /tmp/x noon", "batch < /tmp/x", "systemctl --user link /tmp/x.service",
		"systemctl --user set-environment LD_PRELOAD=/tmp/x.so", "systemd-run --user --on-active=1h /tmp/x",
		"cp /tmp/x bin/ls", "echo x > bin/ls", "cp /tmp/x .local/bin/", "cd ~/.bashrc.d && cp /tmp/x 10-x.sh",
		"cp /tmp/x ~/.bashrc.d/10-x.sh", "tee ~/.config/systemd/user/x.service",
		// /srv/app may be the login directory (sshd gives any): its bin
		// is then on a later login's PATH.
		"cd /srv/app && cp /tmp/x bin/tool", "cd /srv/app && go build -o bin/app .",
	} {
		s, err := Parse(line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if _, ok := WritesStartup(s); !ok {
			t.Errorf("not seen: %s", line)
		}
	}
	for _, line := range []string{"cd ~/proj && cp /tmp/x bin/tool", "cd /srv/app && go build -o out/app ."} {
		s, err := Parse(line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if w, ok := WritesStartup(s); ok {
			t.Errorf("seen: %s (%s)", line, w)
		}
	}
}

// TestWritesStartupManyDirectoriesBounded: a line naming thousands of
// directories (-C, cd) is judged in a time that grows with the line, not
// with its square, and refused (fail closed). Every word was once judged
// against every directory (quadratic: seconds for these lines). Both
// bounds are ratios between times measured in the same run, interleaved
// (best of five each), so a loaded machine or the race detector slows
// both sides alike and fails neither: a line and one eight times as long
// (linear about 8×, quadratic 64×; failing above 32×), and judging the
// long line against parsing it, a pass over the same bytes (1× to 9×
// seen, with and without the race detector; failing above 32×, where a
// wall-clock bound of 5 s once failed at a load average of 13).
func TestWritesStartupManyDirectoriesBounded(t *testing.T) {
	lines := func(n int) []string {
		var b strings.Builder
		b.WriteString("tar xf /tmp/a.tar")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, " -C d%d m%d", i, i)
		}
		return []string{b.String(), strings.Replace(b.String(), "tar xf /tmp/a.tar", "cp a b", 1),
			strings.Repeat("cd a; cd b; tar xf a -C $x ", n/3)}
	}
	parse := func(line string) *gate.SSH {
		s, err := Parse(line)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	timed := func(f func()) time.Duration {
		t0 := time.Now()
		f()
		return max(time.Since(t0), time.Microsecond)
	}
	small, large := lines(500), lines(4000)
	for i, line := range large {
		sSmall, sLarge := parse(small[i]), parse(line)
		best := [3]time.Duration{1<<63 - 1, 1<<63 - 1, 1<<63 - 1} // judge small, judge large, parse large
		var refused bool
		for range 5 {
			best[0] = min(best[0], timed(func() { WritesStartup(sSmall) }))
			best[1] = min(best[1], timed(func() { _, refused = WritesStartup(sLarge) }))
			best[2] = min(best[2], timed(func() { parse(line) }))
		}
		if ratio := float64(best[1]) / float64(best[0]); ratio > 32 {
			t.Errorf("%.40q...: 8× the line took %.1f× the time (%v, %v): not linear", line, ratio, best[0], best[1])
		}
		if ratio := float64(best[1]) / float64(best[2]); ratio > 32 {
			t.Errorf("%.40q...: judged in %.1f× the time it takes to parse (%v, %v)", line, ratio, best[1], best[2])
		}
		if strings.HasPrefix(line, "cp") {
			continue
		}
		if !refused {
			t.Errorf("%.40q... not refused", line)
		}
	}
}

// BenchmarkWritesStartupOrdinaryLines judges seven ordinary lines, some of
// which extract, copy trees or pull into ordinary directories.
func BenchmarkWritesStartupOrdinaryLines(b *testing.B) {
	var ss []*gate.SSH
	for _, l := range []string{
		`cd /srv/app && git status && cp build/app.tar.gz /tmp/out/ && echo "$(date) done" >> /tmp/deploy.log`,
		"ls -la /var/log", "tar czf /tmp/b.tgz -C /srv/app .", "cd /srv/app && git pull && make build",
		"cp -r /srv/app/dist/. /var/www/html", "echo x > /tmp/out.txt", "tar xf /tmp/a.tar -C /srv/app",
	} {
		s, err := Parse(l)
		if err != nil {
			b.Fatal(err)
		}
		ss = append(ss, s)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, s := range ss {
			WritesStartup(s)
		}
	}
}

// Working directories: code run in the shell itself, unseen (source, .,
// eval, a program from an expansion), may change directory anywhere, so a
// data-named write after it counts as into an unknown directory, even
// after a cd that starts the line.
func TestLineDirectories(t *testing.T) {
	refused := []string{
		"cd /tmp && source /tmp/x && tar xf /tmp/a.tar",
		"cd /tmp && . /tmp/x && tar xf /tmp/a.tar",
		"cd /tmp && eval \"$X\" && tar xf /tmp/a.tar",
		"cd /tmp && $CMD ~ && tar xf /tmp/a.tar",
		"cd /srv/w && source ./env && unzip /tmp/a.zip",
		"cd /srv/w && source /tmp/x && git pull",
		"mkdir -p ~/.ssh && cd ~/.ssh && tar xf /tmp/a.tar",
		"true && cd ~ && tar xf /tmp/a.tar",
		"git clone /tmp/x/.ssh",
		"git clone https://example.org/.bashrc.d",
		"git clone https://example.org/x/y.git ~/.ssh",
		"git clone --bare https://example.org/x/y.git /srv/y.git",
	}
	allowed := []string{
		"cd /srv/w && tar xf /tmp/a.tar",
		"git clone https://example.org/x/y /srv/y",
		"cd /srv/app && git pull",
	}
	for _, line := range refused {
		s, err := Parse(line)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if _, ok := WritesStartup(s); !ok {
			t.Errorf("%q: not seen as a possible start-up write", line)
		}
	}
	for _, line := range allowed {
		s, err := Parse(line)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if why, ok := WritesStartup(s); ok {
			t.Errorf("%q: refused (%s)", line, why)
		}
	}
}
