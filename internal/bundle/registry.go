package bundle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/webhook-mcp/webhook-mcp/server"
)

// Artifact is one built bundle.
type Artifact struct {
	Platform Platform
	Path     string // where it was written
	SHA256   string // hex digest of the file
}

// ReleaseURL is where a release's bundle is downloaded from: the GitHub
// release asset of tag v<version>.
func ReleaseURL(version string, p Platform) string {
	return Repository + "/releases/download/v" + version + "/" + p.FileName()
}

// ServerJSON renders the MCP Registry entry of version (semantic, SemVer): the
// Go module, one mcpb package per artifact with its SHA-256, the remote
// template https://{host}/mcp, and every environment variable.
func ServerJSON(version string, artifacts []Artifact) ([]byte, error) {
	type bundleRef struct{ URL, SHA256 string }
	refs := make([]bundleRef, 0, len(artifacts))
	for _, a := range artifacts {
		refs = append(refs, bundleRef{URL: ReleaseURL(version, a.Platform), SHA256: a.SHA256})
	}
	return render("server.json.tmpl", map[string]any{"Version": version, "Bundles": refs, "Env": ConfigEnvVars()})
}

// ValidateServerJSON checks doc against the registry's server.json schema read
// from schemaPath (the copy in testdata/mcp-registry), formats included.
func ValidateServerJSON(schemaPath string, doc []byte) error {
	f, err := os.Open(schemaPath)
	if err != nil {
		return fmt.Errorf("open server.json schema: %w", err)
	}
	defer f.Close()
	schemaDoc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return fmt.Errorf("read server.json schema %s: %w", schemaPath, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(SchemaURL, schemaDoc); err != nil {
		return fmt.Errorf("add server.json schema: %w", err)
	}
	sch, err := c.Compile(SchemaURL)
	if err != nil {
		return fmt.Errorf("compile server.json schema: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("server.json is not JSON: %w", err)
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("server.json does not match the registry schema: %w", err)
	}
	return nil
}

// RegistryTools lists the tools the assembled server serves, as a manifest
// lists them: the program is wired exactly as `webhook-mcp stdio` wires it,
// over a throwaway store in dataDir, and asked with tools/list over an
// in-memory stdio pipe.
func RegistryTools(ctx context.Context, dataDir string) (tools []Tool, err error) {
	app, err := server.Assemble(ctx, []string{"DATA_DIR=" + dataDir, "LOG_LEVEL=error"}, io.Discard, "bundle")
	if err != nil {
		return nil, fmt.Errorf("assemble the server to list its tools: %w", err)
	}
	defer func() { err = errors.Join(err, app.Close()) }()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fromServer, serverOut := io.Pipe()
	serverIn, toServer := io.Pipe()
	served := make(chan error, 1)
	go func() {
		served <- app.Server.ServeStdio(ctx, serverIn, serverOut)
		_ = serverOut.Close()
	}()
	c := client.NewClient(transport.NewIO(fromServer, toServer, io.NopCloser(strings.NewReader(""))))
	defer func() {
		_ = c.Close()
		_ = toServer.Close()
		cancel()
		<-served
	}()
	if err := c.Start(ctx); err != nil {
		return nil, fmt.Errorf("start stdio client: %w", err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "mkbundle", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		return nil, fmt.Errorf("initialize: %w", err)
	}
	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		return nil, fmt.Errorf("list tools: %w", err)
	}
	for _, t := range list.Tools {
		tools = append(tools, Tool{Name: t.Name, Description: t.Description})
	}
	return tools, nil
}
