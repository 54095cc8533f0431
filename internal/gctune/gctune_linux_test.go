package gctune

import (
	"os"
	"path/filepath"
	"testing"
)

// fakeRoot writes files under a directory standing for the root.
func fakeRoot(t *testing.T, files map[string]string) string {
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestCgroupLimit(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  int64
	}{
		{"v2", map[string]string{"proc/self/cgroup": "0::/app.slice/gw.service\n",
			"sys/fs/cgroup/app.slice/gw.service/memory.max": "536870912\n"}, 512 << 20},
		{"v2 max", map[string]string{"proc/self/cgroup": "0::/\n", "sys/fs/cgroup/memory.max": "max\n"}, 0},
		{"v1", map[string]string{"proc/self/cgroup": "12:cpu,cpuacct:/x\n4:memory:/docker/abc\n",
			"sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "1073741824\n"}, 1 << 30},
		{"v1 unlimited", map[string]string{"proc/self/cgroup": "4:memory:/\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"}, 0},
		{"no file", map[string]string{}, 0},
		{"garbage", map[string]string{"proc/self/cgroup": "0::/\n", "sys/fs/cgroup/memory.max": "lots\n"}, 0},
	}
	for _, c := range cases {
		if got := cgroupLimit(fakeRoot(t, c.files)); got != c.want {
			t.Errorf("%s: cgroupLimit = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestAvailableMemoryOfThisMachine(t *testing.T) {
	if got := availableMemory("/"); got < 64<<20 {
		t.Fatalf("availableMemory(/) = %d bytes, want at least 64 MiB on a machine running tests", got)
	}
}
