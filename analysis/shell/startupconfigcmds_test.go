package shell

import "testing"

// TestConfigCommandsThatWriteStartupFiles: a tool's own command that
// writes one of its start-up files (or lets one run) is a start-up
// write, through wrappers too; the read-only forms pass.
func TestConfigCommandsThatWriteStartupFiles(t *testing.T) {
	yes := []string{"pip config set global.index-url http://x/simple", "pip3 config edit", "python3 -m pip config set global.extra-index-url x",
		"conda config --add channels x", "conda config --set channel_priority false", "mamba config --append channels x",
		"gem sources --add http://x/", "gem sources -a http://x/", "bundle config set mirror.https://rubygems.org http://x",
		"bundle config build.nokogiri --use-system-libraries", "aws configure set credential_process /tmp/x", "aws configure",
		"aws configure import --csv file://x.csv", "kubectl config set-credentials u --exec-command=/tmp/x", "kubectl config set-cluster c",
		"kubectl config use-context c", "gh alias set x --shell 'id'", "gh extension install owner/gh-x", "gh config set editor vim",
		"code --install-extension x.vsix", "cursor --install-extension x", "direnv allow", "direnv allow /srv/proj", "direnv permit .",
		"helm plugin install https://x/y", "uv tool install ruff", "uv pip install requests", "sudo -u agent kubectl config set-credentials u",
		"env A=1 conda config --add channels x", "timeout 5 gh alias set x y"}
	for _, line := range yes {
		if _, ok := startupVerdict(t, line); !ok {
			t.Errorf("not refused: %s", line)
		}
	}
	no := []string{"pip config list", "pip config get global.index-url", "pip list", "conda config --show", "conda config --get channels",
		"conda list", "gem sources", "gem sources --list", "bundle config", "bundle config list", "bundle config get path", "bundle exec rake",
		"aws configure get region", "aws configure list", "aws s3 ls", "kubectl config view", "kubectl config get-contexts",
		"kubectl config current-context", "kubectl get pods", "gh alias list", "gh extension list", "gh pr list", "code --list-extensions",
		"direnv status", "direnv deny", "helm plugin list", "uv tool list", "uv run pytest", "uv pip list"}
	for _, line := range no {
		if why, ok := startupVerdict(t, line); ok {
			t.Errorf("refused: %s (%s)", line, why)
		}
	}
}
