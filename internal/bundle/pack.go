package bundle

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// BuildOptions say what Build makes.
type BuildOptions struct {
	Root      string     // module root (where go.mod is)
	Version   string     // build version for -X main.version (git describe); the manifest gets SemVer(Version)
	Platforms []Platform // targets; DefaultPlatforms when empty
	OutDir    string     // where the .mcpb files go (created)
	Tools     []Tool     // the manifest's tool list (RegistryTools)
	Log       io.Writer  // progress lines; nil discards
}

// zipTime is every entry's modification time, so that the same binary gives
// the same bundle and the same SHA-256.
var zipTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Build cross-compiles cmd/webhook-mcp with CGO_ENABLED=0 for each platform
// and writes <OutDir>/webhook-mcp-<os>-<arch>.mcpb: manifest.json and the
// binary under server/, executable.
func Build(ctx context.Context, o BuildOptions) ([]Artifact, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if len(o.Platforms) == 0 {
		o.Platforms = DefaultPlatforms
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", o.OutDir, err)
	}
	tmp, err := os.MkdirTemp("", "webhook-mcp-bundle")
	if err != nil {
		return nil, fmt.Errorf("temporary build directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	out := make([]Artifact, 0, len(o.Platforms))
	for _, p := range o.Platforms {
		manifest, err := Manifest(ManifestInput{Version: SemVer(o.Version), Platform: p, Tools: o.Tools})
		if err != nil {
			return nil, err
		}
		bin := filepath.Join(tmp, p.OS+"-"+p.Arch, BinaryName+p.Exe())
		fmt.Fprintf(o.Log, "build %s\n", p)
		if err := goBuild(ctx, o.Root, o.Version, p, bin); err != nil {
			return nil, err
		}
		path := filepath.Join(o.OutDir, p.FileName())
		if err := writeBundle(path, manifest, bin, p); err != nil {
			return nil, err
		}
		sum, err := fileSHA256(path)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(o.Log, "wrote %s (sha256 %s)\n", path, sum)
		out = append(out, Artifact{Platform: p, Path: path, SHA256: sum})
	}
	return out, nil
}

// goBuild compiles the binary for p, as `make build` does.
func goBuild(ctx context.Context, root, version string, p Platform, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+version,
		"-o", out, "./cmd/webhook-mcp")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Arch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build for %s: %w\n%s", p, err, b)
	}
	return nil
}

// writeBundle writes the zip: manifest.json, then the binary with mode 0755.
func writeBundle(path string, manifest []byte, bin string, p Platform) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	zw := zip.NewWriter(f)
	if err := addFile(zw, "manifest.json", 0o644, func(w io.Writer) error {
		_, err := w.Write(manifest)
		return err
	}); err != nil {
		return err
	}
	if err := addFile(zw, p.EntryPoint(), 0o755, func(w io.Writer) error {
		src, err := os.Open(bin)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(w, src)
		return err
	}); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("finish %s: %w", path, err)
	}
	return nil
}

func addFile(zw *zip.Writer, name string, mode os.FileMode, write func(io.Writer) error) error {
	h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: zipTime}
	h.SetMode(mode)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return fmt.Errorf("add %s: %w", name, err)
	}
	if err := write(w); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// fileSHA256 is the hex SHA-256 of a file.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
