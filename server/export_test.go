package server

import (
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/tools"
)

// Accessors only the tests use; no program needs them.

// Registry is the action registry.
func (s *Server) Registry() *tools.Registry { return s.registry }

// Approvals is the approval service.
func (s *Server) Approvals() *approval.Service { return s.approvals }

// MCPServer is the underlying mcp-go server, for in-process clients.
func (s *Server) MCPServer() *mcpserver.MCPServer { return s.mcp }

// Metrics are the server's metrics.
func (s *Server) Metrics() *Metrics { return s.metrics }

// size is how many keys are tracked.
func (l *limiterSet) size() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
