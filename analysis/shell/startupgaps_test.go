package shell

import (
	"strings"
	"testing"
)

// startupVerdict parses line and reports whether WritesStartup refuses it.
func startupVerdict(t *testing.T, line string) (string, bool) {
	t.Helper()
	s, err := Parse(line)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return WritesStartup(s)
}

// TestCloneSourceIsNotAStartupWrite: the repository git clone reads (a
// URL or path ending in .git) is not a start-up write, in any spelling of
// its options; a clone into a directory that may hold start-up paths, and
// the same token written by unseen code, still are.
func TestCloneSourceIsNotAStartupWrite(t *testing.T) {
	t.Parallel()
	sources := []string{"https://host/x/y.git", "git@host:x/y.git", "/srv/repo.git", "../y.git",
		"ssh://host/srv/y.git", "file:///srv/y.git", "'https://host/x/y.git'"}
	opts := []string{"", "-b main ", "--depth 1 ", "--branch=main -q ", "-- "}
	prefixes := []string{"", "cd /srv && ", "git -C /srv ", "bash -c \"cd /srv\" && "}
	for _, src := range sources {
		for _, o := range opts {
			for _, p := range prefixes {
				clone := "git clone "
				if strings.HasPrefix(p, "git -C") {
					p, clone = "", p+"clone "
				}
				for _, dest := range []string{"", " dir", " /srv/app", " ./work"} {
					line := p + clone + o + src + dest
					if w, ok := startupVerdict(t, line); ok {
						t.Errorf("%s: refused as a start-up write (%s)", line, w)
					}
				}
				for _, dest := range []string{" ~", " ~/.config/x", " .", " .ssh", " x.git", " ~/y.git", " \"$D\"", " /etc/app"} {
					line := p + clone + o + src + dest
					if dest == " ." && (p == "cd /srv && " || clone != "git clone ") {
						continue // /srv
					}
					if _, ok := startupVerdict(t, line); !ok {
						t.Errorf("%s: a clone into a start-up-capable directory passed", line)
					}
				}
			}
		}
	}
	for _, line := range []string{
		"cd ~/.config && git clone https://host/x/y.git",
		"cd && git clone https://host/x/y.git .",
		"git -C ~ clone https://host/x/.ssh",
		"git clone https://host/x/.ssh",
		`git clone https://host/x/y.git d && python3 -c 'open("y.git/config","w")'`,
		`git clone https://host/x/y.git d && python3 -c 'open("/srv/y.git","w")'`,
		`git clone https://host/x/y.git d && python3 -c 'open("//host/x/y.git","w")'`,
		"git clone https://host/x/y.git d && echo x > y.git/config",
		"git clone --separate-git-dir=~/.ssh https://host/x/y.git d",
		"git clone -c core.hooksPath=/tmp https://host/x/y.git d",
		"git clone --unknown-option v https://host/x/y.git d",
	} {
		if _, ok := startupVerdict(t, line); !ok {
			t.Errorf("%s: passed", line)
		}
	}
}

