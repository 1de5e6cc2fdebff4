package bundle

import (
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/server"
	"github.com/webhook-mcp/webhook-mcp/tools"
)

func TestSemVer(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"v1.2.3":             "1.2.3",
		"1.2.3":              "1.2.3",
		"v1.2.3-rc.1":        "1.2.3-rc.1",
		"v1.2.3-4-gabc1234":  "1.2.3-4-gabc1234",
		"cd73dfb":            "0.0.0-dev-cd73dfb",
		"cd73dfb-dirty":      "0.0.0-dev-cd73dfb-dirty",
		"0123456":            "0.0.0-dev-0123456",
		"v1.2":               "0.0.0-dev-1-2",
		"dev":                "0.0.0-dev",
		"":                   "0.0.0-dev",
		"v1.2.3-4-gabc/../x": "0.0.0-dev-1-2-3-4-gabc-x",
	} {
		got := SemVer(in)
		assert.Equal(t, want, got, "SemVer(%q)", in)
		assert.Regexp(t, semverRe, got, "SemVer(%q) is semantic", in)
	}
}

// manifestDoc is the part of a rendered manifest the tests read.
type manifestDoc struct {
	ManifestVersion string `json:"manifest_version"`
	Version         string `json:"version"`
	Server          struct {
		Type       string `json:"type"`
		EntryPoint string `json:"entry_point"`
		MCPConfig  struct {
			Command string            `json:"command"`
			Args    []string          `json:"args"`
			Env     map[string]string `json:"env"`
		} `json:"mcp_config"`
	} `json:"server"`
	Tools         []Tool `json:"tools"`
	Compatibility struct {
		Platforms []string `json:"platforms"`
	} `json:"compatibility"`
	UserConfig map[string]struct {
		Type      string `json:"type"`
		Title     string `json:"title"`
		Sensitive bool   `json:"sensitive"`
		Required  bool   `json:"required"`
		Default   any    `json:"default"`
	} `json:"user_config"`
}

func toolNames(ts []Tool) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

// configEnvNames are the variables server.Config reads.
func configEnvNames() []string {
	var out []string
	for f := range reflect.TypeFor[server.Config]().Fields() {
		if tag, ok := f.Tag.Lookup("env"); ok {
			name, _, _ := strings.Cut(tag, ",")
			out = append(out, name)
		}
	}
	return out
}

var userConfigRef = regexp.MustCompile(`\$\{user_config\.([a-z_]+)\}`)

func TestManifestListsTheRegistrysToolsAndWiresUserConfig(t *testing.T) {
	t.Parallel()
	listed, err := RegistryTools(context.Background(), t.TempDir())
	require.NoError(t, err)
	require.NotEmpty(t, listed)
	// The registry's tools, independently of the MCP listing: the built-in
	// actions (server.New registers exactly these).
	var registered []string
	for _, a := range tools.Builtin(tools.Deps{}) {
		registered = append(registered, a.Spec().Name)
	}

	for _, p := range DefaultPlatforms {
		t.Run(p.String(), func(t *testing.T) {
			raw, err := Manifest(ManifestInput{Version: "1.2.3", Platform: p, Tools: listed})
			require.NoError(t, err)
			var m manifestDoc
			require.NoError(t, json.Unmarshal(raw, &m))
			assert.Equal(t, "0.4", m.ManifestVersion)
			assert.Equal(t, "1.2.3", m.Version)
			assert.ElementsMatch(t, registered, toolNames(m.Tools), "the manifest lists exactly the registry's tools")
			for _, tool := range m.Tools {
				assert.NotEmpty(t, tool.Description, tool.Name)
			}
			assert.Equal(t, "binary", m.Server.Type)
			assert.Equal(t, p.EntryPoint(), m.Server.EntryPoint)
			assert.Equal(t, "${__dirname}/"+p.EntryPoint(), m.Server.MCPConfig.Command)
			assert.Equal(t, []string{"stdio"}, m.Server.MCPConfig.Args)
			assert.Equal(t, []string{mcpbPlatforms[p.OS]}, m.Compatibility.Platforms)

			// Every variable the bundle sets is one server.Config reads, and
			// every user_config field is used; the three asked for are there.
			used := map[string]bool{}
			for name, val := range m.Server.MCPConfig.Env {
				assert.Contains(t, configEnvNames(), name)
				refs := userConfigRef.FindAllStringSubmatch(val, -1)
				require.Len(t, refs, 1, "%s=%s", name, val)
				_, ok := m.UserConfig[refs[0][1]]
				assert.True(t, ok, "%s refers to undefined user_config.%s", name, refs[0][1])
				used[refs[0][1]] = true
			}
			for key, uc := range m.UserConfig {
				assert.True(t, used[key], "user_config.%s is not passed to the server", key)
				assert.NotEmpty(t, uc.Title, key)
				if !uc.Required {
					assert.NotNil(t, uc.Default, "optional user_config.%s needs a default, or the client passes the placeholder", key)
				}
			}
			assert.Equal(t, "directory", m.UserConfig["data_dir"].Type)
			assert.True(t, m.UserConfig["make_com_webhook_secret"].Sensitive)
			assert.True(t, m.UserConfig["approval_token"].Sensitive)
			assert.False(t, m.UserConfig["data_dir"].Sensitive)
		})
	}
}

func TestManifestRefusesWhatCannotBeABundle(t *testing.T) {
	t.Parallel()
	_, err := Manifest(ManifestInput{Version: "1.0.0", Platform: Platform{"freebsd", "amd64"}, Tools: []Tool{{Name: "x"}}})
	assert.ErrorContains(t, err, "darwin, linux and windows")
	_, err = Manifest(ManifestInput{Version: "1.0.0", Platform: Platform{"linux", "amd64"}})
	assert.ErrorContains(t, err, "no tools")
	_, err = ParsePlatform("linux")
	assert.Error(t, err)
	p, err := ParsePlatform(" windows/amd64 ")
	require.NoError(t, err)
	assert.Equal(t, "webhook-mcp-windows-amd64.mcpb", p.FileName())
	assert.Equal(t, "server/webhook-mcp.exe", p.EntryPoint())
	assert.True(t, slices.Contains(DefaultPlatforms, p))
}
