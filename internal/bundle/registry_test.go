package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// schemaPath is the registry schema kept in the repository.
const schemaPath = "../../testdata/mcp-registry/server.schema.json"

// fakeArtifacts are bundles of every default platform with made-up digests.
func fakeArtifacts() []Artifact {
	out := make([]Artifact, len(DefaultPlatforms))
	for i, p := range DefaultPlatforms {
		sum := sha256.Sum256([]byte(p.String()))
		out[i] = Artifact{Platform: p, SHA256: hex.EncodeToString(sum[:])}
	}
	return out
}

func TestSchemaCopyIsThePublishedOne(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(schemaPath)
	require.NoError(t, err)
	sum := sha256.Sum256(b)
	// The digest of https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json
	// (testdata/mcp-registry/README.md): the copy is unchanged.
	assert.Equal(t, "3fba09590c99f61735d234822279f4223fab9e300c0a81e81c91ab62a4114de0", hex.EncodeToString(sum[:]))
	var doc struct {
		ID string `json:"$id"`
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	assert.Equal(t, SchemaURL, doc.ID)
}

// serverDoc is the part of server.json the tests read.
type serverDoc struct {
	Schema   string `json:"$schema"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Packages []struct {
		RegistryType string   `json:"registryType"`
		Identifier   string   `json:"identifier"`
		Version      string   `json:"version"`
		FileSHA256   string   `json:"fileSha256"`
		Env          []EnvVar `json:"environmentVariables"`
	} `json:"packages"`
	Remotes []struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"remotes"`
}

func TestServerJSONIsValidAndComplete(t *testing.T) {
	t.Parallel()
	raw, err := ServerJSON("1.2.3", fakeArtifacts())
	require.NoError(t, err)
	require.NoError(t, ValidateServerJSON(schemaPath, raw))

	var doc serverDoc
	require.NoError(t, json.Unmarshal(raw, &doc))
	assert.Equal(t, SchemaURL, doc.Schema)
	assert.Equal(t, ServerName, doc.Name)
	assert.Equal(t, "1.2.3", doc.Version)
	require.Len(t, doc.Packages, 1+len(DefaultPlatforms))
	goPkg := doc.Packages[0]
	assert.Equal(t, "go", goPkg.RegistryType)
	assert.Equal(t, Module+"/cmd/webhook-mcp", goPkg.Identifier)
	assert.Equal(t, "v1.2.3", goPkg.Version)
	for i, a := range fakeArtifacts() {
		p := doc.Packages[1+i]
		assert.Equal(t, "mcpb", p.RegistryType)
		assert.Equal(t, Repository+"/releases/download/v1.2.3/"+a.Platform.FileName(), p.Identifier)
		assert.Equal(t, a.SHA256, p.FileSHA256)
	}
	for _, p := range doc.Packages {
		var names []string
		for _, e := range p.Env {
			names = append(names, e.Name)
			assert.NotEmpty(t, e.Description, e.Name)
			assert.Equal(t, isSecret(e.Name), e.IsSecret, e.Name)
		}
		assert.ElementsMatch(t, configEnvNames(), names, "%s lists every environment variable", p.Identifier)
	}
	require.Len(t, doc.Remotes, 1)
	assert.Equal(t, "streamable-http", doc.Remotes[0].Type)
	assert.Equal(t, "https://{host}/mcp", doc.Remotes[0].URL)
}

func TestSecretsAreMarked(t *testing.T) {
	t.Parallel()
	for _, e := range ConfigEnvVars() {
		credential := strings.Contains(e.Name, "SECRET") || strings.Contains(e.Name, "TOKEN") ||
			strings.Contains(e.Name, "KEY") || e.Name == "DATABASE_URL"
		assert.Equal(t, credential, e.IsSecret, e.Name)
	}
}

// TestSchemaRefusesBrokenEntries shows that the validation bites: each change
// to a valid entry breaks one rule of the registry's schema.
func TestSchemaRefusesBrokenEntries(t *testing.T) {
	t.Parallel()
	raw, err := ServerJSON("1.2.3", fakeArtifacts())
	require.NoError(t, err)
	for name, mutate := range map[string]func(m map[string]any){
		"name without namespace": func(m map[string]any) { m["name"] = "webhook-mcp" },
		"description over 100":   func(m map[string]any) { m["description"] = strings.Repeat("x", 101) },
		"no version":             func(m map[string]any) { delete(m, "version") },
		"sha256 not hex":         func(m map[string]any) { pkg(m, 1)["fileSha256"] = "not-a-digest" },
		"package version latest": func(m map[string]any) { pkg(m, 0)["version"] = "latest" },
		"package without transport": func(m map[string]any) {
			delete(pkg(m, 1), "transport")
		},
		"remote url not http": func(m map[string]any) {
			m["remotes"].([]any)[0].(map[string]any)["url"] = "ftp://{host}/mcp"
		},
	} {
		t.Run(name, func(t *testing.T) {
			var m map[string]any
			require.NoError(t, json.Unmarshal(raw, &m))
			mutate(m)
			b, err := json.Marshal(m)
			require.NoError(t, err)
			assert.ErrorContains(t, ValidateServerJSON(schemaPath, b), "does not match the registry schema")
		})
	}
}

func pkg(m map[string]any, i int) map[string]any {
	return m["packages"].([]any)[i].(map[string]any)
}
