package bundle

import (
	"archive/zip"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
)

// TestBundleBinaryAnswersInitialize builds the bundle of this machine's
// platform as `make mcpb` does, unzips it, and starts its binary the way the
// manifest tells a desktop client to: command, args and env with the
// user_config defaults substituted. The binary must answer initialize over
// stdio and list exactly the tools the manifest lists.
func TestBundleBinaryAnswersInitialize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	host := Platform{OS: runtime.GOOS, Arch: runtime.GOARCH}
	if _, ok := mcpbPlatforms[host.OS]; !ok {
		t.Skipf("no MCP Bundle for %s", host)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tools, err := RegistryTools(ctx, t.TempDir())
	require.NoError(t, err)
	artifacts, err := Build(ctx, BuildOptions{Root: "../..", Version: "v9.8.7", Platforms: []Platform{host},
		OutDir: t.TempDir(), Tools: tools})
	require.NoError(t, err)
	require.Len(t, artifacts, 1)
	sum, err := fileSHA256(artifacts[0].Path)
	require.NoError(t, err)
	assert.Equal(t, sum, artifacts[0].SHA256)

	dir := t.TempDir()
	manifest := unzipBundle(t, artifacts[0].Path, dir)
	var m manifestDoc
	require.NoError(t, json.Unmarshal(manifest, &m))
	assert.Equal(t, "9.8.7", m.Version)

	// The desktop client substitutes ${__dirname} and the user_config values;
	// data_dir gets a fresh directory and http_addr a port this test holds, so
	// the stdio copy serves stdio only (as it does when `serve` runs beside it).
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	values := map[string]string{"__dirname": dir}
	for key, uc := range m.UserConfig {
		def, _ := uc.Default.(string)
		values["user_config."+key] = def
	}
	values["user_config.data_dir"] = t.TempDir()
	values["user_config.http_addr"] = busy.Addr().String()
	command := substitute(m.Server.MCPConfig.Command, values)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for name, val := range m.Server.MCPConfig.Env {
		env = append(env, name+"="+substitute(val, values))
	}

	stderr := &testkit.LockedBuffer{}
	c, err := client.NewStdioMCPClientWithOptions(command, env, m.Server.MCPConfig.Args,
		transport.WithCommandStderrWriter(stderr))
	require.NoError(t, err)
	defer c.Close()
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "bundle-test", Version: "1"}
	res, err := c.Initialize(ctx, init)
	require.NoError(t, err, "stderr: %s", stderr.String())
	assert.Equal(t, "webhook-mcp", res.ServerInfo.Name)
	assert.Equal(t, "v9.8.7", res.ServerInfo.Version)
	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	require.NoError(t, err)
	var listed []string
	for _, tool := range list.Tools {
		listed = append(listed, tool.Name)
	}
	assert.ElementsMatch(t, toolNames(m.Tools), listed, "the manifest lists the tools the binary serves")
	assert.NotContains(t, stderr.String(), "level=ERROR")
}

// unzipBundle extracts a bundle with the modes its entries carry and returns
// its manifest; the entry point must be executable.
func unzipBundle(t *testing.T, path, dir string) []byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	require.NoError(t, err)
	defer zr.Close()
	var names []string
	var manifest []byte
	for _, f := range zr.File {
		names = append(names, f.Name)
		require.False(t, strings.Contains(f.Name, ".."), f.Name)
		rc, err := f.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		dst := filepath.Join(dir, filepath.FromSlash(f.Name))
		require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
		require.NoError(t, os.WriteFile(dst, b, f.Mode().Perm()))
		if f.Name == "manifest.json" {
			manifest = b
		} else if runtime.GOOS != "windows" {
			assert.NotZero(t, f.Mode().Perm()&0o111, "%s must be executable in the zip", f.Name)
		}
	}
	host := Platform{OS: runtime.GOOS, Arch: runtime.GOARCH}
	assert.ElementsMatch(t, []string{"manifest.json", host.EntryPoint()}, names)
	require.NotNil(t, manifest)
	return manifest
}

// substitute replaces ${key} for every key of values.
func substitute(s string, values map[string]string) string {
	for k, v := range values {
		s = strings.ReplaceAll(s, "${"+k+"}", v)
	}
	return s
}
