package main

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/airlock-sdk/airlock/record"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	keygen(t, dir)
	priv, err := record.ReadPrivateKey(filepath.Join(dir, "record-signing.pem"))
	require.NoError(t, err)
	pub, err := record.ReadPublicKey(filepath.Join(dir, "record-signing.pub"))
	require.NoError(t, err)
	assert.True(t, pub.Equal(priv.Public()))
	key, err := record.ReadHMACKey(filepath.Join(dir, "record-hmac.key"))
	require.NoError(t, err)
	assert.Len(t, key, 32)
	var out, errb bytes.Buffer
	assert.Equal(t, 1, run([]string{"keygen", "--out", dir}, nil, &out, &errb), "never overwrites keys")
}
