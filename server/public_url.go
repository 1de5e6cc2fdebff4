package server

import "strings"

// baseURL is where clients reach this server: PUBLIC_URL when set, else the
// address Serve listens on, else HTTP_ADDR. Links the tools give (search and
// fetch urls, the approval card's reviewer link) start with it.
func (s *Server) baseURL() string {
	if s.cfg.PublicURL != "" {
		return strings.TrimRight(s.cfg.PublicURL, "/")
	}
	if addr, ok := s.listenAddr.Load().(string); ok && addr != "" {
		return "http://" + addr
	}
	return "http://" + s.cfg.HTTPAddr
}
