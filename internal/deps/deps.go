// Package deps pins the project's dependencies while packages are being
// built in parallel. It is removed once every dependency has a real importer.
package deps

import (
	_ "cel.dev/cel-go/cel"
	_ "cel.dev/cel-go/ext"
	_ "github.com/chromedp/chromedp"
	_ "github.com/coregx/ahocorasick"
	_ "github.com/hashicorp/go-hclog"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/pgproto3"
	_ "github.com/jackc/pgx/v5/pgtype"
	_ "github.com/modelcontextprotocol/go-sdk/mcp"
	_ "github.com/pganalyze/pg_query_go/v6"
	_ "github.com/pkg/sftp"
	_ "github.com/stretchr/testify/assert"
	_ "github.com/stretchr/testify/require"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/crypto/ssh"
	_ "golang.org/x/crypto/ssh/agent"
	_ "golang.org/x/crypto/ssh/knownhosts"
	_ "mvdan.cc/sh/v3/syntax"
	_ "mvdan.cc/sh/v3/expand"
)
