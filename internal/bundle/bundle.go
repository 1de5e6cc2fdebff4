// Package bundle builds what webhook-mcp ships besides its source: the Claude
// Desktop bundles (MCP Bundles, .mcpb: a zip of manifest.json and the binary)
// and the MCP Registry entry (server.json) that lists them. Both are rendered
// from the templates in this directory, so a release says in one place what it
// contains; `make mcpb` runs ./internal/bundle/mkbundle.
package bundle

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"text/template"
)

// Names and addresses of the project as the bundles and the registry entry
// state them.
const (
	// ServerName is the MCP Registry name (GitHub namespace of the project).
	ServerName = "io.github.webhook-mcp/webhook-mcp"
	// Module is the Go module path.
	Module = "github.com/webhook-mcp/webhook-mcp"
	// Repository is the project's source repository.
	Repository = "https://github.com/webhook-mcp/webhook-mcp"
	// BinaryName is the executable inside a bundle, under server/.
	BinaryName = "webhook-mcp"
	// SchemaURL is the published server.json schema the entry follows; a copy
	// is kept in testdata/mcp-registry/server.schema.json.
	SchemaURL = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
)

//go:embed manifest.json.tmpl server.json.tmpl
var templates embed.FS

// Platform is one target of the cross-compilation.
type Platform struct {
	OS   string // GOOS
	Arch string // GOARCH
}

// DefaultPlatforms are the platforms `make mcpb` builds: every one Claude
// Desktop runs on, with CGO_ENABLED=0 (the binary is pure Go).
var DefaultPlatforms = []Platform{
	{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "arm64"}, {"darwin", "amd64"}, {"windows", "amd64"},
}

// ParsePlatform reads "os/arch".
func ParsePlatform(s string) (Platform, error) {
	osName, arch, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok || osName == "" || arch == "" || strings.Contains(arch, "/") {
		return Platform{}, fmt.Errorf("platform %q: want os/arch, e.g. linux/amd64", s)
	}
	if _, known := mcpbPlatforms[osName]; !known {
		return Platform{}, fmt.Errorf("platform %q: MCP Bundles run on darwin, linux and windows only", s)
	}
	return Platform{OS: osName, Arch: arch}, nil
}

// String is "os/arch".
func (p Platform) String() string { return p.OS + "/" + p.Arch }

// Exe is the executable suffix on p.
func (p Platform) Exe() string {
	if p.OS == "windows" {
		return ".exe"
	}
	return ""
}

// FileName is the bundle's file name: webhook-mcp-<os>-<arch>.mcpb.
func (p Platform) FileName() string { return "webhook-mcp-" + p.OS + "-" + p.Arch + ".mcpb" }

// EntryPoint is the binary's path inside the bundle.
func (p Platform) EntryPoint() string { return "server/" + BinaryName + p.Exe() }

// mcpbPlatforms maps GOOS to the names MCP Bundles use (Node's process.platform).
var mcpbPlatforms = map[string]string{"darwin": "darwin", "linux": "linux", "windows": "win32"}

// Tool is one tool as a bundle manifest lists it.
type Tool struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

var semverRe = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// SemVer turns a build version (what `git describe --tags --always --dirty`
// prints: v1.2.3, v1.2.3-4-gabc1234, abc1234-dirty, or dev) into the semantic
// version a manifest and a registry entry carry: v1.2.3 is 1.2.3, anything
// that is not a release is a 0.0.0-dev-… pre-release.
func SemVer(v string) string {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	if semverRe.MatchString(v) {
		return v
	}
	clean := strings.Trim(regexp.MustCompile(`[^0-9A-Za-z-]+`).ReplaceAllString(v, "-"), "-")
	if clean == "" || clean == "dev" {
		return "0.0.0-dev"
	}
	return "0.0.0-dev-" + clean
}

// ManifestInput is what fills manifest.json.tmpl for one platform.
type ManifestInput struct {
	Version  string // semantic version (SemVer)
	Platform Platform
	Tools    []Tool
}

// Manifest renders the bundle manifest for in.
func Manifest(in ManifestInput) ([]byte, error) {
	mp, ok := mcpbPlatforms[in.Platform.OS]
	if !ok {
		return nil, fmt.Errorf("manifest for %s: MCP Bundles run on darwin, linux and windows only", in.Platform)
	}
	if len(in.Tools) == 0 {
		return nil, fmt.Errorf("manifest for %s: no tools", in.Platform)
	}
	return render("manifest.json.tmpl", map[string]any{
		"Version": in.Version, "MCPBPlatform": mp, "EntryPoint": in.Platform.EntryPoint(), "Tools": in.Tools,
	})
}

// render executes a template and checks that the result is JSON, re-indented.
func render(name string, data any) ([]byte, error) {
	t, err := template.New(name).Funcs(template.FuncMap{"json": toJSON}).ParseFS(templates, name)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, buf.Bytes(), "", "  "); err != nil {
		return nil, fmt.Errorf("render %s: not JSON: %w", name, err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// toJSON is the templates' json function: a value as JSON text.
func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