// TestLoginShellsRunUnseenCode: a login or interactive shell runs start-up
// files an earlier session may have planted, in every spelling that
// starts one; the rest of its script may run anywhere.
func TestLoginShellsRunUnseenCode(t *testing.T) {
	var login []string
	for _, sh := range []string{"bash", "sh", "zsh", "ksh", "mksh", "dash", "/bin/bash", "fish"} {
		for _, o := range []string{"-l", "-i", "-il", "-li", "-lc", "-ic", "--login", "--interactive", "-x -l", "-e -i"} {
			c := " -c ls"
			if strings.HasSuffix(o, "c") {
				c = " ls"
			}
			login = append(login, sh+" "+o+c, "env -i "+sh+" "+o+c, "sudo -u u "+sh+" "+o+c)
		}
		login = append(login, "exec -l "+sh+" -c ls", "exec -a -"+sh+" "+sh+" -c ls", "exec -cl "+sh+" -c ls")
	}
	login = append(login, "su - -c ls", "su -l -c ls", "su --login -c ls", "su -l u", "su - u", "su -lc ls",
		"runuser -l u -c ls", "sudo -i ls", "sudo --login ls", "sudo -iu u ls", "sudo -i", "login", "login -f u",
		"script /dev/null", "script -q /dev/null", "zsh -o login -c ls", "zsh -o LOGIN -c ls", "zsh -o interactive -c ls")
	for _, line := range login {
		s, err := Parse(line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if !s.RunsUnseenCode || s.ReadOnly {
			t.Errorf("%s: runs_unseen_code %v, read_only %v", line, s.RunsUnseenCode, s.ReadOnly)
		}
		// Its start-up files may cd ~ before its script (or the rest
		// of the line) runs.
		chained := "cd /srv && " + line + " && tar xf a.tar"
		if _, ok := startupVerdict(t, chained); !ok {
			t.Errorf("%s: an extraction after a login shell passed", chained)
		}
	}
	for _, line := range []string{"bash -c ls", "sh -x -c ls", "zsh -o extendedglob -c ls", "bash -o pipefail -c ls", "bash +l -c ls", "env -i bash -c ls", "su -c ls",
		"su -s /bin/bash -c ls", "exec -a bash bash -c ls", "script -c ls /dev/null", "script -qc ls /dev/null",
		"sudo -u u ls", "bash -c ls -l", "bash -c ls -i"} {
		s, err := Parse(line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if s.RunsUnseenCode {
			t.Errorf("%s: control flagged as running unseen code", line)
		}
	}
	if w, ok := startupVerdict(t, "cd /srv && bash -c ls && tar xf a.tar"); ok {
		t.Errorf("control refused: %s", w)
	}
}

// TestOwnChainCd: a cd anywhere in the line's own && chain moves the
// commands after it; across ||, ;, &, |, !, a subshell, a group or a
// nested shell it does not.
func TestOwnChainCd(t *testing.T) {
	var pass, refuse []string
	for _, before := range []string{"true", "mkdir -p /srv/d", "ls -l", "test -d /srv && echo ok"} {
		for _, cd := range []string{"cd /srv", "cd ./srv", "cd /srv/d", "pushd /srv", "cd -P /srv", "cd -- /srv"} {
			pass = append(pass, before+" && "+cd+" && tar xf a.tar", before+" && "+cd+" && ls && unzip a.zip")
			refuse = append(refuse,
				before+" && "+cd+" || true && tar xf a.tar",
				before+" || "+cd+" && tar xf a.tar",
				before+" && "+cd+"; tar xf a.tar",
				before+" && "+cd+" & tar xf a.tar",
				before+" && "+cd+" | tar xf a.tar",
				before+" && ! "+cd+" && tar xf a.tar",
				before+" && ("+cd+") && tar xf a.tar",
				before+" && { "+cd+"; } && tar xf a.tar",
				before+" && "+cd+" && cd ~ && tar xf a.tar",
				before+" && "+cd+" && cd - && tar xf a.tar",
				before+" && bash -c '"+cd+"' && tar xf a.tar",
				before+" && "+cd+" && bash -c 'cd ~' && tar xf a.tar",
				before+" && "+cd+" && bash -c 'tar xf a.tar'",
				before+" && "+cd+" && source x && tar xf a.tar",
				before+" && "+cd+"\ntar xf a.tar",
			)
		}
	}
	refuse = append(refuse, "cd /tmp || true; tar xf a.tar", "bash -c 'cd ~' && tar xf a.tar", "tar xf a.tar",
		"true && cd srv && tar xf a.tar", "eval 'cd /srv' && cd ~ && tar xf a.tar")
	for _, line := range pass {
		if w, ok := startupVerdict(t, line); ok {
			t.Errorf("%q: refused (%s)", line, w)
		}
	}
	for _, line := range refuse {
		if _, ok := startupVerdict(t, line); !ok {
			t.Errorf("%q: passed", line)
		}
	}
}

// TestPrefixWritersStartup: split and csplit name their outputs PREFIX
// plus a suffix they make up, so every prefix of a start-up path's name
// (~/.bash makes ~/.bashrc), a start-up directory as the prefix
// (~/.ssh/ makes ~/.ssh/rc) and the default names in a drop-in directory
// are start-up writes; ordinary prefixes are not.
func TestPrefixWritersStartup(t *testing.T) {
	t.Parallel()
	targets := []string{"~/.bashrc", "~/.profile", "~/.ssh/rc", "~/.ssh/config", "$HOME/.zshenv", "/root/.bash_aliases",
		"~/.ssh/authorized_keys"}
	for _, target := range targets {
		dir, name := target[:strings.LastIndex(target, "/")+1], target[strings.LastIndex(target, "/")+1:]
		for k := 1; k < len(name); k++ {
			p := dir + name[:k]
			for _, line := range []string{
				"split -b 1 /tmp/f " + p, "split -a 1 --additional-suffix=" + name[len(name)-1:] + " -n 99 /tmp/f " + p,
				"gsplit -d /tmp/f " + p,
				"csplit -f " + p + " /tmp/f 1", "csplit -f" + p + " /tmp/f 1", "csplit --prefix=" + p + " /tmp/f 1",
			} {
				if _, ok := startupVerdict(t, line); !ok {
					t.Errorf("%s: passed", line)
				}
			}
		}
	}
	for _, line := range []string{"split /tmp/f ~/.ssh/", "csplit -f ~/.ssh/ /tmp/f 1", "split --additional-suffix=.fish /tmp/f ~/.config/fish/c",
		"split --additional-suffix .fish /tmp/f ~/.config/fish/conf.d/x", "csplit -b '%02d.fish' -f ~/.config/fish/x /tmp/f 1",
		"csplit --suffix-format=%d.fish -f ~/.config/fish/x /tmp/f 1", "csplit -b 'c%.0d' -f ~/.bashr /tmp/f 1",
		"cd ~/.bashrc.d && split -b 100 /tmp/f", "cd ~/.config/systemd/user && split /tmp/f",
		"cd ~/.ssh && csplit -f '' /tmp/f 1", "cd ~/.local/bin && csplit /tmp/f 1"} {
		if _, ok := startupVerdict(t, line); !ok {
			t.Errorf("%s: passed", line)
		}
	}
	for _, line := range []string{"split -l 100 data.csv part_", "split -l 100 data.csv /srv/out/part_", "split -b 1M big.iso",
		"csplit x 1", "split --additional-suffix=.txt x out/", "cd /srv && split -b1 /tmp/f", "split -d x ~/backup/part",
		"csplit -f chunk_ x 1 3"} {
		if w, ok := startupVerdict(t, line); ok {
			t.Errorf("%s: refused (%s)", line, w)
		}
	}
}

// TestProgramStartupFiles: start-up files of programs that run code
// from them (see startupNames) are start-up paths for every writing
// route; reading them is not a write.
func TestProgramStartupFiles(t *testing.T) {
	for _, name := range []string{".bash_aliases", ".forward", ".selected_editor", ".mailcap", ".gdbinit", ".lldbinit",
		".psqlrc", ".sqliterc", ".my.cnf", ".hgrc", ".lesskey", ".irbrc", ".pdbrc", ".Rprofile", ".octaverc", ".curlrc", ".wgetrc"} {
		for _, home := range []string{"~/", "$HOME/", "/root/", "/home/u/", ""} {
			p := home + name
			for _, line := range []string{"cp /tmp/x " + p, "echo x >> " + p, "tee " + p, "mv /tmp/x " + p,
				"ln -sf /tmp/x " + p, "sed -i s/a/b/ " + p, "dd of=" + p} {
				if _, ok := startupVerdict(t, line); !ok {
					t.Errorf("%s: passed", line)
				}
			}
			if w, ok := startupVerdict(t, "cat "+p); ok {
				t.Errorf("cat %s: refused (%s)", p, w)
			}
		}
	}
}

// TestDerivedNamesStartup: names a program derives from its words (a
// backup's NAME+SUFFIX, a decompressed NAME without its extension, a
// compressed NAME+SUFFIX) and variables that rename its writes are judged
// as the files they are; ordinary ones pass.
func TestDerivedNamesStartup(t *testing.T) {
	var refuse []string
	for _, target := range []string{"~/.bashrc", "~/.ssh/rc", "$HOME/.profile", "/root/.bash_aliases", "/home/u/.ssh/authorized_keys"} {
		for k := len(target) - 4; k < len(target); k++ {
			p, s := target[:k], target[k:]
			refuse = append(refuse, "cp --backup --suffix="+s+" /tmp/x "+p, "cp -b --suffix "+s+" /tmp/x "+p,
				"mv -S "+s+" -b /tmp/x "+p, "mv -fbS"+s+" /tmp/x "+p, "ln -sfbS "+s+" /tmp/x "+p,
				"install -b --suffix="+s+" /tmp/x "+p, "rsync -b --suffix="+s+" /tmp/x "+p,
				"cp -b -S "+s+" -t "+p[:strings.LastIndex(p, "/")+1]+" /tmp/"+p[strings.LastIndex(p, "/")+1:],
				"gzip -S "+s+" "+p, "gunzip -S "+s+" "+target+s)
		}
		for _, ext := range []string{".gz", ".xz", ".bz2", ".zst", ".lz4", ".Z", ".lzma"} {
			for _, prog := range []string{"gunzip", "gzip -d", "gzip --decompress", "unxz", "xz -d", "xz -dk", "bunzip2",
				"bzip2 -d", "unzstd", "zstd -d", "lz4 -d", "uncompress", "unpigz", "pigz -d", "unlzma", "lzma -d"} {
				refuse = append(refuse, prog+" "+target+ext)
			}
		}
	}
	refuse = append(refuse, "SIMPLE_BACKUP_SUFFIX=rc cp -b /tmp/x ~/.bash", "export SIMPLE_BACKUP_SUFFIX=rc; mv -b /tmp/x ~/.bash",
		"env SIMPLE_BACKUP_SUFFIX=rc install -b /tmp/x ~/.bash", "GIT_TEMPLATE_DIR=/tmp/t git init /srv/x",
		"export GIT_TEMPLATE_DIR=/tmp/t && git clone https://host/x/y.git /srv/y", "env GIT_TEMPLATE_DIR=/tmp/t git init")
	for _, line := range refuse {
		if _, ok := startupVerdict(t, line); !ok {
			t.Errorf("%s: passed", line)
		}
	}
	for _, line := range []string{"gzip ~/.bash", "gzip ~/notes.txt", "gunzip -c ~/.bashrc.gz", "gzip -dc ~/.bashrc.gz",
		"xz -l ~/.bashrc.xz", "zstd -t ~/.profile.zst", "gunzip ~/x.tar.gz", "gzip -d /srv/data.csv.gz",
		"cp -b /tmp/x ~/y", "cp --backup=numbered /tmp/x ~/.bash", "mv -b /tmp/x /srv/app.conf", "rsync -S /tmp/x ~/y",
		"cp --suffix=.bak -b /tmp/x ~/notes", "git init /srv/x", "zcat ~/.bashrc.gz"} {
		if w, ok := startupVerdict(t, line); ok {
			t.Errorf("%s: refused (%s)", line, w)
		}
	}
}

// TestMoreExtractors: extractors whose names come from their data write
// into the directory they are given or the working directory: into home
// (or absolute names anywhere) they are refused, into an ordinary
// directory they pass.
func TestMoreExtractors(t *testing.T) {
	for _, line := range []string{"pax -r < a.tar", "pax -rf a.tar", "pax -r -f a.tar -s ,x,y,", "cd /srv && pax -r < a.tar",
		"pax -rw src ~", "dpkg -x x.deb ~", "dpkg --extract x.deb $HOME", "dpkg-deb -x x.deb ~", "dpkg-deb -X x.deb ~/",
		"dpkg-deb --raw-extract x.deb ~", "dpkg-deb -R x.deb ~/.config", "jar xf x.jar", "jar -xf x.jar", "jar xvf x.jar",
		"cd ~ && jar xf x.jar", "unar -o ~ x.rar", "unar --output-directory=~/.ssh x.rar", "unar x.rar",
		"unrar x x.rar ~/", "unrar e x.rar", "cd ~/.config && unrar x x.rar", "uudecode x.uu", "cd /srv && uudecode x.uu",
		"uudecode < x.uu"} {
		if _, ok := startupVerdict(t, line); !ok {
			t.Errorf("%s: passed", line)
		}
	}
	for _, line := range []string{"pax -rw src /srv/x", "pax -f a.tar", "dpkg -x x.deb /srv/x", "dpkg-deb --extract x.deb /srv/x",
		"dpkg-deb -c x.deb", "cd /srv && jar xf x.jar", "jar tf x.jar", "unar -o /srv x.rar", "cd /srv && unar x.rar",
		"unrar x x.rar /srv/", "unrar l x.rar", "cd /srv && unrar x x.rar", "uudecode -o /srv/x x.uu", "dpkg -l"} {
		if w, ok := startupVerdict(t, line); ok {
			t.Errorf("%s: refused (%s)", line, w)
		}
	}
}

// TestSedRunsCode: GNU sed's e command and s///e flag run shell commands
// (from the script or the input's data): such a sed runs unseen code;
// a script the read-only check accepts, with or without -i, does not.
func TestSedRunsCode(t *testing.T) {
	for _, line := range []string{"echo id | sed e", "sed 1e\\ id x", "sed 's/x/id/e' f", "sed -n 's/x/id/ep' f",
		"sed --expression=e f", "sed 'e id' f", "sed -i -e 'e' f", "sed -ni 's/x/id/e' f", "sed -e p -e e f",
		"sed -i.bak 'e' f", "sed --in-place 's/a/b/e' f", "sed $S f"} {
		s, err := Parse(line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if !s.RunsUnseenCode || s.ReadOnly {
			t.Errorf("%s: runs_unseen_code %v read_only %v", line, s.RunsUnseenCode, s.ReadOnly)
		}
	}
	if _, ok := startupVerdict(t, "echo 'cp /tmp/x ~/.bashrc' | sed e"); !ok {
		t.Error("echo 'cp /tmp/x ~/.bashrc' | sed e: passed")
	}
	for _, line := range []string{"sed -E 's/x/y/' f", "sed 's/e/x/' f", "sed -i 's/e/x/' f", "sed -i.bak 's/e/x/' f",
		"sed -ni.bak '/e/p' f", "sed --in-place=.bak 's/e/x/' f", "sed -Ei 's/e/x/' f", "sed '/e/d' f", "sed -n '1,5p' f", "sed 's/x/y/w out' f"} {
		s, err := Parse(line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if s.RunsUnseenCode {
			t.Errorf("%s: control flagged as running unseen code", line)
		}
	}
}

// TestInPlaceBackupStartup: sed -iSUFFIX and perl -iSUFFIX save the file
// they edit as NAME+SUFFIX (a * in SUFFIX stands for the name).
func TestInPlaceBackupStartup(t *testing.T) {
	for _, line := range []string{"sed -irc s/a/b/ ~/.bash", "sed --in-place=rc s/a/b/ ~/.bash", "sed -nirc p ~/.bash",
		"sed -i'/root/.ssh/*' s/a/b/ /tmp/rc", "sed -i'.ssh/*' s/a/b/ ~/rc", "perl -pirc -e s/a/b/ ~/.bash",
		"perl -i'rc' -pe s/a/b/ ~/.bash", "perl -lpirc -e 1 ~/.bash", "perl -i'/root/.ssh/*' -pe 1 /tmp/authorized_keys",
		"sed -i_profile s/a/b/ ~/.bash"} {
		if _, ok := startupVerdict(t, line); !ok {
			t.Errorf("%s: passed", line)
		}
	}
	for _, line := range []string{"sed -i.bak s/a/b/ ~/notes", "sed -i s/a/b/ ~/notes", "perl -pi.bak -e s/a/b/ /srv/x",
		"sed -i'bak/*' s/a/b/ /srv/x"} {
		if w, ok := startupVerdict(t, line); ok {
			t.Errorf("%s: refused (%s)", line, w)
		}
	}
}

// TestRemoteCopyNames: a copy from another host names its local file
// after the remote source (scp host:.bashrc ~), and an sftp reading its
// commands from input writes where the gate cannot tell; copies to
// another host and of ordinary names pass.
func TestRemoteCopyNames(t *testing.T) {
	var refuse []string
	for _, src := range []string{"host:.bashrc", "u@host:.bashrc", "host:/home/u/.bashrc", "host:x/.bashrc", "host::mod/.bashrc"} {
		for _, cmd := range []string{"scp", "scp -p", "scp -P 2222", "scp -o Port=22", "rsync", "rsync -e ssh", "rsync -avz", "rsync -t"} {
			for _, dest := range []string{"~", "~/", "$HOME", "/root", "/home/u/"} {
				if strings.HasPrefix(cmd, "scp") && strings.Contains(src, "::") {
					continue
				}
				refuse = append(refuse, cmd+" "+src+" "+dest)
			}
		}
		if !strings.Contains(src, "::") {
			refuse = append(refuse, "sftp "+src, "cd ~ && sftp "+src)
		}
	}
	refuse = append(refuse, "scp host:.ssh/rc ~/.ssh/", "scp -r host:.ssh ~", "scp -r host: ~", "sftp host",
		"sftp -b batch host", "cd /srv && sftp host", "rsync -a host:.config ~/")
	for _, line := range refuse {
		if _, ok := startupVerdict(t, line); !ok {
			t.Errorf("%s: passed", line)
		}
	}
	for _, line := range []string{"scp host:x ~", "scp -r host:d ~", "scp host:x /srv/y", "rsync -t host:x ~",
		"rsync -a host:d ~", "rsync -a host:d/ /srv/d", "rsync -a ~/d/ host:/backup", "scp x host:.bashrc",
		"cd /srv && sftp host:x", "scp -P 2222 host:/var/log/syslog /srv/logs/"} {
		if w, ok := startupVerdict(t, line); ok {
			t.Errorf("%s: refused (%s)", line, w)
		}
	}
}

// TestServerNamedDownloads: curl -J and wget following links or server
// names write names the server chooses, into their directory or the
// working directory; curl -K reads outputs from a file. Into home they
// are refused; with a known name or an ordinary directory they pass.
func TestServerNamedDownloads(t *testing.T) {
	for _, line := range []string{"curl -OJ http://x/y", "curl -JO http://x/y", "curl -LOJ http://x/y", "curl -sSLOJ http://x/y",
		"curl -O --remote-header-name http://x/y", "curl --output-dir ~ -OJ http://x/y", "cd ~/.ssh && curl -OJ http://x/y",
		"curl -K cfg", "curl --config=cfg http://x", "curl -sK cfg http://x", "wget -r http://x/", "wget -m http://x/",
		"wget --mirror http://x/", "wget --content-disposition http://x/y", "wget --trust-server-names http://x/y",
		"wget -i list", "wget --input-file=list", "wget -r -P ~ http://x/", "wget -r --directory-prefix=~/.config http://x/",
		"cd ~ && wget -qr http://x/"} {
		if _, ok := startupVerdict(t, line); !ok {
			t.Errorf("%s: passed", line)
		}
	}
	for _, line := range []string{"cd /srv && curl -OJ http://x/y", "curl --output-dir /srv -OJ http://x/y", "curl -o /srv/x http://x/y",
		"curl http://x/y", "curl -sSL http://x/y", "curl -O http://x/y", "wget -r -P /srv/m http://x/", "cd /srv && wget -r http://x/",
		"wget -O /srv/x http://x/", "wget http://x/y", "wget -qO- http://x/y", "wget -P /srv http://x/y"} {
		if w, ok := startupVerdict(t, line); ok {
			t.Errorf("%s: refused (%s)", line, w)
		}
	}
}

// TestPackageToolsStartup: package installs write site-packages and bin
// directories, npm and yarn config set write their rc files, and
// systemctl enable of a unit file by path links it in, as --user enable
// of any unit writes its link into ~/.config/systemd/user: start-up writes;
// listing and showing are not.
func TestPackageToolsStartup(t *testing.T) {
	for _, line := range []string{"pip install x", "pip3 install --user x", "pip install --target /srv/x y", "pip3.11 install x",
		"python3 -m pip install x", "python3 -mpip install x", "/srv/venv/bin/pip install -r requirements.txt", "pipx install x",
		"npm config set script-shell /tmp/x", "npm set script-shell /tmp/x", "npm --location=user config set a b",
		"yarn config set x y", "systemctl --user enable /tmp/x.service", "systemctl --user enable --now x.service", "systemctl --user reenable --now /tmp/x.timer",
		"sudo pip install x", "cd /srv && pip install ."} {
		if _, ok := startupVerdict(t, line); !ok {
			t.Errorf("%s: passed", line)
		}
	}
	for _, line := range []string{"pip install --dry-run x", "pip list", "pip download x", "pip show x", "pipx list",
		"npm config get x", "npm install", "systemctl enable nginx", "systemctl --user status x.service",
		"python3 -m pip list"} {
		if w, ok := startupVerdict(t, line); ok {
			t.Errorf("%s: refused (%s)", line, w)
		}
	}
}
