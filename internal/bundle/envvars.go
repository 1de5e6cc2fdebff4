package bundle

import (
	"reflect"
	"strings"
	"time"

	"github.com/webhook-mcp/webhook-mcp/server"
)

// EnvVar is one environment variable as a registry entry lists it (the
// schema's KeyValueInput).
type EnvVar struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Format      string `json:"format,omitempty"` // string, number, boolean or filepath
	Default     string `json:"default,omitempty"`
	IsSecret    bool   `json:"isSecret,omitempty"`
}

// ConfigEnvVars lists every variable of server.Config in field order, from its
// struct tags: env names it, envDefault gives the default, desc (when the
// field has one) describes it.
func ConfigEnvVars() []EnvVar {
	t := reflect.TypeFor[server.Config]()
	var out []EnvVar
	for f := range t.Fields() {
		tag, ok := f.Tag.Lookup("env")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		desc := f.Tag.Get("desc")
		if desc == "" {
			desc = "webhook-mcp setting " + name + " (docs/configuration.md)"
		}
		out = append(out, EnvVar{Name: name, Description: desc, Format: formatOf(name, f.Type),
			Default: f.Tag.Get("envDefault"), IsSecret: isSecret(name)})
	}
	return out
}

// formatOf is the registry's input format of a variable of type t.
func formatOf(name string, t reflect.Type) string {
	switch {
	case name == "DATA_DIR":
		return "filepath"
	case t == reflect.TypeFor[time.Duration]():
		return "string" // "30s", "24h"
	case t.Kind() == reflect.Bool:
		return "boolean"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Float64:
		return "number"
	}
	return "string"
}

// isSecret reports whether a variable holds a credential: secrets, tokens, API
// keys, and the database URL (it may carry a password).
func isSecret(name string) bool {
	return strings.Contains(name, "SECRET") || strings.Contains(name, "TOKEN") ||
		strings.Contains(name, "API_KEY") || name == "DATABASE_URL"
}
