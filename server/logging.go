package server

import (
	"io"
	"log"
	"log/slog"
	"strings"
)

// slogWriterLogger adapts a slog.Logger to the *log.Logger mcp-go's stdio
// server wants, so its messages go to the structured log on stderr.
func slogWriterLogger(l *slog.Logger) *log.Logger {
	return log.New(slogWriter{l}, "", 0)
}

type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.l.Warn("mcp stdio", "msg", strings.TrimSpace(string(p)))
	return len(p), nil
}

var _ io.Writer = slogWriter{}
