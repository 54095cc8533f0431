package ssh

import "testing"

func TestZZProbe(t *testing.T) {
	for _, c := range []string{
		"ls >&2", "ls 2>&1 >/dev/null", "echo x >& 2", "cat 0<&3", "exec 3>&-", "exec > f", "exec 3<f",
		"ls {fd}>f", "cat <&$x", "ls >&$x", "coproc ls", "ls |& cat", "time -p ls",
		"printf -v x %s y", "echo x | tee", "sudo -e f", "sudo -- ls", "env -- rm x", "env -i ls",
		"find . -name x -fls f", "find . -print0 | xargs -0 cat", "git log --output f", "git log -p --ext-diff",
		"cat /dev/tcp/1/2", "ls `rm x`", "ls $(> f)", "[[ $(> f) ]]", "declare -x A=1 > f", "let x=1 > f",
		"select x in a; do ls; done > f", "case a in a) ls;; esac > f", "{ ls; } 3>&1 1>f",
		"ls > /dev/null/../f", "ls > /dev/stdout/x", "ls > /dev/fd/3x", "ls > /dev/fd/", "fn() { ls; } > f; fn",
		"fn() { ls; }; fn > f", "ls; fn() { ls; }", "head -c 5 /dev/urandom", "tail -f /x", "watch ls", "watch 'rm x'",
		"date -s 1", "date --set=x", "du -sh /", "nslookup x", "jq . f", "sort --compress-program=sh f",
		"timeout 5 sh x.sh", "env A=1 bash -c 'ls'", "bash -c ls\\;rm\\ x", "echo $((1))",
	} {
		s, err := ParseCommand(c)
		if err != nil {
			t.Logf("%q: %v", c, err)
			continue
		}
		t.Logf("%-35q ro=%v net=%v unseen=%v %s", c, s.ReadOnly, s.Network, s.RunsUnseenCode, describe(s))
	}
}
