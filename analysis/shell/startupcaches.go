package shell

import "strings"

// Caches a later program runs code from without fetching or checking it
// again: pip's and uv's wheels and poetry's packages (installed by the
// next pip install of the name), npm's and yarn's content caches and
// pnpm's store (the next install unpacks from them), cargo's registry and
// git checkouts (their build.rs runs at the next build), Go's module
// cache and build cache (compiled objects linked into the next build),
// pre-commit's hook repositories (run at the next commit), gradle's and
// bun's caches, and the toolchains and language versions rustup, pyenv
// and nvm run (~/.rustup/toolchains, ~/.pyenv/versions, ~/.nvm/versions),
// and the user's Python packages (~/.local/lib: imported before the
// system's). Every file in them (at any depth) and each of them is a
// start-up path. So is Python's byte code: a .pyc (or .pyo) file, and
// anything in a __pycache__ directory, is run in place of its source
// when a later python (a cron job's script) imports the module, and a
// .pyc with no source beside it is imported too.

// cacheDirs are the caches, as the components they end in below the home
// directory.
var cacheDirs = [][]string{
	{".cache", "pip"}, {".cache", "uv"}, {".cache", "pypoetry"}, {".cache", "pre-commit"}, {".cache", "go-build"},
	{".cache", "yarn"}, {".npm", "_cacache"}, {".local", "share", "pnpm"}, {".pnpm-store"}, {".yarn", "berry", "cache"},
	{".cargo", "registry"}, {".cargo", "git"}, {"go", "pkg", "mod"}, {".gradle", "caches"}, {".bun", "install", "cache"},
	{".rustup", "toolchains"}, {".pyenv", "versions"}, {".nvm", "versions"}, {".local", "lib"},
}

// cacheMatch reports whether parts (a cleaned path's components) name a
// cache of cacheDirs or, with anyFile (see startupMatch), a file in one,
// or Python byte code.
func cacheMatch(parts []string, anyFile bool) bool {
	n := len(parts)
	if byteCode(parts[n-1]) {
		return true
	}
	for i, p := range parts {
		if p == "__pycache__" && (i == n-1 || anyFile) {
			return true
		}
	}
	for _, kc := range cacheDirs {
		for i := 0; i+len(kc) <= n; i++ {
			if slicesEqual(parts[i:i+len(kc)], kc) && (i+len(kc) == n || anyFile) {
				return true
			}
		}
	}
	return false
}

// byteCode reports whether name is a Python byte-code file.
func byteCode(name string) bool {
	return strings.HasSuffix(name, ".pyc") || strings.HasSuffix(name, ".pyo") || name == "__pycache__"
}
