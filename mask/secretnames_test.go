package mask

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestIsSecretName(t *testing.T) {
	for _, name := range []string{
		"password", "DB_PASSWORD", "passwd", "pwd", "db_pwd", "pass", "client_secret", "refresh_token", "X-Vault-Token",
		"api_key", "API-KEY", "apiKey", "x-api-key", "private_key", "access_key", "Authorization", "Proxy-Authorization",
		"x-auth", "xauthtoken", "credentials", "session_id", "PHPSESSID", "Cookie", "Set-Cookie", "x-hub-signature",
		"sig", "otp", "pin", "cvv", "cvc", "ssn", "dsn", "connection_string", "connstr", "passphrase", "x-csrf-token",
	} {
		if !IsSecretName(name) {
			t.Errorf("%q is not a secret name", name)
		}
	}
	for _, name := range []string{"", "user", "name", "email", "id", "page", "spinning", "signal", "accept", "x-amz-date", "keyboard"} {
		if IsSecretName(name) {
			t.Errorf("%q is a secret name", name)
		}
	}
	if (*SecretNameSet)(nil).Match("password") || CompileSecretNames([]string{}).Match("password") {
		t.Error("an empty set matches")
	}
	custom := CompileSecretNames([]string{"x-internal-*", "*-pin", "badge"})
	for name, want := range map[string]bool{"X-Internal-Id": true, "card_pin": true, "BADGE": true, "badges": false, "password": false} {
		if custom.Match(name) != want {
			t.Errorf("custom %q: want %v", name, want)
		}
	}
}

// Every credential header and every spelling password_assignment searches
// free text for is a secret name: the lists cannot drift apart.
func TestSecretListsAgree(t *testing.T) {
	for _, h := range SecretHeaders {
		if h != strings.ToLower(h) || !IsSecretName(h) || !IsSecretHeader(strings.ToUpper(h)) {
			t.Errorf("header %q", h)
		}
	}
	for _, k := range append(append([]string{}, secretTextKeywords...), weakSecretTextKeywords...) {
		if !IsSecretName(k) {
			t.Errorf("text keyword %q is not a secret name", k)
		}
	}
	p := jsonPolicy(t, Config{}, "secrets")
	for _, n := range append(append([]string{"pin", "session_id", "monkey", "cookie"}, SecretHeaders...), secretTextKeywords...) {
		if p.secretName(n) < 0 {
			t.Errorf("the JSON/column masker does not hide a field %q", n)
		}
	}
}

// privateListAllowed are string lists outside this package that spell
// secret names for another purpose, with the reason.
var privateListAllowed = map[string]string{
	// Words that trigger the SQL secret detector over whole statement
	// text (the classification cache relies on the trigger); not names.
	"analysis/pgsql/secrets.go:secretWords": "SQL text trigger",
	// The scheme word before a credential (Authorization: Token v).
	"record/freetext_assign.go:authSchemes": "HTTP authorization schemes",
	// Programs that write the account files (passwd, BSD's pw).
	"analysis/shell/startupaccounts.go:accountTools": "program names",
}

// TestNoPrivateSecretNameList fails when a package of the module spells a
// list of secret names of its own (two or more entries of SecretNames,
// SecretHeaders or the text keywords in one composite literal) instead of
// resolving names through this package.
func TestNoPrivateSecretNameList(t *testing.T) {
	canonical := map[string]bool{}
	for _, list := range [][]string{SecretNames, SecretHeaders, secretTextKeywords, weakSecretTextKeywords} {
		for _, n := range list {
			canonical[string(normName(nil, strings.Trim(n, "*")))] = true
		}
	}
	root := ".."
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "testdata" || (strings.HasPrefix(name, ".") && name != "..") {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") || rel == "mask/secretnames.go" {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		// The name a literal is bound to, for the allow list.
		names := map[*ast.CompositeLit]string{}
		ast.Inspect(f, func(n ast.Node) bool {
			if vs, ok := n.(*ast.ValueSpec); ok {
				for i, v := range vs.Values {
					if cl, ok := v.(*ast.CompositeLit); ok && i < len(vs.Names) {
						names[cl] = vs.Names[i].Name
					}
				}
			}
			cl, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			var hits []string
			for _, e := range cl.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					e = kv.Key
				}
				lit, ok := e.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				s, err := strconv.Unquote(lit.Value)
				if err == nil && canonical[string(normName(nil, strings.Trim(s, "*")))] {
					hits = append(hits, s)
				}
			}
			if len(hits) >= 2 {
				if _, ok := privateListAllowed[rel+":"+names[cl]]; !ok {
					t.Errorf("%s: a private list of secret names %q: use mask.SecretNames, mask.SecretHeaders or mask.IsSecretName", rel, hits)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("only %d files checked: is the module root at ..?", checked)
	}
}
