package gatetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// MultibyteLocales are locales whose character sets let an ASCII byte (a
// backslash, a backquote) be the second byte of a character, so a shell
// running in them reads some UTF-8 text unlike a UTF-8 parser.
var MultibyteLocales = []string{"zh_CN.GBK", "zh_TW.BIG5", "zh_TW.BIG5-HKSCS", "ko_KR.JOHAB", "ja_JP.SHIFT_JIS"}

// BuildMultibyteLocales compiles MultibyteLocales with glibc's localedef
// into a temporary directory and returns it, to name in LOCPATH. Without
// localedef the test is skipped, or fails under CI.
func BuildMultibyteLocales(t testing.TB) string {
	t.Helper()
	bin := NeedTool(t, "localedef")
	dir := t.TempDir()
	for _, l := range MultibyteLocales {
		source, charset, _ := strings.Cut(l, ".")
		// -c: SHIFT_JIS and JOHAB are not ASCII-compatible, which is the
		// point; localedef warns and still writes them.
		_ = exec.Command(bin, "-c", "-i", source, "-f", charset, filepath.Join(dir, l)).Run()
		if _, err := os.Stat(filepath.Join(dir, l)); err != nil {
			t.Fatalf("localedef %s: %v", l, err)
		}
	}
	return dir
}
