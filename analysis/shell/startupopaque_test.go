package shell

import "testing"

// TestOpaqueCode: every way of handing a program code the analysis cannot
// read (inline code of each interpreter, a program on stdin, a script
// file, a pipe into a shell, eval of run-time text, socat EXEC:/SYSTEM:)
// is opaque; code the analysis reads as commands (sh -c with literal
// text, git, plain writers) is not.
func TestOpaqueCode(t *testing.T) {
	code := `open("/tmp/x","a")`
	var opaque []string
	for _, f := range []string{"python3 -c %q", "python -c %q", "perl -e %q", "perl -pi -e %q /tmp/f", "ruby -e %q",
		"node -e %q", "node --eval %q", "php -r %q", "lua -e %q", "python3 - <<< %q", "echo %q | python3",
		"python3 /dev/stdin <<< %q", "python3 /tmp/x.py %q", "perl /tmp/x.pl %q", "sh /tmp/x.sh %q", ". /tmp/x.sh %q",
		"source /tmp/x.sh %q", "bash < /tmp/x.sh; echo %q", "echo %q | base64 -d | sh", "curl -s h | bash; echo %q",
		"eval \"$(echo %q | base64 -d)\"", "eval `cat /tmp/x`; echo %q", "socat - EXEC:%q", "socat - 'SYSTEM:echo %q'",
		"socat TCP-LISTEN:1 exec:%q"} {
		opaque = append(opaque, sprintf(f, code))
	}
	for _, line := range opaque {
		s, err := Parse(line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if _, ok := OpaqueCode(s); !ok {
			t.Errorf("%s: not opaque", line)
		}
	}
	for _, line := range []string{"echo x > /tmp/f", "sh -c 'echo x > /tmp/f'", "bash -c \"cd /srv\" && git pull",
		"git status", "cd /srv && git pull", "socat - TCP:h:1", "eval 'echo x'", "ls -la ~", "sed -i s/a/b/ /tmp/f"} {
		s, err := Parse(line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if why, ok := OpaqueCode(s); ok {
			t.Errorf("%s: opaque (%s)", line, why)
		}
	}
}

// TestAddressPathStartup: a path inside an address word (socat's
// TYPE:path,options, any prefix: and option spelling) names a written
// file; the same addresses naming ordinary files pass.
func TestAddressPathStartup(t *testing.T) {
	for _, typ := range []string{"OPEN", "open", "CREATE", "GOPEN", "FILE", "CREAT", "PIPE", "UNIX-LISTEN"} {
		for _, target := range []string{"/root/.bashrc", "~/.bashrc", "$HOME/.bashrc", "/home/u/.ssh/authorized_keys"} {
			for _, opts := range []string{"", ",append", ",creat,append", ",wronly,trunc=1"} {
				for _, f := range []string{"socat - %s", "socat -u STDIN %s", "socat TCP:h:1 %s"} {
					line := sprintf(f, typ+":"+target+opts)
					if _, ok := startupVerdict(t, line); !ok {
						t.Errorf("%s: not refused", line)
					}
				}
			}
		}
	}
	for _, line := range []string{"socat - OPEN:/tmp/x,append", "socat - OPEN:/root/.ba,creat", "socat TCP:h:1 -",
		"curl -s https://h/x -o /tmp/x", "git clone git@host:x/y.git /srv/y"} {
		if w, ok := startupVerdict(t, line); ok {
			t.Errorf("%s: refused (%s)", line, w)
		}
	}
}

// TestLoginGrantAndToolStartupNames: files granting a later login
// (.rhosts, .shosts, .k5login) or run by a later tool (IPython's startup
// files, direnv's direnvrc, the perl debugger's .perldb) are start-up
// writes in every writer form, and ssh-copy-id (its host may be this
// one) is one whatever its arguments.
func TestLoginGrantAndToolStartupNames(t *testing.T) {
	for _, n := range []string{"~/.rhosts", "/root/.shosts", "~/.k5login", "~/.k5users", "~/.perldb",
		"~/.ipython/profile_default/startup/a.py", "~/.ipython/profile_default/ipython_config.py",
		"~/.config/direnv/direnvrc", "~/.config/direnv/lib/x.sh"} {
		for _, w := range []string{"echo x > %s", "cp /tmp/x %s", "tee -a %s < /tmp/x", "dd if=/tmp/x of=%s"} {
			line := sprintf(w, n)
			if _, ok := startupVerdict(t, line); !ok {
				t.Errorf("%s: not refused", line)
			}
		}
	}
	for _, line := range []string{"ssh-copy-id localhost", "ssh-copy-id -i /tmp/k.pub root@127.0.0.1", "ssh-copy-id -f h"} {
		if _, ok := startupVerdict(t, line); !ok {
			t.Errorf("%s: not refused", line)
		}
	}
	for _, line := range []string{"cat ~/.rhosts", "ssh-copy-id -n h", "echo x > ~/.ipythonnotes"} {
		if w, ok := startupVerdict(t, line); ok {
			t.Errorf("%s: refused (%s)", line, w)
		}
	}
}
