// Package testkit holds the test helpers that several packages share: the
// module's fixtures, an injected clock and a locked writer for captured logs.
// Only tests import it.
package testkit

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// root is the module's root directory, found from this file's path.
func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Fixture returns the bytes of a file of the module's testdata directory.
func Fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(root(), "testdata", name))
	if err != nil {
		tb.Fatalf("read fixture %s: %v", name, err)
	}
	return b
}

// RepoPath returns the path of a file or directory of the module, given
// relative to its root.
func RepoPath(elem ...string) string {
	return filepath.Join(append([]string{root()}, elem...)...)
}
