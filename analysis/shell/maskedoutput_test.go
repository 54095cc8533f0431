package shell

import (
	"strings"
	"testing"
)

// TestOutputTransform: lines that print what they read as it is pass;
// lines that may print it encoded, reversed, translated, compressed, cut
// or converted, or tell it a piece at a time (a search, a comparison, an
// order), are caught, wherever the transforming program sits (a
// pipe, a sequence, a wrapper, a substitution, find -exec, a path).
func TestOutputTransform(t *testing.T) {
	t.Parallel()
	faithful := []string{
		"cat F", "head -n 5 F", "tail -n 20 -f F", "ls -adU /data",
		"wc -l F", "printf '%s\\n' hello", "printf '%-10s|%%\\n' x", "echo ~ hello", "echo \"$HOME\" ${PATH} $USER", "echo $(cat F)", "echo 'price: 5$'",
		"find . -maxdepth 0 -type d", "find F -maxdepth 0 -exec cat {} \\;", "timeout 5 cat F", "ls -dU", "cat /data/F", "ls -d .", "echo '*.csv' \"a?\"",
		"ls -ad -- 'a*'", "ls -d a\\*",
		"sudo cat F", "nl F | cat", "stat -c %n F", "date", "du -sh .", "cat F > /tmp/x; cat /tmp/x",
	}
	for _, l := range faithful {
		s, err := Parse(l)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		if what, ok := OutputTransform(s); ok {
			t.Errorf("%q: judged a transform (%s)", l, what)
		}
	}
	transforms := []string{
		"base64 F", "base32 F", "basenc --base16 F", "xxd F", "xxd -p F", "od -c F", "hexdump -C F", "rev F", "tr 0-9 a-j",
		"sed 's/1/x/' F", "awk '{print $1+1}' F", "cut -c1-8 F", "fold -w 4 F", "dd if=F bs=1 count=8", "gzip -c F", "zstd -c F",
		"jq .card F", "openssl enc -base64 -in F", "iconv -t UTF-16 F", "paste -sd, F", "python3 -c 'print(1)'", "perl -ne print F",
		"head -c 8 F", "head -qc8 F", "head --bytes=8 F", "tail -c +9 F", "grep -o '^.\\{8\\}' F", "grep -oE '[0-9]{4}' F",
		"grep --only-matching x F", "cmp -l a b", "printf '%x\\n' 4111", "printf '%.8s' x", "printf \"$fmt\" x",
		"echo $(( $(cat F) + 1 ))", "echo ${x:0:8}", "echo ${x//1/a}", "echo ${x^^}", "echo ${#x}", "git archive HEAD", "git show HEAD:F",
		"/usr/bin/base64 F", "split -b 8 F", "strings -n 2 F | tr 1 x", "numfmt --to=si 4111", "factor 4111", "bc <<< 1",
		"csvcut -c 1 F", "column -t F | rev", "unknown-tool F", "column -t -s1 F", "join -t1 F F", "join -o 1.2,1.1 a b",
		"rg -r x 1 F", "rg --replace=x 1 F", "rg -nr x 1 F", "printf '%s' \"$(<F)\"", "xargs -n1 < F | tac",
		"set -- $(cat F); echo $4 $3 $2 $1", "for w in $(cat F); do echo $w; done | tac", "echo ${}", "echo $@", "echo \"$*\"",
		"read a b c d < F; echo $d $c $b $a", "grep -c ^41 F", "grep -q ^41 F", "grep x F", "rg x F", "sort F", "uniq -d F",
		"diff F G", "cmp F G", "comm F G", "test \"$(cat F)\" = 4111", "[ \"$(cat F)\" = 4111 ]", "[[ $(cat F) == 4* ]]",
		"case $(cat F) in 4*) echo y;; esac", "(( $(cat F) > 4 ))", "tac -s 5 F", "tac --separator=5 F", "tac -rs '[0-4]' F", "tac F", "cat F | tac",
		"basename \"$(cat F)\" 1111", "find . -name \"$(cat F)\"", "getent passwd `cat F`", "cat \"$(cat list)\"",
	}
	wraps := []string{"%s", "cat F | %s", "true; %s", "true && %s", "( %s )", "timeout 5 %s", "env %s", "nice -n 1 %s", "sudo %s",
		"echo $(%s)", "if true; then %s; fi", "find . -name F -exec %s \\;", "xargs %s < list", "cat F | tac | %s"}
	caught := 0
	for _, x := range transforms {
		for _, w := range wraps {
			if strings.HasPrefix(w, "xargs") && strings.ContainsAny(x, "$<") || strings.HasPrefix(w, "find") && strings.Contains(x, "'") {
				continue
			}
			l := strings.Replace(w, "%s", x, 1)
			s, err := Parse(l)
			if err != nil {
				continue // the gate refuses what it cannot parse
			}
			if _, ok := OutputTransform(s); !ok {
				t.Errorf("%q: not caught", l)
			}
			caught++
		}
	}
	if caught < len(transforms)*len(wraps)/2 {
		t.Fatalf("only %d lines parsed: the generator is too weak", caught)
	}
}

// TestExpansionTransformsAnyWord: any word of the bytes expansions are
// made of is judged without a panic, and a word with no $ passes.
func TestExpansionTransformsAnyWord(t *testing.T) {
	const alphabet = "${}()[]#@*?:-/%^,!0aZ_ '\""
	word := make([]byte, 0, 8)
	var walk func(n int)
	count := 0
	walk = func(n int) {
		count++
		got := expansionTransforms(string(word))
		if !strings.Contains(string(word), "$") && got {
			t.Fatalf("%q: judged an expansion", word)
		}
		if n == 0 {
			return
		}
		for i := range len(alphabet) {
			word = append(word, alphabet[i])
			walk(n - 1)
			word = word[:len(word)-1]
		}
	}
	walk(4)
	if count < 100000 {
		t.Fatalf("only %d words", count)
	}
}
