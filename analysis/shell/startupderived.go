package shell

import (
	"path"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// Files whose names a program derives from the words it is given, not
// the words themselves:
//
//   - a backup: cp, mv, ln and install with -b move the file they replace
//     to NAME+SUFFIX (-S, --suffix; rsync --suffix): cp --backup
//     --suffix=rc x ~/.bash moves an earlier ~/.bash to ~/.bashrc;
//   - an in-place edit's backup: sed -irc s/a/b/ ~/.bash and perl -pi'rc'
//     save the original as ~/.bashrc (sed -i'/root/.ssh/*' x/rc saves it
//     as /root/.ssh/rc);
//   - a decompressed file: gunzip ~/.bashrc.gz writes ~/.bashrc (gzip -d,
//     xz -d, zstd -d, ... drop the extension, or the -S suffix), and a
//     compressor with -S writes NAME+SUFFIX (gzip -S rc ~/.bash); with
//     -c, -t or -l they write no file;
//   - a variable that renames them: SIMPLE_BACKUP_SUFFIX (the backup
//     suffix) and GIT_TEMPLATE_DIR (the hooks git init and clone copy
//     into the new .git/hooks), set anywhere in the line, are start-up
//     writes whatever the command.

// derivedEnv are the variables that make a later command of the line
// write a start-up file under a name the gate does not see.
var derivedEnv = map[string]string{
	"SIMPLE_BACKUP_SUFFIX": "SIMPLE_BACKUP_SUFFIX names backups after the files they replace",
	"GIT_TEMPLATE_DIR":     "GIT_TEMPLATE_DIR copies hooks into a new repository",
}

// derivedEnvSet reports why s sets one of derivedEnv, if a token of its
// text names one.
func derivedEnvSet(s *gate.SSH) (string, bool) {
	for _, t := range lineTokens(s.Command) {
		if why, ok := derivedEnv[strings.TrimPrefix(t, "$")]; ok {
			return why, true
		}
	}
	return "", false
}

// backupPrograms are the programs whose backups take a suffix option, and
// whether their short -S is it (rsync's -S is --sparse).
var backupPrograms = map[string]bool{"cp": true, "mv": true, "ln": true, "install": true, "ginstall": true, "rsync": false}

// compressors are the programs that write NAME+SUFFIX, or NAME without
// its extension when they decompress (always for the un... names).
var compressors = map[string]bool{"gzip": true, "gunzip": true, "pigz": true, "unpigz": true, "xz": true, "unxz": true,
	"lzma": true, "unlzma": true, "bzip2": true, "bunzip2": true, "pbzip2": true, "lbzip2": true, "zstd": true,
	"unzstd": true, "lz4": true, "lzop": true, "brotli": true, "compress": true, "uncompress": true, "lzip": true}

// inPlaceBackups returns the backups sed -iSUFFIX (--in-place=SUFFIX) and
// perl -iSUFFIX write for each operand: NAME+SUFFIX, or with a * in
// SUFFIX, SUFFIX with * replaced by the file's name (-i'bak/*'), in the
// working directory and in the file's.
func inPlaceBackups(c gate.SSHCommand) []string {
	suffix := ""
	valued := "ieEfl" // sed's letters that take the rest of a cluster
	if c.Program != "sed" {
		valued = "ieEIMmxdD" // perl's
	}
	var ops []string
	for _, a := range c.Args {
		switch {
		case strings.HasPrefix(a, "--in-place=") && c.Program == "sed":
			suffix = strings.TrimPrefix(a, "--in-place=")
		case strings.HasPrefix(a, "--"):
		case len(a) > 1 && a[0] == '-':
			if k := strings.IndexAny(a[1:], valued); k >= 0 && a[1+k] == 'i' {
				suffix = a[2+k:]
			}
		default:
			ops = append(ops, a)
		}
	}
	if suffix == "" {
		return nil
	}
	var out []string
	for _, a := range ops {
		if !strings.Contains(suffix, "*") {
			out = append(out, a+suffix)
			continue
		}
		n := strings.ReplaceAll(suffix, "*", path.Base(a))
		out = append(out, n, path.Join(path.Dir(a), n))
	}
	return out
}

// derivedNames returns the names c writes that derive from its words:
// see the top of this file.
func derivedNames(c gate.SSHCommand) []string {
	if c.Program == "sed" || family(c.Program) == "perl" {
		return inPlaceBackups(c)
	}
	short, backup := backupPrograms[c.Program]
	comp := compressors[c.Program]
	if !backup && !comp {
		return nil
	}
	suffix, hasSuffix := "", false
	decompress := strings.HasPrefix(c.Program, "un") || c.Program == "gunzip" || c.Program == "bunzip2"
	var ops []string
	for i := 0; i < len(c.Args); i++ {
		a := c.Args[i]
		switch {
		case a == "--":
			ops = append(ops, c.Args[i+1:]...)
			i = len(c.Args)
		case a == "--suffix" && i+1 < len(c.Args):
			i++
			suffix, hasSuffix = c.Args[i], true
		case strings.HasPrefix(a, "--suffix="):
			suffix, hasSuffix = strings.TrimPrefix(a, "--suffix="), true
		case a == "--decompress" || a == "--uncompress":
			decompress = true
		case comp && (a == "--stdout" || a == "--to-stdout" || a == "--test" || a == "--list"):
			return nil
		case strings.HasPrefix(a, "--"):
		case len(a) > 1 && a[0] == '-':
			letters := a[1:]
			if (short || comp) && strings.ContainsRune(letters, 'S') {
				k := strings.IndexByte(letters, 'S')
				suffix, hasSuffix = letters[k+1:], true
				if suffix == "" && i+1 < len(c.Args) {
					i++
					suffix = c.Args[i]
				}
				letters = letters[:k]
			}
			if comp && (strings.ContainsAny(letters, "ct") || c.Program != "lz4" && strings.ContainsRune(letters, 'l')) {
				return nil // to standard output, a test or a listing
			}
			if comp && strings.ContainsRune(letters, 'd') {
				decompress = true
			}
		default:
			ops = append(ops, a)
		}
	}
	var out []string
	for _, a := range ops {
		if hasSuffix {
			out = append(out, a+suffix)
		}
		if comp && decompress {
			switch {
			case hasSuffix && strings.HasSuffix(a, suffix):
				out = append(out, strings.TrimSuffix(a, suffix))
			case !hasSuffix:
				if ext := path.Ext(a); ext != "" && len(path.Base(a)) > len(ext) {
					out = append(out, strings.TrimSuffix(a, ext))
				}
			}
		}
	}
	return out
}
